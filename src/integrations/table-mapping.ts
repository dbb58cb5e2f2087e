// How the rows of a table (CSV, XLSX, a PDF table, a JSON array) become the output an app's schema describes.
// Public apps pass `{type: "array", items}`, an object with one array property (`{items: [...]}`, `{rows: [...]}`),
// or a flat object per row, and read `output`, `output.<property>` or an array of rows respectively.

import { isPlainObject } from '../query/index.js';
import type { JsonSchema } from './json-schema.js';

export interface RowTarget {
  /** The schema of one row; without properties every column is kept as read. */
  rowSchema: JsonSchema;
  /** The property of an object schema that holds the rows; undefined when the output is the rows themselves. */
  property?: string;
  /** The row schema's property names, matched against column names. */
  fields: string[];
}

/** Column and field names compared without case, accents, spaces or punctuation: "Unit price" = "unit_price". */
export function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

const propertiesOf = (schema: unknown): Record<string, unknown> =>
  isPlainObject(schema) && isPlainObject(schema.properties) ? schema.properties : {};

const typesOf = (schema: unknown): string[] => {
  const type = isPlainObject(schema) ? schema.type : undefined;
  return typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
};

function target(rowSchema: unknown, property?: string): RowTarget {
  const schema = isPlainObject(rowSchema) ? rowSchema : {};
  return { rowSchema: schema, property, fields: Object.keys(propertiesOf(schema)) };
}

const isRowSchema = (schema: unknown) =>
  typesOf(schema).includes('object') || (typesOf(schema).length === 0 && isPlainObject(schema) && isPlainObject(schema.properties));

/** Where rows could go in `schema`: its items, each array property's items, or the schema itself as one row. */
export function rowTargets(schema: JsonSchema): RowTarget[] {
  if (typesOf(schema).includes('array')) return [target(schema.items)];
  const properties = propertiesOf(schema);
  const arrays = Object.entries(properties)
    .filter(([, property]) => typesOf(property).includes('array') && isRowSchema((property as JsonSchema).items))
    .map(([name, property]) => target((property as JsonSchema).items, name));
  const scalars = Object.values(properties).some((property) => !typesOf(property).includes('array'));
  return scalars || arrays.length === 0 ? [...arrays, target(schema)] : arrays;
}

/** The column holding each field of `target`, by name key. */
function columnsFor(target: RowTarget, columns: string[]): Map<string, string> {
  const byKey = new Map(columns.map((column) => [nameKey(column), column]));
  const found = new Map<string, string>();
  for (const field of target.fields) {
    const column = byKey.get(nameKey(field));
    if (column !== undefined) found.set(field, column);
  }
  return found;
}

/** Whether a column name names a field of any target (to find a table's header line). */
export function namesAField(targets: RowTarget[]): (name: string) => boolean {
  const keys = new Set(targets.flatMap((t) => t.fields.map(nameKey)));
  return (name) => keys.has(nameKey(name));
}

/**
 * The target that the most columns fit (a row schema without properties fits any table, but less than a named
 * match); undefined when no column names a field.
 */
export function chooseTarget(targets: RowTarget[], columns: string[]): RowTarget | undefined {
  let best: { target: RowTarget; score: number } | undefined;
  for (const candidate of targets) {
    const score = candidate.fields.length === 0 ? 0.5 : columnsFor(candidate, columns).size;
    if (score > 0 && (!best || score > best.score)) best = { target: candidate, score };
  }
  return best?.target;
}

const NUMBER = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const THOUSANDS_COMMA = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const DECIMAL_COMMA = /^[-+]?\d+,\d+$/;
const THOUSANDS_DOT = /^[-+]?\d{1,3}(\.\d{3})+,\d+$/;
const CURRENCY = /^[$€£¥]\s*|\s*[$€£¥%]$/g;

/** A number written as people write them in spreadsheets: 1,234.50 / 1.234,50 / 12,5 / €3.20. */
function numberFrom(text: string): number | undefined {
  const bare = text.replace(CURRENCY, '');
  if (NUMBER.test(bare)) return Number(bare);
  if (THOUSANDS_COMMA.test(bare)) return Number(bare.replace(/,/g, ''));
  if (THOUSANDS_DOT.test(bare)) return Number(bare.replace(/\./g, '').replace(',', '.'));
  if (DECIMAL_COMMA.test(bare)) return Number(bare.replace(',', '.'));
  return undefined;
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, yes: true, y: true, '1': true, false: false, no: false, n: false, '0': false };

/** A cell as the field's type wants it, when it can be read so; otherwise as it is, for validation to report. */
function coerce(value: unknown, schema: unknown): unknown {
  const types = typesOf(schema);
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    if (types.includes('number') || types.includes('integer')) {
      const number = numberFrom(text);
      if (number !== undefined) return number;
    }
    if (types.includes('boolean') && Object.hasOwn(BOOLEAN_WORDS, text.toLowerCase())) return BOOLEAN_WORDS[text.toLowerCase()];
    if (types.includes('array') && !types.includes('string')) {
      const items = (schema as JsonSchema).items;
      return text.split(/[;,]/).map((part) => coerce(part, items)).filter((part) => part !== undefined);
    }
    return text;
  }
  if ((typeof value === 'number' || typeof value === 'boolean') && types.includes('string') && !types.includes(typeof value)) {
    return String(value);
  }
  return value;
}

/** Table rows as `target` wants them: fields from their columns, coerced to their types; empty cells left out. */
export function mapRows(rows: Record<string, unknown>[], target: RowTarget, columns: string[]): Record<string, unknown>[] {
  if (target.fields.length === 0) {
    return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined && v !== '')));
  }
  const properties = propertiesOf(target.rowSchema);
  const sources = [...columnsFor(target, columns)];
  return rows.map((row) =>
    Object.fromEntries(
      sources.map(([field, column]) => [field, coerce(row[column], properties[field])] as const).filter(([, value]) => value !== undefined),
    ),
  );
}
