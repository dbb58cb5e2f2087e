// Composition roots: the ways to run Homebase, each wiring the same modules with different adapters.

export { startDevServer } from './dev-server.js';
export type { DevServer } from './dev-server.js';
export { startSiteCommand, siteEnvironment } from './site-command.js';
export type { SiteCommand } from './site-command.js';
