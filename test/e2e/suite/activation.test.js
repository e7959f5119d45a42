'use strict';
const assert = require('node:assert/strict');
const vscode = require('vscode');
const h = require('./helpers');

// The commands the README documents, by the last segment of their id (category "Clan Backups").
const DOCUMENTED = ['runBackup', 'listBackups', 'restoreBackup', 'restartServer', 'showOutput'];

suite('activation', () => {
  test('the extension is loaded from the development path and activates', async () => {
    const ext = h.getExtension();
    assert.equal(ext.packageJSON.name, h.MANIFEST.name);
    await h.activate();
    assert.ok(ext.isActive);
  });

  test('runs in a Node extension host of VS Code >= engines.vscode', async () => {
    assert.ok(process.versions.node, 'not a Node extension host');
    const [maj, min] = vscode.version.split('.').map(Number);
    const want = /(\d+)\.(\d+)/.exec(h.MANIFEST.engines.vscode);
    assert.ok(
      maj > Number(want[1]) || (maj === Number(want[1]) && min >= Number(want[2])),
      `VS Code ${vscode.version} < ${h.MANIFEST.engines.vscode}`,
    );
  });

  test('the manifest contributes the documented commands under the "Clan Backups" category', () => {
    const cmds = (h.MANIFEST.contributes && h.MANIFEST.contributes.commands) || [];
    assert.ok(cmds.length > 0, 'package.json contributes no commands');
    for (const name of DOCUMENTED) {
      const id = h.commandId(name);
      const c = cmds.find((x) => x.command === id);
      assert.ok(c, `no contributed command for ${name} (looked for ${id})`);
      assert.equal(c.category, 'Clan Backups', `${id} has category ${c.category}`);
    }
  });

  test('every contributed command is registered after activation', async () => {
    await h.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = h.contributedCommands().filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
    assert.ok(h.contributedCommands().length > 0, 'no commands contributed');
  });

  test('clan.nix opens with a language the extension serves', async () => {
    const doc = await h.openClanNix();
    await h.activate();
    const langs = ((h.MANIFEST.contributes && h.MANIFEST.contributes.languages) || []).map((l) => l.id);
    assert.ok(langs.length > 0, 'package.json contributes no language');
    assert.ok(langs.includes(doc.languageId), `clan.nix opened as ${doc.languageId}, contributed: ${langs.join(', ')}`);
  });
});
