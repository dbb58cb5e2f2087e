// The mails auth sends: sign-up codes, password-reset links and invitations, as HTML plus plain text.
// Pure: the caller sends them through the mail module.

import { escapeHtml } from '../http/html.js';

export interface AuthMail {
  subject: string;
  html: string;
  text: string;
}

function layout(appName: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('');
  return `<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;color:#1f2328;max-width:32rem;margin:auto;padding:24px">` +
    `<h1 style="font-size:20px">${escapeHtml(appName)}</h1>${body}</body></html>`;
}

function button(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}" style="display:inline-block;background:#1f6feb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(label)}</a>`;
}

export function verificationCodeMail(appName: string, code: string, minutes: number): AuthMail {
  return {
    subject: `Your ${appName} verification code: ${code}`,
    html: layout(appName, [
      'Use this code to verify your email address:',
      `<strong style="font-size:28px;letter-spacing:4px">${escapeHtml(code)}</strong>`,
      `It expires in ${minutes} minutes. If you did not sign up, ignore this mail.`,
    ]),
    text: `Your ${appName} verification code is ${code}.\nIt expires in ${minutes} minutes. If you did not sign up, ignore this mail.\n`,
  };
}

export function passwordResetMail(appName: string, link: string, minutes: number): AuthMail {
  return {
    subject: `Reset your ${appName} password`,
    html: layout(appName, [
      'Someone asked to reset the password of your account. To choose a new one, follow this link:',
      button(link, 'Choose a new password'),
      `The link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this mail.`,
    ]),
    text: `To choose a new ${appName} password, open:\n${link}\n\nThe link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this mail.\n`,
  };
}

export function invitationMail(appName: string, inviter: string, role: string, link: string): AuthMail {
  return {
    subject: `You are invited to ${appName}`,
    html: layout(appName, [
      `${escapeHtml(inviter)} invited you to join ${escapeHtml(appName)} as ${escapeHtml(role)}.`,
      button(link, 'Accept the invitation'),
    ]),
    text: `${inviter} invited you to join ${appName} as ${role}.\nAccept the invitation: ${link}\n`,
  };
}
