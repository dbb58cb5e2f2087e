// The long-lived services the HTTP layer hands to its routes; built once by the server at start.

import type { AuthService, Authenticator, TokenService, UserService } from '../auth/index.js';
import type { AutomationService } from '../automations/index.js';
import type { FileService } from '../files/index.js';
import type { FunctionsService } from '../functions/index.js';
import type { DevMailbox, Mailer } from '../mail/index.js';
import type { AiGateway, AppIntegrations, CoreIntegrations } from '../integrations/index.js';
import type { AppEventLog, EntityRepository } from '../store/index.js';
import type { SiteDeployments } from '../site/index.js';
import type { AppRegistry } from '../tenancy/index.js';

export interface Services {
  apps: AppRegistry;
  tokens: TokenService;
  authenticator: Authenticator;
  auth: AuthService;
  records: EntityRepository;
  users: UserService;
  integrations: CoreIntegrations;
  /** The OpenAI-compatible chat API of `aiGateway.connection()`. */
  aiGateway: AiGateway;
  /** The app's custom integrations and connectors, with their call trace. */
  appIntegrations: AppIntegrations;
  /** Uploaded files: storage, public and signed URLs, usage. */
  files: FileService;
  appEvents: AppEventLog;
  mailer: Mailer;
  /** Set when mail is captured for `/_dev/mail` instead of sent. */
  devMailbox?: DevMailbox;
  /** Backend functions (deployments, invocation, secrets, logs); without it those routes are not served. */
  functions?: FunctionsService;
  /** Automations (list, pause, resume, run now, run history); without it those routes are not served. */
  automations?: AutomationService;
  /** Sites uploaded through the management API; without it the upload route is not served. */
  sites?: SiteDeployments;
}
