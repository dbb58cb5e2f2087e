import { describe, expect, it } from 'vitest';
import { MAX_TRACED_BODY_CHARS, REDACTED, boundedBody, redact } from './call-trace.js';

describe('what the call trace keeps', () => {
  it('cuts every credential value out, also inside longer strings and when JSON escapes it', () => {
    const secret = 'sk-"quoted"\\key';
    const traced = redact({ headers: { authorization: `Bearer ${secret}` }, echo: [secret], keep: 'plain' }, [secret, 'abc']);
    expect(traced).toEqual({ headers: { authorization: `Bearer ${REDACTED}` }, echo: [REDACTED], keep: 'plain' });
  });

  it('keeps small bodies whole and the first 64 KB of large ones, marked truncated', () => {
    expect(boundedBody({ a: 1 })).toEqual({ a: 1 });
    expect(boundedBody(undefined)).toBeNull();
    const large = boundedBody({ text: 'x'.repeat(100_000) }) as { truncated: boolean; size: number; text: string };
    expect(large.truncated).toBe(true);
    expect(large.size).toBe(JSON.stringify({ text: 'x'.repeat(100_000) }).length);
    expect(large.text).toHaveLength(MAX_TRACED_BODY_CHARS);
  });
});
