// Turns a MongoDB (PCRE-style) `$regex` with `$options` into an equivalent PostgreSQL ARE.
// Options become a leading embedded-options group; the few escapes whose meaning differs are rewritten.

/**
 * MongoDB's defaults are "`.` does not match a newline, `^`/`$` anchor at the ends of the text"
 * (PostgreSQL's `p`); `m` anchors at line ends too (`n`), `s` lets `.` match newlines (`s`), both is `w`.
 * A leading inline group such as `(?i)` is merged into the options, since PostgreSQL accepts one only.
 */
export function toPostgresRegex(pattern: string, options: string): string {
  let flags = options;
  let body = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    flags += inline[1];
    body = body.slice(inline[0].length);
  }
  const multiline = flags.includes('m');
  const dotAll = flags.includes('s');
  const mode = multiline ? (dotAll ? 'w' : 'n') : dotAll ? 's' : 'p';
  return `(?${flags.includes('i') ? 'i' : ''}${flags.includes('x') ? 'x' : ''}${mode})${translateEscapes(body)}`;
}

/** Outside brackets PCRE's `\b` `\B` `\z` are PostgreSQL's `\y` `\Y` `\Z` (`\b` is a backspace there). */
const OUTSIDE_BRACKETS: Record<string, string> = { b: '\\y', B: '\\Y', z: '\\Z' };

function translateEscapes(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      const next = body[i + 1];
      out += Object.hasOwn(OUTSIDE_BRACKETS, next) ? OUTSIDE_BRACKETS[next] : c + next;
      i += 2;
    } else if (c === '[') {
      const end = bracketEnd(body, i);
      out += body.slice(i, end);
      i = end;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Index just past the bracket expression opening at `start` (or the end of the text if unclosed). */
function bracketEnd(body: string, start: number): number {
  let i = start + 1;
  if (body[i] === '^') i += 1;
  if (body[i] === ']') i += 1; // a leading `]` is a literal
  while (i < body.length) {
    const c = body[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '[' && /[:.=]/.test(body[i + 1] ?? '')) {
      const close = body.indexOf(`${body[i + 1]}]`, i + 2);
      i = close === -1 ? body.length : close + 2;
    } else if (c === ']') {
      return i + 1;
    } else {
      i += 1;
    }
  }
  return body.length;
}
