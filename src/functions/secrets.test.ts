import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { SecretBox } from '../store/index.js';
import { checkSecretName, deriveSecretsKey } from './secrets.js';

describe('secrets at rest', () => {
  const box = new SecretBox(deriveSecretsKey(randomBytes(32)));

  it('never stores the plain value, and opens what it sealed', () => {
    const sealed = box.seal('app1', 'API_KEY', 'sk-live-123');
    expect(sealed).not.toContain('sk-live-123');
    expect(sealed).not.toBe(box.seal('app1', 'API_KEY', 'sk-live-123'));
    expect(box.open('app1', 'API_KEY', sealed)).toBe('sk-live-123');
  });

  it('refuses a value moved to another app or name, tampered with, or sealed under another server secret', () => {
    const sealed = box.seal('app1', 'API_KEY', 'value');
    expect(() => box.open('app2', 'API_KEY', sealed)).toThrow();
    expect(() => box.open('app1', 'OTHER', sealed)).toThrow();
    const [v, iv, tag, data] = sealed.split(':');
    const flipped = Buffer.from(data, 'base64');
    flipped[0] ^= 1;
    expect(() => box.open('app1', 'API_KEY', [v, iv, tag, flipped.toString('base64')].join(':'))).toThrow();
    expect(() => new SecretBox(deriveSecretsKey(randomBytes(32))).open('app1', 'API_KEY', sealed)).toThrow();
  });

  it('accepts environment-variable names only, and none the runtime sets itself', () => {
    for (const name of ['API_KEY', 'stripe_key', '_X1']) expect(() => checkSecretName(name)).not.toThrow();
    for (const name of ['1ABC', 'A-B', '', 'BASE44_APP_ID', 'DENO_DIR', 'HOME', 'PATH', 'x'.repeat(129)]) {
      expect(() => checkSecretName(name)).toThrow(HttpError);
    }
  });
});
