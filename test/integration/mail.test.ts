// Mail leaves through SMTP exactly as addressed (one recipient, the operator's address, no injectable headers),
// and in dev it is captured instead: printed, browsable at /_dev/mail and readable as JSON by scripts.

import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer, type Mailer } from '../../src/mail/index.js';
import { databases, startTestServer, TestServer } from '../support/server.js';
import { SmtpTestServer, startSmtpServer } from '../support/smtp.js';

const message = (to: string, subject: string) => ({
  to,
  subject,
  html: '<p>Your code is <strong>123456</strong></p>',
  text: 'Your code is 123456',
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the SMTP mailer', () => {
  let smtp: SmtpTestServer;
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    mailer = createSmtpMailer({ url: smtp.url, from: 'Homebase <no-reply@homebase.test>' });
  });

  afterAll(async () => {
    await mailer?.close();
    await smtp?.close();
  });

  it('delivers the HTML and text parts to the one recipient, from the configured sender', async () => {
    await mailer.send({ ...message('ada@example.com', 'Welcome'), replyTo: 'help@example.com' });
    const mail = await smtp.waitForMail({ to: 'ada@example.com', subject: 'Welcome' });
    expect(mail).toMatchObject({ from: '"Homebase" <no-reply@homebase.test>', text: 'Your code is 123456' });
    expect(mail.html).toContain('<strong>123456</strong>');
    expect(mail.envelopeTo).toEqual(['ada@example.com']);
    expect(mail.headerLines).toContainEqual(expect.stringMatching(/^Reply-To: help@example\.com$/i));
  });

  it('lets the app choose the display name but never the address', async () => {
    await mailer.send({ ...message('bob@example.com', 'Named'), fromName: 'Café "Karara" <evil@attacker.test>' });
    const mail = await smtp.waitForMail({ to: 'bob@example.com', subject: 'Named' });
    expect(mail.from).toContain('Café "Karara" <evil@attacker.test>');
    expect(mail.from).toMatch(/<no-reply@homebase\.test>$/);
    const fromHeader = mail.headerLines.find((line) => /^from:/i.test(line)) ?? '';
    expect(fromHeader.match(/@/g)).toHaveLength(1);
  });

  it('keeps a UTF-8 subject intact', async () => {
    const subject = 'Grüße aus Köln — 日本語 ✓';
    await mailer.send(message('carol@example.com', subject));
    expect((await smtp.waitForMail({ to: 'carol@example.com' })).subject).toBe(subject);
  });

  it('cannot be made to add headers or recipients through a line break in the subject or name', async () => {
    const subject = 'Hello\r\nBcc: eve@attacker.test\r\nX-Injected: yes';
    await mailer.send({ ...message('dan@example.com', subject), fromName: 'Name\r\nBcc: eve@attacker.test' });
    const mail = await smtp.waitForMail({ to: 'dan@example.com' });
    expect(mail.envelopeTo).toEqual(['dan@example.com']);
    expect(mail.headerLines.filter((line) => /^(bcc|cc|x-injected):/i.test(line))).toEqual([]);
    expect(mail.subject).toContain('Hello');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('refuses several recipients or a line break in an address instead of guessing', async () => {
    const before = smtp.messages.length;
    for (const to of ['a@example.com, b@example.com', 'a@example.com\r\nBcc: eve@attacker.test', 'team: a@example.com;', 'nobody']) {
      await expect(mailer.send(message(to, 'Refused'))).rejects.toThrow(/exactly one email address/);
    }
    await expect(mailer.send({ ...message('a@example.com', 'Refused'), replyTo: 'x@example.com, y@example.com' })).rejects.toThrow();
    expect(smtp.messages.length).toBe(before);
  });

  it('rejects with the transport error when the server cannot be reached', async () => {
    const unreachable = createSmtpMailer({ url: `smtp://127.0.0.1:${await closedPort()}` });
    try {
      await expect(unreachable.send(message('ada@example.com', 'Lost'))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await unreachable.close();
    }
  });

  describe('on a server configured with SMTP', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(databases()[0], undefined, { smtpUrl: smtp.url });
    });

    afterAll(async () => {
      await server?.close();
    });

    it('has no dev mailbox and no /_dev/mail pages', async () => {
      expect(server.devMailbox).toBeUndefined();
      for (const path of ['/_dev/mail', '/_dev/mail.json', '/_dev/mail/anything']) {
        expect((await server.fetch(path)).status).toBe(404);
      }
    });
  });
});

describe.each(databases())('the dev mailbox on %s', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(kind);
  });

  afterAll(async () => {
    await server?.close();
  });

  const mailbox = () => {
    if (!server.devMailbox) throw new Error('the dev server has no dev mailbox');
    return server.devMailbox;
  };

  it('captures what the app sends, e.g. a sign-up code, and lists it newest first as JSON', async () => {
    const email = `signup.${kind}@example.com`;
    await server.client().auth.register({ email, password: 'correct horse battery' });
    await mailbox().send({ ...message('later@example.com', 'Later'), fromName: 'Karara' });

    const response = await server.fetch('/_dev/mail.json');
    expect(response.status).toBe(200);
    const list = (await response.json()) as { id: string; to: string; subject: string; text: string; date: string }[];
    expect(list[0]).toMatchObject({ to: 'later@example.com', subject: 'Later', text: 'Your code is 123456', fromName: 'Karara' });
    expect(list[1]).toMatchObject({ to: email, subject: expect.stringContaining('Karara') });
    expect(list[1].text).toMatch(/\b\d{6}\b/);
    expect(Date.parse(list[0].date)).toBeGreaterThanOrEqual(Date.parse(list[1].date));
  });

  it('lists mails on an HTML page with every value escaped', async () => {
    const subject = '<script>alert("x")</script> & <b>bold</b>';
    await mailbox().send(message('"><img src=x onerror=alert(1)>@example.com', subject));
    const [mail] = mailbox().list();
    const response = await server.fetch('/_dev/mail');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain(`href="/_dev/mail/${mail.id}"`);
  });

  it('shows one mail: its headers, the HTML in a script-less sandboxed frame, and the text part', async () => {
    const html = '<p>Hi <a href="https://example.com/reset?token=a&amp;b=1">reset</a></p><script>alert(1)</script>';
    await mailbox().send({ to: 'frame@example.com', subject: 'Frame <test>', html, text: 'Reset: https://example.com/reset?token=a&b=1', replyTo: 'help@example.com' });
    const [mail] = mailbox().list();
    const response = await server.fetch(`/_dev/mail/${mail.id}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('frame@example.com');
    expect(page).toContain('help@example.com');
    expect(page).toContain('Frame &lt;test&gt;');
    const sandbox = /<iframe[^>]* sandbox="([^"]*)"/.exec(page);
    expect(sandbox?.[1]).toBeDefined();
    expect(sandbox?.[1]).not.toContain('allow-scripts');
    expect(sandbox?.[1]).not.toContain('allow-same-origin');
    expect(page).toContain('srcdoc="&lt;base target=&quot;_blank&quot;&gt;&lt;p&gt;Hi &lt;a href=&quot;https://example.com/reset?token=a&amp;amp;b=1&quot;&gt;');
    expect(page).not.toContain('<script>');
    expect(page).toContain('<pre>Reset: https://example.com/reset?token=a&amp;b=1</pre>');
  });

  it('answers an unknown mail id with a coded 404', async () => {
    const response = await server.fetch('/_dev/mail/00000000-0000-0000-0000-000000000000');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found', message: expect.any(String) });
  });
});
