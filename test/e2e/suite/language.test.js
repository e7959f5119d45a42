'use strict';
// Completion and hover through VS Code's provider commands (the real client → server round trip).
const assert = require('node:assert/strict');
const vscode = require('vscode');
const h = require('./helpers');

const CLIENT_KEYS = ['startAt', 'destinations', 'exclude'];
const SERVER_KEYS = ['address', 'directory'];

/** Labels of the completion items a real provider gave (word-based `Text` items excluded; also off in settings). */
function completionLabels(list) {
  return ((list && list.items) || []).filter((i) => i.kind !== vscode.CompletionItemKind.Text).map(h.labelOf);
}

function hoverText(hovers) {
  return hovers
    .flatMap((hv) => hv.contents)
    .map((c) => (typeof c === 'string' ? c : c.value !== undefined ? c.value : String(c)))
    .join('\n');
}

/** Position of the first `startAt = "<value>"` in clan.nix: { keyPos, valuePos, value }. */
function findStartAt(doc) {
  const text = doc.getText();
  const m = /startAt\s*=\s*"([^"]*)"/.exec(text);
  assert.ok(m, 'clan.nix has no literal `startAt = "..."` to hover or complete around');
  const keyOffset = m.index;
  const valueOffset = m.index + m[0].indexOf('"') + 1;
  return {
    keyPos: doc.positionAt(keyOffset),
    valuePos: doc.positionAt(valueOffset + Math.floor(m[1].length / 2)),
    value: m[1],
  };
}

suite('language features', () => {
  let doc;
  suiteSetup(async () => {
    doc = await h.openClanNix();
    await h.activate();
    // The server has analysed the file once diagnostics arrived.
    await h.waitForDiagnostics(doc.uri, (ds) => ds.length > 0, { what: 'first diagnostics (server ready)' });
  });

  teardown(async () => {
    await h.restoreDocument(doc);
  });

  test('hover on a startAt value shows the normalized calendar form and next elapses', async () => {
    // Make the first startAt a valid expression with a known normalized form, then hover inside the string.
    const { valuePos, value } = findStartAt(doc);
    const editor = await vscode.window.showTextDocument(doc);
    const start = valuePos.translate(0, -Math.floor(value.length / 2));
    await editor.edit((e) => e.replace(new vscode.Range(start, start.translate(0, value.length)), 'daily'));
    const at = start.translate(0, 2);
    const text = await h.waitFor(
      async () => {
        const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, at);
        const t = hoverText(hovers || []);
        return /normalized/i.test(t) ? t : undefined;
      },
      { what: 'a hover with the normalized form of startAt "daily"', timeoutMs: 15_000 },
    );
    assert.match(text, /\*-\*-\* 00:00:00/, `hover lacks the normalized form *-*-* 00:00:00:\n${text}`);
    assert.match(text, /next elapse/i, `hover lacks the next elapses:\n${text}`);
  });

  test('completion after `roles.client.settings.` offers the client keys, not the server keys', async () => {
    const text = doc.getText();
    const m = /roles\.client\./.exec(text);
    assert.ok(m, 'clan.nix has no `roles.client.` line to complete next to');
    const lineNo = doc.positionAt(m.index).line;
    const indent = /^\s*/.exec(doc.lineAt(lineNo).text)[0];
    const editor = await vscode.window.showTextDocument(doc);
    const typed = 'roles.client.settings.';
    await editor.edit((e) => e.insert(new vscode.Position(lineNo, 0), `${indent}${typed}\n`));
    const at = new vscode.Position(lineNo, indent.length + typed.length);
    let labels = [];
    await h
      .waitFor(
        async () => {
          const list = await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', doc.uri, at);
          labels = completionLabels(list);
          return CLIENT_KEYS.every((k) => labels.includes(k));
        },
        { what: `completion items ${CLIENT_KEYS.join(', ')}`, timeoutMs: 15_000 },
      )
      .catch((e) => assert.fail(`${e.message}; offered: ${labels.join(', ')}`));
    const wrong = SERVER_KEYS.filter((k) => labels.includes(k));
    assert.deepEqual(wrong, [], `server-role keys offered in client settings: ${wrong.join(', ')}`);
  });

  test('completion after `roles.` offers the borgbackup roles', async () => {
    const text = doc.getText();
    const m = /roles\s*(=\s*\{|\.)/.exec(text);
    assert.ok(m, 'clan.nix has no `roles` to complete');
    const editor = await vscode.window.showTextDocument(doc);
    const lineNo = doc.positionAt(m.index).line;
    const indent = /^\s*/.exec(doc.lineAt(lineNo).text)[0];
    await editor.edit((e) => e.insert(new vscode.Position(lineNo, 0), `${indent}roles.\n`));
    const at = new vscode.Position(lineNo, indent.length + 'roles.'.length);
    const labels = await h.waitFor(
      async () => {
        const list = await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', doc.uri, at);
        const ls = completionLabels(list);
        return ls.includes('client') && ls.includes('server') ? ls : undefined;
      },
      { what: 'completion items client and server after `roles.`', timeoutMs: 15_000 },
    );
    assert.ok(labels.includes('client') && labels.includes('server'));
  });
});
