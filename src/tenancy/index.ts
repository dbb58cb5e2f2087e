// Apps (tenants): their settings, entity tables and the registry a node serves them from.

export { AppRuntime } from './app-runtime.js';
export type { AppSettings, AppAuthConfig, AppLlmConfig } from './app-runtime.js';
export { AppRegistry } from './registry.js';
