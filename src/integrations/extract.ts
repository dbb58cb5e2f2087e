// ExtractDataFromUploadedFile: tables (CSV, XLSX, JSON arrays, tables in a PDF's text layer) are read without a
// model and checked against the app's schema; text and images go to the LLM. Answers `{status, details, output}`.

import type { AppRuntime } from '../tenancy/index.js';
import { readAppFile, requireUrl, type AppFileStore } from './app-files.js';
import type { CoreEndpoint } from './core.js';
import { readPdfOffThread, readSpreadsheetOffThread } from './document-parsing.js';
import { DocumentError, imageType, readCsv, readJson, sniffKind, tableAsCsv, decodeText, type StoredFile, type Table } from './documents.js';
import { compileSchema, readSchema, type JsonSchema, type SchemaCheck } from './json-schema.js';
import type { ContentPart, LlmProvider } from './llm.js';
import { findTable } from './pdf-text.js';
import { chooseTarget, mapRows, namesAField, rowTargets, type RowTarget } from './table-mapping.js';

export interface ExtractResult {
  status: 'success' | 'error';
  details: string;
  output: unknown;
}

const MAX_LLM_TEXT_CHARS = 400_000;
const FEATURE = 'ExtractDataFromUploadedFile for files that hold no matching table';

const success = (output: unknown, details: string): ExtractResult => ({ status: 'success', details, output });
const failure = (details: string): ExtractResult => ({ status: 'error', details, output: null });

interface Extraction {
  app: AppRuntime;
  file: StoredFile;
  schema: JsonSchema;
  check: SchemaCheck;
  llm: LlmProvider;
}

/** The file's content (text or an image) to the model, with the schema its answer must match. */
async function viaModel(x: Extraction, content: ContentPart, schema: JsonSchema, check: SchemaCheck): Promise<ExtractResult> {
  const model = x.llm.model(x.app, undefined, FEATURE);
  const instruction = `Extract the data that the JSON schema describes from the attached file "${x.file.fileName}". Leave out what the file does not say.`;
  const answer = await x.llm.structured(x.app, model, [{ role: 'user', content: [{ type: 'text', text: instruction }, content] }], schema, check);
  if (!answer.ok) return failure(`The extracted data does not match json_schema: ${answer.problems.join('; ')}`);
  return success(answer.value, `Extracted the data from ${x.file.fileName}`);
}

function textPart(text: string): ContentPart {
  if (text.length > MAX_LLM_TEXT_CHARS) throw new DocumentError(`The file holds more than ${MAX_LLM_TEXT_CHARS} characters of text`);
  return { type: 'text', text };
}

function outputOf(target: RowTarget, rows: Record<string, unknown>[]): unknown {
  return target.property === undefined ? rows : { [target.property]: rows };
}

async function fromTable(x: Extraction, table: Table): Promise<ExtractResult> {
  const targets = rowTargets(x.schema);
  const target = chooseTarget(targets, table.columns);
  if (!target) {
    const fields = [...new Set(targets.flatMap((t) => t.fields))];
    // Columns named otherwise (another language, abbreviations) are a job for the model, when there is one.
    if (x.llm.configuredFor(x.app)) {
      // A flat object schema describes one row; the rows of the file are a list of them.
      const perRow = targets.every((t) => t.rowSchema === x.schema);
      const schema = perRow ? { type: 'array', items: x.schema } : x.schema;
      return viaModel(x, textPart(tableAsCsv(table)), schema, perRow ? compileSchema(schema, 'json_schema') : x.check);
    }
    return failure(`None of the file's columns (${table.columns.join(', ')}) match a field of json_schema (${fields.join(', ')})`);
  }
  const rows = mapRows(table.rows, target, table.columns);
  const checkRow = compileSchema(target.rowSchema, 'json_schema');
  const problems = rows.flatMap((row, i) => checkRow(row).map((problem) => `Row ${i + 1}: ${problem}`));
  const output = outputOf(target, rows);
  if (problems.length === 0 && target.property !== undefined) problems.push(...x.check(output));
  if (problems.length > 0) return failure(`The file's data does not match json_schema: ${problems.slice(0, 10).join('; ')}`);
  return success(output, `Extracted ${rows.length} rows from ${x.file.fileName}`);
}

async function fromJson(x: Extraction, value: unknown): Promise<ExtractResult> {
  const problems = x.check(value);
  if (problems.length === 0) return success(value, `Read ${x.file.fileName}`);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const rows = value as Record<string, unknown>[];
    return fromTable(x, { columns: [...new Set(rows.flatMap((row) => Object.keys(row)))], rows });
  }
  return failure(`The file's data does not match json_schema: ${problems.join('; ')}`);
}

async function extract(x: Extraction): Promise<ExtractResult> {
  switch (sniffKind(x.file)) {
    case 'csv':
      return fromTable(x, readCsv(x.file.data));
    case 'xlsx':
      return fromTable(x, await readSpreadsheetOffThread(x.file.data));
    case 'json':
      return fromJson(x, readJson(x.file.data));
    case 'pdf': {
      const pdf = await readPdfOffThread(x.file.data);
      const targets = rowTargets(x.schema);
      const fieldCount = Math.max(...targets.map((t) => t.fields.length));
      const table = findTable(pdf.lines, namesAField(targets), fieldCount);
      if (table) return fromTable(x, table);
      if (pdf.text.trim() === '') return failure('The PDF has no text layer (scanned pages): upload its pages as images instead');
      return viaModel(x, textPart(pdf.text), x.schema, x.check);
    }
    case 'text':
      return viaModel(x, textPart(decodeText(x.file.data)), x.schema, x.check);
    case 'image':
      return viaModel(x, { type: 'image_url', image_url: { url: `data:${imageType(x.file.data)};base64,${x.file.data.toString('base64')}` } }, x.schema, x.check);
    default:
      return failure(`${x.file.fileName} is of a type that cannot be read: use CSV, XLSX, JSON, PDF, text or image files`);
  }
}

export function extractDataEndpoint(deps: { files: AppFileStore; llm: LlmProvider }): CoreEndpoint {
  return async ({ app, params }) => {
    const url = requireUrl(params.file_url, 'file_url');
    const schema = readSchema(params.json_schema, 'json_schema');
    const check = compileSchema(schema, 'json_schema');
    const file = await readAppFile(deps.files, app, url, 'file_url');
    try {
      return await extract({ app, file, schema, check, llm: deps.llm });
    } catch (error) {
      if (error instanceof DocumentError) return failure(error.message);
      throw error;
    }
  };
}
