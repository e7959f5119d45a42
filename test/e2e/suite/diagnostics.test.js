'use strict';
// Diagnostics through the real language client → language server → VS Code pipeline, checked against the same
// engine's CLI (`dist/cli.js check --format json`) and against the mistakes examples/demo-clan is known to contain.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
const h = require('./helpers');
const { EXPECTED_CLAN_NIX, EXPECTED_WEB_CONFIGURATION } = require('./expected');

const fmt = (d) => `${d.code} ${d.severity} ${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;
const fmtPinned = (d) => (d.column === undefined ? `${d.code} ${d.severity} line ${d.line}` : fmt(d));
/** A pinned entry matches a shown diagnostic on code, severity, start line, and the full range when pinned. */
const matches = (w, g) =>
  w.code === g.code &&
  w.severity === g.severity &&
  w.line === g.line &&
  (w.column === undefined || (w.column === g.column && w.endLine === g.endLine && w.endColumn === g.endColumn));

/** VS Code diagnostics as 1-based {code, severity, line, column, endLine, endColumn}, sorted. */
function fromVscode(ds) {
  const sev = ['error', 'warning', 'information', 'hint'];
  return ds
    .map((d) => ({
      code: h.codeOf(d),
      severity: sev[d.severity],
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      endLine: d.range.end.line + 1,
      endColumn: d.range.end.character + 1,
    }))
    .sort(byPos);
}

function byPos(a, b) {
  return (
    a.line - b.line ||
    (a.column ?? 0) - (b.column ?? 0) ||
    (a.endLine ?? 0) - (b.endLine ?? 0) ||
    (a.endColumn ?? 0) - (b.endColumn ?? 0) ||
    a.code.localeCompare(b.code)
  );
}

function resolveCliFile(dir, file) {
  if (path.isAbsolute(file)) return file;
  const inDir = path.resolve(dir, file);
  return fs.existsSync(inDir) ? inDir : path.resolve(file);
}

suite('diagnostics', () => {
  let doc;
  suiteSetup(async () => {
    doc = await h.openClanNix();
    await h.activate();
  });

  async function checkPinned(uri, pinned, name) {
    assert.ok(pinned.length > 0, `test/e2e/suite/expected.js pins no diagnostics for ${name}`);
    const want = pinned.map((d) => ({ ...d })).sort(byPos);
    const wantText = want.map(fmtPinned);
    let got = [];
    const unmatched = () => want.filter((w) => !w.optional && !got.some((g) => matches(w, g)));
    try {
      await h.waitForDiagnostics(
        uri,
        (ds) => {
          got = fromVscode(ds);
          return unmatched().length === 0;
        },
        { what: `the pinned diagnostics on ${name}` },
      );
    } catch (e) {
      assert.fail(
        `${e.message}\nmissing: ${unmatched().map(fmtPinned).join(' | ')}\ngot: ${got.map(fmt).join(' | ')}\npinned: ${wantText.join(' | ')}`,
      );
    }
    const extra = got.filter((g) => !want.some((w) => matches(w, g)));
    assert.deepEqual(extra.map(fmt), [], `unexpected diagnostics on ${name}: ${extra.map(fmt).join(' | ')}`);
  }

  test('clan.nix: the language server publishes the diagnostics of examples/demo-clan (codes, severities, ranges)', async () => {
    await checkPinned(doc.uri, EXPECTED_CLAN_NIX, 'clan.nix');
  });

  test('machines/web/configuration.nix: diagnostics of a machine file', async () => {
    const uri = vscode.Uri.file(path.join(h.workspaceDir(), 'machines', 'web', 'configuration.nix'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
    await checkPinned(uri, EXPECTED_WEB_CONFIGURATION, 'machines/web/configuration.nix');
    await vscode.window.showTextDocument(doc);
  });

  test('every diagnostic carries source "clan-backups" and a code from the rule catalogue', async () => {
    const ds = await h.waitForDiagnostics(doc.uri, (x) => x.length > 0, { what: 'any diagnostic on clan.nix' });
    for (const d of ds) {
      assert.equal(d.source, 'clan-backups', `diagnostic ${h.codeOf(d)} has source ${d.source}`);
      assert.match(h.codeOf(d), /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `code ${h.codeOf(d)} is not a catalogue code`);
    }
  });

  test('the editor and `clan-backups check --format json` agree on every file of the clan', async () => {
    const dir = h.workspaceDir();
    const cli = h.cliCheck(dir);
    assert.ok(Array.isArray(cli), 'check --format json did not print an array');
    assert.ok(cli.length > 0, 'check found nothing in the example clan, which has mistakes on purpose');
    const byFile = new Map();
    for (const d of cli) {
      const f = resolveCliFile(dir, d.file);
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f).push({
        code: d.code,
        severity: d.severity,
        line: d.line,
        column: d.column,
        endLine: d.endLine,
        endColumn: d.endColumn,
      });
    }
    assert.ok(
      byFile.has(path.join(dir, 'clan.nix')),
      `the CLI reported nothing for clan.nix (files: ${[...byFile.keys()].join(', ')})`,
    );
    for (const [file, list] of byFile) {
      const uri = vscode.Uri.file(file);
      if (file.endsWith('.nix')) await vscode.workspace.openTextDocument(uri);
      const want = list.sort(byPos).map(fmt);
      let got = [];
      try {
        await h.waitForDiagnostics(
          uri,
          (ds) => {
            got = fromVscode(ds).map(fmt);
            return JSON.stringify(got) === JSON.stringify(want);
          },
          { what: `editor diagnostics equal to the CLI's for ${path.relative(dir, file)}`, timeoutMs: 20_000 },
        );
      } catch (e) {
        assert.fail(`${e.message}\nCLI:    ${want.join(' | ')}\neditor: ${got.join(' | ')}`);
      }
    }
  });

  test('editing clan.nix updates the diagnostics (incremental re-check), undo restores them', async () => {
    const before = fromVscode(
      await h.waitForDiagnostics(doc.uri, (x) => x.length > 0, { what: 'diagnostics before the edit' }),
    ).map(fmt);
    const editor = await vscode.window.showTextDocument(doc);
    // Break the syntax at the very end of the file: a syntax-error must appear.
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '\n{ broken = ;'));
    await h.waitForDiagnostics(doc.uri, (ds) => ds.some((d) => h.codeOf(d) === 'syntax-error'), {
      what: 'syntax-error after breaking the file',
    });
    await vscode.commands.executeCommand('undo');
    await h.waitForDiagnostics(doc.uri, (ds) => JSON.stringify(fromVscode(ds).map(fmt)) === JSON.stringify(before), {
      what: 'the original diagnostics after undo',
    });
    assert.equal(doc.isDirty, false, 'undo should leave the document unmodified');
  });
});
