// The one error an invalid access rule raises: it names the entity and the rule path, so the author can find it.

export class AccessRuleError extends Error {
  constructor(
    readonly entity: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${entity}: ${rule}: ${message}`);
    this.name = 'AccessRuleError';
  }
}

/** `base.key`, or `base["odd key"]` when the key is not a plain name (kept short: keys can be hostile). */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z_$][\w$]{0,63}$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key.slice(0, 60))}]`;
}

/** A value shown in an error message, cut short. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
