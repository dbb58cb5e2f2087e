// `homebase integrations ...`: sets up, lists and removes an app's custom integrations and connectors, and shows
// their call trace, through a running dev server's management API (found like the other helpers).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliContext, call } from './functions.js';

const USAGE = `homebase integrations set <slug> --file spec.json [--dir D]
  homebase integrations list | delete <slug> | calls [slug] [--limit N] [--dir D]`;

interface IntegrationSummary {
  slug: string;
  kind: string;
  base_url: string | null;
  operations: string[];
}

interface TracedCall {
  created_date: string;
  slug: string;
  operation: string;
  outcome: string;
  status_code: number | null;
  duration_ms: number;
}

/** The spec file's JSON; an `openapi` given as a string names a JSON document next to it. */
async function readSpec(file: string, ctx: CliContext): Promise<Record<string, unknown>> {
  const readJson = async (name: string) => {
    try {
      return JSON.parse(await readFile(name, 'utf8')) as unknown;
    } catch (error) {
      throw ctx.usage(`Cannot read ${name} as JSON: ${(error as Error).message}`);
    }
  };
  const spec = await readJson(file);
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw ctx.usage(`${file} must hold a JSON object`);
  const fields = spec as Record<string, unknown>;
  if (typeof fields.openapi === 'string') fields.openapi = await readJson(path.resolve(path.dirname(file), fields.openapi));
  return fields;
}

export async function integrationsCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string', default: '.' }, file: { type: 'string' }, limit: { type: 'string', default: '20' } },
  });
  const [action, slug, ...extra] = positionals;
  if (extra.length > 0) throw ctx.usage(USAGE);
  const server = await ctx.server(values.dir);
  if (action === 'set' && slug && values.file) {
    const saved = await call<IntegrationSummary>(ctx, server, 'PUT', `integrations/${encodeURIComponent(slug)}`, await readSpec(values.file, ctx));
    ctx.write(`Set ${saved.slug} (${saved.kind}, ${saved.operations.length} operations)\n`);
  } else if (action === 'list' && !slug) {
    const integrations = await call<IntegrationSummary[]>(ctx, server, 'GET', 'integrations');
    for (const i of integrations) ctx.write(`${i.slug}  ${i.kind}  ${i.base_url ?? '-'}  ${i.operations.length} operations\n`);
  } else if (action === 'delete' && slug) {
    await call(ctx, server, 'DELETE', `integrations/${encodeURIComponent(slug)}`);
    ctx.write(`Deleted ${slug}\n`);
  } else if (action === 'calls') {
    const query = new URLSearchParams({ limit: values.limit, ...(slug ? { slug } : {}) });
    const calls = await call<TracedCall[]>(ctx, server, 'GET', `integrations/calls?${query}`);
    for (const c of calls.reverse()) {
      ctx.write(`${c.created_date}  ${c.slug}  ${c.operation}  ${c.outcome} ${c.status_code ?? '-'}  ${c.duration_ms} ms\n`);
    }
  } else {
    throw ctx.usage(USAGE);
  }
}
