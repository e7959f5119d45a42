#!/usr/bin/env node
// The same extension-host suite (test/e2e/suite) on a desktop VS Code through @vscode/test-electron, for contributors
// with a display (or xvfb-run) and internet: test-electron downloads VS Code into .vscode-test/ unless
// VSCODE_EXECUTABLE (a desktop `code` binary) is given. It cannot run on the offline CI machine: use
// test/e2e/runExtensionTests.mjs (code-server) there.
//
// Usage: node test/e2e/vscode-test-electron.mjs [--version stable|insiders|1.100.0] [--grep <re>]
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { BASE_SETTINGS } from './codeServer.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};

const tmp = mkdtempSync(join(tmpdir(), 'clan-e2e-electron-'));
const workspace = join(tmp, 'demo-clan');
const userData = join(tmp, 'user-data');
const extensionsDir = join(tmp, 'extensions');
const fakeClanDir = join(REPO_ROOT, 'test', 'fixtures', 'fake-clan');
const fakeClan = join(fakeClanDir, 'clan');
const testLog = join(tmp, 'mocha.log');
const resultsFile = join(tmp, 'mocha-results.json');
const fakeClanLog = join(tmp, 'fake-clan.log');
const fakeClanStateFile = join(tmp, 'fake-clan-state.json');

let exitCode;
try {
  const example = join(REPO_ROOT, 'examples', 'demo-clan');
  if (existsSync(example)) cpSync(example, workspace, { recursive: true });
  else mkdirSync(workspace, { recursive: true });
  const { fakeClanState } = await import('./suite/expected.js').then((m) => m.default ?? m);
  if (typeof fakeClanState === 'function')
    writeFileSync(fakeClanStateFile, JSON.stringify(fakeClanState(workspace), null, 2));
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        ...BASE_SETTINGS,
        'clanBackups.clanPath': fakeClan,
        'security.workspace.trust.enabled': false,
      },
      null,
      2,
    ),
  );

  const options = {
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: join(REPO_ROOT, 'test', 'e2e', 'suite', 'index.js'),
    launchArgs: [
      workspace,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensionsDir,
      '--disable-extensions', // other installed extensions; the development extension still loads
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
    extensionTestsEnv: {
      FAKE_CLAN_LOG: fakeClanLog,
      FAKE_CLAN_STATE: fakeClanStateFile,
      PATH: `${fakeClanDir}:${process.env.PATH}`,
      CLAN_E2E: '1',
      CLAN_E2E_REPO: REPO_ROOT,
      CLAN_E2E_WORKSPACE: workspace,
      CLAN_E2E_FAKE_CLAN: fakeClan,
      CLAN_TEST_LOG: testLog,
      CLAN_TEST_RESULTS: resultsFile,
      ...(opt('--grep') ? { CLAN_E2E_GREP: opt('--grep') } : {}),
    },
  };
  if (process.env.VSCODE_EXECUTABLE) options.vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  else options.version = opt('--version', process.env.VSCODE_VERSION ?? 'stable');
  exitCode = await runTests(options);
} catch (e) {
  // runTests rejects when VS Code exits non-zero (a failing suite) or cannot be downloaded/started.
  console.error(`[vscode-test-electron] ${e?.message ?? e}`);
  exitCode = 1;
} finally {
  let summary = '0 passed, 1 failed';
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    summary = `${r.passes} passed, ${r.failures} failed`;
    if (r.failures > 0) exitCode = 1;
  } catch {
    exitCode = 1;
  }
  if (process.env.E2E_KEEP !== '1') rmSync(tmp, { recursive: true, force: true });
  console.log(summary);
}
process.exit(exitCode);
