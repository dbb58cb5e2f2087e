// Integrations: the Core.* endpoints (files, mail, LLM, images, extraction) behind one registry.

export { CoreIntegrations } from './core.js';
export type { CoreCall, CoreEndpoint, UploadedFile } from './core.js';
