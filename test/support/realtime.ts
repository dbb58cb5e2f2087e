// Realtime test helpers: what the SDK's subscribe() delivers to one client, and waiting for it without sleeping.
// A `Ping` entity (no rules) is added to the served project: markers on it tell when a client is joined and caught up.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Rec } from './sdk.js';
import type { TestServer } from './server.js';

type Client = ReturnType<TestServer['client']>;

export interface Delivered {
  type: 'create' | 'update' | 'delete';
  id: string;
  data: Rec;
  timestamp: string;
}

const WAIT_MS = 10_000;
const MARKER_WAIT_MS = 300;
const PING = { name: 'Ping', type: 'object', properties: { marker: { type: 'string', description: 'Test marker' } } };

/** Adds the Ping entity to a test server's project. */
export async function addPingEntity(server: TestServer): Promise<void> {
  await writeFile(path.join(server.projectDir, 'base44', 'entities', 'ping.jsonc'), JSON.stringify(PING));
  await server.reload();
}

/** Resolves once `condition()` holds, re-checked on each `signal`; rejects after WAIT_MS with `describe()`. */
function waitFor(signals: Set<() => void>, condition: () => boolean, describe: () => string, ms = WAIT_MS): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!condition()) return;
      clearTimeout(timer);
      signals.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      signals.delete(check);
      reject(new Error(`timed out after ${ms} ms waiting for ${describe()}`));
    }, ms);
    signals.add(check);
  });
}

/** Everything one subscribe() on one entity received, in order. */
export class Subscription {
  readonly events: Delivered[] = [];
  private readonly signals = new Set<() => void>();
  readonly stop: () => void;

  constructor(
    client: Client,
    readonly entity: string,
  ) {
    this.stop = client.entities[entity].subscribe((event: Delivered) => {
      this.events.push(event);
      for (const signal of [...this.signals]) signal();
    });
  }

  /** The events about one record. */
  of(id: string): Delivered[] {
    return this.events.filter((e) => e.id === id);
  }

  /** Waits until `enough(events)` holds. */
  async until(enough: (events: Delivered[]) => boolean, what = 'the expected events', ms = WAIT_MS): Promise<Delivered[]> {
    const describe = () => `${what} on ${this.entity}; got ${JSON.stringify(this.events).slice(0, 600)}`;
    await waitFor(this.signals, () => enough(this.events), describe, ms);
    return this.events;
  }

  /** Waits for `count` events about record `id`. */
  async forRecord(id: string, count: number): Promise<Delivered[]> {
    await this.until((events) => events.filter((e) => e.id === id).length >= count, `${count} event(s) about ${id}`);
    return this.of(id);
  }
}

let markers = 0;

/**
 * One SDK client and its subscriptions. Subscribe first, then `sync()`: it joins Ping last and writes markers until
 * one arrives, so every room joined before is joined on the server too. Later, `sync()` is a barrier: one socket
 * delivers in order, so once a marker written after some changes arrives, every event of theirs has arrived.
 */
export class Watcher {
  private ping: Subscription | undefined;

  constructor(
    private readonly server: TestServer,
    readonly client: Client,
  ) {}

  on(entity: string): Subscription {
    return new Subscription(this.client, entity);
  }

  async sync(): Promise<void> {
    this.ping ??= this.on('Ping');
    const ping = this.ping;
    const written = new Set<string>();
    for (let attempt = 0; attempt < WAIT_MS / MARKER_WAIT_MS; attempt++) {
      const marker = `m${++markers}`;
      written.add(marker);
      await this.server.service.entities.Ping.create({ marker });
      try {
        await ping.until((events) => events.some((e) => written.has(e.data.marker as string)), `marker ${marker}`, MARKER_WAIT_MS);
        return;
      } catch {
        // Not joined yet (the SDK connects in the background): the next marker tries again.
      }
    }
    throw new Error('the client never received a marker');
  }

  close(): void {
    this.client.cleanup();
  }
}
