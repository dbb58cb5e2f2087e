// The HTTP surface: the Fastify app with every route group the SDK talks to.

export { buildHttpApp } from './app.js';
export type { HttpOptions } from './app.js';
export type { Services } from './services.js';
