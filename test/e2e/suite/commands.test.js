'use strict';
// The backup commands against the fake `clan` (test/fixtures/fake-clan/clan): the runner points
// clanBackups.clanPath at it and sets FAKE_CLAN_LOG (every call, one JSON line) and FAKE_CLAN_STATE (machines,
// providers, archives: written from expected.js's fakeClanState()).
//
// The commands are run exactly as from the palette (no arguments). Their prompts are answered by stubbing
// vscode.window.showQuickPick / showWarningMessage / showInformationMessage / showInputBox on the `vscode` API object
// the extension shares with this suite (see helpers.withPrompts): the machine and archive pickers pick the expected
// item by label, confirmations take the first non-cancel button.
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');
const h = require('./helpers');
const { DEMO_MACHINES, archiveNameFor } = require('./expected');

const client = () => {
  const m = DEMO_MACHINES.find((x) => (x.jobs || []).length > 0);
  assert.ok(m, 'test/e2e/suite/expected.js lists no backup client with jobs');
  return m;
};

/** A quick-pick answer: the first item whose label or detail equals one of `wanted`, else one that contains it. */
function pickByLabel(wanted) {
  return (items) => {
    const list = Array.isArray(items) ? items : [];
    const all = [...wanted, 'All providers', 'All states'];
    for (const w of all) {
      const hit = list.find((i) => h.labelOf(i) === w || i.detail === w);
      if (hit) return hit;
    }
    for (const w of all) {
      const hit = list.find((i) => h.labelOf(i).includes(w) || String(i.description || '').includes(w) || String(i.detail || '').includes(w));
      if (hit) return hit;
    }
    return undefined;
  };
}

// Confirm warnings (the restore confirmation); leave information toasts ("Refresh archives"...) unanswered.
const confirmFirst = (msg, buttons, kind) => kind !== 'warning' ? undefined : buttons.find((b) => !/cancel|no\b|don't|later/i.test(typeof b === 'string' ? b : b.title));

function callsOf(sub) {
  return h.fakeClanCalls().filter((a) => a[0] === 'backups' && a[1] === sub);
}

function assertFlakeAfterSubcommand(argv, ws) {
  const i = argv.indexOf('--flake');
  assert.ok(i > 1, `--flake must follow the subcommand: clan ${argv.join(' ')}`);
  assert.equal(path.resolve(argv[i + 1]), path.resolve(ws), `--flake ${argv[i + 1]} is not the workspace clan ${ws}`);
}

suite('commands', () => {
  suiteSetup(async () => {
    await h.openClanNix();
    await h.activate();
  });

  test('"Run backup now" runs `clan backups create <machine> --flake <clan>`', async () => {
    const m = client();
    const before = callsOf('create').length;
    const { calls } = await h.withPrompts({ pick: pickByLabel([m.name]), confirm: confirmFirst }, async () => {
      await vscode.commands.executeCommand(h.commandId('runBackup'));
      await h.waitFor(() => callsOf('create').length > before, { what: 'a `clan backups create` call', timeoutMs: 20_000 });
    });
    const argv = callsOf('create').pop();
    assert.equal(argv[2], m.name, `created a backup of ${argv[2]}, not ${m.name} (prompts: ${JSON.stringify(calls.map((c) => c.kind))})`);
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
    assert.ok(!calls.some((c) => c.kind === 'error'), `error shown: ${JSON.stringify(calls.filter((c) => c.kind === 'error'))}`);
  });

  test('"List backups" runs `clan backups list` and shows the archives it printed', async () => {
    const m = client();
    const archive = archiveNameFor(m.name, m.jobs[0]);
    const before = callsOf('list').length;
    const tail = archive.split('::').pop();
    const shown = (s) => typeof s === 'string' && (s.includes(tail) || s.includes(tail.replace('T', ' ')));
    let outcome;
    await h.withPrompts({ pick: pickByLabel([m.name]), confirm: confirmFirst }, async () => {
      outcome = await vscode.commands.executeCommand(h.commandId('listBackups'));
      await h.waitFor(() => callsOf('list').length > before, { what: 'a `clan backups list` call', timeoutMs: 20_000 });
    });
    if (outcome && typeof outcome === 'object' && outcome.listing) {
      const names = (outcome.listing.archives || []).map((a) => a.name);
      assert.ok(names.includes(archive), `the command parsed ${JSON.stringify(names)}, not ${archive}`);
    }
    // The archives then show in the tree, under the machine's job.
    const provider = h.treeProviderFrom(await h.activate());
    assert.ok(provider, 'no tree data provider exported by activate()');
    let labels = [];
    await h.waitFor(async () => {
      labels = await collectLabels(provider, 4);
      return labels.some((row) => row.some(shown));
    }, { what: `archive ${tail} in the tree`, timeoutMs: 20_000 }).catch((e) => assert.fail(`${e.message}\ntree: ${JSON.stringify(labels)}`));
    const argv = callsOf('list').pop();
    assert.equal(argv[2], m.name);
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
  });

  test('"Restore backup" confirms, then runs `clan backups restore <machine> borgbackup <name> --flake <clan>`', async () => {
    const m = client();
    const archive = archiveNameFor(m.name, m.jobs[0]);
    const before = callsOf('restore').length;
    const { calls } = await h.withPrompts({ pick: pickByLabel([archive, m.name]), confirm: confirmFirst }, async () => {
      await vscode.commands.executeCommand(h.commandId('restoreBackup'));
      await h.waitFor(() => callsOf('restore').length > before, { what: 'a `clan backups restore` call', timeoutMs: 20_000 });
    });
    const argv = callsOf('restore').pop();
    const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
    assert.deepEqual(positional.slice(0, 5), ['backups', 'restore', m.name, 'borgbackup', archive]);
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
    assert.ok(calls.some((c) => c.kind === 'warning' && c.buttons.length > 0), 'restore ran without asking for confirmation (showWarningMessage)');
  });

  test('"Restore backup" does nothing when the confirmation is dismissed', async () => {
    const m = client();
    const archive = archiveNameFor(m.name, m.jobs[0]);
    const before = callsOf('restore').length;
    await h.withPrompts({ pick: pickByLabel([archive, m.name]), confirm: () => undefined }, async (calls) => {
      await vscode.commands.executeCommand(h.commandId('restoreBackup'));
      await h.waitFor(() => calls.some((c) => c.kind === 'warning'), { what: 'the restore confirmation (showWarningMessage)', timeoutMs: 20_000 });
    });
    assert.equal(callsOf('restore').length, before, 'clan backups restore ran although the confirmation was dismissed');
  });

  test('"Restart language server" brings the diagnostics back', async () => {
    const doc = await h.openClanNix();
    await vscode.commands.executeCommand(h.commandId('restartServer'));
    const ds = await h.waitForDiagnostics(doc.uri, (x) => x.length > 0, { what: 'diagnostics after the restart', timeoutMs: 30_000 });
    assert.ok(ds.length > 0);
  });

  test('"Show output" runs', async () => {
    await vscode.commands.executeCommand(h.commandId('showOutput'));
  });
});

async function collectLabels(provider, depth) {
  const out = [];
  async function visit(el, d) {
    if (d > depth) return;
    for (const c of (await provider.getChildren(el)) || []) {
      const item = await provider.getTreeItem(c);
      out.push([typeof item.label === 'string' ? item.label : item.label && item.label.label, item.description, item.tooltip && String(item.tooltip.value || item.tooltip)]);
      if (item.collapsibleState) await visit(c, d + 1);
    }
  }
  await visit(undefined, 0);
  return out;
}
