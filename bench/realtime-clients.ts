// The realtime benchmark's subscribers, spread over worker threads: one Node thread cannot decode what 1,000 sockets
// receive at 200,000 deliveries/s, and a saturated client thread would be measured as server latency.
// Each thread runs plain socket.io sockets doing what the SDK does (handshake query, `join` on every connect).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { io, Socket } from 'socket.io-client';
import { workerEntry } from '../src/worker-entry.js';

const SOCKET_PATH = '/ws-user-apps/socket.io/';
const CONNECT_BATCH = 50;

/** Milliseconds since the epoch with sub-millisecond precision, comparable across threads. */
export const now = () => performance.timeOrigin + performance.now();

interface Tally {
  delivered: number;
  duplicates: number;
  /** Sockets the server dropped (under overload: clients too busy to answer its pings). */
  disconnects: number;
}

type Command =
  | { cmd: 'connect'; urls: string[]; count: number; offset: number }
  | { cmd: 'joined' }
  | { cmd: 'reset'; writes: number }
  | { cmd: 'tally' }
  | { cmd: 'collect' }
  | { cmd: 'close' };

/** One thread's sockets. */
class Subscribers {
  private readonly sockets: Socket[] = [];
  /** Per socket, which measured writes (by seq) arrived. */
  private seen: Uint8Array[] = [];
  private latencies = new Float64Array(0);
  private readonly probeSeen: Set<number>[] = [];
  readonly tally: Tally = { delivered: 0, duplicates: 0, disconnects: 0 };
  private readonly room: string;

  constructor(private readonly appId: string) {
    this.room = `entities:${appId}:Tick`;
  }

  async connect(urls: string[], count: number, offset: number): Promise<void> {
    for (let start = 0; start < count; start += CONNECT_BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, (_, k) => this.open(urls[(offset + start + k) % urls.length], start + k, offset + start + k)),
      );
    }
  }

  private open(url: string, index: number, name: number): Promise<void> {
    const socket = io(url, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      query: { app_id: this.appId, token: 'null', anonymous_id: `bench-${name}` },
      forceNew: true,
      reconnection: false,
    });
    this.sockets.push(socket);
    this.probeSeen.push(new Set());
    socket.on('connect', () => socket.emit('join', this.room));
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.tally.disconnects++;
    });
    socket.on('update_model', (message: { room: string; data: string }) => {
      if (message.room !== this.room) return;
      const received = now();
      const { data } = JSON.parse(message.data) as { data: { seq: number; sent_at: number; phase: string } };
      if (data.phase === 'probe') {
        this.probeSeen[index].add(data.seq);
        return;
      }
      const seen = this.seen[index];
      if (seen[data.seq]) {
        this.tally.duplicates++;
        return;
      }
      seen[data.seq] = 1;
      this.latencies[this.tally.delivered++] = received - data.sent_at;
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(new Error(`socket ${name} could not connect: ${error.message}`)));
    });
  }

  joined(): number {
    return this.probeSeen.filter((seen) => seen.size > 0).length;
  }

  reset(writes: number): void {
    this.seen = this.sockets.map(() => new Uint8Array(writes));
    this.latencies = new Float64Array(writes * this.sockets.length);
    Object.assign(this.tally, { delivered: 0, duplicates: 0 });
  }

  collect(): Float64Array {
    return this.latencies.slice(0, this.tally.delivered);
  }

  close(): void {
    this.sockets.forEach((s) => s.disconnect());
  }
}

if (!isMainThread) {
  const subscribers = new Subscribers(workerData.appId as string);
  parentPort!.on('message', async ({ id, command }: { id: number; command: Command }) => {
    try {
      let result: unknown;
      switch (command.cmd) {
        case 'connect':
          result = await subscribers.connect(command.urls, command.count, command.offset);
          break;
        case 'joined':
          result = subscribers.joined();
          break;
        case 'reset':
          result = subscribers.reset(command.writes);
          break;
        case 'tally':
          result = subscribers.tally;
          break;
        case 'collect': {
          const latencies = subscribers.collect();
          parentPort!.postMessage({ id, result: { latencies, tally: subscribers.tally } }, [latencies.buffer as ArrayBuffer]);
          return;
        }
        case 'close':
          result = subscribers.close();
          break;
      }
      parentPort!.postMessage({ id, result });
    } catch (error) {
      parentPort!.postMessage({ id, error: (error as Error).message });
    }
  });
}

/** The subscribers of one run, spread evenly over `threads` worker threads. */
export class ClientThreads {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  count = 0;

  constructor(appId: string, threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(workerEntry(new URL(import.meta.url)), { workerData: { appId } });
      worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
        const call = this.waiting.get(id);
        this.waiting.delete(id);
        if (error !== undefined) call?.reject(new Error(error));
        else call?.resolve(result);
      });
      return worker;
    });
  }

  private all<T>(command: (index: number) => Command): Promise<T[]> {
    return Promise.all(
      this.workers.map(
        (worker, index) =>
          new Promise<T>((resolve, reject) => {
            const id = this.nextId++;
            this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
            worker.postMessage({ id, command: command(index) });
          }),
      ),
    );
  }

  async connect(urls: string[], count: number): Promise<void> {
    const share = Math.ceil(count / this.workers.length);
    await this.all((index) => ({ cmd: 'connect', urls, offset: index * share, count: Math.max(0, Math.min(share, count - index * share)) }));
    this.count = count;
  }

  /** Every client has joined once a probe written now reaches all of them. */
  async ready(write: (seq: number) => Promise<void>, sleep: (ms: number) => Promise<unknown>): Promise<void> {
    let joined = 0;
    for (let attempt = 0; attempt < 100; attempt++) {
      await write(attempt);
      const deadline = Date.now() + 500;
      while (Date.now() < deadline) {
        joined = (await this.all<number>(() => ({ cmd: 'joined' }))).reduce((a, b) => a + b, 0);
        if (joined === this.count) return;
        await sleep(20);
      }
    }
    throw new Error(`only ${joined} of ${this.count} clients joined`);
  }

  async reset(writes: number): Promise<void> {
    await this.all(() => ({ cmd: 'reset', writes }));
  }

  async tally(): Promise<Tally> {
    const tallies = await this.all<Tally>(() => ({ cmd: 'tally' }));
    return tallies.reduce((sum, t) => ({ delivered: sum.delivered + t.delivered, duplicates: sum.duplicates + t.duplicates, disconnects: sum.disconnects + t.disconnects }));
  }

  /** Every delivery's latency (ms, unsorted) and the totals. */
  async collect(): Promise<{ latencies: Float64Array; tally: Tally }> {
    const parts = await this.all<{ latencies: Float64Array; tally: Tally }>(() => ({ cmd: 'collect' }));
    const latencies = new Float64Array(parts.reduce((n, p) => n + p.latencies.length, 0));
    let at = 0;
    for (const part of parts) {
      latencies.set(part.latencies, at);
      at += part.latencies.length;
    }
    return { latencies, tally: await this.tally() };
  }

  async close(): Promise<void> {
    await this.all(() => ({ cmd: 'close' })).catch(() => undefined);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
