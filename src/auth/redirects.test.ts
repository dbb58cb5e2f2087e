// The hosted pages' from_url rule, attacked with the open-redirect tricks browsers are known to fall for.
// Whatever is accepted must land on this server, a configured origin, or (dev) a loopback origin.

import { describe, expect, it } from 'vitest';
import { RedirectPolicy, safeRedirectTarget, withAccessToken } from './redirects.js';

const policy: RedirectPolicy = {
  requestOrigin: 'http://127.0.0.1:4400',
  redirectOrigins: ['https://app.example.com', 'not a url'],
  allowLocalhost: false,
};
const dev: RedirectPolicy = { ...policy, allowLocalhost: true };

describe('a from_url on this server or a configured origin is followed', () => {
  it.each([
    ['http://127.0.0.1:4400/some/page?x=1', 'http://127.0.0.1:4400/some/page?x=1'],
    ['http://127.0.0.1:4400', 'http://127.0.0.1:4400/'],
    ['HTTP://127.0.0.1:4400/a#frag', 'http://127.0.0.1:4400/a#frag'],
    ['https://app.example.com/dashboard?tab=2#top', 'https://app.example.com/dashboard?tab=2#top'],
    ['https://APP.example.com:443/x', 'https://app.example.com/x'],
    ['https://app.example.com/caf%C3%A9', 'https://app.example.com/caf%C3%A9'],
    ['https://app.example.com/café', 'https://app.example.com/caf%C3%A9'],
  ])('%s', (input, expected) => {
    expect(safeRedirectTarget(input, policy)).toBe(expected);
  });

  it.each([
    ['/', '/'],
    ['/some/page?x=1&y=%20z#h', '/some/page?x=1&y=%20z#h'],
    ['/a/../b', '/b'],
    ['/a/%2F%2Fevil.example', '/a/%2F%2Fevil.example'],
  ])('relative %s stays relative', (input, expected) => {
    expect(safeRedirectTarget(input, policy)).toBe(expected);
  });
});

describe('loopback origins are followed only in dev', () => {
  it.each(['http://127.0.0.1:4401/', 'https://127.0.0.1:4400/', 'http://localhost:5173/', 'http://127.0.0.1:5173/app', 'http://[::1]:5173/', 'https://localhost/x', 'http://LOCALHOST:3000/'])(
    '%s',
    (input) => {
      expect(safeRedirectTarget(input, dev)).not.toBeNull();
      expect(safeRedirectTarget(input, policy)).toBeNull();
    },
  );

  it.each([
    'http://localhost.evil.example/',
    'http://127.0.0.1.nip.io/',
    'http://evil.example/?localhost',
    'http://localhost@evil.example/',
    'http://evil.example#@localhost:5173',
    'ftp://localhost/',
  ])('but not %s', (input) => {
    expect(safeRedirectTarget(input, dev)).toBeNull();
  });
});

describe('a hostile from_url is refused', () => {
  it.each([
    ['another origin', 'https://evil.example/'],
    ['a look-alike of a configured origin', 'https://app.example.com.evil.example/'],
    ['a configured host on another scheme', 'http://app.example.com/'],
    ['protocol-relative', '//evil.example/path'],
    ['protocol-relative with three slashes', '///evil.example/path'],
    ['backslash after the slash', '/\\evil.example'],
    ['backslashes only', '\\\\evil.example'],
    ['backslash in the authority', 'http://127.0.0.1:4400\\@evil.example/'],
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: with mixed case', 'JaVaScRiPt:alert(document.cookie)'],
    ['javascript: with a tab inside', 'java\tscript:alert(1)'],
    ['javascript: after a leading space', ' javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['file:', 'file:///etc/passwd'],
    ['userinfo', 'http://127.0.0.1:4400@evil.example/'],
    ['userinfo with a password', 'https://app.example.com:pw@evil.example/'],
    ['userinfo on an allowed host', 'https://user@app.example.com/'],
    ['an encoded at-sign is still userinfo', 'http://127.0.0.1:4400%40evil.example/'],
    ['scheme without slashes', 'http:evil.example'],
    ['scheme with one slash', 'https:/evil.example'],
    ['scheme with no host', 'http:///evil.example'],
    ['a relative path without a leading slash', 'evil.example/path'],
    ['a dot-relative path', './x'],
    ['an encoded newline (header splitting)', '/x%0d%0aSet-Cookie:%20a=b'],
    ['an encoded NUL', '/x%00'],
    ['an encoded DEL', '/x%7F'],
    ['an encoded backslash', '/%5cevil.example'],
    ['a raw newline', '/x\r\nLocation: https://evil.example'],
    ['a raw tab in a protocol-relative URL', '/\t/evil.example'],
    ['a leading space', ' /x'],
    ['a trailing newline', 'http://127.0.0.1:4400/\n'],
    ['a zero-width space', '/\u200bx'],
    ['a right-to-left override', 'https://app.example.com/\u202egpj.exe'],
    ['a byte-order mark', '\ufeff//evil.example'],
    ['an empty string', ''],
    ['an overlong URL', `/${'a'.repeat(9000)}`],
    ['an invalid port', 'http://127.0.0.1:99999/'],
  ])('%s', (_label, input) => {
    expect(safeRedirectTarget(input, policy)).toBeNull();
    expect(safeRedirectTarget(input, { ...dev, redirectOrigins: [] })).toBeNull();
  });
});

describe('the access token joins the target', () => {
  it.each([
    ['/', '/?access_token=t'],
    ['/page?x=1', '/page?x=1&access_token=t'],
    ['/page?x=1#frag?y', '/page?x=1&access_token=t#frag?y'],
    ['http://127.0.0.1:4400/a?access_token=old&b=2', 'http://127.0.0.1:4400/a?b=2&access_token=t'],
    ['/a?access%5Ftoken=old&access_token=older&b', '/a?b&access_token=t'],
    ['/a?q=a+b&r=%2F&', '/a?q=a+b&r=%2F&access_token=t'],
    ['/a?bad=%E0%A4%A', '/a?bad=%E0%A4%A&access_token=t'],
  ])('%s', (target, expected) => {
    expect(withAccessToken(target, 't')).toBe(expected);
  });

  it('encodes the token', () => {
    expect(withAccessToken('/', 'a+b/c=&d')).toBe('/?access_token=a%2Bb%2Fc%3D%26d');
  });
});
