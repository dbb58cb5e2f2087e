// Reads the records of an import file (CSV with a header row, or a JSON array) for `importEntities`.
// CSV cells arrive as text; the entity's validator coerces them ("42" -> 42) like any other input.

import { parse as parseCsv } from 'csv-parse/sync';
import { badRequest } from '../errors.js';

export const MAX_IMPORT_RECORDS = 5000;

function fromJson(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('The import file is not valid JSON');
  }
  const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown })?.records;
  if (!Array.isArray(records)) throw badRequest('A JSON import file holds an array of records');
  return records;
}

/** CSV rows keyed by the header row's names; `delimiter` is `;` or a tab for files that spreadsheets export so. */
export function parseCsvRecords(text: string, delimiter = ','): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, delimiter });
  } catch (error) {
    throw badRequest(`The import file is not valid CSV: ${(error as Error).message}`);
  }
  // An empty cell means "not given", so schema defaults apply instead of an empty string.
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value !== '')));
}

export function parseImportFile(content: Buffer, fileName: string, mimeType: string): unknown[] {
  const text = content.toString('utf8');
  const isJson = /\.json$/i.test(fileName) || mimeType === 'application/json';
  const isCsv = /\.csv$/i.test(fileName) || mimeType === 'text/csv';
  if (!isJson && !isCsv) throw badRequest('Import files must be CSV (.csv) or JSON (.json)');
  const records = isJson ? fromJson(text) : parseCsvRecords(text);
  if (records.length > MAX_IMPORT_RECORDS) throw badRequest(`An import holds at most ${MAX_IMPORT_RECORDS} records`);
  return records;
}
