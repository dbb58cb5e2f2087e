// Worker threads do not inherit the module hooks of the thread that starts them, so a TypeScript worker started
// from source (tests, benchmarks, tsx) would not load. Compiled code starts its worker file directly.

import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What to hand `new Worker()` for the worker module at `file`: itself, or for a `.ts` file a bootstrap loading it through tsx. */
export function workerEntry(file: URL): URL {
  if (!fileURLToPath(file).endsWith('.ts')) return file;
  // The package's ESM entry beside the CommonJS one `require` finds (a data: URL cannot resolve `tsx/esm/api` itself).
  const tsxApi = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/esm/api')), 'index.mjs');
  const bootstrap = `import { register } from ${JSON.stringify(pathToFileURL(tsxApi).href)}; register(); await import(${JSON.stringify(file.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
