// Runs one backend function inside Deno: loads its entry, captures its handler and serves it on a unix socket.
// Talks to Homebase through stdout lines starting with \x1e (ready, failed, log lines tagged with their invocation).

import { AsyncLocalStorage } from 'node:async_hooks';

type Handler = (request: Request, info?: unknown) => Response | Promise<Response>;
type Level = 'debug' | 'info' | 'warning' | 'error';

const INVOCATION_HEADER = 'x-homebase-invocation-id';
const ORIGIN_HEADER = 'x-homebase-origin';
const [entryUrl, socketPath] = Deno.args;
const invocation = new AsyncLocalStorage<string>();
const encoder = new TextEncoder();
const stdout = Deno.stdout;

function send(message: Record<string, unknown>): void {
  const bytes = encoder.encode(`\x1e${JSON.stringify(message)}\n`);
  for (let written = 0; written < bytes.length; ) written += stdout.writeSync(bytes.subarray(written));
}

function format(args: unknown[]): string {
  return args.map((arg) => (typeof arg === 'string' ? arg : Deno.inspect(arg, { colors: false, depth: 6 }))).join(' ');
}

// Homebase cuts lines at 16 KB; cutting the message first keeps the line valid JSON.
const MAX_MESSAGE = 8 * 1024;

function log(level: Level, args: unknown[]): void {
  send({ t: 'log', i: invocation.getStore() ?? null, l: level, m: format(args).slice(0, MAX_MESSAGE) });
}

// Console output is kept per invocation: each line carries the id of the request whose code wrote it.
const levels: Record<string, Level> = { log: 'info', info: 'info', debug: 'debug', warn: 'warning', error: 'error', trace: 'debug' };
for (const [method, level] of Object.entries(levels)) {
  Object.defineProperty(console, method, { value: (...args: unknown[]) => log(level, args), writable: true, configurable: true });
}

let handler: Handler | undefined;
function captureServe(...args: unknown[]) {
  const [first, second] = args as [unknown, unknown];
  const candidate = typeof first === 'function' ? first : typeof second === 'function' ? second : (first as { handler?: unknown })?.handler;
  if (typeof candidate !== 'function') throw new TypeError('Deno.serve needs a handler');
  handler ??= candidate as Handler;
  // The function keeps a server object; Homebase's own server is the one that listens.
  return { finished: new Promise<void>(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: { transport: 'unix', path: socketPath } };
}
// Deno.serve is an accessor in recent Deno versions: plain assignment throws.
const realServe = Deno.serve.bind(Deno);
Object.defineProperty(Deno, 'serve', { value: captureServe, writable: true, configurable: true });

const pending = new Set<Promise<unknown>>();
Object.defineProperty(globalThis, 'Base44', {
  value: {
    secrets: { get: (name: string) => Deno.env.get(name) },
    waitUntil(promise: Promise<unknown>) {
      const tracked = Promise.resolve(promise)
        .catch((error) => log('error', ['waitUntil task failed:', error]))
        .finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
  },
});

// A stray rejection or timer error is logged against its invocation; it does not take the other requests down.
globalThis.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  log('error', ['Unhandled promise rejection:', event.reason]);
});
globalThis.addEventListener('error', (event) => {
  event.preventDefault();
  log('error', ['Uncaught error:', event.error ?? event.message]);
});

function defaultExport(module: Record<string, unknown>): Handler | undefined {
  const exported = module.default as { fetch?: unknown } | undefined;
  if (typeof exported === 'function') return exported as Handler;
  if (exported && typeof exported.fetch === 'function') return (exported.fetch as Handler).bind(exported);
  return undefined;
}

try {
  const module = await import(entryUrl);
  handler ??= defaultExport(module);
} catch (error) {
  send({ t: 'failed', m: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  Deno.exit(1);
}
if (!handler) {
  send({ t: 'failed', m: 'The function neither calls Deno.serve(handler) nor exports a default handler' });
  Deno.exit(1);
}

/** The request as the caller sent it to Homebase: its origin instead of the socket's, without Homebase's own headers. */
function callerRequest(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.delete(INVOCATION_HEADER);
  headers.delete(ORIGIN_HEADER);
  const url = new URL(request.url);
  const origin = request.headers.get(ORIGIN_HEADER) ?? 'http://localhost';
  // Not copying `signal`: reading it makes Deno warn about its legacy abort semantics on every process.
  return new Request(`${origin}${url.pathname}${url.search}`, { method: request.method, headers, body: request.body });
}

async function serve(request: Request, info: unknown): Promise<Response> {
  const id = request.headers.get(INVOCATION_HEADER) ?? '';
  return invocation.run(id, async () => {
    try {
      return await handler!(callerRequest(request), info);
    } catch (error) {
      log('error', [error]);
      return Response.json(
        { message: 'The function threw an error; see its logs', code: 'function_error', invocation_id: id },
        { status: 500 },
      );
    }
  });
}

realServe({ path: socketPath, onListen: () => send({ t: 'ready' }) }, serve);
