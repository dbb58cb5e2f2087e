// `Core.SendEmail {to, subject, body, from_name}`: one recipient, through the server's mailer (SMTP or the dev
// mailbox), at most `limit` mails per app per window. The sender's address is the operator's; apps pick the name.

import { type Limit, RateLimiter } from '../auth/rate-limit.js';
import { badRequest, upstreamFailed } from '../errors.js';
import { type Mailer, singleAddress } from '../mail/index.js';
import type { Sql } from '../store/index.js';
import type { CoreIntegrations } from './core.js';

export interface SendEmailDependencies {
  /** Where the per-app counters live. */
  db: Sql;
  mailer: Mailer;
  /** Mails per app per window. */
  limit: Limit;
  logger: { error(fields: object, message: string): void };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? entity;
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/** The plain-text part: tags stripped, block ends turned into line breaks. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)[\s>][\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|blockquote|pre)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\r]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(value: unknown, name: string, required: boolean): string | undefined {
  if (value === undefined || value === null || (value === '' && !required)) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be text`);
  return value;
}

export function registerSendEmail(integrations: CoreIntegrations, { db, mailer, limit, logger }: SendEmailDependencies): void {
  const limiter = new RateLimiter(db);

  integrations.register('SendEmail', async ({ app, params }) => {
    const to = text(params.to, 'to', true);
    const subject = text(params.subject, 'subject', true);
    const body = text(params.body, 'body', true);
    if (to === undefined || subject === undefined || body === undefined) throw badRequest('SendEmail needs to, subject and body');
    try {
      singleAddress(to, 'to');
    } catch {
      throw badRequest('to must be exactly one email address');
    }
    await limiter.hit(`send-email:${app.id}`, limit, `This app may send ${limit.attempts} emails per ${limit.windowSeconds} s; try again later`);
    // The SDK documents `body` as plain text and Base44 renders it as HTML: text without tags keeps its line breaks.
    const isHtml = /<[a-z!/][^>]*>/i.test(body);
    const html = isHtml ? body : escapeHtml(body).replace(/\r?\n/g, '<br>\n');
    try {
      await mailer.send({
        to,
        subject,
        html,
        text: isHtml ? htmlToText(body) : body,
        fromName: text(params.from_name, 'from_name', false) ?? app.settings.name,
        appId: app.id,
      });
    } catch (error) {
      logger.error({ appId: app.id, err: { message: (error as Error).message } }, 'SendEmail: the mail server refused the message');
      throw upstreamFailed('The mail server did not accept the message');
    }
    return { success: true };
  });
}
