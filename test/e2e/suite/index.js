// Mocha runner inside the VS Code extension host: `run()` is what extensionTestsPath points at. Used by both
// test/e2e/runExtensionTests.mjs (code-server, offline) and test/e2e/vscode-test-electron.mjs (desktop VS Code).
//
// The extension host's console.log only reaches the browser console, so mocha's output is also teed to the file
// named by CLAN_TEST_LOG, and a JSON summary ({passes, failures, tests, failed: [titles]}) goes to CLAN_TEST_RESULTS.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const Mocha = require('mocha');

function tee(file) {
  if (!file) return;
  const Base = Mocha.reporters.Base;
  const original = Base.consoleLog;
  Base.consoleLog = (...args) => {
    try {
      fs.appendFileSync(file, `${util.format(...args)}\n`);
    } catch {
      /* the log is best effort */
    }
    original(...args);
  };
}

function run() {
  const logFile = process.env.CLAN_TEST_LOG;
  const resultsFile = process.env.CLAN_TEST_RESULTS;
  tee(logFile);
  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.CLAN_E2E_TEST_TIMEOUT ?? 45_000),
    slow: 5_000,
  });
  Mocha.reporters.Base.useColors = false;
  if (process.env.CLAN_E2E_GREP) mocha.grep(process.env.CLAN_E2E_GREP);

  // Run order matters a little: read-only checks first, then the quick fix (edits clan.nix), then the commands.
  const order = ['activation', 'diagnostics', 'language', 'tree', 'commands', 'quickfix', 'crash'];
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort((a, b) => {
      const ia = order.findIndex((o) => a.startsWith(o));
      const ib = order.findIndex((o) => b.startsWith(o));
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  return new Promise((resolve, reject) => {
    const failed = [];
    let runner;
    try {
      runner = mocha.run((failures) => {
        const stats = runner.stats ?? {};
        const summary = {
          passes: stats.passes ?? 0,
          failures: stats.failures ?? failures,
          pending: stats.pending ?? 0,
          tests: stats.tests ?? 0,
          durationMs: stats.duration,
          failed,
        };
        if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(summary, null, 2));
        if (logFile) fs.appendFileSync(logFile, `${summary.passes} passed, ${summary.failures} failed\n`);
        if (failures > 0) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
      runner.on('fail', (test, err) =>
        failed.push(`${test.fullTitle()}: ${String(err && err.message).split('\n')[0]}`),
      );
    } catch (err) {
      if (logFile) fs.appendFileSync(logFile, `suite crashed: ${err && err.stack}\n`);
      if (resultsFile)
        fs.writeFileSync(
          resultsFile,
          JSON.stringify({ passes: 0, failures: 1, tests: 1, failed: [`suite crashed: ${err}`] }),
        );
      reject(err);
    }
  });
}

module.exports = { run };
