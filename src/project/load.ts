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

export interface ProjectProblem {
  file: string;
  message: string;
}

export interface Project {
  root: string;
  /** The folder holding config.jsonc (usually `<root>/base44`). */
  configDir: string;
  entitiesDir: string;
  appId: string;
  settings: { name: string; description?: string; visibility?: 'public' | 'private' | 'workspace' };
  entities: EntityDefinition[];
  problems: ProjectProblem[];
}

const projectConfig = z.object({
  name: z.string().trim().min(1, 'name is required'),
  description: z.string().optional(),
  visibility: z.enum(['public', 'private', 'workspace']).optional(),
  entitiesDir: z.string().default('entities'),
});

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

export async function loadProject(dir: string): Promise<Project> {
  const root = path.resolve(dir);
  const configDir = findConfigDir(root);
  const configFile = ['config.jsonc', 'config.json'].map((n) => path.join(configDir, n)).find(existsSync)!;
  const parsed = projectConfig.safeParse(readJsonc(await readFile(configFile, 'utf8'), configFile));
  if (!parsed.success) {
    throw new ProjectError(`${configFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  const { entitiesDir: entitiesName, ...settings } = parsed.data;
  await mkdir(configDir, { recursive: true });
  const entitiesDir = path.resolve(configDir, entitiesName);
  return {
    root,
    configDir,
    entitiesDir,
    appId: await readAppId(configDir),
    settings,
    ...(await readEntities(entitiesDir)),
  };
}
