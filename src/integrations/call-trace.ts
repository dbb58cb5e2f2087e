// The trace of integration calls (seed 003's data-transformation objects): what the app asked, what was sent on,
// what came back, bounded in size and with every stored credential value cut out, kept for a week.

import type { Principal } from '../auth/index.js';
import { HttpError } from '../errors.js';
import { CallKind, Database, integrationStore } from '../store/index.js';

export const MAX_TRACED_BODY_CHARS = 64 * 1024;
export const REDACTED = '[redacted]';
// Shorter values would mangle ordinary text; no real credential is this short.
const MIN_REDACTED_CHARS = 4;

export interface TraceLogger {
  error(fields: object, message: string): void;
}

/** The fields of one traced call that are known before it runs; `record` fills in the rest. */
export interface CallTrace {
  slug: string;
  kind: CallKind;
  operation: string;
  principal: Principal;
  input: unknown;
  /** Credential values to cut out of input and output. */
  secrets?: string[];
}

export interface CallOutcome {
  statusCode: number | null;
  /** `success`, `upstream_error`, or the code of the error the call ended with. */
  outcome: string;
  output: unknown;
}

export function callerOf(principal: Principal): Record<string, unknown> {
  if (principal.kind === 'user') return { kind: 'user', id: principal.userId, email: principal.email };
  if (principal.kind === 'service') {
    return principal.onBehalfOf ? { kind: 'service', on_behalf_of: principal.onBehalfOf.email } : { kind: 'service' };
  }
  return { kind: 'anonymous' };
}

/** A body as the trace keeps it: whole when small, else its first 64 KB of JSON text, marked truncated. */
export function boundedBody(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value) ?? 'null';
  if (text.length <= MAX_TRACED_BODY_CHARS) return value;
  return { truncated: true, size: text.length, text: text.slice(0, MAX_TRACED_BODY_CHARS) };
}

/** `value` with every occurrence of each secret (also inside longer strings) replaced. */
export function redact<T>(value: T, secrets: string[]): T {
  const cut = secrets.filter((secret) => secret.length >= MIN_REDACTED_CHARS);
  if (cut.length === 0 || value === undefined) return value;
  let text = JSON.stringify(value);
  // The JSON form of a secret (quotes and backslashes escaped) is what appears inside the JSON text.
  for (const secret of cut) text = text.split(JSON.stringify(secret).slice(1, -1)).join(REDACTED);
  return JSON.parse(text) as T;
}

export class CallTracer {
  constructor(
    private readonly db: Database,
    private readonly logger: TraceLogger,
  ) {}

  /** Runs `work` and traces it, also when it fails; a trace that cannot be written is logged, never the call's failure. */
  async traced<T>(appId: string, trace: CallTrace, work: () => Promise<{ result: T; outcome: CallOutcome }>): Promise<T> {
    const started = performance.now();
    try {
      const { result, outcome } = await work();
      await this.record(appId, trace, outcome, started);
      return result;
    } catch (error) {
      const coded = error instanceof HttpError;
      const output = { error: coded ? error.message : 'Internal error' };
      await this.record(appId, trace, { statusCode: null, outcome: coded ? error.code : 'internal', output }, started);
      throw error;
    }
  }

  private async record(appId: string, trace: CallTrace, outcome: CallOutcome, started: number): Promise<void> {
    const secrets = trace.secrets ?? [];
    try {
      await integrationStore.insertCall(this.db, appId, {
        slug: trace.slug,
        kind: trace.kind,
        operation: trace.operation,
        caller: callerOf(trace.principal),
        input: boundedBody(redact(trace.input, secrets)),
        output: boundedBody(redact(outcome.output, secrets)),
        statusCode: outcome.statusCode,
        outcome: outcome.outcome,
        durationMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      this.logger.error({ appId, slug: trace.slug, err: { message: (error as Error).message } }, 'integration call trace not written');
    }
  }

  /** The newest calls first, in the management API's shape. */
  async list(appId: string, query: { slug?: string; limit: number }) {
    const calls = await integrationStore.listCalls(this.db, appId, query);
    return calls.map((call) => ({
      id: call.id,
      slug: call.slug,
      kind: call.kind,
      operation: call.operation,
      caller: call.caller,
      input: call.input,
      output: call.output,
      status_code: call.statusCode,
      outcome: call.outcome,
      duration_ms: call.durationMs,
      created_date: call.createdDate,
    }));
  }

  prune(keepDays: number): Promise<void> {
    return integrationStore.pruneCalls(this.db, keepDays);
  }
}
