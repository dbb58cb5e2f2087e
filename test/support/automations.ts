// Shared by the automation suites: the fixture project, and waiting for what automations do in the background.

import path from 'node:path';
import { REPO_ROOT } from './server.js';

export const AUTOMATIONS_APP = path.join(REPO_ROOT, 'test/fixtures/automations-app');

/** Polls `read` until `done` holds; fails with the last value after the timeout. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
