// Sending mail: the Mailer interface, SMTP for production and the dev mailbox.

export { DevMailbox } from './dev-mailbox.js';
export type { CapturedMail } from './dev-mailbox.js';
export type { Mailer, MailMessage } from './mailer.js';
export { createSmtpMailer, DEFAULT_MAIL_FROM } from './smtp.js';
export type { SmtpMailerOptions } from './smtp.js';
export { singleAddress } from './mailer.js';
