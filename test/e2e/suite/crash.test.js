// The language server killed under the running extension: the client restarts it, the user is told once, and a crash
// loop ends with one more message instead of endless restarts. Runs last: it leaves a freshly restarted server.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const vscode = require('vscode');
const h = require('./helpers');

/** Pids of this extension host's child processes running our server bundle (`dist/cli.js lsp`), from /proc. */
function serverPids() {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name before it may contain spaces, so cut after ')'.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('dist/cli.js')) && argv.includes('lsp')) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The one running server process, once the client is running again and answers a request. */
async function runningServer(api, doc, notPid) {
  return h.waitFor(
    async () => {
      if (api.serverState() !== 'running') return undefined;
      const pids = serverPids().filter((p) => p !== notPid);
      if (pids.length !== 1) return undefined;
      const symbols = await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', doc.uri);
      return symbols && symbols.length > 0 ? pids[0] : undefined;
    },
    { timeoutMs: 30_000, what: 'a restarted language server that answers requests' },
  );
}

suite('crash recovery', () => {
  suiteSetup(function () {
    if (!fs.existsSync('/proc/self/stat')) {
      console.warn('SKIPPED crash recovery: finding the server process needs /proc (Linux)');
      this.skip();
    }
  });

  test('a killed server restarts with one message; after 5 crashes in 3 minutes it stays down with one more', async () => {
    const api = await h.activate();
    const doc = await h.openClanNix();
    await api.startServer();
    const messages = [];
    const previous = api.setCrashNotifier((m) => messages.push(m));
    try {
      let pid = await runningServer(api, doc);
      // Five crashes: each one restarted, and only the first told.
      for (let i = 1; i <= 5; i++) {
        process.kill(pid, 'SIGKILL');
        pid = await runningServer(api, doc, pid);
        assert.equal(messages.length, 1, `after crash ${i}: ${JSON.stringify(messages)}`);
      }
      assert.match(messages[0], /stopped unexpectedly and was restarted/);
      // The sixth within the window: no restart, one more message naming the way out.
      process.kill(pid, 'SIGKILL');
      await h.waitFor(() => messages.length === 2, { what: 'the give-up message' });
      assert.match(messages[1], /crashed 6 times in 3 minutes and was not restarted/);
      await h.waitFor(() => api.serverState() === 'stopped' && serverPids().length === 0, {
        what: 'the client to stay stopped',
      });
      // The documented way out starts it again, with the crash count reset.
      await vscode.commands.executeCommand(h.commandId('restartServer'));
      await runningServer(api, doc, pid);
      assert.equal(messages.length, 2);
    } finally {
      api.setCrashNotifier(previous);
    }
  });
});
