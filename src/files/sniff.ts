// The type of an upload, read from its bytes: file-type knows the binary formats (including xlsx and docx inside
// zips); text is classified here, looking for the markup browsers would run. The client's declared type is a hint only.

import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { FileBytes, headOf, wholeOf } from './file-bytes.js';

export interface SniffedType {
  contentType: string;
  /** Without the dot; also the storage key's extension. */
  extension: string;
}

const OCTET_STREAM: SniffedType = { contentType: 'application/octet-stream', extension: 'bin' };
const SAMPLE_BYTES = 8 * 1024;

// Text types a client may choose between when the bytes are plain text: none of them is rendered as a document.
const PASSIVE_TEXT: Record<string, string> = {
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'text/markdown': 'md',
};
const EXTENSION_TYPES: Record<string, string> = { txt: 'text/plain', csv: 'text/csv', tsv: 'text/tab-separated-values', md: 'text/markdown' };

// The WHATWG MIME sniffing standard's HTML openers (what a browser ignoring the type would render as a page).
const HTML_START = /^<(!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)[\s>]/i;

function isText(sample: Buffer): boolean {
  if (sample.includes(0)) return false;
  try {
    // `stream` lets a character cut at the end of the sample pass; an invalid sequence still throws.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

async function isJson(bytes: FileBytes): Promise<boolean> {
  try {
    JSON.parse((await wholeOf(bytes)).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

async function classifyText(bytes: FileBytes, sample: string, declared: string, fileName: string): Promise<SniffedType> {
  const start = sample.replace(/^\uFEFF/, '').trimStart();
  if (HTML_START.test(start)) return { contentType: 'text/html; charset=utf-8', extension: 'html' };
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(start)) {
    return { contentType: 'image/svg+xml', extension: 'svg' };
  }
  if (start.startsWith('<?xml')) return { contentType: 'application/xml', extension: 'xml' };
  // Only text that looks like JSON is read whole, to be sure it parses.
  if (/^[[{]/.test(start) && (await isJson(bytes))) return { contentType: 'application/json', extension: 'json' };
  const declaredType = declared.split(';')[0].trim().toLowerCase();
  const nameType = EXTENSION_TYPES[/\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? ''];
  const type = declaredType in PASSIVE_TEXT ? declaredType : (nameType ?? 'text/plain');
  return { contentType: `${type}; charset=utf-8`, extension: PASSIVE_TEXT[type] };
}

export async function sniffContentType(bytes: FileBytes, declared = '', fileName = ''): Promise<SniffedType> {
  const detected = Buffer.isBuffer(bytes) ? await fileTypeFromBuffer(bytes) : await fileTypeFromFile(bytes.path);
  // file-type calls any `<?xml` document XML, SVG included; text is told apart below.
  if (detected && detected.mime !== 'application/xml') {
    // Keys take one plain extension (`tar.gz` → `gz`, `Z` → `z`).
    return { contentType: detected.mime, extension: detected.ext.split('.').pop()!.toLowerCase() };
  }
  const sample = await headOf(bytes, SAMPLE_BYTES);
  if (!isText(sample)) return OCTET_STREAM;
  return classifyText(bytes, sample.toString('utf8'), declared, fileName);
}

/** Types a browser shows without running anything in them; everything else is served as a download. */
export function isPassive(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'image/svg+xml') return false;
  return /^(image|audio|video)\//.test(type) || type === 'application/pdf' || type === 'application/json' || type in PASSIVE_TEXT;
}
