#!/usr/bin/env node
// The whole e2e tier, as CI runs it (after `npm run build`; this script builds nothing):
//   1. the host check (scripts/e2e/install-host.sh --check). Without a complete host (code-server, Chromium) the
//      steps that need it are skipped with a loud line saying how to install it, and the skip is recorded for the
//      summary of scripts/run-tests.mjs (CLAN_TEST_SKIPS); with CI=true a missing host fails the run instead;
//   2. mocha inside the real extension host (runExtensionTests.mjs);
//   3. `vsce package` of the extension into a temp dir (packaging is part of what is tested; needs no host);
//   4. the UI smoke test with that VSIX (uiSmoke.mjs).
// Prints `N passed, N failed, N skipped` over all of it and exits 0 when nothing failed and something passed.
// Usage: node test/e2e/run-all.mjs [--update-screenshots] [--verbose]
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './codeServer.mjs';

const argv = process.argv.slice(2);
const passThrough = argv.filter((a) => a === '--verbose' || a === '--update-screenshots');
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const tmp = mkdtempSync(join(tmpdir(), 'clan-e2e-all-'));
let passed = 0;
let failed = 0;
const skipped = [];
const failures = [];
const timings = [];

function record(name, r) {
  passed += r.passes;
  failed += r.failures;
  for (const f of r.failed ?? []) failures.push(`${name}: ${f}`);
}

let current; // the step running now: a SIGTERM/SIGINT to this script is passed on, so it can tear down its host
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) current.kill(sig);
    else process.exit(1);
  });
}

/** Run a node script, streaming its output; its results come back through E2E_RESULTS_OUT. */
function runStep(name, script, args, timeoutMs) {
  return new Promise((resolve) => {
    const start = Date.now();
    const resultsOut = join(tmp, `${name}.json`);
    const child = spawn(process.execPath, [script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, E2E_RESULTS_OUT: resultsOut },
    });
    current = child;
    const timer = setTimeout(() => {
      console.log(`[e2e-all] ${name}: over its ${timeoutMs / 1000} s deadline, stopping it`);
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      timings.push(`${name} ${((Date.now() - start) / 1000).toFixed(1)} s`);
      let r;
      try {
        r = JSON.parse(readFileSync(resultsOut, 'utf8'));
      } catch {
        r = { passes: 0, failures: 1, failed: [`exited ${code ?? signal} without a results file`] };
      }
      if (code !== 0 && r.failures === 0) r = { ...r, failures: 1, failed: [`exited ${code ?? signal}`] };
      record(name, r);
      resolve(code === 0);
    });
  });
}

function finish() {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`\n[e2e-all] timings: ${timings.join(', ')}; total ${secs()} s`);
  if (failures.length) console.log(`[e2e-all] failed:\n  ${failures.join('\n  ')}`);
  if (skipped.length) console.log(`[e2e-all] SKIPPED (no e2e host): ${skipped.join(', ')}`);
  console.log(`${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const HOST_INSTALL = 'bash scripts/e2e/install-host.sh';

// 1. host check -------------------------------------------------------------------------------------------------
let hostMissing; // why the host check failed, when it did (outside CI)
{
  const start = Date.now();
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'e2e', 'install-host.sh'), '--check'], { encoding: 'utf8' });
  timings.push(`host check ${((Date.now() - start) / 1000).toFixed(1)} s`);
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0) {
    const why = (r.stderr || 'install-host.sh --check failed').trim().split('\n').pop();
    if (inCi) {
      console.log(
        `[e2e-all] the e2e host is incomplete (see above) and CI=true: failing; install it with: ${HOST_INSTALL}`,
      );
      record('host', { passes: 0, failures: 1, failed: [why] });
      finish();
    }
    hostMissing = why;
    console.log(
      `[e2e-all] !!! SKIPPED the extension-host and UI smoke tests: the e2e host is incomplete (see above); install it with: ${HOST_INSTALL}`,
    );
    if (process.env.CLAN_TEST_SKIPS) {
      const what = 'the e2e extension-host and UI smoke tests';
      const rec = {
        tool: 'the e2e host (code-server, Chromium)',
        install: HOST_INSTALL,
        optional: false,
        what,
        file: 'run-all.mjs',
      };
      appendFileSync(process.env.CLAN_TEST_SKIPS, JSON.stringify(rec) + '\n');
    }
  }
  const missingBuild = ['dist/client.js', 'dist/cli.js'].filter((p) => !existsSync(join(REPO_ROOT, p)));
  if (missingBuild.length) {
    console.log(
      `[e2e-all] not built: ${missingBuild.join(', ')} missing; run \`npm run build\` first (this script builds nothing)`,
    );
    record('build', { passes: 0, failures: 1, failed: [`missing ${missingBuild.join(', ')}`] });
    // Go on: the suites report exactly which tests need the build.
  }
}

// 2. mocha in the extension host ---------------------------------------------------------------------------------
if (hostMissing) skipped.push('extension-host');
else {
  console.log(`\n[e2e-all ${secs()}s] extension-host tests (runExtensionTests.mjs)`);
  await runStep(
    'extension-host',
    join(REPO_ROOT, 'test', 'e2e', 'runExtensionTests.mjs'),
    passThrough.filter((a) => a === '--verbose'),
    300_000,
  );
}

// 3. package the VSIX -----------------------------------------------------------------------------------------------
console.log(`\n[e2e-all ${secs()}s] vsce package`);
const vsix = join(tmp, 'clan-backups.vsix');
{
  const start = Date.now();
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const args = ['vsce', 'package', '--no-dependencies', '-o', vsix];
  if (process.env.E2E_VSCE_IGNORE_FILE) args.push('--ignoreFile', process.env.E2E_VSCE_IGNORE_FILE);
  else if (!existsSync(join(REPO_ROOT, '.vscodeignore'))) {
    console.log(
      '[e2e-all] WARNING: no .vscodeignore: the VSIX would take the whole tree (.cache/, node_modules/, tests)',
    );
  }
  // vsce would stop at a y/N prompt for these (no stdin in CI): allow them explicitly and say so.
  if (!manifest.repository) {
    // Without a repository vsce cannot turn README's relative links into absolute ones and refuses to package.
    args.push('--allow-missing-repository', '--no-rewrite-relative-links');
    console.log(
      '[e2e-all] note: package.json has no "repository"; packaging with --allow-missing-repository --no-rewrite-relative-links',
    );
  }
  if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => existsSync(join(REPO_ROOT, f)))) {
    args.push('--skip-license');
    console.log('[e2e-all] note: no LICENSE file; packaging with --skip-license');
  }
  const r = spawnSync('npx', ['--no-install', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
  timings.push(`vsce package ${((Date.now() - start) / 1000).toFixed(1)} s`);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
    .split('\n')
    .filter((l) => !/Unknown user config "nodedir"/.test(l))
    .join('\n');
  process.stdout.write(out);
  if (r.status === 0 && existsSync(vsix)) {
    record('package', { passes: 1, failures: 0 });
    console.log('PASS vsce package');
  } else {
    record('package', {
      passes: 0,
      failures: 1,
      failed: [`vsce package exited ${r.status ?? r.signal}: ${out.trim().split('\n').pop()}`],
    });
    console.log('FAIL vsce package');
  }
}

// 4. UI smoke with the VSIX ----------------------------------------------------------------------------------------
if (hostMissing) skipped.push('ui-smoke');
else if (existsSync(vsix)) {
  console.log(`\n[e2e-all ${secs()}s] UI smoke (uiSmoke.mjs)`);
  await runStep('ui-smoke', join(REPO_ROOT, 'test', 'e2e', 'uiSmoke.mjs'), [vsix, ...passThrough], 300_000);
} else {
  record('ui-smoke', { passes: 0, failures: 1, failed: ['not run: no VSIX'] });
}
finish();
