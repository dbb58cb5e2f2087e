// Reads a Base44 project folder: base44/config.jsonc, the app id link file and the entity files.
// A broken entity file is reported by name and skipped; the valid ones are still served.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import { AccessRuleError, compileAccess } from '../access/index.js';
import { EntityDefinition, EntityDefinitionError, parseEntityDefinition } from '../schema/index.js';
import type { AppSettings } from '../tenancy/index.js';

export interface ProjectProblem {
  file: string;
  message: string;
}

export interface ProjectSite {
  serveCommand?: string;
  buildCommand: string;
  /** The built site (`outputDirectory`, default `dist/`), absolute. */
  outputDirectory: string;
}

export interface Project {
  root: string;
  /** The folder holding config.jsonc (usually `<root>/base44`). */
  configDir: string;
  entitiesDir: string;
  /** Backend functions' folder (`functionsDir` in config.jsonc, default `functions`). */
  functionsDir: string;
  /** How the app's frontend is built and served (`site` in config.jsonc); paths resolve from the project root. */
  site: ProjectSite;
  appId: string;
  settings: AppSettings;
  entities: EntityDefinition[];
  problems: ProjectProblem[];
}

const DURATION = /^(\d+)\s*([smhd])$/;
const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `3600`, `"45m"`, `"12h"` or `"30d"` as seconds. */
const duration = z.union([
  z.number().int().positive(),
  z.string().regex(DURATION, 'use a number of seconds or a duration like "30m", "12h", "30d"').transform((text) => {
    const [, amount, unit] = DURATION.exec(text)!;
    return Number(amount) * SECONDS_PER_UNIT[unit as keyof typeof SECONDS_PER_UNIT];
  }),
]);

const authConfig = z.object({
  signup: z.enum(['open', 'invite_only', 'closed']).optional(),
  emailVerification: z.boolean().optional(),
  tokenLifetime: duration.optional(),
  redirectOrigins: z.array(z.url().transform((url) => new URL(url).origin)).optional(),
});

const projectConfig = z.object({
  name: z.string().trim().min(1, 'name is required'),
  description: z.string().optional(),
  visibility: z.enum(['public', 'private', 'workspace']).optional(),
  entitiesDir: z.string().default('entities'),
  functionsDir: z.string().default('functions'),
  authDir: z.string().default('auth'),
  site: z
    .object({
      buildCommand: z.string().optional(),
      serveCommand: z.string().optional(),
      outputDirectory: z.string().optional(),
      installCommand: z.string().optional(),
    })
    .optional(),
  auth: authConfig.optional(),
  integrations: z
    .object({
      // Strict: a provider URL or key put here is refused, as project files get shared and committed.
      llm: z.strictObject({ model: z.string().min(1).optional(), aliases: z.record(z.string(), z.string().min(1)).optional() }).optional(),
    })
    .optional(),
});

// base44/auth/config.jsonc as the official CLI writes it; only the password switch matters without OAuth.
const providerConfig = z.looseObject({ enableUsernamePassword: z.boolean().optional() });

export class ProjectError extends Error {}

function readJsonc(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const first = errors[0];
    const line = text.slice(0, first.offset).split('\n').length;
    throw new ProjectError(`${file}: ${printParseErrorCode(first.error)} at line ${line}`);
  }
  return value;
}

/** The folder with the project's config: `<dir>/base44` or `<dir>` itself. */
export function findConfigDir(dir: string): string {
  for (const candidate of [path.join(dir, 'base44'), dir]) {
    if (['config.jsonc', 'config.json'].some((name) => existsSync(path.join(candidate, name)))) return candidate;
  }
  throw new ProjectError(`No Base44 project in ${dir}: expected base44/config.jsonc`);
}

async function readAppId(configDir: string): Promise<string> {
  for (const name of ['.app.jsonc', '.app.json']) {
    const file = path.join(configDir, name);
    if (!existsSync(file)) continue;
    const parsed = readJsonc(await readFile(file, 'utf8'), file) as { id?: unknown };
    if (typeof parsed?.id !== 'string' || !/^[a-f0-9]{24}$/.test(parsed.id)) {
      throw new ProjectError(`${file}: "id" must be a 24-character hex app id`);
    }
    return parsed.id;
  }
  const id = randomBytes(12).toString('hex');
  await writeFile(path.join(configDir, '.app.jsonc'), `${JSON.stringify({ id }, null, 2)}\n`);
  return id;
}

export async function readEntities(entitiesDir: string): Promise<{ entities: EntityDefinition[]; problems: ProjectProblem[] }> {
  const entities: EntityDefinition[] = [];
  const problems: ProjectProblem[] = [];
  if (!existsSync(entitiesDir)) return { entities, problems };
  const files = (await readdir(entitiesDir)).filter((f) => /\.jsonc?$/.test(f)).sort();
  for (const file of files) {
    try {
      const definition = parseEntityDefinition(await readFile(path.join(entitiesDir, file), 'utf8'), file);
      // Invalid rules make the whole entity unavailable: an entity never falls open.
      try {
        compileAccess(definition);
      } catch (error) {
        if (error instanceof AccessRuleError) throw new EntityDefinitionError(file, error.message);
        throw error;
      }
      const twin = entities.find((e) => e.name === definition.name);
      if (twin) throw new EntityDefinitionError(file, `entity ${definition.name} is defined twice`);
      entities.push(definition);
    } catch (error) {
      if (!(error instanceof EntityDefinitionError)) throw error;
      problems.push({ file, message: error.message });
    }
  }
  return { entities, problems };
}

async function readPasswordSwitch(authDir: string): Promise<{ passwordLogin?: boolean }> {
  const file = ['config.jsonc', 'config.json'].map((n) => path.join(authDir, n)).find(existsSync);
  if (!file) return {};
  const parsed = providerConfig.safeParse(readJsonc(await readFile(file, 'utf8'), file));
  if (!parsed.success) throw new ProjectError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data.enableUsernamePassword === undefined ? {} : { passwordLogin: parsed.data.enableUsernamePassword };
}

export async function loadProject(dir: string): Promise<Project> {
  const root = path.resolve(dir);
  const configDir = findConfigDir(root);
  const configFile = ['config.jsonc', 'config.json'].map((n) => path.join(configDir, n)).find(existsSync)!;
  const parsed = projectConfig.safeParse(readJsonc(await readFile(configFile, 'utf8'), configFile));
  if (!parsed.success) {
    throw new ProjectError(`${configFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  const { entitiesDir: entitiesName, functionsDir, authDir, auth, site, ...app } = parsed.data;
  const settings: AppSettings = { ...app, auth: { ...auth, ...(await readPasswordSwitch(path.resolve(configDir, authDir))) } };
  await mkdir(configDir, { recursive: true });
  const entitiesDir = path.resolve(configDir, entitiesName);
  return {
    root,
    configDir,
    entitiesDir,
    functionsDir: path.resolve(configDir, functionsDir),
    site: {
      serveCommand: site?.serveCommand,
      buildCommand: site?.buildCommand ?? 'npm run build',
      outputDirectory: path.resolve(root, site?.outputDirectory ?? 'dist'),
    },
    appId: await readAppId(configDir),
    settings,
    ...(await readEntities(entitiesDir)),
  };
}
