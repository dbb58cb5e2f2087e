// The Karara example frontend in Chromium, as its users meet it: built with Vite, served by Homebase on the API's
// origin, signed in through the hosted login page; boards and tasks, changes seen live in a second browser, a backend
// function, a picture upload, sign-out. Each step leaves a screenshot in test-results/example-app/.
// PGlite only: a browser run is slow, and every call the app makes is covered on both databases by the API suites.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, isolatedContext, launchChromium } from '../support/browser.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import { TINY_PNG } from '../support/openai.js';
import { KARARA, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test-results/example-app');
const PASSWORD = 'correct horse battery';
const OWNER = 'ada@example.com';
const TEAMMATE = 'grace@example.com';
const hasChromium = chromiumAvailable('the example app browser tests');

/**
 * Builds the site as `npm run build:example` does, into `outDir`. In its own process: Vite takes the mode from
 * NODE_ENV, which is `test` in here and would give React's development build.
 */
async function buildSite(outDir: string): Promise<void> {
  const vite = path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js');
  const args = ['build', '--config', path.join(KARARA, 'vite.config.js'), '--outDir', outDir, '--logLevel', 'warn'];
  await promisify(execFile)(process.execPath, [vite, ...args], { env: { ...process.env, NODE_ENV: 'production' } });
}

interface Tab {
  context: BrowserContext;
  page: Page;
}

describe.skipIf(!hasChromium)('the Karara example app in Chromium', () => {
  let siteDir: string;
  let server: TestServer;
  let browser: Browser;
  let owner: Tab;
  let teammate: Tab;
  let boardUrl: string;
  let shots = 0;

  const screenshot = (tab: Tab, step: string) =>
    tab.page.screenshot({ path: path.join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${step}.png`), fullPage: true });
  const task = (tab: Tab, title: string) => tab.page.getByRole('listitem').filter({ hasText: title });

  const openTab = async (): Promise<Tab> => {
    const context = await isolatedContext(browser);
    // A step that fails says which element it waited for, well before the test's own time runs out.
    context.setDefaultTimeout(10_000);
    return { context, page: await context.newPage() };
  };

  /** Opens `url` signed out: the app sends the browser to /login, which sends it back signed in. */
  const signIn = async (tab: Tab, email: string, url: string) => {
    await tab.page.goto(url);
    await tab.page.waitForURL((current) => current.pathname === '/login');
    await tab.page.getByLabel('Email').fill(email);
    await tab.page.getByLabel('Password').fill(PASSWORD);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    await tab.page.getByRole('button', { name: 'Sign out' }).waitFor();
  };

  beforeAll(async () => {
    siteDir = await mkdtemp(path.join(tmpdir(), 'homebase-karara-site-'));
    await mkdir(ARTIFACTS, { recursive: true });
    // The site is built with the example's committed app id, so the server keeps that id.
    await Promise.all([
      buildSite(siteDir),
      warmDenoCache(),
    ]);
    [server, browser] = await Promise.all([
      startTestServer('pglite', KARARA, {
        keepAppId: true,
        config: { siteDir, functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE } },
      }),
      launchChromium(),
    ]);
    await Promise.all([server.signUp(OWNER), server.signUp(TEAMMATE)]);
    [owner, teammate] = await Promise.all([openTab(), openTab()]);
  });

  afterAll(async () => {
    await owner?.context.close();
    await teammate?.context.close();
    await browser?.close();
    await server?.close();
    await rm(siteDir, { recursive: true, force: true });
  });

  it('signs in through the hosted login page and lands back in the app, the token taken off the address bar', async () => {
    await signIn(owner, OWNER, `${server.url}/`);
    await owner.page.getByRole('heading', { name: 'Boards' }).waitFor();
    expect(new URL(owner.page.url()).search).toBe('');
    expect(await owner.page.evaluate(() => localStorage.getItem('base44_access_token'))).toMatch(/^ey/);
    expect(await owner.page.getByText(OWNER).isVisible()).toBe(true);
    await screenshot(owner, 'signed-in');
  });

  it('creates, renames and deletes boards; the first board creates the user’s team', async () => {
    const { page } = owner;
    for (const name of ['Groceries', 'Scratch']) {
      await page.getByLabel('New board name').fill(name);
      await page.getByRole('button', { name: 'Add' }).click();
      await page.getByRole('link', { name }).waitFor();
    }
    await page.getByRole('button', { name: 'Rename: Groceries' }).click();
    await page.getByLabel('Rename', { exact: true }).fill('Errands');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Errands' }).waitFor();
    await page.getByRole('button', { name: 'Delete Scratch' }).click();
    await page.getByRole('link', { name: 'Scratch' }).waitFor({ state: 'detached' });
    await screenshot(owner, 'boards');

    const boards = await server.service.entities.Board.list();
    const teams = await server.service.entities.Team.filter({ owner_email: OWNER });
    expect(boards.map((board) => board.name)).toEqual(['Errands']);
    expect(teams).toHaveLength(1);
    expect(boards[0]).toMatchObject({ team_id: teams[0].id, created_by: OWNER });
  });

  it('opens a board and adds a task', async () => {
    const { page } = owner;
    await page.getByRole('link', { name: 'Errands' }).click();
    await page.getByRole('heading', { name: 'Errands' }).waitFor();
    boardUrl = page.url();
    expect(new URL(boardUrl).pathname).toMatch(/^\/boards\/[a-f0-9]{24}$/);
    await page.getByLabel('New task title').fill('Buy milk');
    await page.getByRole('button', { name: 'Add' }).click();
    await task(owner, 'Buy milk').waitFor();
  });

  it('shows changes made in one browser in the other without a reload', async () => {
    // Known once the teammate's socket has joined the Task room: changes before that would not reach it.
    const joined = new Promise<void>((resolve) =>
      teammate.page.on('websocket', (socket) =>
        socket.on('framesent', (frame) => String(frame.payload).includes('"join"') && resolve()),
      ),
    );
    await signIn(teammate, TEAMMATE, boardUrl);
    await task(teammate, 'Buy milk').waitFor();
    await joined;
    await teammate.page.evaluate(() => Object.assign(window, { sameDocument: true }));

    await owner.page.getByLabel('New task title').fill('Post letters');
    await owner.page.getByRole('button', { name: 'Add' }).click();
    await task(teammate, 'Post letters').waitFor();

    await teammate.page.getByLabel('Done: Buy milk').click();
    await expect.poll(() => owner.page.getByLabel('Done: Buy milk').isChecked()).toBe(true);
    expect(await teammate.page.getByLabel('Done: Buy milk').isChecked()).toBe(true);

    await owner.page.getByRole('button', { name: 'Edit: Post letters' }).click();
    await owner.page.getByLabel('Edit', { exact: true }).fill('Post the letters');
    await owner.page.getByRole('button', { name: 'Save' }).click();
    await task(teammate, 'Post the letters').waitFor();

    expect(await teammate.page.evaluate(() => 'sameDocument' in window)).toBe(true);
    await screenshot(owner, 'board-owner');
    await screenshot(teammate, 'board-teammate');
  });

  it('summarises the board with a backend function', async () => {
    await owner.page.getByRole('button', { name: 'Summarize board' }).click();
    const status = owner.page.getByRole('status');
    await status.waitFor({ timeout: 20_000 });
    expect(await status.textContent()).toBe('Errands: 1 of 2 tasks done. Next up: Post the letters.');
    await screenshot(owner, 'summary');
  });

  it('attaches an uploaded picture to a task, and the <img> loads in both browsers', async () => {
    await owner.page
      .getByLabel('Picture for Buy milk')
      .setInputFiles({ name: 'milk.png', mimeType: 'image/png', buffer: TINY_PNG });
    for (const tab of [owner, teammate]) {
      const image = tab.page.getByRole('img', { name: 'Picture of Buy milk' });
      await image.waitFor();
      await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    }
    const [milk] = await server.service.entities.Task.filter({ title: 'Buy milk' });
    expect(milk.image_url).toMatch(new RegExp(`^${server.url}/api/files/public/${server.appId}/[a-f0-9]{32}\\.png$`));
    await screenshot(teammate, 'picture');
  });

  it('deletes a task everywhere', async () => {
    await owner.page.getByRole('button', { name: 'Delete Post the letters' }).click();
    await task(teammate, 'Post the letters').waitFor({ state: 'detached' });
    expect(await server.service.entities.Task.filter({ title: 'Post the letters' })).toEqual([]);
  });

  it('signs out to the login page, with the token gone', async () => {
    await owner.page.getByRole('button', { name: 'Sign out' }).click();
    await owner.page.waitForURL((url) => url.pathname === '/login');
    expect(await owner.page.evaluate(() => localStorage.getItem('base44_access_token'))).toBeNull();
    await owner.page.getByLabel('Email').waitFor();
    await screenshot(owner, 'signed-out');
  });
});
