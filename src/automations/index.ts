// Automations: entity triggers and schedules from function.jsonc, delivered durably to backend functions.

export { AutomationService } from './service.js';
export type { AutomationsConfig, AutomationsDeps, AutomationView } from './service.js';
export { parseAutomations } from './definition.js';
export type { Automation, Schedule } from './definition.js';
