// Content-Disposition for a stored file (RFC 6266, with the RFC 5987 `filename*` for non-ASCII names).
// The name is the client's: quotes, backslashes and control characters (CR/LF) are dropped before it goes in a header.

import { isPassive } from './sniff.js';

export function contentDisposition(fileName: string, contentType: string): string {
  const kind = isPassive(contentType) ? 'inline' : 'attachment';
  const clean = fileName.replace(/[\u0000-\u001f\u007f-\u009f"\\]/g, '').trim() || 'file';
  // `%` too: some browsers percent-decode the plain `filename`.
  const ascii = clean.replace(/[^\u0020-\u007e]|%/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Only the last path segment of what the client called the file, bounded, for display. */
export function displayName(fileName: string | undefined, extension: string): string {
  const base = (fileName ?? '').split(/[/\\]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim() ?? '';
  return base && base !== '.' && base !== '..' ? base.slice(0, 255) : `file.${extension}`;
}
