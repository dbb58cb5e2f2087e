// The narrow database interface every module talks to; PGlite and PostgreSQL implement it alike.
// Only store/ writes SQL text; values always travel as parameters.

export type Row = Record<string, unknown>;

export interface Sql {
  query<T extends Row = Row>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Follows outbox writes on every node sharing this database: `onCommit` runs soon after each commit that wrote to
   * the outbox (commits close together may be announced once), `onListen` each time following (re)starts — again
   * after a lost connection, when announcements made meanwhile are gone, so callers re-read what they follow.
   * Resolves to a function that stops following.
   */
  followOutbox(onCommit: () => void, onListen: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Quotes an identifier that has already been validated against a strict pattern. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`Refusing to quote identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}
