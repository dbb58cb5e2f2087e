// The `homebase` command line: parses arguments, then calls one module. No business logic here.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { filesConfigFromEnv } from '../config/index.js';
import { importExportedApp } from '../project/index.js';
import { startDevServer, startSiteCommand } from '../server/index.js';
import { automationsCommand } from './automations.js';
import { CliContext, functionsCommand, secretsCommand } from './functions.js';
import { integrationsCommand } from './integrations.js';
import { siteCommand } from './site.js';

const USAGE = `Usage:
  homebase dev [project-dir] [--port 4400] [--host 127.0.0.1] [--database-url URL] [--site DIR | --no-site-command]
  homebase token --service [--dir D]
  homebase users create <email> --password <pw> [--role admin|user] [--full-name N] [--dir D]
  homebase import <exported-app-dir> [--out D]
  homebase secrets set NAME=VALUE... | list | delete NAME [--dir D]
  homebase functions list | logs <name> [--follow] | deployments <name> | activate <name> <id> [--dir D]
  homebase automations list | runs <name> [--logs] | pause <name> | resume <name> | run <name> [--function F] [--dir D]
  homebase integrations set <slug> --file spec.json | list | delete <slug> | calls [slug] [--limit N] [--dir D]
  homebase site deploy [folder] [--dir D]`;

class UsageError extends Error {}

interface DevFile {
  url: string;
  appId: string;
  serviceToken: string;
}

/** The running dev server's address and service token, from `<project>/.homebase/dev.json`. */
async function readDevFile(dir: string): Promise<DevFile> {
  const file = path.resolve(dir, '.homebase', 'dev.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevFile;
  } catch {
    throw new UsageError(`No running dev server found (${file} is missing); start one with: homebase dev ${dir}`);
  }
}

/** LLM_MODEL_ALIASES: a JSON object from the SDK's model names to the provider's, e.g. {"gpt_5_mini":"gpt-4.1-mini"}. */
function modelAliases(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw new UsageError('LLM_MODEL_ALIASES must be a JSON object, e.g. {"gpt_5_mini":"gpt-4.1-mini"}');
  }
}

/** AUTH_LIMIT_PER_IP / AUTH_LIMIT_PER_EMAIL: `attempts/seconds`, e.g. `30/60`. */
function attemptLimit(name: string, text: string | undefined): { attempts: number; windowSeconds: number } | undefined {
  if (!text) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new UsageError(`${name} must be attempts/seconds, e.g. 30/60`);
  return { attempts: Number(match[1]), windowSeconds: Number(match[2]) };
}

/** TRUST_PROXY: `true` (any proxy), or the proxies' addresses and CIDRs, comma-separated. */
function trustProxy(text: string | undefined): boolean | string | undefined {
  if (!text || text === 'false') return undefined;
  return text === 'true' ? true : text;
}

/** A positive whole number from the environment, or undefined when unset. */
function wholeNumber(name: string, text: string | undefined, min = 1): number | undefined {
  if (!text) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`${name} must be a whole number of at least ${min}`);
  return Number(text);
}

async function dev(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: env.PORT ?? '4400' },
      host: { type: 'string', default: env.HOST ?? '127.0.0.1' },
      'database-url': { type: 'string', default: env.DATABASE_URL },
      site: { type: 'string' },
      'no-site-command': { type: 'boolean', default: false },
    },
  });
  const server = await startDevServer({
    projectDir: positionals[0] ?? '.',
    port: values.port,
    host: values.host,
    databaseUrl: values['database-url'] || undefined,
    siteDir: values.site ? path.resolve(values.site) : undefined,
    logLevel: (env.LOG_LEVEL as 'info' | undefined) ?? 'info',
    smtpUrl: env.SMTP_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    mailFrom: env.MAIL_FROM || undefined,
    sendEmailLimit: env.SEND_EMAIL_PER_HOUR ? { attempts: Number(env.SEND_EMAIL_PER_HOUR), windowSeconds: 3600 } : undefined,
    trustProxy: trustProxy(env.TRUST_PROXY),
    authLimits: {
      perIp: attemptLimit('AUTH_LIMIT_PER_IP', env.AUTH_LIMIT_PER_IP),
      perEmail: attemptLimit('AUTH_LIMIT_PER_EMAIL', env.AUTH_LIMIT_PER_EMAIL),
    },
    automations: {
      maxAttempts: wholeNumber('AUTOMATION_MAX_ATTEMPTS', env.AUTOMATION_MAX_ATTEMPTS),
      concurrency: wholeNumber('AUTOMATION_CONCURRENCY', env.AUTOMATION_CONCURRENCY, 0),
    },
    files: filesConfigFromEnv(env),
    // Deno's own DENO_CERT, else the CA file Node is told to trust: functions download and call out through it.
    functions: {
      denoDir: env.HOMEBASE_DENO_DIR || undefined,
      caCertFile: env.DENO_CERT || env.NODE_EXTRA_CA_CERTS || undefined,
      // Comma-separated hosts, host:ports and CIDRs functions may not connect to, beyond the database and cloud metadata.
      denyNet: env.FUNCTIONS_DENY_NET ? env.FUNCTIONS_DENY_NET.split(',').map((entry) => entry.trim()).filter(Boolean) : undefined,
    },
    llm: {
      baseUrl: env.LLM_BASE_URL || undefined,
      apiKey: env.LLM_API_KEY || undefined,
      model: env.LLM_MODEL || undefined,
      aliases: modelAliases(env.LLM_MODEL_ALIASES),
      timeoutMs: env.LLM_TIMEOUT_MS ? Number(env.LLM_TIMEOUT_MS) : undefined,
    },
    images: { baseUrl: env.IMAGE_BASE_URL || undefined, apiKey: env.IMAGE_API_KEY || undefined, model: env.IMAGE_MODEL || undefined },
    integrations: { timeoutMs: env.INTEGRATION_TIMEOUT_MS ? Number(env.INTEGRATION_TIMEOUT_MS) : undefined },
  });
  process.stdout.write(`Homebase dev server for app ${server.appId}\n  URL:      ${server.url}\n  database: ${server.database}\n`);
  if (server.devMailbox) process.stdout.write(`  mail:     ${server.url}/_dev/mail (captured, not sent; set SMTP_URL to send)\n`);
  if (server.siteDir) process.stdout.write(`  site:     ${server.url}/ (from ${server.siteDir})\n`);
  // A built site was asked for, so the frontend's own dev server is not started.
  const runSite = !values.site && !values['no-site-command'] && server.site.serveCommand;
  const site = runSite
    ? startSiteCommand({ command: runSite, cwd: server.site.root, appId: server.appId, backendUrl: server.url, env, output: process.stdout })
    : undefined;
  if (runSite) process.stdout.write(`  frontend: ${runSite} (output prefixed [site])\n`);
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    await site?.stop();
    await server.close();
    process.exit(code);
  };
  // The two run as one: when the frontend's dev server ends, so does Homebase.
  site?.exited.then((code) => stop(code));
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { service: { type: 'boolean' }, dir: { type: 'string', default: '.' } } });
  if (!values.service) throw new UsageError('homebase token needs --service');
  process.stdout.write(`${(await readDevFile(values.dir)).serviceToken}\n`);
}

async function users(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      role: { type: 'string', default: 'user' },
      'full-name': { type: 'string' },
      dir: { type: 'string', default: '.' },
    },
  });
  const [action, email] = positionals;
  if (action !== 'create' || !email || !values.password) {
    throw new UsageError('homebase users create <email> --password <pw> [--role admin|user] [--full-name N] [--dir D]');
  }
  const server = await readDevFile(values.dir);
  const response = await fetch(`${server.url}/api/apps/${server.appId}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.serviceToken}` },
    body: JSON.stringify({ email, password: values.password, role: values.role, full_name: values['full-name'] }),
  });
  const body = (await response.json()) as { message?: string };
  if (!response.ok) throw new UsageError(`Could not create the user: ${body.message ?? response.status}`);
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

async function importCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('homebase import needs the exported app folder: homebase import <dir> [--out D]');
  const report = await importExportedApp(positionals[0], values.out);
  const section = (title: string, lines: string[], empty: string) =>
    `${title}\n${lines.length > 0 ? lines.map((line) => `  - ${line}`).join('\n') : `  ${empty}`}\n`;
  process.stdout.write(
    `Imported into ${report.root}\n` +
      section('Changed:', report.changes, 'nothing: the project was already in Homebase form') +
      section('Warnings:', report.warnings, 'none') +
      section('Secrets the functions read (homebase secrets set NAME=VALUE, or base44/.env):', report.secrets, 'none') +
      section('Integrations the app calls (configure their providers):', report.integrations, 'none') +
      `Run it: homebase dev ${path.relative(process.cwd(), report.root) || '.'}\n`,
  );
}

const cliContext: CliContext = {
  server: readDevFile,
  usage: (message) => new UsageError(message),
  write: (text) => process.stdout.write(text),
};

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'dev':
        return await dev(rest, env);
      case 'token':
        return await token(rest);
      case 'users':
        return await users(rest);
      case 'secrets':
        return await secretsCommand(rest, cliContext);
      case 'functions':
        return await functionsCommand(rest, cliContext);
      case 'automations':
        return await automationsCommand(rest, cliContext);
      case 'integrations':
        return await integrationsCommand(rest, cliContext);
      case 'site':
        return await siteCommand(rest, cliContext);
      case 'import':
        return await importCommand(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return;
      default:
        throw new UsageError(`Unknown command ${command}\n${USAGE}`);
    }
  } catch (error) {
    process.stderr.write(`homebase: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
