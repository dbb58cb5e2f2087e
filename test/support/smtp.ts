// A real SMTP server in the test process (smtp-server), so tests receive and read the mails Homebase sends
// exactly as a mail provider would get them: over SMTP, MIME-encoded, then parsed back with mailparser.

import type { AddressInfo } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Recipient addresses of the To header, lowercased, comma-separated. */
  to: string;
  /** The From header as sent: `"Name" <address>`. */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Every header as its raw line: to check what could not be injected. */
  headerLines: string[];
  /** Where the SMTP envelope delivered it (RCPT TO), lowercased. */
  envelopeTo: string[];
}

export interface MailMatch {
  to?: string;
  subject?: string | RegExp;
  /** Only mails received after this one, or after the last received mail whose text contains this string. */
  after?: ReceivedMail | string;
}

export interface SmtpTestServer {
  /** smtp://user:pass@127.0.0.1:port: any credentials are accepted. */
  url: string;
  /** Every mail received so far, oldest first. */
  messages: ReceivedMail[];
  /** The oldest received mail that matches, waiting for it to arrive if needed. */
  waitForMail(match: MailMatch | ((mail: ReceivedMail) => boolean), timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const addressesOf = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((a) => (a.address ?? '').toLowerCase()));

function predicateFor(match: MailMatch, messages: ReceivedMail[]): (mail: ReceivedMail) => boolean {
  const fits = (mail: ReceivedMail) =>
    (match.to === undefined || mail.to.split(', ').includes(match.to.toLowerCase())) &&
    (match.subject === undefined ||
      (typeof match.subject === 'string' ? mail.subject.includes(match.subject) : match.subject.test(mail.subject)));
  if (match.after === undefined) return fits;
  const { after } = match;
  const isBound = (mail: ReceivedMail) => fits(mail) && (typeof after === 'string' ? mail.text.includes(after) : mail === after);
  const bound = messages.map(isBound).lastIndexOf(true);
  if (bound < 0) throw new Error(`waitForMail: no received mail matches "after" (${typeof after === 'string' ? after : after.subject})`);
  return (mail) => fits(mail) && messages.indexOf(mail) > bound;
}

export async function startSmtpServer(): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anyone' }),
    onData: (stream, session, callback) => {
      simpleParser(stream).then((parsed) => {
        messages.push({
          to: addressesOf(parsed.to).join(', '),
          from: parsed.from?.text ?? '',
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
          headerLines: parsed.headerLines.map((header) => header.line),
          envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
        });
        waiters.forEach((wake) => wake());
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://homebase:secret@127.0.0.1:${port}`,
    messages,
    async waitForMail(match, timeoutMs = 10_000) {
      const wanted = typeof match === 'function' ? match : predicateFor(match, messages);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const check = () => {
          const found = messages.find(wanted);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = messages.map((mail) => `${mail.to}: ${mail.subject}`).join('; ') || 'none';
          reject(new Error(`No matching mail within ${timeoutMs} ms (received: ${seen})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
