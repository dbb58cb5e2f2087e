// `homebase site deploy [folder]`: packs the built site the way the official CLI does (a gzipped tarball with the
// folder itself as its root) and uploads it to the running dev server's `deploy-dist`.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { create as createTar } from 'tar';
import { loadProject } from '../project/index.js';
import type { CliContext } from './functions.js';

const SITE_USAGE = 'homebase site deploy [folder] [--dir D]   (folder: the project\'s site.outputDirectory, dist/ by default)';

async function packed(folder: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd: folder, portable: true }, ['.'])) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function siteCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string', default: '.' } } });
  const [action, given, ...extra] = positionals;
  if (action !== 'deploy' || extra.length > 0) throw ctx.usage(SITE_USAGE);
  const folder = given ? path.resolve(given) : (await loadProject(values.dir)).site.outputDirectory;
  if (!existsSync(path.join(folder, 'index.html'))) throw ctx.usage(`No index.html in ${folder}: build the site first`);
  const server = await ctx.server(values.dir);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await packed(folder))]), 'dist.tar.gz');
  const response = await fetch(`${server.url}/api/apps/${server.appId}/deploy-dist`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.serviceToken}` },
    body: form,
  });
  const answer = (await response.json()) as { message?: string; app_url?: string; deployment_id?: string; files?: number; bytes?: number };
  if (!response.ok) throw ctx.usage(`Site upload refused: ${answer.message ?? response.status}`);
  ctx.write(`Deployed ${answer.files} files (${answer.bytes} bytes) as ${answer.deployment_id}: ${answer.app_url}\n`);
}
