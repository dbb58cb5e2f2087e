// Production mail: SMTP through a pooled nodemailer transport, configured by one URL
// (`smtp://user:pass@host:587` upgrades with STARTTLS, `smtps://…:465` is TLS from the start).

import { createTransport } from 'nodemailer';
import { type Mailer, type MailMessage, singleAddress } from './mailer.js';

export const DEFAULT_MAIL_FROM = 'Homebase <no-reply@localhost>';

export interface SmtpMailerOptions {
  url: string;
  /** Default sender, `Name <address>` or a bare address. */
  from?: string;
}

export function createSmtpMailer({ url, from = DEFAULT_MAIL_FROM }: SmtpMailerOptions): Mailer {
  const sender = singleAddress(from, 'from');
  const transport = createTransport({
    url,
    pool: true,
    // Sign-up waits for its code mail: an unreachable server must fail the request in seconds, not
    // nodemailer's default two minutes.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message: MailMessage) {
      await transport.sendMail({
        // Apps choose the display name only; the address is the operator's, so no app can send as someone else.
        from: message.fromName ? { name: message.fromName, address: sender.address } : sender,
        to: singleAddress(message.to, 'to'),
        replyTo: message.replyTo === undefined ? undefined : singleAddress(message.replyTo, 'replyTo'),
        subject: message.subject,
        html: message.html,
        text: message.text,
      });
    },
    async close() {
      transport.close();
    },
  };
}
