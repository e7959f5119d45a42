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
      rows.push({ label: labelText(item), description: item.description, contextValue: item.contextValue, depth: d, element: child, item });
      if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None && item.collapsibleState !== undefined) await visit(child, d + 1);
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
    assert.ok(provider, 'activate() returns no object with getChildren/getTreeItem (expected e.g. { treeDataProvider })');
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
          if (!below.some((l) => l === job || l.startsWith(`${job} `))) return `job ${job} is not below machine ${m.name} (below it: ${below.join(', ')})`;
        }
      }
      return '';
    };
    await h.waitFor(async () => {
      rows = await walk(provider, 3);
      problem = check();
      return problem === '';
    }, { what: `tree items ${want.join(', ')}`, timeoutMs: 30_000 }).catch((e) => {
      assert.fail(`${e.message}\n${problem}\nitems:\n${rows.map((r) => `${'  '.repeat(r.depth)}${r.label}${r.description ? ` (${r.description})` : ''}`).join('\n')}`);
    });
  });
});
