#!/usr/bin/env node
// Mocha inside the real VS Code extension host (code-server 4.100.3 = VS Code 1.100.3), offline.
//
// The workbench URL's `payload` carries extensionDevelopmentPath (the repo: the extension is loaded from disk, no
// VSIX) and extensionTestsPath (test/e2e/suite/index.js). Headless chromium is the workbench client (code-server only
// starts an extension host for a connected client); the tests themselves run in the Node extension host with the
// real `vscode` API and the real language server child process. When the suite's run() settles, the workbench calls
// window.codeAutomationExit(code), which we expose with page.exposeFunction.
//
// Usage: node test/e2e/runExtensionTests.mjs [--tests <suite index.js>] [--ext <extension dir>] [--grep <re>]
//                                             [--timeout <ms>] [--verbose]
// Env: E2E_KEEP=1 keeps the temp run dir; E2E_VERBOSE=1 streams code-server output and the page console.
// Exit status: 0 when every test passed, 1 otherwise (including host problems and the global deadline).
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import {
  REPO_ROOT,
  DEMO_CLAN_DIR,
  FAKE_CLAN,
  assertHost,
  makeRunDir,
  writeUserSettings,
  prepareDemo,
  startCodeServer,
  cleanup,
  workbenchUrl,
  remoteUri,
} from './codeServer.mjs';
import { launchBrowser } from './browser.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const verbose = argv.includes('--verbose') || process.env.E2E_VERBOSE === '1';
const extDir = resolve(opt('--ext', REPO_ROOT));
const testsPath = resolve(opt('--tests', join(REPO_ROOT, 'test', 'e2e', 'suite', 'index.js')));
const grep = opt('--grep', process.env.CLAN_E2E_GREP ?? '');
const totalTimeoutMs = Number(opt('--timeout', process.env.E2E_TIMEOUT_MS ?? 240_000));

const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (m) => console.log(`[e2e ${stamp()}] ${m}`);

/** The setting that holds the clan executable path, read from the manifest (default clanBackups.clanPath). */
function clanPathSettingKey() {
  try {
    const pkg = JSON.parse(readFileSync(join(extDir, 'package.json'), 'utf8'));
    const confs = [pkg.contributes?.configuration ?? []].flat();
    for (const c of confs) {
      for (const key of Object.keys(c.properties ?? {})) {
        if (/\.clan(Path|Executable|Command|Binary)$/i.test(key)) return key;
      }
    }
  } catch {
    /* manifest unreadable: the suite reports it */
  }
  return 'clanBackups.clanPath';
}

async function main() {
  assertHost();
  for (const [what, p] of [
    ['test suite', testsPath],
    ['extension manifest', join(extDir, 'package.json')],
  ]) {
    if (!existsSync(p)) throw new Error(`${what} not found: ${p}`);
  }
  const warnings = [];
  if (!existsSync(join(extDir, 'dist', 'client.js'))) warnings.push('dist/client.js is missing (run `npm run build`)');
  if (!existsSync(join(extDir, 'dist', 'cli.js'))) warnings.push('dist/cli.js is missing (run `npm run build`)');
  if (!existsSync(DEMO_CLAN_DIR)) warnings.push(`examples/demo-clan is missing`);
  if (!existsSync(FAKE_CLAN)) warnings.push(`the fake clan ${FAKE_CLAN} is missing`);
  for (const w of warnings) say(`WARNING: ${w}; the tests that need it will fail`);

  const settingKey = clanPathSettingKey();
  const dirs = makeRunDir({ prefix: 'clan-e2e-mocha-' });
  const { fakeClanState } = createRequire(import.meta.url)('./suite/expected.js');
  const { workspace, clanExe, fakeClanLog, fakeClanStateFile } = prepareDemo(dirs, fakeClanState);
  const testLog = join(dirs.root, 'mocha.log');
  const resultsFile = join(dirs.root, 'mocha-results.json');
  writeFileSync(testLog, '');

  writeUserSettings(dirs, { [settingKey]: clanExe });

  const env = {
    FAKE_CLAN_LOG: fakeClanLog,
    FAKE_CLAN_STATE: fakeClanStateFile,
    // Also first on PATH, so `clan` resolves to the fake even where the setting is not read.
    PATH: `${dirname(clanExe)}:${process.env.PATH}`,
    CLAN_E2E: '1',
    CLAN_E2E_REPO: REPO_ROOT,
    CLAN_E2E_WORKSPACE: workspace,
    CLAN_E2E_FAKE_CLAN: clanExe,
    CLAN_E2E_CLAN_PATH_SETTING: settingKey,
    CLAN_TEST_LOG: testLog,
    CLAN_TEST_RESULTS: resultsFile,
    ...(grep ? { CLAN_E2E_GREP: grep } : {}),
  };

  let server;
  let browser;
  const pageLog = join(dirs.root, 'page-console.log');
  let exitCode = 1;
  let timer;
  try {
    say(`code-server starting (run dir ${dirs.root})`);
    server = await startCodeServer({
      dirs,
      trust: true,
      env,
      log: verbose ? (s) => process.stderr.write(`[cs] ${s}`) : undefined,
    });
    say(`code-server listening on ${server.url}`);
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (msg) => {
      const line = `[${msg.type()}] ${msg.text()}\n`;
      appendFileSync(pageLog, line);
      if (verbose) process.stderr.write(`[page] ${line}`);
    });
    page.on('pageerror', (err) => appendFileSync(pageLog, `[pageerror] ${err.stack ?? err}\n`));

    const exited = new Promise((res) => {
      page.exposeFunction('codeAutomationExit', (code) => {
        res(Number(code));
      });
    });
    const deadline = new Promise((res) => {
      timer = setTimeout(() => res('timeout'), Math.max(1_000, totalTimeoutMs - (Date.now() - t0)));
    });
    const serverDied = server.exited.then((info) => `code-server exited (${JSON.stringify(info)})`);

    const payload = [
      ['extensionDevelopmentPath', remoteUri(server, extDir)],
      ['extensionTestsPath', remoteUri(server, testsPath)],
    ];
    await page.goto(workbenchUrl(server, workspace, payload), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    say('workbench opened; waiting for the suite (codeAutomationExit)');
    const result = await Promise.race([exited, deadline, serverDied]);
    if (typeof result === 'number') {
      exitCode = result === 0 ? 0 : 1;
      say(`codeAutomationExit(${result})`);
    } else {
      say(`FAILED: ${result === 'timeout' ? `no codeAutomationExit within ${totalTimeoutMs} ms` : result}`);
    }
  } finally {
    clearTimeout(timer);
    const mochaOut = existsSync(testLog) ? readFileSync(testLog, 'utf8') : '';
    process.stdout.write('\n----- mocha (extension host) -----\n');
    process.stdout.write(mochaOut || '(no mocha output: the suite did not start; see the page console below)\n');
    process.stdout.write('----------------------------------\n');
    let results = null;
    if (existsSync(resultsFile)) {
      try {
        results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      } catch {
        /* partial write */
      }
    }
    if (exitCode !== 0 || !mochaOut) {
      const pl = existsSync(pageLog) ? readFileSync(pageLog, 'utf8') : '';
      // When mocha ran, its report is above: only show what the extension host said about activation/crashes.
      const filter = mochaOut
        ? /activat|Extension host|uncaught|pageerror|Cannot find module/i
        : /error|fail|exception|activat|clan/i;
      const interesting = pl.split('\n').filter((l) => filter.test(l) && !/open-vsx|vsda|ENOTFOUND|%c INFO/.test(l));
      process.stdout.write(
        `----- page console (filtered, last 60 of ${interesting.length}) -----\n${interesting.slice(-60).join('\n')}\n`,
      );
      if (server && exitCode !== 0)
        process.stdout.write(`----- code-server output (tail) -----\n${server.output().slice(-3000)}\n`);
    }
    if (existsSync(fakeClanLog))
      process.stdout.write(`----- fake clan calls -----\n${readFileSync(fakeClanLog, 'utf8')}\n`);
    await browser?.close();
    await cleanup(server, dirs);
    if (!results) {
      say(
        exitCode === 0
          ? 'no results file from the suite: counting it as a failure'
          : 'the suite did not report results',
      );
      results = { passes: 0, failures: 1, tests: 1, failed: ['extension-host suite did not report results'] };
      exitCode = 1;
    }
    if (results.failures > 0) exitCode = 1;
    if (process.env.E2E_RESULTS_OUT) writeFileSync(process.env.E2E_RESULTS_OUT, JSON.stringify(results));
    say(`extension-host suite: ${results.passes} passed, ${results.failures} failed`);
    summary = `${results.passes} passed, ${results.failures} failed`;
  }
  return exitCode;
}

let summary = '0 passed, 1 failed';
let code;
try {
  code = await main();
} catch (e) {
  console.error(`[e2e] ERROR: ${e?.stack ?? e}`);
  code = 1;
}
say(`done in ${stamp()}`);
console.log(summary);
process.exit(code);
