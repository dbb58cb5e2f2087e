// The warm Deno processes of every live deployment: started on first call, shared by concurrent calls,
// reaped when idle, replaced after a crash or a timeout, drained when their app's secrets change.

import { FunctionWorker, WorkerLine, WorkerStartError } from './worker.js';

export interface PoolOptions {
  denoDir: string;
  memoryMb: number;
  caCertFile?: string;
  /** Where functions may not connect (deniedDestinations). */
  deniedNet: string[];
  startTimeoutMs: number;
  idleMs: number;
  /** How long a failed start is answered from memory instead of spawning again. */
  failureMemoryMs: number;
}

/** What it takes to run one deployment. */
export interface Launch {
  deploymentId: string;
  appId: string;
  functionName: string;
  codeDir(): Promise<string>;
  entryPath: string;
  env(): Promise<Record<string, string>>;
}

export type LineListener = (launch: Launch, line: WorkerLine) => void;

interface Entry {
  appId: string;
  starting?: Promise<FunctionWorker>;
  worker?: FunctionWorker;
  failure?: { error: WorkerStartError; at: number };
}

export class WorkerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly workers = new Set<FunctionWorker>();
  private readonly current = new Set<FunctionWorker>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly options: PoolOptions,
    private readonly onLine: LineListener,
  ) {
    this.reaper = setInterval(() => this.reap(), Math.min(30_000, Math.max(250, options.idleMs / 2)));
    this.reaper.unref();
  }

  /** The running worker of a deployment, started if needed; concurrent first calls share one start. */
  async acquire(launch: Launch): Promise<FunctionWorker> {
    let entry = this.entries.get(launch.deploymentId);
    if (entry?.worker?.alive) return entry.worker;
    if (entry?.starting) return entry.starting;
    if (entry?.failure && Date.now() - entry.failure.at < this.options.failureMemoryMs) throw entry.failure.error;
    entry = { appId: launch.appId };
    this.entries.set(launch.deploymentId, entry);
    const started = this.start(launch, entry);
    entry.starting = started;
    return started;
  }

  private async start(launch: Launch, entry: Entry): Promise<FunctionWorker> {
    try {
      const worker = await FunctionWorker.start({
        codeDir: await launch.codeDir(),
        entryPath: launch.entryPath,
        env: await launch.env(),
        denoDir: this.options.denoDir,
        memoryMb: this.options.memoryMb,
        caCertFile: this.options.caCertFile,
        deniedNet: this.options.deniedNet,
        startTimeoutMs: this.options.startTimeoutMs,
        onLine: (line) => this.onLine(launch, line),
        onExit: (exited) => this.forget(launch.deploymentId, exited),
      });
      this.workers.add(worker);
      // A retire during the start leaves this worker to serve the calls that waited for it, then go.
      if (this.entries.get(launch.deploymentId) === entry) {
        entry.worker = worker;
        this.current.add(worker);
      }
      return worker;
    } catch (error) {
      if (error instanceof WorkerStartError) entry.failure = { error, at: Date.now() };
      throw error;
    } finally {
      entry.starting = undefined;
    }
  }

  private forget(deploymentId: string, worker: FunctionWorker): void {
    this.workers.delete(worker);
    this.current.delete(worker);
    const entry = this.entries.get(deploymentId);
    if (entry?.worker === worker) this.entries.delete(deploymentId);
  }

  /** After a call: a retired worker goes once its last call is done. */
  release(worker: FunctionWorker): void {
    worker.lastUsed = Date.now();
    if (worker.active.size === 0 && !this.current.has(worker)) void worker.kill();
  }

  /** Kills a worker now (a timed-out call); the next call starts a fresh one. */
  async replace(worker: FunctionWorker): Promise<void> {
    for (const [id, entry] of this.entries) if (entry.worker === worker) this.entries.delete(id);
    this.current.delete(worker);
    await worker.kill();
  }

  /** New calls get new processes (with the app's new environment); the old ones finish what they serve. */
  retireApp(appId: string): void {
    for (const [id, entry] of this.entries) {
      if (entry.appId !== appId) continue;
      this.entries.delete(id);
      if (entry.worker) this.current.delete(entry.worker);
    }
    this.reap();
  }

  /** Stops a deployment's process (deleted or no longer live). */
  retireDeployment(deploymentId: string): void {
    const entry = this.entries.get(deploymentId);
    this.entries.delete(deploymentId);
    if (entry?.worker) this.current.delete(entry.worker);
    this.reap();
  }

  /** Processes running now, by deployment (for tests and the benchmark). */
  running(deploymentId: string): FunctionWorker | undefined {
    const worker = this.entries.get(deploymentId)?.worker;
    return worker?.alive ? worker : undefined;
  }

  private reap(): void {
    const now = Date.now();
    for (const worker of this.workers) {
      if (worker.active.size > 0) continue;
      if (!this.current.has(worker) || now - worker.lastUsed >= this.options.idleMs) void worker.kill();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    this.entries.clear();
    await Promise.all([...this.workers].map((worker) => worker.kill()));
  }
}
