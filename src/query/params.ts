// Collects bound parameters while a compiler writes SQL text, handing back their placeholders.
// Values never enter SQL text: every compiler asks this class for a `$n` instead.

export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * A JSON value bound as text, then cast. The explicit `::text` matters: postgres.js serialises a
   * parameter by the type the server infers, and would JSON-encode an already encoded string again.
   */
  json(value: unknown): string {
    return `${this.add(JSON.stringify(value))}::text::jsonb`;
  }

  /** An ISO date-time string, cast by the server (microseconds and zone-less UTC survive intact). */
  timestamp(value: string): string {
    return `${this.add(value)}::text::timestamptz`;
  }
}
