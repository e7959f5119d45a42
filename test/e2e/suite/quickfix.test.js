'use strict';
// Quick fixes through vscode.executeCodeActionProvider: the server's code actions, applied the way the lightbulb
// applies them (the WorkspaceEdit, then the command if any), checked on the document text and the diagnostics.
const assert = require('node:assert/strict');
const vscode = require('vscode');
const h = require('./helpers');
const { QUICK_FIX } = require('./expected');

async function applyAction(action) {
  if (action.edit) assert.ok(await vscode.workspace.applyEdit(action.edit), `applyEdit failed for "${action.title}"`);
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments || []));
}

async function quickFixesFor(doc, diag) {
  const actions =
    (await vscode.commands.executeCommand(
      'vscode.executeCodeActionProvider',
      doc.uri,
      diag.range,
      vscode.CodeActionKind.QuickFix.value,
    )) || [];
  return actions.filter(
    (a) =>
      (a.diagnostics || []).some((d) => h.codeOf(d) === h.codeOf(diag)) ||
      (a.kind && a.kind.value.startsWith('quickfix')),
  );
}

suite('quick fixes', () => {
  let doc;
  suiteSetup(async () => {
    doc = await h.openClanNix();
    await h.activate();
  });

  teardown(async () => {
    if (doc) await h.restoreDocument(doc);
  });

  test(`the pinned quick fix (${QUICK_FIX ? QUICK_FIX.code : 'none pinned'}) rewrites clan.nix and clears its diagnostic`, async () => {
    assert.ok(QUICK_FIX, 'test/e2e/suite/expected.js pins no QUICK_FIX for demo-clan');
    const ds = await h.waitForDiagnostics(doc.uri, (x) => x.some((d) => h.codeOf(d) === QUICK_FIX.code), {
      what: `a ${QUICK_FIX.code} diagnostic`,
    });
    const diag = ds.find(
      (d) => h.codeOf(d) === QUICK_FIX.code && (!QUICK_FIX.line || d.range.start.line + 1 === QUICK_FIX.line),
    );
    assert.ok(
      diag,
      `no ${QUICK_FIX.code} on line ${QUICK_FIX.line}; have: ${ds.map((d) => `${h.codeOf(d)}@${d.range.start.line + 1}:${d.range.start.character + 1}`).join(', ')}\nline ${QUICK_FIX.line}: ${doc.lineAt(QUICK_FIX.line - 1).text}`,
    );
    const actions = await h.waitFor(
      async () => {
        const a = await quickFixesFor(doc, diag);
        return a.length ? a : undefined;
      },
      { what: `quick fixes for ${QUICK_FIX.code}`, timeoutMs: 15_000 },
    );
    const action = actions.find((a) => QUICK_FIX.title.test(a.title));
    assert.ok(action, `no action titled ${QUICK_FIX.title}; offered: ${actions.map((a) => a.title).join(' | ')}`);
    await applyAction(action);
    const text = doc.getText();
    for (const re of QUICK_FIX.textAfter) assert.match(text, re, `after "${action.title}" clan.nix lacks ${re}`);
    await h.waitForDiagnostics(
      doc.uri,
      (x) => !x.some((d) => h.codeOf(d) === QUICK_FIX.code && d.range.start.line === diag.range.start.line),
      { what: `${QUICK_FIX.code} gone after the fix` },
    );
  });

  test("every quick fix offered for the example's diagnostics applies cleanly (edit or command)", async () => {
    const ds = await h.waitForDiagnostics(doc.uri, (x) => x.length > 0, { what: 'diagnostics' });
    const original = doc.getText();
    let tried = 0;
    for (const diag of ds) {
      const actions = await quickFixesFor(doc, diag);
      for (const action of actions) {
        if (!action.edit && !action.command)
          assert.fail(`action "${action.title}" for ${h.codeOf(diag)} has neither edit nor command`);
        await applyAction(action);
        tried++;
        assert.notEqual(doc.getText(), original, `"${action.title}" (${h.codeOf(diag)}) changed nothing`);
        await h.restoreDocument(doc);
        assert.equal(doc.getText(), original);
        break; // one per diagnostic keeps the run short
      }
    }
    assert.ok(tried > 0, 'no diagnostic of the example offers a quick fix');
  });
});
