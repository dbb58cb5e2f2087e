// Dev mail: nothing leaves the machine. Each mail is printed to the log and kept in memory (the most
// recent ones) for the /_dev/mail pages.

import { randomUUID } from 'node:crypto';
import { type Mailer, type MailMessage, singleAddress } from './mailer.js';

export interface CapturedMail extends MailMessage {
  id: string;
  date: Date;
}

export class DevMailbox implements Mailer {
  private readonly mails: CapturedMail[] = [];

  constructor(
    private readonly logger: { info(fields: object, message: string): void },
    private readonly capacity = 200,
  ) {}

  async send(message: MailMessage): Promise<void> {
    // The same refusals as SMTP, so code that works in dev does not fail in production.
    singleAddress(message.to, 'to');
    if (message.replyTo !== undefined) singleAddress(message.replyTo, 'replyTo');
    const mail: CapturedMail = { ...message, id: randomUUID(), date: new Date() };
    this.mails.push(mail);
    if (this.mails.length > this.capacity) this.mails.shift();
    // Dev only: the body is logged on purpose, so that codes and links are readable in the terminal.
    const { id, to, subject, appId, text } = mail;
    this.logger.info({ mail: { id, to, subject, appId, text } }, 'mail captured (dev mailbox)');
  }

  /** Newest first. */
  list(): CapturedMail[] {
    return [...this.mails].reverse();
  }

  get(id: string): CapturedMail | undefined {
    return this.mails.find((mail) => mail.id === id);
  }

  async close(): Promise<void> {}
}
