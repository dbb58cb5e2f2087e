// Per-app secrets handed to functions as environment variables: sealed at rest with AES-256-GCM under a key
// derived from the server secret, never listed back in plain text. In dev, base44/.env files give defaults.

import { badRequest, notFound } from '../errors.js';
import { Database, SecretBox, deriveSealingKey, functionStore } from '../store/index.js';

/** What listing a secret shows instead of its value. */
export const MASK = '********';
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// Names the runtime sets itself; a secret may not shadow them.
const RESERVED = /^(BASE44_|DENO_)|^(HOME|TMPDIR|NO_COLOR|PATH)$/;
const MAX_VALUE_BYTES = 64 * 1024;

export function deriveSecretsKey(serverSecret: Uint8Array): Buffer {
  return deriveSealingKey(serverSecret, 'function-secrets-v1');
}

export function checkSecretName(name: string): void {
  if (!NAME.test(name)) throw badRequest(`Invalid secret name "${name.slice(0, 80)}": use letters, digits and _, not starting with a digit`);
  if (RESERVED.test(name)) throw badRequest(`Secret name ${name} is reserved by the function runtime`);
}

export class SecretService {
  /** Values from the project's .env files (dev), by app: defaults that secrets set through the API override. */
  private readonly fileValues = new Map<string, Record<string, string>>();
  private readonly cache = new Map<string, Promise<Record<string, string>>>();

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    /** Called after an app's secrets changed, so running functions pick them up. */
    private readonly onChange: (appId: string) => void,
  ) {}

  setFileValues(appId: string, values: Record<string, string>): void {
    const usable = Object.fromEntries(Object.entries(values).filter(([name]) => NAME.test(name) && !RESERVED.test(name)));
    if (JSON.stringify(usable) === JSON.stringify(this.fileValues.get(appId) ?? {})) return;
    this.fileValues.set(appId, usable);
    this.changed(appId);
  }

  async set(appId: string, values: unknown): Promise<void> {
    if (!values || typeof values !== 'object' || Array.isArray(values)) throw badRequest('Send an object of secret names to values');
    const entries = Object.entries(values as Record<string, unknown>);
    if (entries.length === 0) throw badRequest('No secrets given');
    for (const [name, value] of entries) {
      checkSecretName(name);
      if (typeof value !== 'string') throw badRequest(`The value of ${name} must be a string`);
      if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw badRequest(`The value of ${name} is over 64 KB`);
    }
    await functionStore.upsertSecrets(
      this.db,
      appId,
      entries.map(([name, value]) => ({ name, value: this.box.seal(appId, name, value as string) })),
    );
    this.changed(appId);
  }

  async delete(appId: string, name: string): Promise<void> {
    if (!(await functionStore.deleteSecret(this.db, appId, name))) {
      const inFile = name in (this.fileValues.get(appId) ?? {});
      throw notFound(inFile ? `Secret ${name} comes from the project's .env file; remove it there` : `Secret ${name} not found`);
    }
    this.changed(appId);
  }

  /** Every secret's name with a masked value, in the shape the official CLI lists. */
  async masked(appId: string): Promise<Record<string, string>> {
    const names = Object.keys(await this.values(appId)).sort();
    return Object.fromEntries(names.map((name) => [name, MASK]));
  }

  /** Plain values for a function's environment: .env defaults, overridden by secrets set through the API. */
  values(appId: string): Promise<Record<string, string>> {
    let values = this.cache.get(appId);
    if (!values) {
      values = this.load(appId);
      this.cache.set(appId, values);
      values.catch(() => this.cache.delete(appId));
    }
    return values;
  }

  private async load(appId: string): Promise<Record<string, string>> {
    const stored = await functionStore.sealedSecrets(this.db, appId);
    const values: Record<string, string> = { ...this.fileValues.get(appId) };
    for (const { name, value } of stored) values[name] = this.box.open(appId, name, value);
    return values;
  }

  private changed(appId: string): void {
    this.cache.delete(appId);
    this.onChange(appId);
  }
}
