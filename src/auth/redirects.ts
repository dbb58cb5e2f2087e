// Where the hosted sign-in pages may send a browser back to (`from_url`): this server, the app's configured
// origins, and in dev any loopback origin. Pure; everything else is refused, so the pages are no open redirect.

export interface RedirectPolicy {
  /** How the browser reached this server, e.g. `http://127.0.0.1:4400`. */
  requestOrigin: string;
  /** Other origins the app lives on (`auth.redirectOrigins`). */
  redirectOrigins: string[];
  /** Any http(s) origin on localhost, 127.0.0.1 or [::1] (dev: the app's Vite server has its own port). */
  allowLocalhost: boolean;
}

const MAX_LENGTH = 8192;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
// Browsers strip or fold these while parsing, so "what we checked" and "where the browser goes" could differ.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const UNSAFE_CHARACTERS = /[\s\\\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;
// Encoded control characters and backslashes: header splitting, and servers that decode before routing.
const UNSAFE_ESCAPES = /%(?:[01][0-9a-f]|7f|5c)/i;
// Resolves relative targets without trusting the request's Host header for anything but the comparison.
const RELATIVE_BASE = 'http://relative.invalid';

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The normalised target to redirect to, or null when `fromUrl` must not be followed. Relative paths stay relative
 * (the browser resolves them against the origin it really used, even behind a proxy).
 */
export function safeRedirectTarget(fromUrl: string, policy: RedirectPolicy): string | null {
  if (fromUrl.length === 0 || fromUrl.length > MAX_LENGTH) return null;
  if (UNSAFE_CHARACTERS.test(fromUrl) || UNSAFE_ESCAPES.test(fromUrl)) return null;

  if (fromUrl.startsWith('/')) {
    // "//host" and "/\host" are network-path references: another origin.
    if (fromUrl.startsWith('//')) return null;
    const url = new URL(fromUrl, RELATIVE_BASE);
    return `${url.pathname}${url.search}${url.hash}`;
  }

  // Only the full "scheme://" form: "http:evil.example" and "https:/evil.example" parse as other hosts.
  if (!/^https?:\/\/[^/?#]/i.test(fromUrl)) return null;
  let url: URL;
  try {
    url = new URL(fromUrl);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || /^https?:\/\/[^/?#]*@/i.test(fromUrl)) return null;
  return isAllowedOrigin(url, policy) ? url.href : null;
}

function isAllowedOrigin(url: URL, policy: RedirectPolicy): boolean {
  if (url.origin === originOf(policy.requestOrigin)) return true;
  if (policy.redirectOrigins.some((origin) => originOf(origin) === url.origin)) return true;
  return policy.allowLocalhost && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * `target` with its `access_token` query parameter set to `token` (replacing any), where the SDK picks it up.
 * The app's other parameters are kept byte for byte: re-encoding them could change what the app reads.
 */
export function withAccessToken(target: string, token: string): string {
  const hashAt = target.indexOf('#');
  const hash = hashAt === -1 ? '' : target.slice(hashAt);
  const beforeHash = hashAt === -1 ? target : target.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? '' : beforeHash.slice(queryAt + 1);
  const kept = query.split('&').filter((pair) => pair !== '' && parameterName(pair) !== 'access_token');
  kept.push(`access_token=${encodeURIComponent(token)}`);
  return `${base}?${kept.join('&')}${hash}`;
}

function parameterName(pair: string): string {
  const name = pair.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
