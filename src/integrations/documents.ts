// Reads the files apps hand to the AI endpoints: what kind each is (by content first, then name and declared
// type), and CSV, JSON, XLSX and plain text into tables or text. PDFs are read by pdf-text.ts.

import ExcelJS from 'exceljs';
import { MAX_IMPORT_RECORDS, parseCsvRecords } from '../schema/index.js';

export interface StoredFile {
  data: Buffer;
  /** The type stored with the file (sniffed on upload); trusted less than the bytes. */
  contentType: string;
  fileName: string;
}

export type FileKind = 'csv' | 'json' | 'xlsx' | 'pdf' | 'text' | 'image';

/** Rows keyed by column name, as read from the file (cells are text, numbers, booleans or ISO dates). */
export interface Table {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** A file that cannot be read as what it claims to be; its message is meant for the app. */
export class DocumentError extends Error {}

export const MAX_TABLE_ROWS = MAX_IMPORT_RECORDS;
// An XLSX is a zip: its declared unpacked size bounds what parsing it can cost (a zip bomb declares it too).
const MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024;

const IMAGE_SIGNATURES: [string, (data: Buffer) => boolean][] = [
  ['image/png', (d) => d.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))],
  ['image/jpeg', (d) => d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff],
  ['image/gif', (d) => d.subarray(0, 4).toString('latin1') === 'GIF8'],
  ['image/webp', (d) => d.subarray(0, 4).toString('latin1') === 'RIFF' && d.subarray(8, 12).toString('latin1') === 'WEBP'],
];

/** The image type the bytes show, whatever the file claims. */
export function imageType(data: Buffer): string | undefined {
  return IMAGE_SIGNATURES.find(([, matches]) => matches(data))?.[0];
}

interface ZipListing {
  names: string[];
  unpackedBytes: number;
}

/** Entry names and total unpacked size from a zip's central directory, or undefined if it is not a plain zip. */
function zipListing(data: Buffer): ZipListing | undefined {
  if (data.length < 22 || data.readUInt32LE(0) !== 0x04034b50) return undefined;
  // The end-of-directory record sits in the last 22 bytes plus a comment of at most 64 KiB.
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  const names: string[] = [];
  let unpackedBytes = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== 0x02014b50) return undefined;
    const unpacked = data.readUInt32LE(at + 24);
    // 0xffffffff defers to a zip64 record: far beyond any size accepted here.
    unpackedBytes += unpacked === 0xffffffff ? Number.MAX_SAFE_INTEGER : unpacked;
    const nameLength = data.readUInt16LE(at + 28);
    names.push(data.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
  }
  return { names, unpackedBytes };
}

const extension = (fileName: string) => /\.([a-z0-9]+)$/i.exec(fileName)?.[1].toLowerCase() ?? '';

/** What the file is, or undefined when it is none of the kinds these endpoints read. */
export function sniffKind(file: StoredFile): FileKind | undefined {
  const { data } = file;
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (imageType(data)) return 'image';
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50) return zipListing(data)?.names.includes('xl/workbook.xml') ? 'xlsx' : undefined;
  const type = file.contentType.split(';')[0].trim().toLowerCase();
  const ext = extension(file.fileName);
  // Binary content (NUL bytes) is no text format, whatever the name says.
  if (data.subarray(0, 8192).includes(0)) return undefined;
  if (ext === 'csv' || ext === 'tsv' || type === 'text/csv' || type === 'text/tab-separated-values') return 'csv';
  if (ext === 'json' || type === 'application/json') return 'json';
  if (['txt', 'md', 'markdown', 'text'].includes(ext) || type === 'text/plain' || type === 'text/markdown') return 'text';
  return undefined;
}

/** UTF-8 text, or Windows-1252 for files that are not valid UTF-8 (what Excel on Windows exports). */
export function decodeText(data: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    text = new TextDecoder('windows-1252').decode(data);
  }
  return text.replace(/^\uFEFF/, '');
}

/** `,` unless the header line holds more `;` or tabs (spreadsheets in many locales export so). */
function csvDelimiter(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/)).replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length - 1] as const);
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
}

function limitRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  if (rows.length > MAX_TABLE_ROWS) throw new DocumentError(`The file holds more than ${MAX_TABLE_ROWS} rows`);
  return rows;
}

export function readCsv(data: Buffer): Table {
  const text = decodeText(data);
  let rows: Record<string, string>[];
  try {
    rows = parseCsvRecords(text, csvDelimiter(text));
  } catch (error) {
    throw new DocumentError((error as Error).message.replace('The import file', 'The file'));
  }
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return { columns, rows: limitRows(rows) };
}

export function readJson(data: Buffer): unknown {
  try {
    return JSON.parse(decodeText(data));
  } catch {
    throw new DocumentError('The file is not valid JSON');
  }
}

/** Dates at midnight UTC are calendar dates (that is how a spreadsheet stores a date cell). */
function dateText(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function cellValue(value: ExcelJS.CellValue): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return dateText(value);
  if (typeof value !== 'object') return typeof value === 'string' && value.trim() === '' ? undefined : value;
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('hyperlink' in value) return value.text;
  if ('formula' in value || 'sharedFormula' in value) return cellValue((value.result ?? null) as ExcelJS.CellValue);
  // Error cells (#N/A, #REF!…) hold no value.
  return undefined;
}

const cellText = (value: ExcelJS.CellValue) => String(cellValue(value) ?? '').trim();

/** The first worksheet that has rows: its first row names the columns, each later non-empty row is a record. */
export async function readSpreadsheet(data: Buffer): Promise<Table> {
  const listing = zipListing(data);
  if (!listing) throw new DocumentError('The file is not a readable XLSX workbook');
  if (listing.unpackedBytes > MAX_XLSX_UNPACKED_BYTES) {
    throw new DocumentError(`The workbook unpacks to more than ${MAX_XLSX_UNPACKED_BYTES / (1024 * 1024)} MB`);
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new DocumentError(`The file is not a readable XLSX workbook: ${(error as Error).message}`);
  }
  const sheet = workbook.worksheets.find((s) => s.actualRowCount > 0);
  if (!sheet) return { columns: [], rows: [] };
  const lines: ExcelJS.Row[] = [];
  sheet.eachRow((row) => lines.push(row));
  const [header, ...records] = lines;
  const columns: string[] = [];
  header.eachCell({ includeEmpty: true }, (cell, col) => {
    columns[col - 1] = cellText(cell.value) || `column_${col}`;
  });
  if (records.length > MAX_TABLE_ROWS) throw new DocumentError(`The file holds more than ${MAX_TABLE_ROWS} rows`);
  const rows = records
    .map((row) => {
      const record: [string, unknown][] = [];
      row.eachCell((cell, col) => {
        const value = cellValue(cell.value);
        if (value !== undefined && col <= columns.length) record.push([columns[col - 1], value]);
      });
      return Object.fromEntries(record);
    })
    .filter((record) => Object.keys(record).length > 0);
  return { columns: columns.filter((c) => c !== undefined), rows };
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV text: how a table is shown to a model. */
export function tableAsCsv(table: Table): string {
  return [table.columns, ...table.rows.map((row) => table.columns.map((c) => row[c]))]
    .map((line) => line.map(csvCell).join(','))
    .join('\n');
}
