// The one way Homebase sends mail (auth codes, reset links, invitations, SendEmail): an interface with an
// SMTP implementation for production and a capturing mailbox for dev.

import addressparser from 'nodemailer/lib/addressparser';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  /** The plain-text alternative; callers always write both. */
  text: string;
  /** The sender's display name (usually the app's name); the sending address stays the server's own. */
  fromName?: string;
  replyTo?: string;
  /** The app the mail is sent for, for logs. */
  appId?: string;
}

export interface Mailer {
  /** Resolves once the message is accepted for delivery; rejects with the transport's error otherwise. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

const hasControlCharacter = (value: string) => [...value].some((char) => char < ' ' || char === '\x7f');

/**
 * The one address in `value` (`a@b.c` or `Name <a@b.c>`). Anything else is refused rather than interpreted:
 * a list or a group would reach several recipients through a field that promises one, and the parser reads
 * `a@b.c\r\nBcc: x@y.z` as a group whose only member is x@y.z.
 */
export function singleAddress(value: string, field: string): { name: string; address: string } {
  const parsed = hasControlCharacter(value) ? [] : addressparser(value);
  const [entry] = parsed;
  if (parsed.length !== 1 || entry.group || !entry.address.includes('@')) {
    throw new Error(`Mail ${field} must be exactly one email address`);
  }
  return { name: entry.name, address: entry.address };
}
