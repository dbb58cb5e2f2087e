// Deployments of backend functions: immutable file sets stored in the database, one live per function, each with
// a state (seed 003). Live ones are cached per app and written out to disk when a process needs them.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { badRequest, notFound } from '../errors.js';
import { Database, Deployment, DeploymentSource, DeploymentState, DeploymentSummary, functionStore, isId, newId } from '../store/index.js';

export const DEPLOYMENT_STATES = [
  'dummy',
  'erroring',
  'under_dev',
  'potential_release',
  'under_user_test',
  'release',
  'reverted',
] as const satisfies readonly DeploymentState[];

/** Folder path segments of letters, digits, `_` and `-`: `sendEmail`, `orders/process`. */
export const FUNCTION_NAME = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const MAX_CODE_BYTES = 10 * 1024 * 1024;
// `../../shared/x.ts` from a nested function climbs a few folders; nothing real climbs this far.
const MAX_CLIMB = 8;

const deployInput = z.object({
  entry: z.string().trim().min(1, 'entry is required'),
  files: z.array(z.object({ path: z.string().min(1), content: z.string() })).min(1, 'a function needs at least one file').max(2000),
  automations: z.array(z.looseObject({})).optional(),
  state: z.enum(DEPLOYMENT_STATES).optional(),
});

export type DeployInput = z.input<typeof deployInput>;

export function checkFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name) || name.length > 200) {
    throw badRequest(`Invalid function name "${name.slice(0, 80)}": use letters, digits, _ and -, with / between folders`);
  }
}

const climb = (file: string) => /^(\.\.\/)*/.exec(file)![0].length / 3;

/** A file path relative to the entry's folder, normalised; `../` may climb to `shared/`, never to the root. */
function normalisePath(file: string): string {
  const normalised = path.posix.normalize(file.replace(/\\/g, '/'));
  if (normalised.startsWith('/') || normalised.includes('\0') || normalised === '.' || /(^|\/)\.\.($|\/)/.test(normalised.replace(/^(\.\.\/)+/, ''))) {
    throw badRequest(`Invalid file path ${JSON.stringify(file.slice(0, 200))}`);
  }
  if (climb(normalised) > MAX_CLIMB) throw badRequest(`File path ${JSON.stringify(file.slice(0, 200))} climbs too many folders`);
  return normalised;
}

/** The entry file among the deployment's paths: `entry` itself, else its base name (entry paths in function.jsonc
 * are relative to the config's folder, file paths to the entry's). */
function entryFile(deployment: Pick<Deployment, 'entry' | 'files'>): string | undefined {
  const paths = new Set(deployment.files.map((f) => f.path));
  const entry = path.posix.normalize(deployment.entry.replace(/\\/g, '/'));
  return paths.has(entry) ? entry : paths.has(path.posix.basename(entry)) ? path.posix.basename(entry) : undefined;
}

function contentHash(entry: string, files: { path: string; content: string }[], automations: unknown[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return createHash('sha256').update(JSON.stringify({ entry, files: sorted, automations })).digest('hex');
}

export interface DeployResult {
  status: 'deployed' | 'unchanged';
  deployment: Deployment;
}

export class DeploymentService {
  private readonly live = new Map<string, Promise<Map<string, Deployment>>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly byId = new Map<string, Deployment>();

  constructor(
    private readonly db: Database,
    /** Where deployments are written out for Deno to read. */
    private readonly codeRoot: string,
    /** Called when a deployment stops being live, so its process can go. */
    private readonly onRetired: (appId: string, deploymentId: string) => void,
  ) {}

  /** The live deployment of every function of an app, by name. */
  liveByName(appId: string): Promise<Map<string, Deployment>> {
    let live = this.live.get(appId);
    if (!live) {
      live = functionStore.liveDeployments(this.db, appId).then((list) => new Map(list.map((d) => [d.name, d])));
      this.live.set(appId, live);
      live.catch(() => this.live.delete(appId));
    }
    return live;
  }

  /**
   * The function a request path (`orders/process/sub/path`) reaches: the longest known name that prefixes it, in its
   * live deployment, or in the deployment `version` names when that is one of the same function's (Base44's
   * `Base44-Functions-Version`, which selects a draft); any other version leaves the live one.
   */
  async resolve(appId: string, requestPath: string, version?: string): Promise<Deployment | undefined> {
    const live = await this.liveByName(appId);
    const segments = requestPath.split('/').filter(Boolean);
    for (let length = segments.length; length > 0; length--) {
      const found = live.get(segments.slice(0, length).join('/'));
      if (found) return version && version !== found.id && isId(version) ? ((await this.sibling(appId, found, version)) ?? found) : found;
    }
    return undefined;
  }

  /** Another deployment of the same function; deployments never change, so the ones found are kept. */
  private async sibling(appId: string, live: Deployment, id: string): Promise<Deployment | undefined> {
    const key = `${appId}/${id}`;
    let found = this.byId.get(key);
    if (!found) {
      found = await functionStore.findDeployment(this.db, appId, id);
      if (found) this.byId.set(key, found);
    }
    return found?.name === live.name ? found : undefined;
  }

  /** Stores a new deployment and makes it live, unless the live one has the same content. */
  deploy(appId: string, name: string, body: unknown, source: DeploymentSource): Promise<DeployResult> {
    checkFunctionName(name);
    const parsed = deployInput.safeParse(body);
    if (!parsed.success) throw badRequest(`Invalid deployment: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const input = parsed.data;
    const files = input.files.map((f) => ({ path: normalisePath(f.path), content: f.content }));
    if (new Set(files.map((f) => f.path)).size !== files.length) throw badRequest('Two files have the same path');
    if (files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0) > MAX_CODE_BYTES) throw badRequest('A deployment may hold at most 10 MB of code');
    if (!entryFile({ entry: input.entry, files })) throw badRequest(`The entry ${input.entry} is not among the files`);
    const automations = input.automations ?? [];
    const hash = contentHash(input.entry, files, automations);
    return this.exclusive(appId, async () => {
      const current = (await this.liveByName(appId)).get(name);
      if (current?.contentHash === hash) return { status: 'unchanged' as const, deployment: current };
      const deployment: Deployment = {
        id: newId(),
        name,
        entry: input.entry,
        files,
        automations,
        contentHash: hash,
        state: input.state ?? (source === 'project' ? 'under_dev' : 'release'),
        source,
        createdDate: new Date().toISOString(),
      };
      await this.db.transaction(async (tx) => {
        await functionStore.insertDeployment(tx, appId, deployment);
        await functionStore.setLiveDeployment(tx, appId, name, deployment.id);
      });
      this.changed(appId, current?.id);
      return { status: 'deployed' as const, deployment };
    });
  }

  remove(appId: string, name: string): Promise<void> {
    return this.exclusive(appId, async () => {
      const current = (await this.liveByName(appId)).get(name);
      if (!(await functionStore.deleteFunction(this.db, appId, name))) throw notFound(`Function ${name} not found`);
      this.changed(appId, current?.id);
    });
  }

  async history(appId: string, name: string): Promise<(DeploymentSummary & { live: boolean })[]> {
    const live = (await this.liveByName(appId)).get(name);
    const list = await functionStore.listDeployments(this.db, appId, name);
    if (list.length === 0) throw notFound(`Function ${name} not found`);
    return list.map((d) => ({ ...d, live: d.id === live?.id }));
  }

  /** Makes an earlier (or later) deployment live again; the one it replaces is marked `reverted`. */
  activate(appId: string, name: string, deploymentId: string): Promise<Deployment> {
    return this.exclusive(appId, async () => {
      const target = await functionStore.findDeployment(this.db, appId, deploymentId);
      if (!target || target.name !== name) throw notFound(`Deployment ${deploymentId.slice(0, 40)} of ${name} not found`);
      const current = (await this.liveByName(appId)).get(name);
      if (current?.id === target.id) return target;
      await this.db.transaction(async (tx) => {
        await functionStore.setLiveDeployment(tx, appId, name, target.id);
        if (current) await functionStore.setDeploymentState(tx, appId, current.id, 'reverted');
      });
      this.changed(appId, current?.id);
      return target;
    });
  }

  async setState(appId: string, name: string, deploymentId: string, state: unknown): Promise<void> {
    const parsed = z.enum(DEPLOYMENT_STATES).safeParse(state);
    if (!parsed.success) throw badRequest(`state must be one of ${DEPLOYMENT_STATES.join(', ')}`);
    const target = await functionStore.findDeployment(this.db, appId, deploymentId);
    if (!target || target.name !== name) throw notFound(`Deployment ${deploymentId.slice(0, 40)} of ${name} not found`);
    await functionStore.setDeploymentState(this.db, appId, deploymentId, parsed.data);
    this.live.delete(appId);
  }

  /** Records that a deployment failed to start; the state says so until someone sets another. */
  async markErroring(appId: string, deploymentId: string): Promise<void> {
    await functionStore.setDeploymentState(this.db, appId, deploymentId, 'erroring');
    this.live.delete(appId);
  }

  /** The deployment's folder on disk, written once (deployments never change). */
  async codeDir(deployment: Deployment): Promise<string> {
    const dir = path.join(this.codeRoot, deployment.id);
    const complete = path.join(dir, '.complete');
    if (existsSync(complete)) return dir;
    await rm(dir, { recursive: true, force: true });
    const entryDir = this.entryDir(deployment);
    for (const file of deployment.files) {
      const target = path.join(entryDir, file.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file.content);
    }
    await writeFile(complete, '');
    return dir;
  }

  /** Files climbing out of the entry's folder (`../../shared/x.ts`) need that many folders above it. */
  private entryDir(deployment: Deployment): string {
    const depth = Math.max(0, ...deployment.files.map((f) => climb(f.path)));
    return path.join(this.codeRoot, deployment.id, 'code', ...Array.from({ length: depth }, (_, i) => `l${i}`));
  }

  entryPath(deployment: Deployment): string {
    return path.join(this.entryDir(deployment), entryFile(deployment)!);
  }

  private changed(appId: string, retiredId: string | undefined): void {
    this.live.delete(appId);
    if (retiredId) this.onRetired(appId, retiredId);
  }

  private exclusive<T>(appId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(appId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.locks.set(appId, next);
    return next;
  }
}
