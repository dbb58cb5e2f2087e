// Function logs: every invocation's record (duration, status, caller) and the lines its code printed.
// Writes are batched off the request path; reads flush first, so a caller sees its own invocation's lines.

import type { FastifyBaseLogger } from 'fastify';
import { Database, InvocationRecord, StoredLogLine, functionStore } from '../store/index.js';
import type { LogLevel, WorkerLine } from './worker.js';

export interface LogOptions {
  retentionDays: number;
  maxLinesPerInvocation: number;
}

type QueuedLine = Parameters<typeof functionStore.insertLogLines>[1][number];

const FLUSH_MS = 200;
const FLUSH_LINES = 500;
const PRUNE_MS = 60 * 60 * 1000;

export class FunctionLogs {
  private lines: QueuedLine[] = [];
  private queuedInvocations: { appId: string; record: InvocationRecord }[] = [];
  private readonly linesPerInvocation = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly pruner: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly logger: FastifyBaseLogger,
    private readonly options: LogOptions,
  ) {
    this.pruner = setInterval(() => void this.prune(), PRUNE_MS);
    this.pruner.unref();
    void this.prune();
  }

  line(appId: string, functionName: string, line: WorkerLine): void {
    if (line.invocationId) {
      // Lines that come after their invocation ended (waitUntil work) start new counts; this bounds them.
      if (this.linesPerInvocation.size > 10_000) this.linesPerInvocation.clear();
      const count = (this.linesPerInvocation.get(line.invocationId) ?? 0) + 1;
      this.linesPerInvocation.set(line.invocationId, count);
      if (count > this.options.maxLinesPerInvocation + 1) return;
      if (count === this.options.maxLinesPerInvocation + 1) {
        line = { ...line, level: 'warning', message: `more than ${this.options.maxLinesPerInvocation} lines: the rest are not kept` };
      }
    }
    this.lines.push({ appId, functionName, invocationId: line.invocationId, time: new Date().toISOString(), level: line.level, message: line.message });
    this.schedule();
  }

  /** A line Homebase itself writes about an invocation (a timeout, a crash). */
  note(appId: string, functionName: string, invocationId: string | null, level: LogLevel, message: string): void {
    this.line(appId, functionName, { invocationId, level, message, raw: false });
  }

  record(appId: string, record: InvocationRecord): void {
    this.linesPerInvocation.delete(record.id);
    this.queuedInvocations.push({ appId, record });
    this.schedule();
  }

  private schedule(): void {
    if (this.lines.length + this.queuedInvocations.length >= FLUSH_LINES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is queued; writes run one at a time, in order. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.lines;
    const invocations = this.queuedInvocations;
    this.lines = [];
    this.queuedInvocations = [];
    this.writing = this.writing.then(async () => {
      try {
        await functionStore.insertLogLines(this.db, lines);
        await functionStore.insertInvocations(this.db, invocations);
      } catch (error) {
        this.logger.error({ err: error }, 'function logs not written');
      }
    });
    return this.writing;
  }

  async query(appId: string, name: string, query: functionStore.LogQuery): Promise<StoredLogLine[]> {
    await this.flush();
    return functionStore.queryLogLines(this.db, appId, name, query);
  }

  /** Where a tail of the logs starts: after everything written so far. */
  async tailStart(): Promise<number> {
    await this.flush();
    return functionStore.lastLogSeq(this.db);
  }

  /** The lines of the named functions (all when none is named) written after `after`, oldest first. */
  async linesAfter(appId: string, names: string[], after: number, limit: number): Promise<(StoredLogLine & { functionName: string })[]> {
    await this.flush();
    return functionStore.logLinesAfter(this.db, appId, names, after, limit);
  }

  async invocations(appId: string, name: string, query: functionStore.InvocationQuery): Promise<InvocationRecord[]> {
    await this.flush();
    return functionStore.listInvocations(this.db, appId, name, query);
  }

  private async prune(): Promise<void> {
    try {
      await functionStore.pruneFunctionLogs(this.db, this.options.retentionDays);
    } catch (error) {
      this.logger.error({ err: error }, 'function logs not pruned');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    await this.flush();
  }
}
