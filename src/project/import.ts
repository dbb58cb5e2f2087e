// `homebase import`: turns an app exported from Base44 (entities/*.json, functions/*.ts, the frontend at the root)
// into a project Homebase serves, and says what the operator must still provide (secrets, integrations).
// Old or loose entity files are repaired with a warning rather than refused: the app ran on Base44 as it is.

import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { isPlainObject } from '../query/index.js';
import { USER_BASE_FIELDS } from '../schema/index.js';
import { findConfigDir, loadProject } from './load.js';

export interface ImportReport {
  /** Where the Homebase-ready project is. */
  root: string;
  changes: string[];
  warnings: string[];
  /** Environment variables the functions read: set them with `homebase secrets set` or base44/.env. */
  secrets: string[];
  /** Integrations the app calls (`Core.SendEmail`, ...), which need providers configured. */
  integrations: string[];
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
// Field types seen in older Base44 exports, as the JSON-schema type (and format) they stand for.
const LEGACY_TYPES: Record<string, { type: string; format?: string }> = {
  date: { type: 'string', format: 'date' },
  datetime: { type: 'string', format: 'date-time' },
  'date-time': { type: 'string', format: 'date-time' },
  time: { type: 'string', format: 'time' },
  text: { type: 'string' },
  richtext: { type: 'string', format: 'richtext' },
  email: { type: 'string', format: 'email' },
  url: { type: 'string', format: 'uri' },
  file: { type: 'string', format: 'file' },
  image: { type: 'string', format: 'file' },
  reference: { type: 'string' },
  relation: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  decimal: { type: 'number' },
  bool: { type: 'boolean' },
  json: { type: 'object' },
};
const ENTITY_KEYS = new Set(['name', 'type', 'title', 'description', 'properties', 'required', 'rls', 'indexes']);
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', '.homebase']);
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?)$/;

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[_\s]+/g, '-').toLowerCase();
const relative = (root: string, file: string) => path.relative(root, file) || '.';

function readJson(text: string): unknown {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new Error(`not valid JSON (${printParseErrorCode(errors[0].error)})`);
  return value;
}

/** Repairs one property schema in place, recursing into objects and arrays; returns what it changed. */
function repairProperty(schema: unknown, where: string, notes: string[]): void {
  if (!isPlainObject(schema)) return;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const legacy = types.find((t): t is string => typeof t === 'string' && !JSON_TYPES.has(t));
  if (legacy !== undefined) {
    const replacement = LEGACY_TYPES[legacy.toLowerCase()] ?? { type: 'string' };
    schema.type = replacement.type;
    if (replacement.format && schema.format === undefined) schema.format = replacement.format;
    notes.push(`${where}: type "${legacy}" read as ${JSON.stringify(replacement)}`);
  }
  if (isPlainObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties)) repairProperty(sub, `${where}.${name}`, notes);
  }
  repairProperty(schema.items, `${where}[]`, notes);
}

/**
 * The entity definition Homebase accepts, from an exported file: `repairs` say what was changed,
 * `remarks` what was kept but behaves differently than the author may think.
 */
export function repairEntity(raw: unknown, fileName: string): { definition: Record<string, unknown>; repairs: string[]; remarks: string[] } {
  if (!isPlainObject(raw)) throw new Error('not a JSON object');
  const notes: string[] = [];
  const remarks: string[] = [];
  const definition: Record<string, unknown> = { ...raw };
  // A common mistake of hand-written files: the fields wrapped in a `schema` key.
  if (!isPlainObject(definition.properties) && isPlainObject(definition.schema) && isPlainObject(definition.schema.properties)) {
    Object.assign(definition, definition.schema);
    delete definition.schema;
    notes.push('fields unwrapped from "schema"');
  }
  const name = typeof definition.name === 'string' && /^\w+$/.test(definition.name) ? definition.name : path.parse(fileName).name.replace(/\W/g, '');
  definition.name = name;
  definition.type = 'object';
  const properties = isPlainObject(definition.properties) ? definition.properties : {};
  definition.properties = properties;
  for (const [field, schema] of Object.entries(properties)) repairProperty(schema, field, notes);
  for (const key of Object.keys(definition)) {
    if (!ENTITY_KEYS.has(key)) remarks.push(`unknown key "${key}" kept as is`);
  }
  if (name === 'User') {
    for (const field of USER_BASE_FIELDS) {
      if (Object.hasOwn(properties, field)) {
        delete properties[field];
        notes.push(`"${field}" removed: every user has it built in`);
      }
    }
    if (Array.isArray(definition.required) && definition.required.length > 0) {
      remarks.push(`required User fields (${definition.required.join(', ')}) are not enforced at sign-up or invitation`);
    }
  }
  return { definition, repairs: notes, remarks };
}

async function filesUnder(dir: string, accept: (file: string) => boolean): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...(await filesUnder(full, accept)));
    } else if (accept(full)) {
      found.push(full);
    }
  }
  return found;
}

async function writeConfig(root: string, configDir: string, report: ImportReport): Promise<void> {
  if (['config.jsonc', 'config.json'].some((name) => existsSync(path.join(configDir, name)))) return;
  const pkgFile = path.join(root, 'package.json');
  const pkg = existsSync(pkgFile) ? (readJson(await readFile(pkgFile, 'utf8')) as { name?: unknown; scripts?: Record<string, unknown> }) : {};
  const name = typeof pkg.name === 'string' && pkg.name.trim() !== '' ? pkg.name : path.basename(root);
  const site = {
    buildCommand: 'npm run build',
    ...(pkg.scripts?.dev ? { serveCommand: 'npm run dev' } : {}),
    outputDirectory: 'dist',
  };
  const config = { name, visibility: 'public', site };
  await writeFile(path.join(configDir, 'config.jsonc'), `// Written by homebase import; see the README for every key.\n${JSON.stringify(config, null, 2)}\n`);
  report.changes.push(`created ${relative(root, path.join(configDir, 'config.jsonc'))} (name "${name}")`);
}

async function importEntities(root: string, configDir: string, report: ImportReport): Promise<void> {
  const entitiesDir = path.join(configDir, 'entities');
  const sources = [
    ...(await filesUnder(path.join(root, 'entities'), (f) => /\.jsonc?$/.test(f))),
    ...(await filesUnder(entitiesDir, (f) => /\.jsonc?$/.test(f))),
  ];
  await mkdir(entitiesDir, { recursive: true });
  for (const source of sources) {
    const file = relative(root, source);
    let repaired;
    try {
      repaired = repairEntity(readJson(await readFile(source, 'utf8')), path.basename(source));
    } catch (error) {
      report.warnings.push(`${file}: skipped, ${(error as Error).message}`);
      continue;
    }
    const target = path.join(entitiesDir, `${kebab(repaired.definition.name as string)}.jsonc`);
    const moved = path.resolve(source) !== path.resolve(target);
    if (moved && existsSync(target)) {
      report.warnings.push(`${file}: skipped, ${relative(root, target)} already defines it`);
      continue;
    }
    [...repaired.repairs, ...repaired.remarks].forEach((note) => report.warnings.push(`${file}: ${note}`));
    if (moved || repaired.repairs.length > 0) {
      await writeFile(target, `${JSON.stringify(repaired.definition, null, 2)}\n`);
      if (moved) await rename(source, `${source}.imported`);
      report.changes.push(moved ? `${file} → ${relative(root, target)}` : `${file} repaired`);
    }
  }
}

async function importFunctions(root: string, configDir: string, report: ImportReport): Promise<void> {
  const legacyDir = path.join(root, 'functions');
  if (!existsSync(legacyDir)) return;
  const functionsDir = path.join(configDir, 'functions');
  for (const entry of await readdir(legacyDir, { withFileTypes: true })) {
    const source = path.join(legacyDir, entry.name);
    if (entry.isFile() && /\.[jt]s$/.test(entry.name)) {
      const name = path.parse(entry.name).name;
      const target = path.join(functionsDir, name, `entry${path.extname(entry.name)}`);
      if (existsSync(path.dirname(target))) {
        report.warnings.push(`${relative(root, source)}: skipped, ${relative(root, path.dirname(target))} exists`);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(source, target);
      report.changes.push(`${relative(root, source)} → ${relative(root, target)}`);
    } else if (entry.isDirectory()) {
      const target = path.join(functionsDir, entry.name);
      if (existsSync(target)) {
        report.warnings.push(`${relative(root, source)}: skipped, ${relative(root, target)} exists`);
        continue;
      }
      await mkdir(functionsDir, { recursive: true });
      await rename(source, target);
      report.changes.push(`${relative(root, source)}/ → ${relative(root, target)}/`);
    }
  }
}

const SECRET_READS = [/Deno\.env\.get\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\)/g, /secrets\.get\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\)/g];
const INTEGRATION_CALLS = /integrations\.(Core|[A-Z]\w*)\.(\w+)|\bCore\.([A-Z]\w+)\s*\(/g;
// Set by the runtime itself, not by the operator.
const PROVIDED_ENV = new Set(['BASE44_APP_ID', 'BASE44_API_URL', 'DENO_DEPLOYMENT_ID']);

async function scanSources(root: string, configDir: string, report: ImportReport): Promise<void> {
  const secrets = new Set<string>();
  const integrations = new Set<string>();
  const functionFiles = await filesUnder(path.join(configDir, 'functions'), (f) => SOURCE_FILE.test(f));
  const appFiles = await filesUnder(path.join(root, 'src'), (f) => SOURCE_FILE.test(f));
  for (const file of [...functionFiles, ...appFiles]) {
    if ((await stat(file)).size > 2_000_000) continue;
    const text = await readFile(file, 'utf8');
    for (const pattern of SECRET_READS) for (const match of text.matchAll(pattern)) if (!PROVIDED_ENV.has(match[1])) secrets.add(match[1]);
    for (const match of text.matchAll(INTEGRATION_CALLS)) integrations.add(match[3] ? `Core.${match[3]}` : `${match[1]}.${match[2]}`);
  }
  report.secrets = [...secrets].sort();
  report.integrations = [...integrations].sort();
}

export async function importExportedApp(source: string, out?: string): Promise<ImportReport> {
  const from = path.resolve(source);
  if (!existsSync(from) || !(await stat(from)).isDirectory()) throw new Error(`${source} is not a folder`);
  const root = out ? path.resolve(out) : from;
  const report: ImportReport = { root, changes: [], warnings: [], secrets: [], integrations: [] };
  if (out) {
    if (existsSync(root) && (await readdir(root)).length > 0) throw new Error(`${out} exists and is not empty`);
    await cp(from, root, { recursive: true, filter: (file) => !SKIPPED_DIRS.has(path.basename(file)) || file === from });
    report.changes.push(`copied ${from} to ${root} (without node_modules, .git, dist)`);
  }
  let configDir: string;
  try {
    configDir = findConfigDir(root);
  } catch {
    configDir = path.join(root, 'base44');
    await mkdir(configDir, { recursive: true });
  }
  await writeConfig(root, configDir, report);
  await importEntities(root, configDir, report);
  await importFunctions(root, configDir, report);
  await scanSources(root, configDir, report);
  const project = await loadProject(root);
  for (const problem of project.problems) report.warnings.push(`${problem.file}: ${problem.message} (this entity will not be served)`);
  return report;
}
