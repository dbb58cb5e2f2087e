import { describe, expect, it } from 'vitest';
import { invitationMail, passwordResetMail, verificationCodeMail } from './emails.js';

describe('auth mails', () => {
  it('carry the code or link in both the HTML and the text part', () => {
    const code = verificationCodeMail('Karara', '012345', 10);
    expect(code.subject).toContain('012345');
    expect(code.html).toContain('012345');
    expect(code.text).toContain('012345');
    const link = 'https://app.example.com/reset-password?token=abc&app_id=1';
    const reset = passwordResetMail('Karara', link, 60);
    expect(reset.text).toContain(link);
    expect(reset.html).toContain('href="https://app.example.com/reset-password?token=abc&amp;app_id=1"');
  });

  it('escape what apps and inviters name themselves', () => {
    const mail = invitationMail('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'admin', 'https://x.example/accept-invite?token=t');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;');
  });
});
