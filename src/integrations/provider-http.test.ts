// Provider messages reach apps without the server's key or anything shaped like a key, on one bounded line.

import { describe, expect, it } from 'vitest';
import { sanitizeProviderMessage } from './provider-http.js';

describe('a provider message shown to an app', () => {
  it('has the configured key and key-shaped strings cut out', () => {
    const key = 'my-secret-provider-key';
    const text = sanitizeProviderMessage(
      `bad key ${key}; Incorrect API key provided: sk-abc***xyz; header Bearer abc.def; url https://x.test/v1?key=AIzaSyA123&alt=json; token ${'a'.repeat(40)}`,
      [key],
    );
    expect(text).not.toContain(key);
    expect(text).not.toMatch(/sk-abc|abc\.def|AIzaSyA123|aaaaaaaaaa/);
    expect(text).toContain('Incorrect API key provided: [redacted]');
  });

  it('is one line of at most 300 characters', () => {
    const text = sanitizeProviderMessage(`line one\nline two\r\n\u0000${'word '.repeat(200)}`, []);
    expect(text).not.toMatch(/\p{Cc}/u);
    expect(text.length).toBeLessThanOrEqual(301);
    expect(text.startsWith('line one line two')).toBe(true);
  });
});
