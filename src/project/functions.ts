// Finds a project's backend functions the way the official CLI does, and watches them (and base44/.env) for changes.
// Each function comes out in the deploy shape: entry, files relative to the entry's folder, automations.

import { existsSync, watch } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ParseError, parse } from 'jsonc-parser';
import type { ProjectProblem } from './load.js';

export interface ProjectFunction {
  name: string;
  entry: string;
  files: { path: string; content: string }[];
  automations?: unknown[];
}

const SOURCE = /\.(js|ts|json|jsonc)$/;
const CONFIG = /(^|\/)function\.jsonc?$/;
const ENTRY = /(^|\/)entry\.(ts|js)$/;

/** Files under `dir` as `/`-joined relative paths, leaving out hidden files and folders and node_modules. */
async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((file) => !file.split('/').some((segment) => segment.startsWith('.') || segment === 'node_modules'))
    .sort();
}

function parseConfig(text: string): { name?: unknown; entry?: unknown; automations?: unknown } {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !value || typeof value !== 'object') throw new Error('not valid JSON');
  return value;
}

/**
 * Config functions: every `function.json[c]`, named by it, `entry` relative to its folder. Zero-config functions:
 * every `entry.ts`/`entry.js` in a folder without one and with no dot in its path, named by the folder path. Each
 * ships its folder's source files and all of `shared/` (the functions folder's sibling).
 */
export async function readFunctions(functionsDir: string): Promise<{ functions: ProjectFunction[]; problems: ProjectProblem[] }> {
  const functions: ProjectFunction[] = [];
  const problems: ProjectProblem[] = [];
  const all = await listFiles(functionsDir);
  const sharedDir = path.resolve(functionsDir, '..', 'shared');
  const shared = (await listFiles(sharedDir)).filter((f) => SOURCE.test(f)).map((f) => path.join(sharedDir, f));
  const folderOf = (file: string) => path.posix.dirname(file);
  const configFolders = new Set(all.filter((f) => CONFIG.test(f)).map(folderOf));

  const found: { file: string; name: string; entry: string; folder: string; automations?: unknown[] }[] = [];
  for (const file of all.filter((f) => CONFIG.test(f))) {
    try {
      const config = parseConfig(await readFile(path.join(functionsDir, file), 'utf8'));
      const name = typeof config.name === 'string' ? config.name.trim() : '';
      if (!name || name.includes('.')) throw new Error('"name" must be a non-empty string without dots');
      if (typeof config.entry !== 'string' || !config.entry.trim()) throw new Error('"entry" must name the entry file');
      if (config.automations !== undefined && !Array.isArray(config.automations)) throw new Error('"automations" must be an array');
      const folder = folderOf(file);
      if (!existsSync(path.join(functionsDir, folder, config.entry))) throw new Error(`entry file ${config.entry} not found`);
      found.push({ file, name, entry: config.entry, folder, automations: config.automations as unknown[] | undefined });
    } catch (error) {
      problems.push({ file: `functions/${file}`, message: (error as Error).message });
    }
  }
  for (const file of all.filter((f) => ENTRY.test(f))) {
    const folder = folderOf(file);
    if (folder === '.') {
      problems.push({ file: `functions/${file}`, message: 'an entry file directly in functions/ must move into a folder named after the function' });
      continue;
    }
    if (configFolders.has(folder) || folder.split('/').some((segment) => segment.includes('.'))) continue;
    found.push({ file, name: folder, entry: path.posix.basename(file), folder });
  }

  const names = new Set<string>();
  for (const fn of found) {
    if (names.has(fn.name)) {
      problems.push({ file: `functions/${fn.file}`, message: `function ${fn.name} is defined twice` });
      continue;
    }
    names.add(fn.name);
    const folder = path.join(functionsDir, fn.folder);
    const entryDir = path.dirname(path.join(folder, fn.entry));
    const local = all.filter((f) => SOURCE.test(f) && (fn.folder === '.' || f.startsWith(`${fn.folder}/`))).map((f) => path.join(functionsDir, f));
    const files = await Promise.all(
      [...new Set([...local, ...shared])].map(async (file) => ({
        path: path.relative(entryDir, file).split(path.sep).join('/'),
        content: await readFile(file, 'utf8'),
      })),
    );
    functions.push({ name: fn.name, entry: fn.entry, files, ...(fn.automations ? { automations: fn.automations } : {}) });
  }
  return { functions, problems };
}

/** Variables of `base44/.env`, then `base44/.env.local` (which wins where both set a name). */
export async function readEnvFiles(configDir: string): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of ['.env', '.env.local']) {
    const file = path.join(configDir, name);
    if (existsSync(file)) Object.assign(values, parseEnv(await readFile(file, 'utf8')));
  }
  return values;
}

/**
 * Calls `onChange` after each burst of changes under the functions or shared folder, or to an .env file.
 * Reloads run one after another, so a slow one is never overtaken by an older one.
 */
export function watchFunctions(
  configDir: string,
  functionsDir: string,
  onChange: () => Promise<void>,
  onError: (error: unknown) => void,
  debounceMs = 150,
): () => void {
  const watched = [functionsDir, path.resolve(functionsDir, '..', 'shared')];
  const relevant = (file: string) =>
    watched.some((dir) => file === dir || file.startsWith(`${dir}${path.sep}`)) || ['.env', '.env.local'].includes(path.relative(configDir, file));
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const watcher = watch(configDir, { recursive: true }, (_event, filename) => {
    if (filename && !relevant(path.join(configDir, filename.toString()))) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(onChange).catch(onError);
    }, debounceMs);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
