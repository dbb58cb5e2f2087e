// InvokeLLM's `file_urls` as message parts: images as image inputs, documents (text, CSV, JSON, XLSX, PDF text
// layer) inlined as text. Image URLs of other hosts are passed on for the provider to fetch; nothing else is.

import { badRequest } from '../errors.js';
import type { AppRuntime } from '../tenancy/index.js';
import type { AppFileStore } from './app-files.js';
import { decodeText, DocumentError, imageType, readCsv, sniffKind, tableAsCsv, type StoredFile } from './documents.js';
import { readPdfOffThread, readSpreadsheetOffThread } from './document-parsing.js';
import type { ContentPart } from './llm.js';

const MAX_FILES = 20;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const MAX_TEXT_CHARS = 1_000_000;
const REMOTE_IMAGE = /\.(png|jpe?g|gif|webp)$/i;

function isRemoteImage(url: string): boolean {
  try {
    const { protocol, pathname } = new URL(url);
    return (protocol === 'https:' || protocol === 'http:') && REMOTE_IMAGE.test(pathname);
  } catch {
    return false;
  }
}

async function documentText(file: StoredFile, param: string): Promise<string | undefined> {
  switch (sniffKind(file)) {
    case 'text':
    case 'json':
      return decodeText(file.data);
    case 'csv':
      return tableAsCsv(readCsv(file.data));
    case 'xlsx':
      return tableAsCsv(await readSpreadsheetOffThread(file.data));
    case 'pdf': {
      const { text } = await readPdfOffThread(file.data);
      if (text.trim() === '') throw badRequest(`${param} is a PDF without a text layer (scanned pages); send its pages as images`);
      return text;
    }
    default:
      return undefined;
  }
}

async function partFor(files: AppFileStore, app: AppRuntime, url: string, param: string): Promise<ContentPart> {
  const file = await files.readByUrl(app, url);
  if (!file) {
    if (isRemoteImage(url)) return { type: 'image_url', image_url: { url } };
    throw badRequest(`${param} must be a file uploaded to this app, or the http(s) URL of a PNG, JPEG, GIF or WebP image`);
  }
  const image = imageType(file.data);
  if (image) {
    if (file.data.length > MAX_IMAGE_BYTES) throw badRequest(`${param} is an image larger than ${MAX_IMAGE_BYTES / (1024 * 1024)} MB`);
    return { type: 'image_url', image_url: { url: `data:${image};base64,${file.data.toString('base64')}` } };
  }
  let text: string | undefined;
  try {
    text = await documentText(file, param);
  } catch (error) {
    if (error instanceof DocumentError) throw badRequest(`${param}: ${error.message}`);
    throw error;
  }
  if (text === undefined) {
    throw badRequest(`${param} (${file.fileName}) is of a type the model cannot be given: use images, PDF, text, CSV, JSON or XLSX files`);
  }
  if (text.length > MAX_TEXT_CHARS) throw badRequest(`${param} holds more than ${MAX_TEXT_CHARS} characters of text`);
  return { type: 'text', text: `Attached file "${file.fileName}":\n${text}` };
}

/** The parts for `file_urls` (a list of URLs; one URL alone is accepted too), in order. */
export async function attachmentParts(files: AppFileStore, app: AppRuntime, fileUrls: unknown): Promise<ContentPart[]> {
  if (fileUrls === undefined || fileUrls === null) return [];
  const urls = typeof fileUrls === 'string' ? [fileUrls] : fileUrls;
  if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string' && url.trim() !== '')) {
    throw badRequest('file_urls must be a list of file URLs');
  }
  if (urls.length > MAX_FILES) throw badRequest(`file_urls holds at most ${MAX_FILES} files`);
  const parts: ContentPart[] = [];
  for (const [i, url] of urls.entries()) parts.push(await partFor(files, app, url.trim(), `file_urls[${i}]`));
  return parts;
}
