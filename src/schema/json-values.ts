// Helpers for handling JSON-shaped values that come from untrusted places (entity files, request bodies).
// Definitions and records share them so hostile keys, deep nesting and key order are treated the same everywhere.

export type JsonObject = Record<string, unknown>;

/** Objects that can be walked as JSON objects: literals and null-prototype maps, never class instances. */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Freezes a value and everything reachable from it, so a shared definition cannot be altered by one caller. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as JsonObject)[key]);
  }
  return value;
}

/** JSON with object keys sorted: two definitions that differ only in key order get the same version. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const object = value as JsonObject;
    const parts: string[] = [];
    for (const key of Object.keys(object).sort()) {
      if (object[key] === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${stableStringify(object[key])}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Short human description of a value's JSON type, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
