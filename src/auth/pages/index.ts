// The hosted auth pages, rendered to complete HTML documents (no I/O); routes live in src/http/routes/pages.ts.

export type { PageContext } from './layout.js';
export {
  acceptInvitePage,
  forgotPasswordPage,
  messagePage,
  resetPasswordPage,
  signInPage,
  signUpPage,
  verifyEmailPage,
} from './pages.js';
