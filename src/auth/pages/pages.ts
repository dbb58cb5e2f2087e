// The hosted auth pages (sign-in, sign-up, email code, forgot and reset password, invitation, messages)
// as complete HTML documents: plain forms posting to this server, no script, usable with the keyboard alone.

import { escapeHtml } from '../../http/html.js';
import { MIN_PASSWORD_LENGTH } from '../passwords.js';
import { Field, PageContext, carried, field, form, hidden, htmlDocument, links, messages, pageLink } from './layout.js';

export interface FormState {
  error?: string;
  notice?: string;
}

const emailField = (value?: string, autofocus = true): Field => ({
  name: 'email',
  label: 'Email',
  type: 'email',
  autocomplete: 'email',
  value,
  autofocus,
  attributes: { maxlength: '320' },
});

const newPasswordField = (name: string, label: string, autofocus = false): Field => ({
  name,
  label,
  type: 'password',
  autocomplete: 'new-password',
  autofocus,
  hint: `At least ${MIN_PASSWORD_LENGTH} characters.`,
  attributes: { minlength: String(MIN_PASSWORD_LENGTH), maxlength: '1024' },
});

const fullNameField = (value?: string, autofocus = false): Field => ({
  name: 'full_name',
  label: 'Full name',
  type: 'text',
  autocomplete: 'name',
  value,
  autofocus,
  required: false,
  attributes: { maxlength: '200' },
});

export function signInPage(context: PageContext, state: FormState & { email?: string; signupOpen: boolean }): string {
  const body =
    messages(state.error, state.notice) +
    form(
      '/login',
      carried(context) +
        field(emailField(state.email, !state.email)) +
        field({
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'current-password',
          autofocus: Boolean(state.email),
          attributes: { maxlength: '1024' },
        }),
      'Sign in',
    ) +
    links([
      pageLink(context, '/forgot-password', 'Forgot password?'),
      ...(state.signupOpen ? [pageLink(context, '/signup', 'Create an account')] : []),
    ]);
  return htmlDocument(context, 'Sign in', body);
}

export function signUpPage(context: PageContext, state: FormState & { email?: string; fullName?: string }): string {
  const body =
    messages(state.error, state.notice) +
    form(
      '/signup',
      carried(context) + field(emailField(state.email)) + field(fullNameField(state.fullName)) + field(newPasswordField('password', 'Password')),
      'Create account',
    ) +
    links([pageLink(context, '/login', 'Already have an account? Sign in')]);
  return htmlDocument(context, 'Create an account', body);
}

export function verifyEmailPage(context: PageContext, state: FormState & { email: string }): string {
  const body =
    messages(state.error, state.notice) +
    `<p>Enter the 6-digit code we sent to <strong>${escapeHtml(state.email)}</strong>.</p>` +
    form(
      '/verify-email',
      carried(context) +
        hidden({ email: state.email }) +
        field({
          name: 'otp_code',
          label: 'Verification code',
          type: 'text',
          autocomplete: 'one-time-code',
          autofocus: true,
          attributes: { inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6', minlength: '6' },
        }),
      'Verify email',
    ) +
    form('/resend-code', carried(context) + hidden({ email: state.email }), 'Send a new code', 'secondary') +
    links([pageLink(context, '/login', 'Back to sign in')]);
  return htmlDocument(context, 'Verify your email', body);
}

export function forgotPasswordPage(context: PageContext, state: FormState & { email?: string }): string {
  const body =
    messages(state.error, state.notice) +
    `<p>Enter your account's email and we will send you a link to choose a new password.</p>` +
    form('/forgot-password', carried(context) + field(emailField(state.email)), 'Send reset link') +
    links([pageLink(context, '/login', 'Back to sign in')]);
  return htmlDocument(context, 'Forgot password', body);
}

export function resetPasswordPage(context: PageContext, state: FormState & { token: string }): string {
  const body =
    messages(state.error, state.notice) +
    form(
      '/reset-password',
      carried(context) +
        hidden({ token: state.token }) +
        field(newPasswordField('new_password', 'New password', true)) +
        field({ ...newPasswordField('confirm_password', 'Confirm new password'), hint: undefined }),
      'Change password',
    ) +
    links([pageLink(context, '/forgot-password', 'Ask for a new link')]);
  return htmlDocument(context, 'Choose a new password', body);
}

export function acceptInvitePage(context: PageContext, state: FormState & { token: string; email: string; fullName?: string }): string {
  const body =
    messages(state.error, state.notice) +
    `<p>You were invited to ${escapeHtml(context.appName)} as <strong>${escapeHtml(state.email)}</strong>. ` +
    `Choose a password to accept.</p>` +
    form(
      '/accept-invite',
      carried(context) +
        hidden({ token: state.token }) +
        field(fullNameField(state.fullName, true)) +
        field(newPasswordField('password', 'Password')),
      'Accept invitation',
    );
  return htmlDocument(context, 'Accept your invitation', body);
}

/** A page that only tells something ("check your email", "link expired"), with an optional way on. */
export function messagePage(
  context: PageContext,
  content: { title: string; message: string; isError?: boolean; link?: { path: string; label: string } },
): string {
  const message = content.isError
    ? `<div class="alert" role="alert">${escapeHtml(content.message)}</div>`
    : `<p role="status">${escapeHtml(content.message)}</p>`;
  const next = content.link ? links([pageLink(context, content.link.path, content.link.label)]) : '';
  return htmlDocument(context, content.title, message + next);
}
