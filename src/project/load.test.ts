import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectError, loadProject } from './index.js';

let root: string;

async function write(relative: string, content: string) {
  await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await writeFile(path.join(root, relative), content);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'homebase-project-'));
  await write('base44/config.jsonc', '// my app\n{ "name": "Demo", "visibility": "public", }\n');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('reading a Base44 project folder', () => {
  it('reads config.jsonc with comments and trailing commas', async () => {
    const project = await loadProject(root);
    expect(project.settings).toEqual({ name: 'Demo', visibility: 'public', auth: {} });
    expect(project.configDir).toBe(path.join(root, 'base44'));
  });

  it('reads the app’s auth settings, durations in words or seconds, and the official password switch', async () => {
    await write(
      'base44/config.jsonc',
      '{ "name": "Demo", "auth": { "signup": "invite_only", "emailVerification": false, "tokenLifetime": "12h", "redirectOrigins": ["https://app.example.com/x"] } }',
    );
    await write('base44/auth/config.jsonc', '{ "enableUsernamePassword": false, "enableGoogleLogin": false }');
    expect((await loadProject(root)).settings.auth).toEqual({
      signup: 'invite_only',
      emailVerification: false,
      tokenLifetime: 43_200,
      redirectOrigins: ['https://app.example.com'],
      passwordLogin: false,
    });
    await write('base44/config.jsonc', '{ "name": "Demo", "auth": { "tokenLifetime": 90 } }');
    expect((await loadProject(root)).settings.auth).toMatchObject({ tokenLifetime: 90 });
  });

  it('refuses unknown sign-up modes, bad durations and redirect origins that are not URLs', async () => {
    for (const auth of ['{ "signup": "maybe" }', '{ "tokenLifetime": "forever" }', '{ "tokenLifetime": -5 }', '{ "redirectOrigins": ["not a url"] }']) {
      await write('base44/config.jsonc', `{ "name": "Demo", "auth": ${auth} }`);
      await expect(loadProject(root)).rejects.toThrow(ProjectError);
    }
  });

  it('creates base44/.app.jsonc with a new 24-hex app id when it is missing, and keeps it', async () => {
    const first = await loadProject(root);
    expect(first.appId).toMatch(/^[a-f0-9]{24}$/);
    expect(JSON.parse(await readFile(path.join(root, 'base44/.app.jsonc'), 'utf8'))).toEqual({ id: first.appId });
    expect((await loadProject(root)).appId).toBe(first.appId);
  });

  it('refuses an app id that is not 24 hex digits', async () => {
    await write('base44/.app.jsonc', '{"id": "../../etc"}');
    await expect(loadProject(root)).rejects.toThrow(/24-character hex/);
  });

  it('takes entity names from the files, whatever the file names', async () => {
    await write('base44/entities/team-member.jsonc', '{ "name": "TeamMember", "properties": { "role": { "type": "string" } } }');
    await write('base44/entities/Task.json', '{ "name": "Task", "properties": {} }');
    const project = await loadProject(root);
    expect(project.entities.map((e) => e.name)).toEqual(['Task', 'TeamMember']);
    expect(project.problems).toEqual([]);
  });

  it('reports a broken entity file by name and still serves the valid ones', async () => {
    await write('base44/entities/task.jsonc', '{ "name": "Task", "properties": {} }');
    await write('base44/entities/broken.jsonc', '{ "name": "Broken", "properties": { ');
    await write('base44/entities/dup.jsonc', '{ "name": "Task", "properties": {} }');
    const project = await loadProject(root);
    expect(project.entities.map((e) => e.name)).toEqual(['Task']);
    expect(project.problems.map((p) => p.file).sort()).toEqual(['broken.jsonc', 'task.jsonc']);
    expect(project.problems.find((p) => p.file === 'broken.jsonc')?.message).toMatch(/broken\.jsonc/);
  });

  it('explains a missing or invalid config', async () => {
    await rm(path.join(root, 'base44'), { recursive: true });
    await expect(loadProject(root)).rejects.toThrow(ProjectError);
    await write('base44/config.jsonc', '{ "description": "no name" }');
    await expect(loadProject(root)).rejects.toThrow(/name/);
  });

  it('serves a project without an entities folder', async () => {
    const project = await loadProject(root);
    expect(project.entities).toEqual([]);
    expect(existsSync(project.entitiesDir)).toBe(false);
  });
});
