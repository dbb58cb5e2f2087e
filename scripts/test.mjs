// `npm test`: builds the CLI, type-checks, lints, then runs every vitest suite (PGlite, and PostgreSQL
// where reachable). Ends with one plain line "N passed, N failed" that CI reads.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

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

// The hosted login pages are tested in Debian's Chromium (test/integration/login-page.test.ts, which skips without it
// except under CI). Installed here because nothing else puts it on a fresh machine.
const CHROMIUM = '/usr/bin/chromium';
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    process.env.DEBIAN_FRONTEND ??= 'noninteractive';
    const install = ['install', '-y', '--no-install-recommends', 'chromium'];
    // A fresh machine may have no package lists yet.
    if (!run('chromium', 'apt-get', install) && run('apt package lists', 'apt-get', ['update'])) run('chromium', 'apt-get', install);
  }
  if (existsSync(CHROMIUM)) return;
  const reason = asRoot ? 'apt-get could not install the chromium package' : 'not running as root, so apt-get cannot install chromium';
  if (process.env.CI === 'true') {
    process.stdout.write(`\nCI=true requires ${CHROMIUM} for the login page tests, and ${reason}.\n`);
    failed++;
  } else {
    process.stdout.write(`\nThe login page tests will be skipped: ${CHROMIUM} is missing and ${reason}.\n`);
  }
}
ensureChromium();

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

if (skipped) process.stdout.write(`\n${skipped} skipped`);
// CI reads this last line exactly as it is.
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
