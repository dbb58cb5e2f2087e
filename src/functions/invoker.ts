// Calls a backend function: finds the live deployment a path reaches, gets its warm process, forwards the request
// with the identity headers `createClientFromRequest` reads, and hands back the response as it streams.

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Readable, Transform, finished } from 'node:stream';
import type { Authenticator, TokenService } from '../auth/index.js';
import { HttpError, notFound, payloadTooLarge } from '../errors.js';
import { Caller, Deployment, InvocationRecord, newId } from '../store/index.js';
import type { DeploymentService } from './deployments.js';
import type { FunctionLogs } from './logs.js';
import type { Launch, WorkerPool } from './pool.js';
import type { SecretService } from './secrets.js';
import { FunctionWorker, WorkerStartError } from './worker.js';

export const INVOCATION_HEADER = 'x-homebase-invocation-id';
const ORIGIN_HEADER = 'x-homebase-origin';
// Connection-level headers belong to one hop, not to the message.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);
const SERVICE_TOKEN_SECONDS = 15 * 60;
const SERVICE_TOKEN_REFRESH_SECONDS = 5 * 60;

export interface InvokerOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  /** This server's URL as function processes reach it (Base44-Api-Url). */
  apiUrl(): string;
}

export interface FunctionRequest {
  method: string;
  /** The path and query the caller sent, passed on unchanged. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Readable | null;
  /** The caller's origin (`http://host:port`), so the function sees the URL the caller used. */
  origin: string;
  /** Who the invocation record names, when Homebase itself calls (otherwise read from the Authorization header). */
  caller?: Caller;
  /** The id to give the invocation, when the caller must know it even if the call fails. */
  invocationId?: string;
}

/** A call Homebase makes itself (automations): who it is recorded as, and the invocation's id. */
export interface InternalCall {
  caller: Caller;
  invocationId: string;
}

/** How much of an internal call's answer is kept (enough for an error message). */
const INTERNAL_ANSWER_BYTES = 64 * 1024;

export interface FunctionResponse {
  invocationId: string;
  status: number;
  headers: OutgoingHttpHeaders;
  body: Readable;
}

export const functionTimeout = (seconds: number) =>
  new HttpError(504, 'function_timeout', `The function did not finish within ${seconds} s`);
export const functionUnavailable = (message: string) => new HttpError(502, 'function_unavailable', message);

export class FunctionInvoker {
  private readonly serviceTokens = new Map<string, { token: Promise<string>; refreshAt: number }>();

  constructor(
    private readonly deployments: DeploymentService,
    private readonly pool: WorkerPool,
    private readonly secrets: SecretService,
    private readonly logs: FunctionLogs,
    private readonly tokens: TokenService,
    private readonly authenticator: Authenticator,
    private readonly options: InvokerOptions,
  ) {}

  /** What a process of this deployment needs to start; the pool calls it on first use. */
  launch(appId: string, deployment: Deployment): Launch {
    return {
      deploymentId: deployment.id,
      appId,
      functionName: deployment.name,
      codeDir: () => this.deployments.codeDir(deployment),
      entryPath: this.deployments.entryPath(deployment),
      env: async () => ({ ...(await this.secrets.values(appId)), BASE44_APP_ID: appId, BASE44_API_URL: this.options.apiUrl() }),
    };
  }

  /** Runs the function that `functionPath` (`name` or `name/sub/path`) reaches. */
  async invoke(appId: string, functionPath: string, request: FunctionRequest): Promise<FunctionResponse> {
    const version = request.headers['base44-functions-version'];
    const deployment = await this.deployments.resolve(appId, functionPath, typeof version === 'string' ? version : undefined);
    if (!deployment) throw notFound(`Function ${functionPath.split('/')[0].slice(0, 100)} not found`);
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > this.options.maxBodyBytes) throw payloadTooLarge(`The request body is over ${this.options.maxBodyBytes} bytes`);

    const invocationId = request.invocationId ?? newId();
    const started = Date.now();
    const authorization = forwardedAuthorization(request.headers.authorization);
    const [caller, serviceToken] = await Promise.all([request.caller ?? this.caller(appId, authorization), this.serviceToken(appId)]);
    const finish = (status: number, outcome: InvocationRecord['outcome']) =>
      this.logs.record(appId, {
        id: invocationId,
        functionName: deployment.name,
        deploymentId: deployment.id,
        startedDate: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        status,
        outcome,
        caller,
      });

    let worker: FunctionWorker;
    try {
      worker = await this.pool.acquire(this.launch(appId, deployment));
    } catch (error) {
      if (!(error instanceof WorkerStartError)) throw error;
      this.logs.note(appId, deployment.name, invocationId, 'error', `the function failed to start: ${error.message}`);
      finish(502, 'unavailable');
      if (deployment.state !== 'erroring') await this.deployments.markErroring(appId, deployment.id);
      throw functionUnavailable(`The function ${deployment.name} failed to start: ${error.message.split('\n')[0]}`);
    }

    const headers = forwardedHeaders(request.headers);
    if (authorization) headers.authorization = authorization;
    headers['base44-app-id'] = appId;
    headers['base44-api-url'] = this.options.apiUrl();
    headers['base44-service-authorization'] = `Bearer ${serviceToken}`;
    if (typeof version === 'string' && version) headers['base44-functions-version'] = version;
    headers[INVOCATION_HEADER] = invocationId;
    headers[ORIGIN_HEADER] = request.origin;

    worker.active.add(invocationId);
    let timedOut = false;
    let response: IncomingMessage | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      this.logs.note(appId, deployment.name, invocationId, 'error', `timed out after ${this.options.timeoutMs} ms: the process was replaced`);
      // A busy loop blocks the whole process: only a new one serves the next calls.
      void this.pool.replace(worker);
      response?.destroy(functionTimeout(this.options.timeoutMs / 1000));
    }, this.options.timeoutMs);
    const done = (status: number, outcome: InvocationRecord['outcome']) => {
      clearTimeout(timer);
      worker.active.delete(invocationId);
      this.pool.release(worker);
      finish(status, outcome);
    };

    try {
      // A declared length was checked above; only a chunked body is counted as it streams.
      const body = request.body && request.headers['content-length'] === undefined ? limitBody(request.body, this.options.maxBodyBytes) : request.body;
      response = await worker.request(request.method, request.url, headers, body);
    } catch (error) {
      if (error instanceof HttpError) {
        done(error.status, 'error');
        throw error;
      }
      done(timedOut ? 504 : 502, timedOut ? 'timeout' : 'crashed');
      if (timedOut) throw functionTimeout(this.options.timeoutMs / 1000);
      // Its process may not have exited yet: the next call must not be handed to it.
      void this.pool.replace(worker);
      this.logs.note(appId, deployment.name, invocationId, 'error', `the function process failed: ${(error as Error).message}`);
      throw functionUnavailable(`The function ${deployment.name} stopped before answering`);
    }
    const status = response.statusCode ?? 502;
    // A stream cut short while its process lives on is the caller hanging up.
    const outcome = (error: Error | null | undefined) =>
      timedOut ? 'timeout' : error ? (worker.alive ? 'aborted' : 'crashed') : status >= 500 ? 'error' : 'ok';
    finished(response, (error) => done(status, outcome(error)));
    return { invocationId, status, headers: { ...responseHeaders(response.headers), [INVOCATION_HEADER]: invocationId }, body: response };
  }

  /**
   * Calls a function from inside Homebase: a JSON POST with the service role and no user, as automations run. Resolves
   * with the status and the start of the answer; rejects with the invoker's HttpError (not found, timeout, crash).
   */
  async call(appId: string, name: string, body: unknown, internal: InternalCall): Promise<{ status: number; text: string }> {
    const json = Buffer.from(JSON.stringify(body));
    const response = await this.invoke(appId, name, {
      method: 'POST',
      url: `/api/apps/${appId}/functions/${name}`,
      headers: { 'content-type': 'application/json', 'content-length': String(json.length) },
      body: Readable.from([json]),
      origin: this.options.apiUrl(),
      ...internal,
    });
    const kept: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (size < INTERNAL_ANSWER_BYTES) kept.push(chunk.subarray(0, INTERNAL_ANSWER_BYTES - size));
      size += chunk.length;
    }
    return { status: response.status, text: Buffer.concat(kept).toString('utf8') };
  }

  private async caller(appId: string, authorization: string | undefined): Promise<Caller> {
    if (!authorization) return { kind: 'anonymous' };
    try {
      const principal = await this.authenticator.authenticate(appId, authorization.slice('Bearer '.length));
      if (principal.kind === 'user') return { kind: 'user', id: principal.userId, email: principal.email };
      return { kind: principal.kind };
    } catch {
      return { kind: 'invalid' };
    }
  }

  /** A short-lived service token for the app, shared by its invocations and renewed well before it expires. */
  private serviceToken(appId: string): Promise<string> {
    const now = Date.now();
    let cached = this.serviceTokens.get(appId);
    if (!cached || cached.refreshAt <= now) {
      cached = {
        token: this.tokens.signService(appId, SERVICE_TOKEN_SECONDS),
        refreshAt: now + (SERVICE_TOKEN_SECONDS - SERVICE_TOKEN_REFRESH_SECONDS) * 1000,
      };
      this.serviceTokens.set(appId, cached);
    }
    return cached.token;
  }
}

/** The caller's token, only in the exact `Bearer <token>` form createClientFromRequest accepts. */
function forwardedAuthorization(header: string | undefined): string | undefined {
  const match = header ? /^Bearer ([^\s]+)$/.exec(header) : null;
  if (!match || match[1] === 'null' || match[1] === 'undefined') return undefined;
  return header;
}

/** The caller's headers minus connection headers and anything claiming to be Base44's or Homebase's. */
function forwardedHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'authorization') continue;
    if (name.startsWith('base44-') || name.startsWith('x-homebase-')) continue;
    headers[name] = value;
  }
  return headers;
}

function responseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  return headers;
}

/** Passes the body through, failing once it grows past the limit (chunked bodies announce no length). */
function limitBody(body: Readable, maxBytes: number): Readable {
  let seen = 0;
  return body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        callback(seen > maxBytes ? payloadTooLarge(`The request body is over ${maxBytes} bytes`) : null, chunk);
      },
    }),
  );
}
