// Headless Chromium for the browser suites: Debian's chromium driven by playwright-core, kept off the network and
// without service workers, so a page sees exactly what the server under test sends and nothing else.

import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// The machine has no network beyond loopback: nothing in the background may try to reach out.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether Chromium is installed; a suite without it is skipped with a printed reason, except under CI=true. */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} is missing (npm test installs it when run as root)`;
  if (process.env.CI === 'true') throw new Error(`CI=true requires ${suite}: ${reason}`);
  console.warn(`Skipping ${suite}: ${reason}.`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A fresh profile: service workers blocked, every request to anything but 127.0.0.1 aborted. */
export async function isolatedContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  return context;
}
