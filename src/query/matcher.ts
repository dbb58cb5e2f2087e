// Evaluates the filter language in memory, with exactly the semantics of the SQL `compileFilter` writes
// (realtime events, access checks on records in hand). The walk itself is filter-walker.ts, shared with the SQL
// compiler; what each test means on a record mirrors its SQL in filter.ts, and the property tests hold them equal.

import { badRequest } from '../errors.js';
import { ColumnType, FieldKinds, ValueKind, builtinColumn, splitPath, unknownKinds } from './fields.js';
import { FilterWalker, RangeOperator, WalkBudget, isPlainObject } from './filter-walker.js';
import { toPostgresRegex } from './regex.js';
import { timestampValue } from './timestamps.js';

/** A compiled filter: whether a record (flat: built-ins and fields side by side) matches. */
export type Matcher = (record: Record<string, unknown>) => boolean;

/**
 * Compiles `filter` once (validating it exactly as `compileFilter` does, with the same 400s) into a predicate
 * over flat records. `kinds` and `indexed` are what the SQL side's `entityFields(kinds, indexed)` got; they only
 * matter for records that drift from their schema. `true`/`false` (access row filters) match all/no records.
 */
export function compileMatcher(
  filter: unknown,
  kinds: FieldKinds = unknownKinds,
  indexed: ReadonlySet<string> = new Set(),
): Matcher {
  if (filter === true || filter === undefined || filter === null) return () => true;
  if (filter === false) return () => false;
  const predicate = new MatcherCompiler(entityResolver(kinds, indexed)).query(filter, 0);
  return (record) => predicate(record);
}

/** Whether `record` matches `filter`; see {@link compileMatcher} (compile once when matching many records). */
export function matchesFilter(
  filter: unknown,
  record: Record<string, unknown>,
  kinds?: FieldKinds,
  indexed?: ReadonlySet<string>,
): boolean {
  return compileMatcher(filter, kinds, indexed)(record);
}

// ---------------------------------------------------------------------------------------------------------------
// Values as PostgreSQL sees them. `undefined` is SQL NULL (a missing field); `null` is JSON null.

/** Keys of a flat record that are not in its `data` column: the SQL reads them from columns or not at all. */
const RECORD_BUILTINS = new Set(['id', 'created_date', 'updated_date', 'created_by', 'created_by_id', 'is_sample']);

type Pred = (root: unknown) => boolean;
type ValueTest = (value: unknown) => boolean;
type Op = RangeOperator;

const TRUE: Pred = () => true;
const FALSE: Pred = () => false;

function holds(order: number, op: Op): boolean {
  switch (op) {
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
  }
}

/** jsonb equality: deep, numbers by value, object keys in any order. */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return a !== undefined;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b) || Array.isArray(b)) return false;
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEquals(a[k], b[k]));
  }
  return false;
}

/** Text order of the C collation: by code point (UTF-16 order differs only around surrogates). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) stand for code points above 0xFFFF: lift them over 0xE000-0xFFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

type Scalar = string | number | boolean;

function compareSameType(a: Scalar, b: Scalar): number {
  if (typeof a === 'string') return compareText(a, b as string);
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1;
  return a === b ? 0 : a ? 1 : -1;
}

/** Rank of a top-level jsonb value against a scalar (PostgreSQL's order; `[]` sorts below null, a quirk it keeps). */
function jsonbRank(value: unknown): number {
  if (value === null) return 0;
  if (Array.isArray(value)) return value.length === 0 ? -1 : 4;
  switch (typeof value) {
    case 'string':
      return 1;
    case 'number':
      return 2;
    case 'boolean':
      return 3;
    default:
      return 5;
  }
}

/** `value <op> bound` on jsonb, any type against a scalar. */
function jsonbCompare(value: unknown, bound: Scalar): number {
  const rank = jsonbRank(value);
  const boundRank = jsonbRank(bound);
  return rank !== boundRank ? rank - boundRank : compareSameType(value as Scalar, bound);
}

const mayBeArray = (kind: ValueKind) => kind === 'array' || kind === 'unknown';

// ---------------------------------------------------------------------------------------------------------------
// Timestamps: instants as microseconds since the epoch (BigInt: microseconds outgrow doubles past 2255).

const TIMESTAMP_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)?$/;

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Round half to even, as C's `rint` does. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** A timestamp (zone-less = UTC) as epoch microseconds, as PostgreSQL's `timestamptz` input reads it; undefined if not one. */
export function timestampMicros(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIMESTAMP_PARTS.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction, , sign, zh = '0', zm = '0'] = m;
  const seconds =
    daysFromCivil(Number(y), Number(mo), Number(d)) * 86400 +
    Number(h) * 3600 +
    Number(mi) * 60 +
    Number(s) -
    (sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 3600 + Number(zm) * 60));
  const micros = fraction === undefined ? 0 : rint(Number(fraction) * 1_000_000);
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

// ---------------------------------------------------------------------------------------------------------------
// Field references: where a path's values come from, as entityFields/valueFields resolve them.

type ColumnRef = { type: 'column'; column: ColumnType; name: string };
type JsonRef = {
  type: 'json';
  kind: ValueKind;
  /** The value at the path, `undefined` when absent (SQL NULL). */
  get: (root: unknown) => unknown;
  /** Equality is `data @> {...}` (not an expression on the path). */
  containment: boolean;
  /** Set when the path runs through an array: every value at the path, SQL/JSON lax mode. */
  candidates?: (root: unknown) => unknown[];
};
type Ref = ColumnRef | JsonRef;
interface Resolver {
  resolve(path: string): Ref;
}

function step(value: unknown, segment: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
}

/** `root->'a'->'b'`; from a record, the first step skips keys that are columns rather than `data`. */
function pathGetter(segments: string[], fromRecord: boolean): (root: unknown) => unknown {
  return (root) => {
    let value = root;
    for (let i = 0; i < segments.length; i++) {
      if (i === 0 && fromRecord && RECORD_BUILTINS.has(segments[0])) return undefined;
      value = step(value, segments[i]);
      if (value === undefined) return undefined;
    }
    return value;
  };
}

/** `jsonb_path_query(data, 'lax $."a"."b"')`: arrays met on the way are unwrapped one level; a final array is one value. */
function laxGetter(segments: string[]): (root: unknown) => unknown[] {
  return (root) => {
    let values: unknown[] = [root];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      if (i === 0 && RECORD_BUILTINS.has(segment)) return [];
      const next: unknown[] = [];
      for (const value of values) {
        if (Array.isArray(value)) {
          for (const element of value) {
            const found = step(element, segment);
            if (found !== undefined) next.push(found);
          }
        } else {
          const found = step(value, segment);
          if (found !== undefined) next.push(found);
        }
      }
      values = next;
    }
    return values;
  };
}

function entityResolver(kinds: FieldKinds, indexed: ReadonlySet<string>): Resolver {
  return {
    resolve(path) {
      const column = builtinColumn(path);
      if (column) return { type: 'column', column, name: path };
      const segments = splitPath(path);
      const kind = kinds(path);
      const throughArray = segments.slice(0, -1).some((_, i) => kinds(segments.slice(0, i + 1).join('.')) === 'array');
      const get = pathGetter(segments, true);
      if (throughArray) return { type: 'json', kind, get, containment: false, candidates: laxGetter(segments) };
      return { type: 'json', kind, get, containment: !indexed.has(path) };
    },
  };
}

function elementResolver(): Resolver {
  return {
    resolve(path) {
      return { type: 'json', kind: 'unknown', get: pathGetter(splitPath(path), false), containment: false };
    },
  };
}

/** The text or instant of a built-in column of a record; undefined for NULL. */
function columnGetter(ref: ColumnRef): (root: unknown) => string | bigint | undefined {
  if (ref.column === 'timestamp') return (root) => timestampMicros((root as Record<string, unknown>)[ref.name]);
  return (root) => {
    const value = (root as Record<string, unknown>)[ref.name];
    return typeof value === 'string' ? value : undefined;
  };
}

function compareColumn(a: string | bigint, b: string | bigint): number {
  if (typeof a === 'bigint') return a === b ? 0 : a < (b as bigint) ? -1 : 1;
  return compareText(a, b as string);
}

function all(preds: Pred[]): Pred {
  if (preds.length === 0) return TRUE;
  if (preds.length === 1) return preds[0];
  return (root) => {
    for (const p of preds) if (!p(root)) return false;
    return true;
  };
}

function any(preds: Pred[]): Pred {
  if (preds.length === 0) return FALSE;
  if (preds.length === 1) return preds[0];
  return (root) => {
    for (const p of preds) if (p(root)) return true;
    return false;
  };
}

const not =
  (pred: Pred): Pred =>
  (root) =>
    !pred(root);

/** The value test, or it on one of the elements when the value is an array. */
function orElement(test: ValueTest): ValueTest {
  return (value) => test(value) || (Array.isArray(value) && value.some(test));
}

class MatcherCompiler extends FilterWalker<Pred, Ref> {
  constructor(fields: Resolver, budget: WalkBudget = { conditions: 0 }) {
    super(fields, budget);
  }

  protected and(parts: Pred[]): Pred {
    return all(parts);
  }

  protected or(parts: Pred[]): Pred {
    return any(parts);
  }

  protected not(part: Pred): Pred {
    return not(part);
  }

  protected never(): Pred {
    return FALSE;
  }

  protected exists(ref: Ref): Pred {
    return this.at(ref, (value) => value !== undefined);
  }

  /** A positive test on the value(s) at a field: for columns, their value (undefined = NULL). */
  private at(ref: Ref, test: ValueTest): Pred {
    if (ref.type === 'column') {
      const get = columnGetter(ref);
      return (root) => test(get(root));
    }
    const { candidates, get } = ref;
    if (candidates) return (root) => candidates(root).some(test);
    return (root) => test(get(root));
  }

  protected isNull(ref: Ref): Pred {
    if (ref.type === 'column') {
      const get = columnGetter(ref);
      return (root) => get(root) === undefined;
    }
    const arrays = mayBeArray(ref.kind);
    const nullish: ValueTest = (v) => v === undefined || v === null || (arrays && Array.isArray(v) && v.includes(null));
    if (ref.candidates) return not(this.at(ref, (v) => !nullish(v)));
    return this.at(ref, nullish);
  }

  protected equalsValue(ref: Ref, value: unknown): Pred {
    return this.at(ref, this.equalsTest(ref, value));
  }

  private equalsTest(ref: Ref, value: unknown): ValueTest {
    if (ref.type === 'column') {
      const literal = this.columnValue(ref, value);
      return (v) => v !== undefined && v === literal;
    }
    const exact: ValueTest = (v) => jsonEquals(v, value);
    const inArray: ValueTest = (v) => Array.isArray(v) && v.some((e) => jsonEquals(e, value));
    if (typeof value === 'object' || !ref.containment) {
      return mayBeArray(ref.kind) ? (v) => exact(v) || inArray(v) : exact;
    }
    // `data @> {"f": value}` / `data @> {"f": [value]}`
    if (ref.kind === 'array') return inArray;
    if (ref.kind !== 'unknown') return exact;
    return (v) => exact(v) || inArray(v);
  }

  protected inValues(ref: Ref, values: unknown[]): Pred {
    return this.at(ref, this.inTest(ref, values));
  }

  private inTest(ref: Ref, values: unknown[]): ValueTest {
    if (ref.type === 'column') {
      const literals = values.map((v) => this.columnValue(ref, v));
      return (v) => v !== undefined && literals.includes(v as string | bigint);
    }
    const member: ValueTest = (v) => v !== undefined && values.some((p) => jsonEquals(v, p));
    return mayBeArray(ref.kind) ? orElement(member) : member;
  }

  protected range(ref: Ref, op: Op, value: unknown): Pred {
    return this.at(ref, this.rangeTest(ref, op, value));
  }

  private rangeTest(ref: Ref, op: Op, value: unknown): ValueTest {
    if (ref.type === 'column') {
      const literal = this.columnValue(ref, value);
      return (v) => v !== undefined && holds(compareColumn(v as string | bigint, literal), op);
    }
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      // Type-bracketed unless the schema's kind implies the bracket; then jsonb's cross-type order applies.
      const implied = ref.kind === typeof value;
      const test: ValueTest = implied
        ? (v) => v !== undefined && holds(jsonbCompare(v, value), op)
        : (v) => typeof v === typeof value && holds(compareSameType(v as Scalar, value), op);
      return mayBeArray(ref.kind) ? orElement(test) : test;
    }
    throw badRequest(`Range operators take a number, string or boolean, not ${JSON.stringify(value)?.slice(0, 40)}`);
  }

  protected regex(ref: Ref, pattern: string, options: string): Pred {
    const matches = postgresRegexTest(toPostgresRegex(pattern, options));
    if (ref.type === 'column') {
      // PostgreSQL has no `~` for timestamptz: the statement fails.
      if (ref.column === 'timestamp') throw badRequest(`$regex cannot be used on ${ref.name}`);
      return this.at(ref, (v) => typeof v === 'string' && matches(v));
    }
    const test: ValueTest = (v) => typeof v === 'string' && matches(v);
    return this.at(ref, mayBeArray(ref.kind) ? orElement(test) : test);
  }

  protected size(ref: Ref, size: number): Pred {
    return this.at(ref, (v) => Array.isArray(v) && v.length === size);
  }

  protected elemMatchValue(ref: Ref, condition: Record<string, unknown>, operators: boolean, depth: number): Pred {
    const inner = new MatcherCompiler(elementResolver(), this.budget);
    const self: JsonRef = { type: 'json', kind: 'unknown', get: (element) => element, containment: false };
    const holdsFor = operators ? inner.operators(self, condition, depth + 1) : inner.query(condition, depth + 1);
    return this.at(ref, (v) => Array.isArray(v) && v.some((element) => holdsFor(element)));
  }

  /** A built-in column's comparison value, checked as filter.ts checks it. */
  private columnValue(ref: ColumnRef, value: unknown): string | bigint {
    if (ref.column === 'timestamp') return timestampMicros(timestampValue(ref.name, value))!;
    if (typeof value !== 'string') {
      throw badRequest(`${ref.name} is compared with a string, not ${JSON.stringify(value)?.slice(0, 40)}`);
    }
    return value;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL ARE (as toPostgresRegex writes it) to a JavaScript RegExp with the same matches. Classes follow
// PostgreSQL under a C.UTF-8 ctype: exact for ASCII; for other characters, Unicode properties approximate glibc.

const SPACE = '\\t\\n\\v\\f\\r \\u1680\\u2000-\\u2006\\u2008-\\u200a\\u2028\\u2029\\u205f\\u3000';
const POSIX_CLASSES: Record<string, string> = {
  alpha: '\\p{L}',
  digit: '0-9',
  alnum: '\\p{L}0-9',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: SPACE,
  blank: ' \\t\\u1680\\u2000-\\u2006\\u2008-\\u200a\\u205f\\u3000',
  punct: '!-\\/:-@\\[-`{-~\\p{P}\\p{S}',
  cntrl: '\\p{Cc}',
  print: ' -~\\u00a0-\\u{10ffff}',
  graph: '!-~\\u00a1-\\u{10ffff}',
  xdigit: '0-9A-Fa-f',
  word: '\\p{L}0-9_',
};
const WORD = `[${POSIX_CLASSES.word}]`;
const CLASS_ESCAPES: Record<string, string> = { d: POSIX_CLASSES.digit, s: SPACE, w: POSIX_CLASSES.word };
const CHAR_ESCAPES: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };
const SURROGATE = /[\ud800-\udfff]/;
const SYNTAX = new Set('^$\\.*+?()[]{}|/');
const CLASS_SYNTAX = new Set('\\[]^-');

function invalidRegex(reason: string): never {
  throw badRequest(`Invalid regular expression: ${reason}`);
}

/** A code point as it may stand in a JavaScript `u` pattern, outside or inside a class. */
function literal(codePoint: number, inClass = false): string {
  const char = String.fromCodePoint(codePoint);
  if ((inClass ? CLASS_SYNTAX : SYNTAX).has(char)) return `\\${char}`;
  if (codePoint < 0x20 || codePoint === 0x7f || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
    return `\\u{${codePoint.toString(16)}}`;
  }
  return char;
}

/** The code point and its single-code-point lower and upper case (PostgreSQL's case-independent set). */
function caseVariants(codePoint: number): number[] {
  const char = String.fromCodePoint(codePoint);
  const out = new Set([codePoint]);
  for (const other of [char.toLowerCase(), char.toUpperCase()]) {
    const points = [...other];
    if (points.length === 1) out.add(points[0].codePointAt(0)!);
  }
  return [...out];
}

interface ClassItems {
  points: number[];
  ranges: [number, number][];
  classes: string[];
}

class RegexTranslator {
  private i = 0;
  private groups = 0;
  private readonly closedGroups = new Set<number>();
  /** Whether the atom just read is a constraint (matches no text), which cannot be repeated. */
  private constraint = false;
  private readonly caseless: boolean;
  private readonly expanded: boolean;
  private readonly newlineSensitive: boolean;
  private readonly lineAnchors: boolean;
  private readonly body: string;

  constructor(source: string) {
    const options = /^\(\?([a-z]*)\)/.exec(source);
    const flags = options ? options[1] : '';
    this.body = options ? source.slice(options[0].length) : source;
    this.caseless = flags.includes('i');
    this.expanded = flags.includes('x');
    const mode = flags.replace(/[ix]/g, '').slice(-1) || 'p';
    // p: `.` and `[^...]` skip newlines, `^`/`$` at the ends; n: also line anchors; s: neither; w: line anchors only.
    this.newlineSensitive = mode === 'p' || mode === 'n';
    this.lineAnchors = mode === 'n' || mode === 'w';
  }

  translate(): (text: string) => boolean {
    const source = this.sequence();
    if (this.i < this.body.length) invalidRegex('parentheses () not balanced');
    let anywhere: RegExp;
    let sticky: RegExp;
    try {
      // Letters are expanded to their cases already; `i` is only needed for back-references, which PostgreSQL
      // compares case-independently too.
      const flags = this.caseless && this.closedGroups.size > 0 && /\\[1-9]/.test(source) ? 'iu' : 'u';
      anywhere = new RegExp(source, flags);
      sticky = new RegExp(source, `${flags}y`);
    } catch (error) {
      return invalidRegex((error as Error).message);
    }
    return (text) => {
      if (!SURROGATE.test(text)) return anywhere.test(text);
      // V8 also tries matches starting inside a surrogate pair, where zero-width tests see lone halves
      // (PostgreSQL sees code points only): start at each code point instead.
      for (let i = 0; i <= text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) {
        sticky.lastIndex = i;
        if (sticky.test(text)) return true;
        if (i === text.length) break;
      }
      return false;
    };
  }

  private peek(offset = 0): string {
    return this.body[this.i + offset] ?? '';
  }

  private skipExpanded(): void {
    if (!this.expanded) return;
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.i++;
      } else if (c === '#') {
        while (this.i < this.body.length && this.body[this.i] !== '\n') this.i++;
      } else {
        return;
      }
    }
  }

  /** Alternatives up to an unmatched `)` or the end. */
  private sequence(): string {
    let out = '';
    for (;;) {
      this.skipExpanded();
      if (this.i >= this.body.length) return out;
      const c = this.peek();
      if (c === ')') return out;
      if (c === '|') {
        this.i++;
        out += '|';
        continue;
      }
      this.constraint = false;
      const atom = c === '(' ? this.group() : this.atom();
      const quantifier = this.quantifier();
      // PostgreSQL refuses to repeat a constraint (an anchor, a word boundary, a lookaround).
      if (quantifier !== '' && this.constraint) invalidRegex('quantifier operand invalid');
      out += atom + quantifier;
    }
  }

  private group(): string {
    this.i++;
    let open = '(';
    const lookaround = /^\?<?[=!]/.test(this.body.slice(this.i, this.i + 3));
    if (this.peek() === '?') {
      const kinds = ['?:', '?=', '?!', '?<=', '?<!'];
      const kind = kinds.find((k) => this.body.startsWith(k, this.i));
      if (!kind) invalidRegex('invalid embedded option');
      open += kind;
      this.i += kind.length;
    }
    const number = open === '(' ? ++this.groups : 0;
    const inner = this.sequence();
    if (this.peek() !== ')') invalidRegex('parentheses () not balanced');
    this.i++;
    if (number > 0) this.closedGroups.add(number);
    this.constraint = lookaround;
    return `${open}${inner})`;
  }

  private quantifier(): string {
    this.skipExpanded();
    let out: string;
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      out = c;
    } else if (c === '{' && /[0-9]/.test(this.peek(1))) {
      const bound = /^\{(\d+)(,(\d*))?\}/.exec(this.body.slice(this.i));
      if (!bound) invalidRegex('braces {} not balanced');
      const min = Number(bound[1]);
      const max = bound[3] === undefined || bound[3] === '' ? undefined : Number(bound[3]);
      if (min > 255 || (max !== undefined && (max > 255 || max < min))) invalidRegex('invalid repetition count(s)');
      this.i += bound[0].length;
      out = bound[0];
    } else {
      return '';
    }
    if (this.peek() === '?') {
      this.i++;
      out += '?';
    }
    this.skipExpanded();
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /[0-9]/.test(this.peek(1)))) {
      invalidRegex('quantifier operand invalid');
    }
    return out;
  }

  private atom(): string {
    const c = this.body.codePointAt(this.i)!;
    const char = String.fromCodePoint(c);
    this.i += char.length;
    switch (char) {
      case '*':
      case '+':
      case '?':
        return invalidRegex('quantifier operand invalid');
      case '{':
        if (/[0-9]/.test(this.peek())) invalidRegex('quantifier operand invalid');
        return this.point(c);
      case '.':
        return this.newlineSensitive ? '[^\\n]' : '[\\s\\S]';
      case '^':
        this.constraint = true;
        return this.lineAnchors ? '(?<![^\\n])' : '^';
      case '$':
        this.constraint = true;
        return this.lineAnchors ? '(?![^\\n])' : '$';
      case '[':
        return this.bracket();
      case '\\':
        return this.escape();
      default:
        return this.point(c);
    }
  }

  /** One literal code point (all its cases when case-independent). */
  private point(codePoint: number): string {
    if (!this.caseless) return literal(codePoint);
    const variants = caseVariants(codePoint);
    return variants.length === 1 ? literal(codePoint) : `[${variants.map((v) => literal(v, true)).join('')}]`;
  }

  private hex(digits: number | undefined): number {
    const match = (digits === undefined ? /^[0-9A-Fa-f]+/ : new RegExp(`^[0-9A-Fa-f]{${digits}}`)).exec(this.body.slice(this.i));
    if (!match) invalidRegex('invalid escape \\ sequence');
    this.i += match[0].length;
    const value = parseInt(match[0], 16);
    if (value > 0x10ffff) invalidRegex('invalid escape \\ sequence');
    return value;
  }

  /** A character-entry escape after `\` (the letter already read), or undefined if `letter` is none. */
  private entryEscape(letter: string): number | undefined {
    if (Object.hasOwn(CHAR_ESCAPES, letter)) return CHAR_ESCAPES[letter];
    switch (letter) {
      case 'x':
        return this.hex(undefined);
      case 'u':
        return this.hex(4);
      case 'U':
        return this.hex(8);
      case 'c': {
        const next = this.body.codePointAt(this.i);
        if (next === undefined) invalidRegex('invalid escape \\ sequence');
        this.i += String.fromCodePoint(next).length;
        return next & 0x1f;
      }
      case '0': {
        const octal = /^[0-7]{0,2}/.exec(this.body.slice(this.i))![0];
        this.i += octal.length;
        return parseInt(`0${octal}`, 8);
      }
      default:
        return undefined;
    }
  }

  private escape(): string {
    if (this.i >= this.body.length) invalidRegex('invalid escape \\ sequence');
    const c = this.body.codePointAt(this.i)!;
    const char = String.fromCodePoint(c);
    this.i += char.length;
    if ('AZmMyY'.includes(char)) this.constraint = true;
    switch (char) {
      case 'd':
      case 's':
      case 'w':
        return `[${CLASS_ESCAPES[char]}]`;
      case 'D':
      case 'S':
      case 'W':
        return `[^${CLASS_ESCAPES[char.toLowerCase()]}]`;
      case 'A':
        return '(?<![\\s\\S])';
      case 'Z':
        return '(?![\\s\\S])';
      case 'm':
        return `(?<!${WORD})(?=${WORD})`;
      case 'M':
        return `(?<=${WORD})(?!${WORD})`;
      case 'y':
        return `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
      case 'Y':
        return `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;
    }
    if (/[1-9]/.test(char)) {
      // Only a group already closed can be referred back to.
      if (!this.closedGroups.has(Number(char))) invalidRegex('invalid backreference number');
      return `\\${char}`;
    }
    const entry = this.entryEscape(char);
    if (entry !== undefined) return this.point(entry);
    if (/[A-Za-z0-9]/.test(char)) invalidRegex('invalid escape \\ sequence');
    return this.point(c);
  }

  /** A bracket expression, `[` already read. */
  private bracket(): string {
    const items: ClassItems = { points: [], ranges: [], classes: [] };
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    let first = true;
    for (;;) {
      if (this.i >= this.body.length) invalidRegex('brackets [] not balanced');
      if (this.peek() === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      const start = this.bracketElement();
      if (typeof start === 'string') {
        items.classes.push(start);
        if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') invalidRegex('invalid character range');
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.i++;
        const end = this.bracketElement();
        if (typeof end === 'string' || end < start) invalidRegex('invalid character range');
        items.ranges.push([start, end]);
      } else {
        items.points.push(start);
      }
    }
    return this.classSource(items, negated);
  }

  /** One element inside brackets: a code point, or the source of a class (`[:alpha:]`, `\d`). */
  private bracketElement(): number | string {
    const c = this.body.codePointAt(this.i)!;
    const char = String.fromCodePoint(c);
    if (char === '[' && /[:.=]/.test(this.peek(1))) {
      const delimiter = this.peek(1);
      const close = this.body.indexOf(`${delimiter}]`, this.i + 2);
      if (close === -1) invalidRegex('brackets [] not balanced');
      const name = this.body.slice(this.i + 2, close);
      this.i = close + 2;
      if (delimiter === ':') {
        const key = this.caseless && (name === 'upper' || name === 'lower') ? 'alpha' : name;
        if (!Object.hasOwn(POSIX_CLASSES, key)) invalidRegex('invalid character class');
        return POSIX_CLASSES[key];
      }
      const points = [...name];
      if (points.length !== 1) invalidRegex('invalid collating element');
      return points[0].codePointAt(0)!;
    }
    this.i += char.length;
    if (char !== '\\') return c;
    if (this.i >= this.body.length) invalidRegex('invalid escape \\ sequence');
    const next = this.body.codePointAt(this.i)!;
    const nextChar = String.fromCodePoint(next);
    this.i += nextChar.length;
    if (nextChar === 'd' || nextChar === 's' || nextChar === 'w') return CLASS_ESCAPES[nextChar];
    const entry = this.entryEscape(nextChar);
    if (entry !== undefined) return entry;
    if (/[A-Za-z0-9]/.test(nextChar)) invalidRegex('invalid escape \\ sequence');
    return next;
  }

  private classSource(items: ClassItems, negated: boolean): string {
    let points = items.points;
    let ranges = items.ranges;
    if (this.caseless) {
      points = points.flatMap(caseVariants);
      ranges = ranges.flatMap(([from, to]) => {
        if (to - from > 20000) return [[from, to]] as [number, number][];
        const extra: [number, number][] = [];
        for (let cp = from; cp <= to; cp++) for (const v of caseVariants(cp)) if (v < from || v > to) extra.push([v, v]);
        return [[from, to] as [number, number], ...extra];
      });
    }
    const parts = [
      ...points.map((p) => literal(p, true)),
      ...ranges.map(([from, to]) => `${literal(from, true)}-${literal(to, true)}`),
      ...items.classes,
    ];
    if (negated && this.newlineSensitive) parts.push('\\n');
    return `[${negated ? '^' : ''}${parts.join('')}]`;
  }
}

/** A test matching what PostgreSQL's `text ~ source` matches (a 400 when PostgreSQL would refuse the expression). */
export function postgresRegexTest(source: string): (text: string) => boolean {
  return new RegexTranslator(source).translate();
}
