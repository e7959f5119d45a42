// Shared helpers for the extension-host suites (plain CommonJS; runs inside the VS Code extension host).
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const vscode = require('vscode');

const REPO = process.env.CLAN_E2E_REPO || path.resolve(__dirname, '..', '..', '..');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const EXTENSION_ID = `${MANIFEST.publisher}.${MANIFEST.name}`;

/** The example clan the tests open: the runner copies examples/demo-clan into a temp dir (CLAN_E2E_WORKSPACE). */
function workspaceDir() {
  const fromEnv = process.env.CLAN_E2E_WORKSPACE;
  if (fromEnv) return fromEnv;
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri.fsPath;
}

function clanNixPath() {
  const p = path.join(workspaceDir(), 'clan.nix');
  assert.ok(fs.existsSync(p), `the example clan is missing: ${p} (examples/demo-clan/clan.nix is not written yet?)`);
  return p;
}

const sleepTick = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; fail with `what` after the deadline. Never a fixed sleep. */
async function waitFor(fn, { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${lastErr.message})` : ''}`,
      );
    }
    await sleepTick(intervalMs);
  }
}

function getExtension() {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in the extension host`);
  return ext;
}

/** Activate the extension (with a deadline) and return what activate() returned. */
async function activate() {
  const ext = getExtension();
  assert.ok(
    fs.existsSync(path.join(ext.extensionPath, MANIFEST.main || 'dist/client.js')),
    `the client bundle ${MANIFEST.main} is missing: run \`npm run build\``,
  );
  const api = await Promise.race([
    ext.activate(),
    sleepTick(30_000).then(() => {
      throw new Error('activate() did not settle within 30 s');
    }),
  ]);
  assert.ok(ext.isActive, 'extension is not active after activate()');
  return api;
}

/** Command id from the manifest by its last segment (e.g. 'runBackup'), falling back to clanBackups.<name>. */
function commandId(name, alternatives = []) {
  const cmds = (MANIFEST.contributes && MANIFEST.contributes.commands) || [];
  const want = [name, ...alternatives].map((n) => n.toLowerCase());
  for (const w of want) {
    const hit = cmds.find((c) => c.command.split('.').pop().toLowerCase() === w);
    if (hit) return hit.command;
  }
  return `clanBackups.${name}`;
}

function contributedCommands() {
  return ((MANIFEST.contributes && MANIFEST.contributes.commands) || []).map((c) => c.command);
}

async function openClanNix() {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(clanNixPath()));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** Diagnostics of our extension (source clan-backups) for a uri. */
function ourDiagnostics(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => !d.source || /clan/i.test(d.source));
}

function codeOf(d) {
  return typeof d.code === 'object' && d.code !== null ? String(d.code.value) : String(d.code);
}

const SEVERITY = { error: 0, warning: 1, information: 2, hint: 3 };

/** `dist/cli.js check --format json DIR`: the same engine as the language server, without VS Code. */
function cliCheck(dir) {
  const cli = path.join(REPO, 'dist', 'cli.js');
  assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\``);
  let out;
  try {
    // Run from the clan directory: the CLI prints file names relative to its working directory.
    out = execFileSync(process.execPath, [cli, 'check', '--format', 'json', '.'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      timeout: 30_000,
    });
  } catch (e) {
    // exit 1 = errors found: still JSON on stdout
    if (e.status === 1 && e.stdout) out = e.stdout;
    else throw new Error(`clan-backups check failed (exit ${e.status}): ${e.stderr || e.message}`, { cause: e });
  }
  return JSON.parse(out);
}

/** Wait until the diagnostics for `uri` satisfy `pred` and then stay unchanged for a short quiet period. */
async function waitForDiagnostics(uri, pred, { timeoutMs = 30_000, what = 'diagnostics' } = {}) {
  const end = Date.now() + timeoutMs;
  const key = (ds) =>
    JSON.stringify(
      ds.map((d) => [codeOf(d), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character]),
    );
  let last = null;
  let since = 0;
  for (;;) {
    const ds = ourDiagnostics(uri);
    if (pred(ds)) {
      const k = key(ds);
      if (k !== last) {
        last = k;
        since = Date.now();
      } else if (Date.now() - since >= 500) {
        return ds;
      }
    } else {
      last = null;
    }
    if (Date.now() > end) {
      const have =
        ds.map((d) => `${codeOf(d)}@${d.range.start.line + 1}:${d.range.start.character + 1}`).join(', ') || 'none';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; have: ${have}`);
    }
    await new Promise((resolve) => {
      const sub = vscode.languages.onDidChangeDiagnostics(() => {
        sub.dispose();
        resolve();
      });
      setTimeout(() => {
        sub.dispose();
        resolve();
      }, 150);
    });
  }
}

/** Calls recorded by the fake clan in FAKE_CLAN_LOG, each as an argv array (the `clan` word excluded). */
function fakeClanCalls() {
  const file = process.env.FAKE_CLAN_LOG;
  assert.ok(file, 'FAKE_CLAN_LOG is not set (run through test/e2e/runExtensionTests.mjs)');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      try {
        const v = JSON.parse(line);
        if (Array.isArray(v)) return v.map(String);
        if (v && Array.isArray(v.argv)) return v.argv.map(String);
        if (v && Array.isArray(v.args)) return v.args.map(String);
      } catch {
        /* not JSON */
      }
      return line.trim().split(/\s+/);
    })
    .map((a) => (a.length && /(^|\/)clan$/.test(a[0]) ? a.slice(1) : a));
}

/**
 * Replace the prompts the commands may show (quick picks, input boxes, confirmations) for the duration of `body`.
 * The stubs live on the `vscode` API object the extension shares with these tests (the tests are inside the
 * extension folder, so the extension host hands both the same object).
 *   pick(items, options) -> item | items | undefined  (items already resolved)
 *   confirm(message, items) -> one of the button items | undefined  (showWarningMessage/showInformationMessage)
 *   input(options) -> string | undefined
 * Returns { calls } with every prompt recorded.
 */
async function withPrompts({ pick, confirm, input }, body) {
  const w = vscode.window;
  const saved = {
    showQuickPick: w.showQuickPick,
    showWarningMessage: w.showWarningMessage,
    showInformationMessage: w.showInformationMessage,
    showErrorMessage: w.showErrorMessage,
    showInputBox: w.showInputBox,
  };
  const calls = [];
  const buttonsOf = (rest) => rest.filter((x) => typeof x === 'string' || (x && typeof x.title === 'string'));
  w.showQuickPick = async (items, options) => {
    const resolved = await items;
    calls.push({ kind: 'quickPick', items: resolved, options });
    return pick ? pick(resolved, options) : undefined;
  };
  const message =
    (kind) =>
    async (msg, ...rest) => {
      const buttons = buttonsOf(rest);
      calls.push({ kind, message: msg, buttons });
      return confirm && buttons.length ? confirm(msg, buttons, kind) : undefined;
    };
  w.showWarningMessage = message('warning');
  w.showInformationMessage = message('information');
  w.showErrorMessage = message('error');
  w.showInputBox = async (options) => {
    calls.push({ kind: 'input', options });
    return input ? input(options) : undefined;
  };
  try {
    await body(calls);
  } finally {
    Object.assign(w, saved);
  }
  return { calls };
}

/** The pristine text of a workspace file: its original in examples/demo-clan (the workspace is a copy of it). */
function pristineText(fsPath) {
  const rel = path.relative(workspaceDir(), fsPath);
  const original = path.join(REPO, 'examples', 'demo-clan', rel);
  return fs.readFileSync(!rel.startsWith('..') && fs.existsSync(original) ? original : fsPath, 'utf8');
}

/**
 * Put a document back to the example's original text (and save it, so the disk copy matches too): the tests that
 * edit clan.nix call this in their teardown so that later suites see the example unchanged.
 */
async function restoreDocument(doc) {
  const want = pristineText(doc.uri.fsPath);
  if (doc.getText() !== want) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), want);
    assert.ok(await vscode.workspace.applyEdit(edit), `could not restore ${doc.uri.fsPath}`);
  }
  if (doc.isDirty || fs.readFileSync(doc.uri.fsPath, 'utf8') !== want) await doc.save();
  assert.equal(doc.getText(), want, `${doc.uri.fsPath} differs from the example after restoring`);
  assert.equal(fs.readFileSync(doc.uri.fsPath, 'utf8'), want, `${doc.uri.fsPath} on disk differs from the example`);
}

const labelOf = (item) =>
  (typeof item === 'string'
    ? item
    : item && (typeof item.label === 'string' ? item.label : item.label && item.label.label)) || '';

/** The tree data provider(s) the client exposes through its activate() API, if any. */
function treeProviderFrom(api) {
  if (!api) return undefined;
  const looksLikeProvider = (v) => v && typeof v.getChildren === 'function' && typeof v.getTreeItem === 'function';
  for (const k of ['treeDataProvider', 'machinesTree', 'treeProvider', 'backupsTree', 'tree', 'jobsTree']) {
    if (looksLikeProvider(api[k])) return api[k];
  }
  for (const v of Object.values(api)) if (looksLikeProvider(v)) return v;
  return undefined;
}

module.exports = {
  REPO,
  MANIFEST,
  EXTENSION_ID,
  SEVERITY,
  workspaceDir,
  clanNixPath,
  waitFor,
  getExtension,
  activate,
  commandId,
  contributedCommands,
  openClanNix,
  ourDiagnostics,
  codeOf,
  cliCheck,
  waitForDiagnostics,
  fakeClanCalls,
  withPrompts,
  labelOf,
  treeProviderFrom,
  restoreDocument,
};
