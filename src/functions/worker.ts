// One warm Deno process serving one deployment: started, asked over HTTP on a private unix socket, killed.
// Its stdout carries bootstrap.ts's control lines (ready, failed, console output per invocation); the rest is raw output.

import { ChildProcess, spawn } from 'node:child_process';
import { Agent, IncomingMessage, OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { DenoSandbox, denoEnv, denoExecutable, denoRunArgs } from './deno.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface WorkerLine {
  /** The invocation whose code wrote the line; null for module-level output or raw writes. */
  invocationId: string | null;
  level: LogLevel;
  message: string;
  /** Written with console.* (attributed by bootstrap.ts) or straight to stdout/stderr. */
  raw: boolean;
}

export interface WorkerSpec {
  codeDir: string;
  entryPath: string;
  env: Record<string, string>;
  denoDir: string;
  memoryMb: number;
  caCertFile?: string;
  deniedNet: string[];
  startTimeoutMs: number;
  onLine(line: WorkerLine): void;
  onExit(worker: FunctionWorker): void;
}

/** The function could not start: its module threw, it has no handler, or it did not get ready in time. */
export class WorkerStartError extends Error {}

const CONTROL = '\x1e';
const MAX_LINE = 16 * 1024;

export class FunctionWorker {
  /** Invocations being served now. */
  readonly active = new Set<string>();
  lastUsed = Date.now();
  private exited = false;
  private killed = false;
  private readonly exit: Promise<void>;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity });

  private constructor(
    private readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly tempDir: string,
  ) {
    this.exit = new Promise((resolve) => child.once('close', () => resolve()));
  }

  /** Serving: not exited and not being killed. */
  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(spec: WorkerSpec): Promise<FunctionWorker> {
    const tempDir = await mkdtemp(path.join(tmpdir(), 'homebase-fn-'));
    const sandbox: DenoSandbox = { codeDir: spec.codeDir, tempDir, denoDir: spec.denoDir, memoryMb: spec.memoryMb, caCertFile: spec.caCertFile, deniedNet: spec.deniedNet };
    const socketPath = path.join(tempDir, 'function.sock');
    const child = spawn(denoExecutable(), denoRunArgs(sandbox, pathToFileURL(spec.entryPath).href, socketPath), {
      env: denoEnv(sandbox, spec.env),
      cwd: tempDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new FunctionWorker(child, socketPath, tempDir);
    const startup: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WorkerStartError(`not ready after ${spec.startTimeoutMs} ms`)), spec.startTimeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      readLines(child.stdout!, (text) => {
        if (!text.startsWith(CONTROL)) return worker.forward(spec, { invocationId: null, level: 'info', message: text, raw: true }, startup);
        const message = parseControl(text);
        if (!message) return worker.forward(spec, { invocationId: null, level: 'info', message: text.slice(1), raw: true }, startup);
        if (message.t === 'ready') settle();
        else if (message.t === 'failed') settle(new WorkerStartError(message.m ?? 'failed to start'));
        else if (message.t === 'log') {
          worker.forward(spec, { invocationId: message.i || null, level: message.l ?? 'info', message: message.m ?? '', raw: false }, startup);
        }
      });
      readLines(child.stderr!, (text) => worker.forward(spec, { invocationId: null, level: 'error', message: text, raw: true }, startup));
      child.once('error', (error) => settle(new WorkerStartError(error.message)));
      child.once('close', (code, signal) =>
        settle(new WorkerStartError([`exited (${signal ?? `code ${code}`}) while starting`, ...startup].join('\n'))),
      );
    });
    child.once('close', () => {
      worker.exited = true;
      worker.agent.destroy();
      void rm(tempDir, { recursive: true, force: true });
      spec.onExit(worker);
    });
    try {
      await ready;
    } catch (error) {
      await worker.kill();
      throw error;
    }
    return worker;
  }

  /** Passes a line on; the last startup lines also explain a failed start. */
  private forward(spec: WorkerSpec, line: WorkerLine, startup: string[]): void {
    if (startup.length < 20) startup.push(line.message);
    // Raw output cannot say whose it is, unless only one invocation is running.
    if (line.invocationId === null && this.active.size === 1) line.invocationId = this.active.values().next().value!;
    spec.onLine(line);
  }

  /** Sends one request to the function; resolves with its response head, the body still streaming. */
  request(method: string, pathAndQuery: string, headers: OutgoingHttpHeaders, body: Readable | null): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ socketPath: this.socketPath, agent: this.agent, method, path: pathAndQuery, headers }, resolve);
      outgoing.once('error', reject);
      if (body) {
        body.once('error', (error) => outgoing.destroy(error));
        body.pipe(outgoing);
      } else {
        outgoing.end();
      }
    });
  }

  async kill(): Promise<void> {
    this.killed = true;
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }
}

type Control = { t: string; i?: string | null; l?: LogLevel; m?: string };

function parseControl(text: string): Control | undefined {
  try {
    return JSON.parse(text.slice(1)) as Control;
  } catch {
    return undefined;
  }
}

function readLines(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline).slice(0, MAX_LINE));
      buffered = buffered.slice(newline + 1);
    }
    // A huge line without a newline is cut rather than held in memory.
    if (buffered.length > MAX_LINE) {
      onLine(buffered.slice(0, MAX_LINE));
      buffered = '';
    }
  });
  stream.on('end', () => buffered && onLine(buffered));
}
