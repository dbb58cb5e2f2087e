// `homebase secrets ...` and `homebase functions ...`: thin clients of a running dev server's management API,
// found through `<project>/.homebase/dev.json` like the other helpers.

import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevServerFile {
  url: string;
  appId: string;
  serviceToken: string;
}

export interface CliContext {
  server(dir: string): Promise<DevServerFile>;
  /** An error the CLI reports as a usage problem (exit code 2). */
  usage(message: string): Error;
  write(text: string): void;
}

const SECRETS_USAGE = 'homebase secrets set NAME=VALUE... | list | delete NAME [--dir D]';
const FUNCTIONS_USAGE = `homebase functions list [--dir D]
  homebase functions logs <name> [--follow] [--limit N] [--dir D]
  homebase functions deployments <name> [--dir D]
  homebase functions activate <name> <deployment-id> [--dir D]`;
const FOLLOW_INTERVAL_MS = 1000;

/** One management API call to the dev server as the service role; a refusal becomes a usage error with its message. */
export async function call<T>(ctx: CliContext, server: DevServerFile, method: string, apiPath: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}/api/apps/${server.appId}/${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${server.serviceToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await response.json()) as T & { message?: string };
  if (!response.ok) throw ctx.usage(`${method} ${apiPath.split('?')[0]} failed: ${parsed.message ?? response.status}`);
  return parsed;
}

export async function secretsCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string', default: '.' } } });
  const [action, ...rest] = positionals;
  const server = await ctx.server(values.dir);
  if (action === 'set' && rest.length > 0) {
    const pairs = rest.map((pair) => {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw ctx.usage(`Expected NAME=VALUE, got ${pair}`);
      return [pair.slice(0, equals), pair.slice(equals + 1)] as const;
    });
    await call(ctx, server, 'POST', 'secrets', Object.fromEntries(pairs));
    ctx.write(`Set ${pairs.map(([name]) => name).join(', ')}\n`);
  } else if (action === 'list' && rest.length === 0) {
    const secrets = await call<Record<string, string>>(ctx, server, 'GET', 'secrets');
    for (const name of Object.keys(secrets)) ctx.write(`${name}\n`);
  } else if (action === 'delete' && rest.length === 1) {
    await call(ctx, server, 'DELETE', `secrets?secret_name=${encodeURIComponent(rest[0])}`);
    ctx.write(`Deleted ${rest[0]}\n`);
  } else {
    throw ctx.usage(SECRETS_USAGE);
  }
}

interface LogLine {
  time: string;
  level: string;
  message: string;
  invocation_id: string | null;
  seq: number;
}

const formatLine = (line: LogLine) => `${line.time} ${line.level.padEnd(7)} ${line.invocation_id ?? '-'.repeat(24)} ${line.message}\n`;

/** `signal` ends `--follow` (tests); from a terminal, Ctrl-C does. */
export async function functionsCommand(args: string[], ctx: CliContext, signal?: AbortSignal): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string', default: '.' }, follow: { type: 'boolean', default: false }, limit: { type: 'string', default: '50' } },
  });
  const [action, name, deploymentId] = positionals;
  const server = await ctx.server(values.dir);
  const fn = name && encodeURIComponent(name);
  if (action === 'list') {
    const { functions } = await call<{ functions: { name: string; deployment_id: string }[] }>(ctx, server, 'GET', 'backend-functions');
    for (const f of functions) ctx.write(`${f.name}  ${f.deployment_id}\n`);
  } else if (action === 'logs' && name) {
    const recent = await call<LogLine[]>(ctx, server, 'GET', `functions-mgmt/${fn}/logs?order=desc&limit=${encodeURIComponent(values.limit)}`);
    recent.reverse().forEach((line) => ctx.write(formatLine(line)));
    let after = recent.at(-1)?.seq ?? 0;
    while (values.follow && !signal?.aborted) {
      await sleep(FOLLOW_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) break;
      const lines = await call<LogLine[]>(ctx, server, 'GET', `functions-mgmt/${fn}/logs?order=asc&limit=1000&after=${after}`);
      lines.forEach((line) => ctx.write(formatLine(line)));
      after = lines.at(-1)?.seq ?? after;
    }
  } else if (action === 'deployments' && name) {
    const { deployments } = await call<{ deployments: { id: string; state: string; live: boolean; source: string; created_date: string }[] }>(
      ctx,
      server,
      'GET',
      `backend-functions/${fn}/deployments`,
    );
    for (const d of deployments) ctx.write(`${d.live ? '*' : ' '} ${d.id}  ${d.created_date}  ${d.state.padEnd(17)} ${d.source}\n`);
  } else if (action === 'activate' && name && deploymentId) {
    await call(ctx, server, 'POST', `backend-functions/${fn}/deployments/${encodeURIComponent(deploymentId)}/activate`);
    ctx.write(`${name}: ${deploymentId} is live\n`);
  } else {
    throw ctx.usage(FUNCTIONS_USAGE);
  }
}
