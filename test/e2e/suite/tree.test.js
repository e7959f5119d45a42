'use strict';
// The sidebar tree (clan → machines → jobs → archives), read through the TreeDataProvider that the client's
// activate() returns (`api.treeDataProvider` or any exported object with getChildren/getTreeItem): VS Code has no
// API to read another view's items, so the UI smoke test (uiSmoke.mjs) checks the rendered rows as well.
const assert = require('node:assert/strict');
const vscode = require('vscode');
const h = require('./helpers');
const { DEMO_MACHINES, jobUnit } = require('./expected');

const labelText = (item) => (typeof item.label === 'string' ? item.label : item.label ? item.label.label : '');

/** Walks the tree to `depth` levels, collecting {label, description, contextValue, depth, element}. */
async function walk(provider, depth) {
  const rows = [];
  async function visit(element, d) {
    if (d > depth) return;
    const children = (await provider.getChildren(element)) || [];
    for (const child of children) {
      const item = await provider.getTreeItem(child);
      rows.push({
        label: labelText(item),
        description: item.description,
        contextValue: item.contextValue,
        depth: d,
        element: child,
        item,
      });
      if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None && item.collapsibleState !== undefined)
        await visit(child, d + 1);
    }
  }
  await visit(undefined, 0);
  return rows;
}

suite('tree view', () => {
  let provider;
  suiteSetup(async () => {
    await h.openClanNix();
    const api = await h.activate();
    provider = h.treeProviderFrom(api);
  });

  test('activate() exposes the tree data provider for tests', () => {
    assert.ok(
      provider,
      'activate() returns no object with getChildren/getTreeItem (expected e.g. { treeDataProvider })',
    );
  });

  test('the manifest contributes the view in its own activity-bar container', () => {
    const c = h.MANIFEST.contributes || {};
    const containers = (c.viewsContainers && c.viewsContainers.activitybar) || [];
    assert.ok(containers.length > 0, 'no activity-bar views container');
    const views = (c.views && c.views[containers[0].id]) || [];
    assert.ok(views.length > 0, `no view in container ${containers[0].id}`);
  });

  test('machines and their backup jobs appear as tree items', async () => {
    assert.ok(provider, 'no tree data provider exported');
    assert.ok(DEMO_MACHINES.length > 0, 'test/e2e/suite/expected.js lists no DEMO_MACHINES');
    const want = DEMO_MACHINES.flatMap((m) => [m.name, ...(m.jobs || []).map(jobUnit)]);
    let rows = [];
    let problem = '';
    /** '' when every machine is there with its jobs below it, else what is missing. */
    const check = () => {
      for (const m of DEMO_MACHINES) {
        const mi = rows.findIndex((r) => r.label === m.name || r.label.startsWith(`${m.name} `));
        if (mi < 0) return `no machine item ${m.name}`;
        const end = rows.findIndex((r, i) => i > mi && r.depth <= rows[mi].depth);
        const below = rows.slice(mi + 1, end < 0 ? rows.length : end).map((r) => r.label);
        for (const job of (m.jobs || []).map(jobUnit)) {
          if (!below.some((l) => l === job || l.startsWith(`${job} `)))
            return `job ${job} is not below machine ${m.name} (below it: ${below.join(', ')})`;
        }
      }
      return '';
    };
    await h
      .waitFor(
        async () => {
          rows = await walk(provider, 3);
          problem = check();
          return problem === '';
        },
        { what: `tree items ${want.join(', ')}`, timeoutMs: 30_000 },
      )
      .catch((e) => {
        assert.fail(
          `${e.message}\n${problem}\nitems:\n${rows.map((r) => `${'  '.repeat(r.depth)}${r.label}${r.description ? ` (${r.description})` : ''}`).join('\n')}`,
        );
      });
  });

  test('a machine with uncovered data shows "Not backed up", and its inline action adds the state', async () => {
    const m = DEMO_MACHINES.find((x) => x.notBackedUp && x.notBackedUp.length);
    assert.ok(m, 'expected.js names no machine with notBackedUp');
    let rows = [];
    const uncovered = () => rows.filter((r) => r.contextValue && r.contextValue.startsWith('uncovered'));
    await h
      .waitFor(
        async () => {
          rows = await walk(provider, 4);
          return uncovered().length > 0;
        },
        { what: `a "Not backed up" item below ${m.name}`, timeoutMs: 30_000 },
      )
      .catch((e) => {
        assert.fail(
          `${e.message}\nitems:\n${rows.map((r) => `${'  '.repeat(r.depth)}${r.label} [${r.contextValue}]`).join('\n')}`,
        );
      });
    const parent = rows.find((r) => r.label === 'Not backed up');
    assert.ok(parent, 'no "Not backed up" item');
    assert.match(String(parent.description), new RegExp(m.notBackedUp[0]));
    const item = uncovered().find((r) => r.label === `services.${m.notBackedUp[0]}`);
    assert.ok(item, `no item services.${m.notBackedUp[0]}`);
    assert.equal(item.contextValue, 'uncovered.fixable');
    assert.match(String(item.description), /\/var\/lib\/gitea/);
    // The inline action is contributed for that item.
    const menus = (h.MANIFEST.contributes.menus || {})['view/item/context'] || [];
    const inline = menus.find(
      (x) => x.command === 'clanBackups.backUpService' && x.group && x.group.startsWith('inline'),
    );
    assert.ok(inline && /fixable/.test(inline.when), 'no inline backUpService action for fixable items');
    // Run it as the inline button does (the node is the argument), then the file holds the new state and the item goes.
    const uri = vscode.Uri.file(require('node:path').join(h.workspaceDir(), 'machines', m.name, 'configuration.nix'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const original = doc.getText();
    const applied = await vscode.commands.executeCommand('clanBackups.backUpService', item.element);
    assert.equal(applied, true, 'the fix was not applied');
    assert.match(
      doc.getText(),
      /clan\.core\.state\.gitea = \{\s*folders = \[ "\/var\/lib\/gitea" \];\s*preBackupScript = ''\s*systemctl stop gitea\.service/,
    );
    await h.waitFor(
      async () => {
        rows = await walk(provider, 4);
        return uncovered().length === 0;
      },
      { what: 'the "Not backed up" item to go once the state covers the data', timeoutMs: 30_000 },
    );
    // Leave the demo as it was for the suites after this one.
    const restore = new vscode.WorkspaceEdit();
    restore.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), original);
    assert.equal(await vscode.workspace.applyEdit(restore), true);
    await doc.save();
    assert.equal(doc.getText(), original);
  });
});
