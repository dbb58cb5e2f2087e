// Integrations: the Core.* endpoints (files, mail, LLM, images, extraction) behind one registry, and the app's own
// integrations (custom OpenAPI APIs, installable packages, connectors), every call traced.

export { CoreIntegrations } from './core.js';
export type { CoreCall, CoreEndpoint, UploadedFile } from './core.js';
export { registerAiIntegrations } from './ai.js';
export type { AiDependencies } from './ai.js';
export { GATEWAY_FLAVOURS, type AiGateway } from './ai-gateway.js';
export type { AppFileStore } from './app-files.js';
export { registerFileIntegrations } from './files.js';
export { registerSendEmail } from './send-email.js';
export type { SendEmailDependencies } from './send-email.js';
export { AppIntegrations } from './app-integrations.js';
export type { AppIntegrationsOptions, IntegrationCaller } from './app-integrations.js';
export { checkSlug } from './integration-registry.js';
