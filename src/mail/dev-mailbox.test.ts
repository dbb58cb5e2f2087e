// The dev mailbox keeps the latest mails, newest first, and prints each one so codes show in the terminal.

import { describe, expect, it } from 'vitest';
import { DevMailbox } from './dev-mailbox.js';

function recordingLogger() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  return { lines, logger: { info: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }) } };
}

const mail = (n: number) => ({ to: `user${n}@example.com`, subject: `Mail ${n}`, html: `<p>${n}</p>`, text: `Your code is ${n}` });

describe('the dev mailbox', () => {
  it('lists captured mails newest first and finds each by id', async () => {
    const mailbox = new DevMailbox(recordingLogger().logger);
    await mailbox.send(mail(1));
    await mailbox.send({ ...mail(2), fromName: 'Karara', replyTo: 'help@example.com', appId: 'a'.repeat(24) });
    const [second, first] = mailbox.list();
    expect(first).toMatchObject({ ...mail(1), id: expect.any(String), date: expect.any(Date) });
    expect(second).toMatchObject({ subject: 'Mail 2', fromName: 'Karara', replyTo: 'help@example.com' });
    expect(first.id).not.toBe(second.id);
    expect(mailbox.get(first.id)).toBe(first);
    expect(mailbox.get('nope')).toBeUndefined();
  });

  it('keeps only the most recent mails', async () => {
    const mailbox = new DevMailbox(recordingLogger().logger, 3);
    for (let n = 1; n <= 5; n++) await mailbox.send(mail(n));
    expect(mailbox.list().map((m) => m.subject)).toEqual(['Mail 5', 'Mail 4', 'Mail 3']);
  });

  it('logs one line per mail with recipient, subject and the plain text (not the HTML)', async () => {
    const { lines, logger } = recordingLogger();
    await new DevMailbox(logger).send(mail(7));
    expect(lines).toHaveLength(1);
    expect(lines[0].fields.mail).toMatchObject({ to: 'user7@example.com', subject: 'Mail 7', text: 'Your code is 7' });
    expect(JSON.stringify(lines[0])).not.toContain('<p>');
  });

  it('refuses what SMTP would refuse: several recipients, or a line break in the address', async () => {
    const mailbox = new DevMailbox(recordingLogger().logger);
    await expect(mailbox.send({ ...mail(1), to: 'a@example.com, b@example.com' })).rejects.toThrow(/exactly one/);
    await expect(mailbox.send({ ...mail(1), to: 'a@example.com\r\nBcc: b@example.com' })).rejects.toThrow(/exactly one/);
    expect(mailbox.list()).toEqual([]);
  });
});
