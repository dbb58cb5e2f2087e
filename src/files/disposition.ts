// Content-Disposition for a stored file (RFC 6266, with the RFC 5987 `filename*` for non-ASCII names).
// The name is the client's: quotes, backslashes and control characters (CR/LF) are dropped before it goes in a header.

import { isPassive } from './sniff.js';

const isControl = (char: string) => char < ' ' || (char >= '\x7f' && char <= '\x9f');
const withoutControls = (text: string) => [...text].filter((char) => !isControl(char)).join('');

export function contentDisposition(fileName: string, contentType: string): string {
  const kind = isPassive(contentType) ? 'inline' : 'attachment';
  const clean = withoutControls(fileName).replace(/["\\]/g, '').trim() || 'file';
  // `%` too: some browsers percent-decode the plain `filename`.
  const ascii = clean.replace(/[^ -~]|%/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Only the last path segment of what the client called the file, bounded, for display. Browsers send a quote, CR
 * and LF in a multipart file name as %22, %0D and %0A (WHATWG form encoding); those go like the characters would.
 */
export function displayName(fileName: string | undefined, extension: string): string {
  const unescaped = (fileName ?? '').replace(/%(22|0d|0a)/gi, '');
  const base = withoutControls(unescaped.split(/[/\\]/).pop() ?? '').trim();
  return base && base !== '.' && base !== '..' ? base.slice(0, 255) : `file.${extension}`;
}
