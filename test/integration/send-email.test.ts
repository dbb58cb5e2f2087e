// `integrations.Core.SendEmail` through the real SDK, delivered over SMTP to a real server in the test process:
// HTML and a plain-text part, the app's chosen sender name on the operator's address, one recipient, a per-app limit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded, failure, type Rec } from '../support/sdk.js';
import { databases, KARARA, startTestServer, type TestServer } from '../support/server.js';
import { type SmtpTestServer, startSmtpServer } from '../support/smtp.js';

type Core = Record<string, (params: Rec) => Promise<unknown>>;

describe.each(databases())('on %s, SendEmail', (kind) => {
  let smtp: SmtpTestServer;
  let server: TestServer;
  let core: Core;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer(kind, KARARA, { smtpUrl: smtp.url, config: { mailFrom: 'Homebase <mail@homebase.test>' } });
    const { token } = await server.signUp('sender@example.com');
    core = server.client(token).integrations.Core as unknown as Core;
  });

  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('delivers the HTML body with a plain-text part, from the name the app chose', async () => {
    const result = await core.SendEmail({
      to: 'ada@example.com',
      subject: 'Your booking',
      body: '<h1>Booked</h1><p>See you on <b>Friday</b> &amp; bring a friend.</p><p>Line one<br>Line two</p>',
      from_name: 'Karara Bookings',
    });
    expect(result).toEqual({ success: true });
    const mail = await smtp.waitForMail({ to: 'ada@example.com', subject: 'Your booking' });
    expect(mail.html).toContain('<b>Friday</b>');
    expect(mail.text).toBe('Booked\nSee you on Friday & bring a friend.\nLine one\nLine two');
    expect(mail.from).toBe('"Karara Bookings" <mail@homebase.test>');
    expect(mail.envelopeTo).toEqual(['ada@example.com']);
  });

  it("signs with the app's name when no from_name is given, and keeps a plain-text body's line breaks", async () => {
    await core.SendEmail({ to: 'bob@example.com', subject: 'Plain', body: 'Hello Bob,\n\n1 < 2 & that is all.' });
    const mail = await smtp.waitForMail({ to: 'bob@example.com', subject: 'Plain' });
    expect(mail.from).toBe('"Karara" <mail@homebase.test>');
    expect(mail.text).toBe('Hello Bob,\n\n1 < 2 & that is all.');
    expect(mail.html).toContain('Hello Bob,<br>');
    expect(mail.html).toContain('1 &lt; 2 &amp; that is all.');
  });

  it('sends to exactly one address; several, none or a smuggled header is a 400 and nothing is sent', async () => {
    const before = smtp.messages.length;
    for (const to of ['a@example.com, b@example.com', 'a@example.com\r\nBcc: eve@attacker.test', 'nobody', '', 42]) {
      expectCoded(await failure(core.SendEmail({ to, subject: 'Refused', body: 'x' })), [400], ['bad_request']);
    }
    expectCoded(await failure(core.SendEmail({ to: 'a@example.com', body: 'no subject' })), [400], ['bad_request']);
    expectCoded(await failure(core.SendEmail({ to: 'a@example.com', subject: 'no body' })), [400], ['bad_request']);
    expect(smtp.messages.length).toBe(before);
  });

  it('is for signed-in callers: anonymous gets 401, the service role may send', async () => {
    const anonymous = server.client().integrations.Core;
    expectCoded(await failure(anonymous.SendEmail({ to: 'c@example.com', subject: 'Hi', body: 'x' })), [401], ['unauthorized']);
    await server.service.integrations.Core.SendEmail({ to: 'carol@example.com', subject: 'From a function', body: '<p>Hi</p>' });
    expect((await smtp.waitForMail({ to: 'carol@example.com' })).text).toBe('Hi');
  });

  describe('with a limit of 2 mails per hour per app', () => {
    let limited: TestServer;

    beforeAll(async () => {
      limited = await startTestServer(kind, KARARA, { smtpUrl: smtp.url, config: { sendEmailLimit: { attempts: 2, windowSeconds: 3600 } } });
    });

    afterAll(async () => {
      await limited?.close();
    });

    it('answers 429 with Retry-After past the limit, and sends nothing more', async () => {
      const { token } = await limited.signUp('busy@example.com');
      const send = (n: number) =>
        limited.fetch(`/api/apps/${limited.appId}/integration-endpoints/Core/SendEmail`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: `limit${n}@example.com`, subject: 'Limited', body: 'x' }),
        });
      expect((await send(1)).status).toBe(200);
      expect((await send(2)).status).toBe(200);
      const refused = await send(3);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
      expect(((await refused.json()) as Rec).code).toBe('rate_limited');
      await smtp.waitForMail({ to: 'limit2@example.com' });
      expect(smtp.messages.some((mail) => mail.to === 'limit3@example.com')).toBe(false);
    });
  });
});
