// One served app: its id, settings and the entity tables its definitions describe.
// Swapping definitions (a reload) builds new tables first, so requests never see a half-loaded app.

import { EntityAccess, compileAccess } from '../access/index.js';
import { notFound } from '../errors.js';
import { entityFields } from '../query/index.js';
import { EntityDefinition, compileValidator, fieldKind, indexedFields, normaliseEntityDefinition } from '../schema/index.js';
import { Database, EntityTable, ensureAppSchema, ensureEntityTable, tableRef, upsertApp } from '../store/index.js';

/** How people get into an app (`auth` in base44/config.jsonc); unset keys take the server's defaults. */
export interface AppAuthConfig {
  signup?: 'open' | 'invite_only' | 'closed';
  emailVerification?: boolean;
  tokenLifetime?: number;
  redirectOrigins?: string[];
  /** `enableUsernamePassword` of base44/auth/config.jsonc. */
  passwordLogin?: boolean;
}

/** Per-app LLM choices (`integrations.llm` in base44/config.jsonc); the provider and its key are the server's. */
export interface AppLlmConfig {
  /** Provider model used when the app names none, or one the alias table does not know. */
  model?: string;
  /** SDK model names to provider models, over the server's table. */
  aliases?: Record<string, string>;
}

export interface AppSettings {
  name: string;
  description?: string;
  visibility?: 'public' | 'private' | 'workspace';
  auth?: AppAuthConfig;
  integrations?: { llm?: AppLlmConfig };
}

// Every app has users, whether or not its project extends the User entity.
const BUILT_IN_USER = normaliseEntityDefinition({ name: 'User', type: 'object', properties: {} }, 'built-in User entity');

export class AppRuntime {
  private tables = new Map<string, EntityTable>();
  private rules = new Map<string, EntityAccess>();
  private definitions: EntityDefinition[] = [];

  private constructor(
    readonly id: string,
    public settings: AppSettings,
    private readonly db: Database,
  ) {}

  static async open(db: Database, id: string, settings: AppSettings): Promise<AppRuntime> {
    await upsertApp(db, { id, name: settings.name, config: settings });
    await ensureAppSchema(db, id);
    const app = new AppRuntime(id, settings, db);
    await app.setEntities([]);
    return app;
  }

  async setEntities(definitions: EntityDefinition[]): Promise<void> {
    const all = definitions.some((d) => d.name === 'User') ? definitions : [...definitions, BUILT_IN_USER];
    const tables = new Map<string, EntityTable>();
    const rules = new Map<string, EntityAccess>();
    for (const definition of all) {
      const access = compileAccess(definition, { appId: this.id });
      rules.set(definition.name, access);
      // Fields the rules read are filtered on in every request, so they are indexed too.
      const indexed = [...new Set([...indexedFields(definition), ...access.ruleFields.filter((f) => f in definition.properties)])];
      await ensureEntityTable(this.db, this.id, definition.name, indexed);
      tables.set(definition.name, {
        appId: this.id,
        name: definition.name,
        ref: tableRef(this.id, definition.name),
        fields: entityFields((path) => fieldKind(definition, path), new Set(indexed)),
        validator: compileValidator(definition),
      });
    }
    this.tables = tables;
    this.rules = rules;
    this.definitions = all;
  }

  entity(name: string): EntityTable {
    const table = this.tables.get(name);
    if (!table) throw notFound(`Entity "${name}" not found`);
    return table;
  }

  /** The entity's compiled access rules. */
  access(name: string): EntityAccess {
    const access = this.rules.get(name);
    if (!access) throw notFound(`Entity "${name}" not found`);
    return access;
  }

  definition(name: string): EntityDefinition {
    const definition = this.definitions.find((d) => d.name === name);
    if (!definition) throw notFound(`Entity "${name}" not found`);
    return definition;
  }

  entityNames(): string[] {
    return [...this.tables.keys()];
  }
}
