// The hosted pages' HTML: hostile values stay text, every input is labelled and autocompletes, errors are announced,
// and the sign-up link shows only where sign-up is open.

import { describe, expect, it } from 'vitest';
import {
  PageContext,
  acceptInvitePage,
  forgotPasswordPage,
  messagePage,
  resetPasswordPage,
  signInPage,
  signUpPage,
  verifyEmailPage,
} from './index.js';

const HOSTILE = `<script>alert("x")</script>'&`;
const context: PageContext = { appName: 'Karara', appId: '0123456789abcdef01234567', fromUrl: 'http://127.0.0.1:4400/a?x=1&y="2"' };

const everyPage: [string, (c: PageContext) => string][] = [
  ['sign-in', (c) => signInPage(c, { signupOpen: true, error: 'Invalid email or password', email: 'a@b.co' })],
  ['sign-up', (c) => signUpPage(c, { email: 'a@b.co', fullName: 'Ada' })],
  ['verify-email', (c) => verifyEmailPage(c, { email: 'a@b.co', notice: 'Code sent' })],
  ['forgot-password', (c) => forgotPasswordPage(c, {})],
  ['reset-password', (c) => resetPasswordPage(c, { token: 'tok' })],
  ['accept-invite', (c) => acceptInvitePage(c, { token: 'tok', email: 'a@b.co' })],
  ['message', (c) => messagePage(c, { title: 'Check your email', message: 'We sent a link', link: { path: '/login', label: 'Sign in' } })],
];

/** Attributes of each visible <input>, as a map per input. */
function visibleInputs(html: string): Record<string, string>[] {
  return [...html.matchAll(/<input([^>]*)>/g)]
    .map((match) => Object.fromEntries([...match[1].matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map((a) => [a[1], a[2] ?? ''])))
    .filter((attributes) => attributes.type !== 'hidden');
}

describe.each(everyPage)('the %s page', (_name, render) => {
  const html = render(context);

  it('is a complete, scriptless English document that fits small screens', () => {
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<title>');
    expect(html).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    expect(html.endsWith('</html>')).toBe(true);
  });

  it('labels every input and says how to autocomplete it', () => {
    for (const input of visibleInputs(html)) {
      expect(input.id).toBeTruthy();
      expect(html).toContain(`<label for="${input.id}">`);
      expect(input.autocomplete).toBeTruthy();
    }
  });

  it("keeps the app and from_url in every form, escaped", () => {
    const forms = html.split('<form').slice(1);
    for (const form of forms) {
      expect(form).toContain('name="app_id" value="0123456789abcdef01234567"');
      expect(form).toContain('name="from_url" value="http://127.0.0.1:4400/a?x=1&amp;y=&quot;2&quot;"');
    }
  });

  it("escapes the app's name and from_url wherever they appear", () => {
    const hostile = render({ appName: HOSTILE, appId: context.appId, fromUrl: `/"><script>x</script>` });
    expect(hostile).not.toContain('<script>');
    expect(hostile).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;');
    expect(hostile).not.toMatch(/"><script/);
  });
});

describe('the sign-in page', () => {
  it('offers sign-up only when sign-up is open', () => {
    expect(signInPage(context, { signupOpen: true })).toContain('Create an account');
    expect(signInPage(context, { signupOpen: false })).not.toContain('Create an account');
    expect(signInPage(context, { signupOpen: false })).toContain('Forgot password?');
  });

  it('links to the other pages keeping app_id and from_url', () => {
    const html = signInPage(context, { signupOpen: true });
    expect(html).toContain(
      `href="/signup?app_id=0123456789abcdef01234567&amp;from_url=http%3A%2F%2F127.0.0.1%3A4400%2Fa%3Fx%3D1%26y%3D%222%22"`,
    );
  });

  it('announces the error, keeps the typed email and focuses the password', () => {
    const html = signInPage(context, { signupOpen: false, error: 'Invalid <email> or password', email: 'o"neil@b.co' });
    expect(html).toContain('<div class="alert" role="alert">Invalid &lt;email&gt; or password</div>');
    const [email, password] = visibleInputs(html);
    expect(email).toMatchObject({ name: 'email', type: 'email', autocomplete: 'email', value: 'o&quot;neil@b.co' });
    expect(email.autofocus).toBeUndefined();
    expect(password).toMatchObject({ name: 'password', type: 'password', autocomplete: 'current-password', autofocus: '' });
  });

  it('has no alert when nothing went wrong', () => {
    expect(signInPage(context, { signupOpen: true })).not.toContain('role="alert"');
  });
});

describe('password and code fields', () => {
  it('ask for new passwords of at least 8 characters', () => {
    for (const html of [signUpPage(context, {}), resetPasswordPage(context, { token: 't' }), acceptInvitePage(context, { token: 't', email: 'a@b.co' })]) {
      const passwords = visibleInputs(html).filter((input) => input.type === 'password');
      expect(passwords.length).toBeGreaterThan(0);
      for (const input of passwords) expect(input).toMatchObject({ autocomplete: 'new-password', minlength: '8', required: '' });
    }
  });

  it('asks for the email code as a one-time code', () => {
    const [code] = visibleInputs(verifyEmailPage(context, { email: 'a@b.co' }));
    expect(code).toMatchObject({ name: 'otp_code', autocomplete: 'one-time-code', inputmode: 'numeric', required: '' });
  });

  it('carries the reset and invitation tokens in hidden inputs', () => {
    expect(resetPasswordPage(context, { token: 'a"b' })).toContain('name="token" value="a&quot;b"');
    expect(acceptInvitePage(context, { token: 'tok', email: 'x@y.co' })).toContain('<strong>x@y.co</strong>');
  });
});

describe('message pages', () => {
  it('announce errors as alerts', () => {
    const html = messagePage(context, { title: 'Cannot continue', message: 'Not allowed', isError: true });
    expect(html).toContain('role="alert">Not allowed</div>');
  });
});
