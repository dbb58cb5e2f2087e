// The hosted login pages, driven in headless Chromium as a person would: sign in from an app's from_url and land
// back on it with the token the SDK picks up, sign up with the emailed code, reset a password, accept an invitation,
// sign out; hostile from_urls and cross-site posts are refused. Mails arrive at a real SMTP server.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromiumAvailable, isolatedContext, launchChromium } from '../support/browser.js';
import { failure } from '../support/sdk.js';
import { databases, KARARA, startTestServer, TestServer } from '../support/server.js';
import { type SmtpTestServer, startSmtpServer } from '../support/smtp.js';

const PASSWORD = 'correct horse battery';
const hasChromium = chromiumAvailable('the hosted login page tests');

let emailCount = 0;
const newEmail = (label: string) => `${label}-${++emailCount}-${Date.now().toString(36)}@example.com`;

describe.skipIf(!hasChromium)('hosted login pages in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(databases())('on %s', (kind) => {
    let server: TestServer;
    let smtp: SmtpTestServer;
    let context: BrowserContext;
    let page: Page;

    const loginUrl = (fromUrl: string) => `${server.url}/login?from_url=${encodeURIComponent(fromUrl)}`;
    const sessionCookie = async () => (await context.cookies()).find((c) => c.name === `homebase_session_${server.appId}`);
    const submitAndLand = async (submit: () => Promise<void>) => {
      await Promise.all([page.waitForURL((url) => url.searchParams.has('access_token')), submit()]);
      return new URL(page.url());
    };
    const signInThroughPage = async (email: string, fromUrl: string) => {
      await page.goto(loginUrl(fromUrl));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      return submitAndLand(() => page.getByRole('button', { name: 'Sign in' }).click());
    };

    beforeAll(async () => {
      smtp = await startSmtpServer();
      server = await startTestServer(kind, KARARA, { smtpUrl: smtp.url });
      // One context per server, cookies cleared per test: a context per test would start a renderer process per test.
      context = await isolatedContext(browser);
    });

    afterAll(async () => {
      await context?.close();
      await server?.close();
      await smtp?.close();
    });

    beforeEach(async () => {
      await context.clearCookies();
      page = await context.newPage();
    });

    afterEach(async () => {
      await page.close();
    });

    it('signs in from /login?from_url and lands on from_url with a working access_token and a session cookie', async () => {
      const email = newEmail('ada');
      await server.signUp(email);
      const landed = await signInThroughPage(email, `${server.url}/some/page?x=1`);
      expect(`${landed.origin}${landed.pathname}`).toBe(`${server.url}/some/page`);
      expect(landed.searchParams.get('x')).toBe('1');
      const token = landed.searchParams.get('access_token') as string;
      expect(await server.client(token).auth.me()).toMatchObject({ email });

      const cookie = await sessionCookie();
      expect(cookie).toMatchObject({ value: token, httpOnly: true, sameSite: 'Lax', path: '/', secure: false });

      // Signed in already: the next visit goes straight back with the same token.
      await page.goto(loginUrl(`${server.url}/other`));
      expect(new URL(page.url()).searchParams.get('access_token')).toBe(token);
    });

    it('returns to the app on another loopback origin (the dev server of the app)', async () => {
      const email = newEmail('vite');
      await server.signUp(email);
      const appOrigin = server.url.replace('127.0.0.1', 'localhost');
      const landed = await signInThroughPage(email, `${appOrigin}/app/#/board`);
      expect(landed.origin).toBe(appOrigin);
      expect(landed.pathname).toBe('/app/');
      expect(landed.hash).toBe('#/board');
    });

    it('shows a wrong password as an alert and keeps the typed email', async () => {
      const email = newEmail('bob');
      await server.signUp(email);
      await page.goto(loginUrl(`${server.url}/`));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('not the password');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      expect(response.status()).toBe(401);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toBe('Invalid email or password');
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      expect(await sessionCookie()).toBeUndefined();
    });

    it('refuses a from_url on another site, in the link and in a tampered form', async () => {
      const refused = await page.goto(loginUrl('https://evil.example/'));
      expect(refused?.status()).toBe(400);
      expect(await page.getByRole('alert').textContent()).toContain('not one this app allows');
      expect(await page.locator('form').count()).toBe(0);

      const email = newEmail('eve');
      await server.signUp(email);
      await page.goto(loginUrl(`${server.url}/`));
      await page.locator('input[name="from_url"]').evaluate((input: HTMLInputElement) => (input.value = '//evil.example/'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button').click()]);
      expect(response.status()).toBe(400);
      expect(new URL(page.url()).host).toBe(new URL(server.url).host);
      expect(await sessionCookie()).toBeUndefined();
    });

    it('can be used with the keyboard alone', async () => {
      const email = newEmail('kim');
      await server.signUp(email);
      // The form older SDKs and getLoginUrl() build: app_id in the query.
      await page.goto(`${loginUrl(`${server.url}/keys`)}&app_id=${server.appId}`);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
      await page.keyboard.type(email);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in');
      await page.keyboard.press('Shift+Tab');
      const landed = await submitAndLand(() => page.keyboard.press('Enter'));
      expect(landed.pathname).toBe('/keys');
    });

    it('signs out through /api/apps/auth/logout: back to from_url, the token is dead, the cookie gone', async () => {
      const email = newEmail('out');
      await server.signUp(email);
      const token = (await signInThroughPage(email, `${server.url}/`)).searchParams.get('access_token') as string;
      await page.goto(`${server.url}/api/apps/auth/logout?from_url=${encodeURIComponent(`${server.url}/bye?y=2`)}`);
      const landed = new URL(page.url());
      expect(`${landed.pathname}${landed.search}`).toBe('/bye?y=2');
      expect(await sessionCookie()).toBeUndefined();
      const error = await failure(server.client(token).auth.me());
      expect(error.status).toBe(401);

      await page.goto(loginUrl(`${server.url}/`));
      expect(await page.getByLabel('Password').count()).toBe(1);
    });

    it('signs up through the pages with the emailed code', async () => {
      const email = newEmail('sam');
      await page.goto(loginUrl(`${server.url}/welcome?from=signup`));
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Full name').fill('Sam Signup');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByLabel('Verification code').waitFor();
      const mail = await smtp.waitForMail({ to: email, subject: 'verification code' });
      const code = /\b(\d{6})\b/.exec(mail.subject)?.[1] as string;

      await page.getByLabel('Verification code').fill(code === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Verify email' }).click();
      expect(await page.getByRole('alert').textContent()).toBe('Invalid verification code');

      await page.getByLabel('Verification code').fill(code);
      const landed = await submitAndLand(() => page.getByRole('button', { name: 'Verify email' }).click());
      expect(`${landed.pathname}${landed.search}`).toMatch(/^\/welcome\?from=signup&access_token=/);
      const me = await server.client(landed.searchParams.get('access_token') as string).auth.me();
      expect(me).toMatchObject({ email, full_name: 'Sam Signup', is_verified: true });
    });

    it('resets a forgotten password from the emailed link: the new one works, the old one no longer', async () => {
      const email = newEmail('rex');
      const { token: oldToken } = await server.signUp(email);
      await page.goto(loginUrl(`${server.url}/`));
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      const mail = await smtp.waitForMail({ to: email, subject: 'Reset' });
      const link = /(http:\/\/\S+\/reset-password\?\S+)/.exec(mail.text)?.[1] as string;

      await page.goto(link);
      await page.getByLabel('New password', { exact: true }).fill('a brand new secret');
      await page.getByLabel('Confirm new password').fill('a different secret');
      await page.getByRole('button', { name: 'Change password' }).click();
      expect(await page.getByRole('alert').textContent()).toBe('The two passwords do not match.');

      await page.getByLabel('New password', { exact: true }).fill('a brand new secret');
      await page.getByLabel('Confirm new password').fill('a brand new secret');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('heading', { name: 'Password changed' }).waitFor();

      expect(await server.client().auth.loginViaEmailPassword(email, 'a brand new secret')).toHaveProperty('access_token');
      expect((await failure(server.client().auth.loginViaEmailPassword(email, PASSWORD))).status).toBe(401);
      expect((await failure(server.client(oldToken).auth.me())).status).toBe(401);

      await page.goto(link);
      await page.getByLabel('New password', { exact: true }).fill('yet another secret');
      await page.getByLabel('Confirm new password').fill('yet another secret');
      await page.getByRole('button', { name: 'Change password' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('already used');
    });

    it('accepts an invitation from the emailed link and signs the new user in', async () => {
      const { token: adminToken } = await server.signUp(newEmail('admin'), { role: 'admin' });
      const email = newEmail('ivy');
      await server.client(adminToken).auth.inviteUser(email, 'user');
      const mail = await smtp.waitForMail({ to: email, subject: 'invited' });
      const link = /(http:\/\/\S+\/accept-invite\?\S+)/.exec(mail.text)?.[1] as string;

      await page.goto(link);
      expect(await page.locator('main').textContent()).toContain(email);
      await page.getByLabel('Full name').fill('Ivy Invited');
      await page.getByLabel('Password').fill('short');
      await page.getByLabel('Password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('at least 8 characters');

      await page.getByLabel('Password').fill(PASSWORD);
      const landed = await submitAndLand(() => page.getByRole('button', { name: 'Accept invitation' }).click());
      expect(landed.pathname).toBe('/');
      const me = await server.client(landed.searchParams.get('access_token') as string).auth.me();
      expect(me).toMatchObject({ email, full_name: 'Ivy Invited', role: 'user' });

      await page.goto(link);
      expect(await page.getByRole('alert').textContent()).toContain('already used');
    });

    it('answers with protective headers and refuses forms posted from other sites', async () => {
      const response = await server.fetch('/login');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
      );
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');

      const email = newEmail('csrf');
      await server.signUp(email);
      const post = (site: string) =>
        server.fetch('/login', {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': site },
          body: new URLSearchParams({ email, password: PASSWORD }).toString(),
        });
      expect((await post('cross-site')).status).toBe(403);
      const credentialsInQuery = await server.fetch(`/login?${new URLSearchParams({ email, password: PASSWORD })}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(credentialsInQuery.status).toBe(400);
      const evilLogout = await server.fetch(`/api/apps/auth/logout?from_url=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
      expect(evilLogout.status).toBe(400);
      const unknownApp = await server.fetch('/login?app_id=ffffffffffffffffffffffff');
      expect(unknownApp.status).toBe(404);
      expect(await unknownApp.text()).toContain('role="alert">App ffffffffffffffffffffffff not found');
      const accepted = await post('same-origin');
      expect(accepted.status).toBe(303);
      expect(accepted.headers.get('location')).toMatch(/^\/\?access_token=/);
    });
  });
});
