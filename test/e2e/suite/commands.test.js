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
      const hit = list.find(
        (i) =>
          h.labelOf(i).includes(w) || String(i.description || '').includes(w) || String(i.detail || '').includes(w),
      );
      if (hit) return hit;
    }
    return undefined;
  };
}

// Confirm warnings (the restore confirmation); leave information toasts ("Refresh archives"...) unanswered.
const confirmFirst = (msg, buttons, kind) =>
  kind !== 'warning'
    ? undefined
    : buttons.find((b) => !/cancel|no\b|don't|later/i.test(typeof b === 'string' ? b : b.title));

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
      await h.waitFor(() => callsOf('create').length > before, {
        what: 'a `clan backups create` call',
        timeoutMs: 20_000,
      });
    });
    const argv = callsOf('create').pop();
    assert.equal(
      argv[2],
      m.name,
      `created a backup of ${argv[2]}, not ${m.name} (prompts: ${JSON.stringify(calls.map((c) => c.kind))})`,
    );
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
    assert.ok(
      !calls.some((c) => c.kind === 'error'),
      `error shown: ${JSON.stringify(calls.filter((c) => c.kind === 'error'))}`,
    );
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
    await h
      .waitFor(
        async () => {
          labels = await collectLabels(provider, 4);
          return labels.some((row) => row.some(shown));
        },
        { what: `archive ${tail} in the tree`, timeoutMs: 20_000 },
      )
      .catch((e) => assert.fail(`${e.message}\ntree: ${JSON.stringify(labels)}`));
    const argv = callsOf('list').pop();
    assert.equal(argv[2], m.name);
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
  });

  test('"Restore backup" confirms, then runs `clan backups restore <machine> borgbackup <name> --flake <clan>`', async () => {
    // The listing before the pick names the provider (clan_lib/backups/list.py raises on the first failing provider).
    const listsBefore = callsOf('list').length;
    const m = client();
    const archive = archiveNameFor(m.name, m.jobs[0]);
    const before = callsOf('restore').length;
    const { calls } = await h.withPrompts({ pick: pickByLabel([archive, m.name]), confirm: confirmFirst }, async () => {
      await vscode.commands.executeCommand(h.commandId('restoreBackup'));
      await h.waitFor(() => callsOf('restore').length > before, {
        what: 'a `clan backups restore` call',
        timeoutMs: 20_000,
      });
    });
    const argv = callsOf('restore').pop();
    const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
    assert.deepEqual(positional.slice(0, 5), ['backups', 'restore', m.name, 'borgbackup', archive]);
    assertFlakeAfterSubcommand(argv, h.workspaceDir());
    const lists = callsOf('list').slice(listsBefore);
    assert.ok(
      lists.length > 0 && lists.every((l) => l.includes('--provider')),
      `listed without --provider: ${JSON.stringify(lists)}`,
    );
    assert.ok(
      calls.some((c) => c.kind === 'warning' && c.buttons.length > 0),
      'restore ran without asking for confirmation (showWarningMessage)',
    );
  });

  test('"Restore backup" does nothing when the confirmation is dismissed', async () => {
    const m = client();
    const archive = archiveNameFor(m.name, m.jobs[0]);
    const before = callsOf('restore').length;
    await h.withPrompts({ pick: pickByLabel([archive, m.name]), confirm: () => undefined }, async (calls) => {
      await vscode.commands.executeCommand(h.commandId('restoreBackup'));
      await h.waitFor(() => calls.some((c) => c.kind === 'warning'), {
        what: 'the restore confirmation (showWarningMessage)',
        timeoutMs: 20_000,
      });
    });
    assert.equal(callsOf('restore').length, before, 'clan backups restore ran although the confirmation was dismissed');
  });

  test('"Restart language server" brings the diagnostics back', async () => {
    const doc = await h.openClanNix();
    await vscode.commands.executeCommand(h.commandId('restartServer'));
    const ds = await h.waitForDiagnostics(doc.uri, (x) => x.length > 0, {
      what: 'diagnostics after the restart',
      timeoutMs: 30_000,
    });
    assert.ok(ds.length > 0);
  });

  test('"Show output" runs', async () => {
    await vscode.commands.executeCommand(h.commandId('showOutput'));
  });
});

// Issue #16 section 2: the client drives the real CLI as clan-core's source describes it. The fake clan's state file
// ($FAKE_CLAN_STATE) gets a localbackup provider whose disk is not mounted and a failed borg archive for this suite,
// and is put back afterwards.
suite('commands: the real CLI (issue #16)', () => {
  const fs = require('node:fs');
  const L0 = 'usb::/mnt/usb/snapshot.0';
  let api;
  let original;
  const stateFile = () => process.env.FAKE_CLAN_STATE;
  const failedArchive = (m) =>
    archiveNameFor(m.name, m.jobs[0]).replace('2026-01-02T01:00:00', '2026-01-03T01:00:00.failed');
  function patchState(f) {
    const state = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    f(state);
    fs.writeFileSync(stateFile(), JSON.stringify(state, null, 2));
  }
  function lastLog() {
    const lines = fs.readFileSync(process.env.FAKE_CLAN_LOG, 'utf8').trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
  }
  function logSince(n) {
    return fs
      .readFileSync(process.env.FAKE_CLAN_LOG, 'utf8')
      .trim()
      .split('\n')
      .slice(n)
      .map((l) => JSON.parse(l));
  }
  const logLength = () =>
    fs.existsSync(process.env.FAKE_CLAN_LOG)
      ? fs.readFileSync(process.env.FAKE_CLAN_LOG, 'utf8').trim().split('\n').length
      : 0;

  suiteSetup(async () => {
    await h.openClanNix();
    api = await h.activate();
    original = fs.readFileSync(stateFile(), 'utf8');
    const m = client();
    patchState((state) => {
      const machine = state.machines[m.name];
      machine.providers.borgbackup.archives.push(failedArchive(m));
      machine.providers.localbackup = {
        archives: [L0, 'usb::/mnt/usb/snapshot.1'],
        listError: 'mount: /mnt/usb: special device /dev/disk/by-label/usb does not exist.',
      };
    });
  });
  suiteTeardown(() => {
    if (original !== undefined) fs.writeFileSync(stateFile(), original);
  });

  test('"List backups" passes --provider, so an unmounted localbackup disk does not hide the borg archives; failed archives are marked', async () => {
    const m = client();
    const before = logLength();
    const outcome = await api.listBackups({ machine: m.name });
    assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
    const calls = logSince(before).filter((c) => c.argv[1] === 'list');
    assert.ok(calls.length > 0, 'no clan backups list call');
    for (const c of calls) {
      assert.ok(
        c.provider,
        `clan ${c.argv.join(' ')} lists without --provider: clan raises on the first provider that fails`,
      );
      assert.equal(c.argv[c.argv.indexOf('--provider') + 1], c.provider);
    }
    assert.ok(
      calls.some((c) => c.provider === 'borgbackup'),
      'borgbackup was not listed',
    );
    const failed = outcome.listing.archives.find((a) => a.name === failedArchive(m));
    assert.ok(
      failed,
      `the failed archive is not listed: ${JSON.stringify(outcome.listing.archives.map((a) => a.name))}`,
    );
    assert.equal(failed.failed, true);
    assert.equal(failed.time, '2026-01-03T01:00:00');
    // Sorted with the others by date ("Run backup now" above added archives of today's date).
    const times = outcome.listing.archives.map((a) => a.time);
    assert.ok(
      times.every((t) => t !== undefined),
      `undated archives: ${JSON.stringify(outcome.listing.archives)}`,
    );
    assert.deepEqual(times, [...times].sort().reverse(), 'the archives are not newest first');
    const provider = h.treeProviderFrom(api);
    let labels = [];
    await h
      .waitFor(
        async () => {
          labels = await collectLabels(provider, 4);
          return labels.some((row) => row[0] === '2026-01-03 01:00:00 (failed)');
        },
        { what: 'the failed archive in the tree', timeoutMs: 20_000 },
      )
      .catch((e) => assert.fail(`${e.message}\ntree: ${JSON.stringify(labels)}`));
  });

  test('"List backups" of the localbackup provider shows the first line of clan\'s error and a Show Output button', async () => {
    const m = client();
    let outcome;
    const { calls } = await h.withPrompts({}, async () => {
      outcome = await api.listBackups({ machine: m.name, provider: 'localbackup' });
    });
    assert.equal(outcome.status, 'failed');
    assert.equal(lastLog().provider, 'localbackup');
    const err = calls.find((c) => c.kind === 'error');
    assert.ok(err, `no error shown: ${JSON.stringify(calls)}`);
    assert.equal(
      err.message,
      'clan backups list failed: Failed to list backups for provider localbackup: localbackup-list exited with 1',
    );
    assert.ok(err.buttons.includes('Show Output'), `buttons: ${JSON.stringify(err.buttons)}`);
  });

  test('"Restore backup" of a localbackup name runs `clan backups restore <m> localbackup <target>::<dir>`', async () => {
    const m = client();
    let plan;
    const previous = api.setRestoreConfirmation(async (p) => {
      plan = p;
      return true;
    });
    try {
      const outcome = await api.restoreBackup({ machine: m.name, archive: L0, allStates: true });
      assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
    } finally {
      api.setRestoreConfirmation(previous);
    }
    const call = lastLog();
    assert.deepEqual(call.argv.slice(0, 5), ['backups', 'restore', m.name, 'localbackup', L0]);
    assert.equal(call.provider, 'localbackup');
    assertFlakeAfterSubcommand(call.argv, h.workspaceDir());
    assert.equal(plan.provider, 'localbackup');
    assert.match(plan.detail, /rsync -a/);
  });

  test("a failing restore shows the first meaningful line of clan's multi-line error, with Show Output", async () => {
    const m = client();
    const gone = archiveNameFor(m.name, m.jobs[0]).replace('2026-01-02', '2020-01-01');
    const previous = api.setRestoreConfirmation(async () => true);
    let outcome;
    let calls;
    try {
      ({ calls } = await h.withPrompts({}, async () => {
        outcome = await api.restoreBackup({ machine: m.name, archive: gone, allStates: true });
      }));
    } finally {
      api.setRestoreConfirmation(previous);
    }
    assert.equal(outcome.status, 'failed');
    assert.match(
      outcome.result.stderr,
      /^Restore failed for the following services:$/m,
      'the whole error is in the result (and the output channel)',
    );
    const err = calls.find((c) => c.kind === 'error');
    assert.ok(err, `no error shown: ${JSON.stringify(calls)}`);
    assert.match(
      err.message,
      /^clan backups restore failed: Restore failed for the following services: \w+: Archive \S+ does not exist\./,
    );
    assert.ok(err.buttons.includes('Show Output'));
  });

  test('a borgbackup client without clan.core.state has no job, and the tree says why', async () => {
    const doc = await h.openClanNix();
    const line = 'clan.core.state.home.folders = [ "/home" ];';
    const at = doc.getText().indexOf(line);
    assert.ok(at >= 0, `clan.nix has no "${line}"`);
    const provider = h.treeProviderFrom(api);
    try {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(
        doc.uri,
        new vscode.Range(doc.positionAt(at), doc.positionAt(at + line.length)),
        'services.openssh.enable = true;',
      );
      assert.ok(await vscode.workspace.applyEdit(edit));
      const desktop = () =>
        api
          .getModels()
          .flatMap((x) => x.machines)
          .find((x) => x.name === 'desktop');
      await h.waitFor(
        async () => {
          await api.refresh();
          const d = desktop();
          return d && d.hasState === 'no' && d.jobs.length === 0;
        },
        { what: 'desktop without state and jobs in the jobs model', timeoutMs: 30_000 },
      );
      assert.deepEqual(desktop().providers, []);
      let labels = [];
      await h
        .waitFor(
          async () => {
            labels = await collectLabels(provider, 3);
            return labels.some((row) => row[0] === 'No backup job: the machine has no clan.core.state');
          },
          { what: 'the reason in the tree', timeoutMs: 20_000 },
        )
        .catch((e) => assert.fail(`${e.message}\ntree: ${JSON.stringify(labels)}`));
    } finally {
      await h.restoreDocument(doc);
      await h.waitFor(
        async () => {
          await api.refresh();
          return (
            api
              .getModels()
              .flatMap((x) => x.machines)
              .find((x) => x.name === 'desktop')?.jobs.length > 0
          );
        },
        { what: "desktop's jobs back after restoring clan.nix", timeoutMs: 30_000 },
      );
    }
  });
});

async function collectLabels(provider, depth) {
  const out = [];
  async function visit(el, d) {
    if (d > depth) return;
    for (const c of (await provider.getChildren(el)) || []) {
      const item = await provider.getTreeItem(c);
      out.push([
        typeof item.label === 'string' ? item.label : item.label && item.label.label,
        item.description,
        item.tooltip && String(item.tooltip.value || item.tooltip),
      ]);
      if (item.collapsibleState) await visit(c, d + 1);
    }
  }
  await visit(undefined, 0);
  return out;
}
