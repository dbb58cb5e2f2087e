// `{{user.…}}` templates in rule values: parsed and checked once, substituted per caller.
// A template naming an attribute the caller lacks yields MISSING, which makes its comparison false.

import { isPlainObject } from '../query/index.js';

/** The caller as rules see them: the User record (flat: id, email, role, full_name, permissions, custom fields). */
export type AccessUser = { id: string; email: string; role: string } & Record<string, unknown>;

export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

/** A rule value for one caller: the value, or MISSING when a template names an attribute they lack. */
export type ValueOf = (user: AccessUser) => unknown;

const TEMPLATE = /\{\{(.*?)\}\}/g;
const WHOLE_TEMPLATE = /^\{\{(.*?)\}\}$/;
const ATTRIBUTE_SEGMENT = /^[A-Za-z0-9_]{1,64}$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export class TemplateError extends Error {}

/** A caller attribute path as written after `user.` or in `user_condition`: `data.x` and `x` both name field x. */
export function attributePath(text: string): string[] | undefined {
  const segments = text.split('.');
  if (segments.length > 8 || !segments.every((s) => ATTRIBUTE_SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))) return undefined;
  if (segments[0] === 'data') return segments.length > 1 ? segments.slice(1) : undefined;
  return segments;
}

/** The caller's attribute at `path`; undefined when absent. */
export function userAttribute(user: AccessUser, path: string[]): unknown {
  let value: unknown = user;
  for (const segment of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

function templatePath(inner: string): string[] {
  const text = inner.trim();
  const path = text.startsWith('user.') ? attributePath(text.slice('user.'.length)) : undefined;
  if (!path) {
    throw new TemplateError(
      `unknown template {{${inner.slice(0, 40)}}}: use {{user.id}}, {{user.email}}, {{user.role}} or {{user.data.<field>}}`,
    );
  }
  return path;
}

const present = (value: unknown) => (value === undefined || value === null ? MISSING : value);

/** Compiles a string holding templates; a string that is exactly one template keeps the attribute's type. */
function stringValue(text: string): { value: ValueOf; templated: boolean } {
  const whole = WHOLE_TEMPLATE.exec(text);
  if (whole && !whole[1].includes('}}')) {
    const path = templatePath(whole[1]);
    return { value: (user) => present(userAttribute(user, path)), templated: true };
  }
  const pieces: (string | string[])[] = [];
  let last = 0;
  for (const match of text.matchAll(TEMPLATE)) {
    pieces.push(text.slice(last, match.index), templatePath(match[1]));
    last = match.index + match[0].length;
  }
  if (pieces.length === 0) return { value: () => text, templated: false };
  pieces.push(text.slice(last));
  return {
    templated: true,
    value: (user) => {
      let out = '';
      for (const piece of pieces) {
        if (typeof piece === 'string') {
          out += piece;
          continue;
        }
        const attribute = userAttribute(user, piece);
        // Only scalars read as text; a list or object inside a sentence means nothing.
        if (typeof attribute === 'string' || typeof attribute === 'number' || typeof attribute === 'boolean') {
          out += String(attribute);
        } else {
          return MISSING;
        }
      }
      return out;
    },
  };
}

/**
 * A rule value (scalar, or array of them) with its templates compiled. Throws TemplateError for an unknown template.
 * `templated` says whether the value depends on the caller.
 */
export function compileValue(raw: unknown): { value: ValueOf; templated: boolean } {
  if (typeof raw === 'string') return stringValue(raw);
  if (Array.isArray(raw)) {
    const items = raw.map(compileValue);
    if (!items.some((i) => i.templated)) return { value: () => raw, templated: false };
    return {
      templated: true,
      value: (user) => {
        const out: unknown[] = [];
        for (const item of items) {
          const value = item.value(user);
          if (value === MISSING) return MISSING;
          out.push(value);
        }
        return out;
      },
    };
  }
  return { value: () => raw, templated: false };
}
