// `homebase import`: an app exported from Base44 becomes a project Homebase serves, with a report of what is missing.

import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importExportedApp, loadProject } from '../../src/project/index.js';
import { REPO_ROOT } from '../support/server.js';

const EXPORTED = path.join(REPO_ROOT, 'test/fixtures/exported-app');

describe('importing an exported Base44 app', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'homebase-import-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  it('moves entities and functions into base44/, writes config.jsonc, and reports secrets and integrations', async () => {
    const dir = path.join(work, 'app');
    await cp(EXPORTED, dir, { recursive: true });
    const report = await importExportedApp(dir);

    expect(report.changes).toEqual(
      expect.arrayContaining([
        'created base44/config.jsonc (name "trip-planner")',
        'entities/Trip.json → base44/entities/trip.jsonc',
        'entities/TripMember.json → base44/entities/trip-member.jsonc',
        'functions/sendInvite.ts → base44/functions/sendInvite/entry.ts',
      ]),
    );
    expect(report.secrets).toEqual(['RESEND_API_KEY']);
    expect(report.integrations).toEqual(['Core.SendEmail', 'Core.UploadFile']);
    expect(report.warnings).toEqual(
      expect.arrayContaining([
        'entities/Trip.json: starts_on: type "date" read as {"type":"string","format":"date"}',
        'entities/Trip.json: stops[].arrives: type "datetime" read as {"type":"string","format":"date-time"}',
        'entities/Trip.json: unknown key "x_builder_layout" kept as is',
        'entities/User.json: "email" removed: every user has it built in',
        'entities/User.json: required User fields (phone) are not enforced at sign-up or invitation',
      ]),
    );
    expect(report.warnings.some((w) => w.startsWith('entities/broken.json: skipped'))).toBe(true);

    const project = await loadProject(dir);
    expect(project.entities.map((e) => e.name).sort()).toEqual(['Trip', 'TripMember', 'User']);
    expect(project.problems).toEqual([]);
    expect(project.site.serveCommand).toBe('npm run dev');
    expect(await readFile(path.join(dir, 'base44/functions/sendInvite/entry.ts'), 'utf8')).toContain('Deno.serve');
  });

  it('writes into --out and leaves the export untouched; a second import changes nothing', async () => {
    const out = path.join(work, 'out');
    const before = await readdir(EXPORTED, { recursive: true });
    const report = await importExportedApp(EXPORTED, out);
    expect(report.root).toBe(out);
    expect(await readdir(EXPORTED, { recursive: true })).toEqual(before);
    expect(existsSync(path.join(out, 'base44/entities/trip.jsonc'))).toBe(true);
    const again = await importExportedApp(out);
    expect(again.changes).toEqual([]);
  });

  it('refuses a missing folder and a non-empty --out', async () => {
    await expect(importExportedApp(path.join(work, 'nowhere'))).rejects.toThrow(/not a folder/);
    await expect(importExportedApp(EXPORTED, REPO_ROOT)).rejects.toThrow(/not empty/);
  });
});
