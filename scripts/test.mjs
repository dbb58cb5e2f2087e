// `npm test`: builds the CLI, type-checks, lints, then runs every vitest suite (PGlite, and PostgreSQL
// where reachable). Ends with one plain line "N passed, N failed" that CI reads.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.vitest-results.json';
let passed = 0;
let failed = 0;
let skipped = 0;

function run(label, command, args) {
  process.stdout.write(`\n== ${label}: ${command} ${args.join(' ')}\n`);
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  return status === 0;
}

for (const [label, args] of [
  ['build', ['tsc', '-p', 'tsconfig.build.json']],
  ['typecheck', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', ['eslint', '.']],
]) {
  if (run(label, 'npx', args)) passed++;
  else failed++;
}

rmSync(results, { force: true });
run('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)]);
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numTotalTestSuites > 0 && report.success === false && report.numFailedTests === 0 ? 1 : 0);
  skipped += report.numPendingTests + report.numTodoTests;
} catch {
  process.stdout.write('The test runner produced no report: counting the run as one failure.\n');
  failed++;
}

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
