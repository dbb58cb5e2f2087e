// Deno for the function suites: one module cache for every test run, warmed once with the real @base44/sdk.
// Offline runs work as long as an earlier run cached it.

import path from 'node:path';
import { cacheModules } from '../../src/functions/index.js';
import { REPO_ROOT } from './server.js';

export const TEST_DENO_DIR = path.join(REPO_ROOT, 'node_modules/.cache/homebase-deno');
export const SDK_MODULE = 'npm:@base44/sdk@0.8';

/** The CA file Deno needs where TLS is re-signed (as the CLI reads it). */
export const TEST_CA_CERT_FILE = process.env.DENO_CERT ?? process.env.NODE_EXTRA_CA_CERTS;

export async function warmDenoCache(): Promise<void> {
  const result = await cacheModules(TEST_DENO_DIR, [SDK_MODULE], TEST_CA_CERT_FILE);
  if (!result.ok) throw new Error(`Could not cache ${SDK_MODULE} in ${TEST_DENO_DIR} (offline with a cold cache?):\n${result.output}`);
}
