// The dev mailbox in the browser (`/_dev/mail`, one page per mail) and as JSON for scripts (`/_dev/mail.json`).
// Registered only when the server captures mail instead of sending it.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../../errors.js';
import type { CapturedMail, DevMailbox } from '../../mail/index.js';
import { escapeHtml } from '../html.js';

// A captured mail may hold anything: no script runs on these pages or inside the mail's frame (srcdoc frames
// inherit this policy), while images and inline styles still render.
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; frame-src 'self'";

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de}dt{font-weight:600}dd{margin:0 0 8px}
iframe{width:100%;height:28rem;border:1px solid #d0d7de}pre{white-space:pre-wrap;background:#f6f8fa;padding:12px}`;

function sendPage(reply: FastifyReply, title: string, body: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<style>${STYLE}</style></head><body>${body}</body></html>`);
}

function listPage(mails: CapturedMail[]): string {
  if (mails.length === 0) return '<h1>Dev mailbox</h1><p>No mail yet.</p>';
  const rows = mails.map((mail) =>
    `<tr><td>${escapeHtml(mail.date.toISOString())}</td><td>${escapeHtml(mail.to)}</td>` +
      `<td><a href="/_dev/mail/${encodeURIComponent(mail.id)}">${escapeHtml(mail.subject || '(no subject)')}</a></td></tr>`,
  );
  return `<h1>Dev mailbox</h1><table><thead><tr><th>Date</th><th>To</th><th>Subject</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`;
}

function mailPage(mail: CapturedMail): string {
  const headers: [string, string | undefined][] = [
    ['Date', mail.date.toISOString()],
    ['From', mail.fromName],
    ['To', mail.to],
    ['Reply-To', mail.replyTo],
    ['Subject', mail.subject],
    ['App', mail.appId],
  ];
  const fields = headers
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<dt>${name}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('');
  // Links open in a new tab: the frame may open popups but never run scripts or navigate this page.
  const frame = `<base target="_blank">${mail.html}`;
  return `<p><a href="/_dev/mail">All mail</a></p><dl>${fields}</dl>` +
    `<h2>HTML</h2><iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(frame)}"></iframe>` +
    `<h2>Text</h2><pre>${escapeHtml(mail.text)}</pre>`;
}

export function devMailRoutes(server: FastifyInstance, mailbox: DevMailbox): void {
  server.get('/_dev/mail', async (_request, reply) => sendPage(reply, 'Dev mailbox', listPage(mailbox.list())));
  server.get('/_dev/mail.json', async () => mailbox.list());
  server.get<{ Params: { id: string } }>('/_dev/mail/:id', async (request, reply) => {
    const mail = mailbox.get(request.params.id);
    if (!mail) throw notFound('No captured mail with this id');
    return sendPage(reply, mail.subject, mailPage(mail));
  });
}
