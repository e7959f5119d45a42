#!/usr/bin/env node
// UI smoke test through the real workbench page: install the packaged VSIX into code-server, open the example clan,
// and look at what a person sees: squiggles, the Problems panel, a palette command, the sidebar tree, a screenshot.
//
// Usage: node test/e2e/uiSmoke.mjs <path/to/clan-backups.vsix> [--update-screenshots] [--verbose]
//   --update-screenshots  also copy the overview screenshot to docs/images/ (for the README)
// Env: E2E_KEEP=1 keeps the temp run dir; E2E_RESULTS_OUT=<file> writes {passes, failures, failed} as JSON.
// Prints one PASS/FAIL line per check, then `N passed, N failed`; exits 0 only when all passed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  REPO_ROOT,
  assertHost,
  makeRunDir,
  writeUserSettings,
  prepareDemo,
  installVsix,
  startCodeServer,
  cleanup,
  workbenchUrl,
  waitFor,
} from './codeServer.mjs';
import { launchBrowser } from './browser.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const verbose = argv.includes('--verbose') || process.env.E2E_VERBOSE === '1';
const updateScreenshots = argv.includes('--update-screenshots');
const vsixArg = argv.find((a) => !a.startsWith('--'));
const RESULTS_DIR = join(REPO_ROOT, 'test-results');
const DOCS_IMAGES = join(REPO_ROOT, 'docs', 'images');
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const { EXPECTED_CLAN_NIX, DEMO_MACHINES = [], fakeClanState, jobUnit } = require('./suite/expected.js');

const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const results = [];

async function check(name, fn) {
  const start = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - start} ms)${detail ? ` — ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false, error: e?.message ?? String(e) });
    console.log(
      `FAIL ${name} (${Date.now() - start} ms)\n     ${String(e?.message ?? e)
        .split('\n')
        .join('\n     ')}`,
    );
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function commandTitle(suffix) {
  const c = (manifest.contributes?.commands ?? []).find((x) => x.command.split('.').pop() === suffix);
  if (!c) throw new Error(`package.json contributes no command *.${suffix}`);
  return { id: c.command, title: c.category ? `${c.category}: ${c.title}` : c.title };
}

/** F1, type, and pick the row whose label is exactly `label`. `prefix` '>' for commands, '' for files. */
async function quickPick(page, label, { prefix = '>', timeoutMs = 15_000, exact = true } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`${prefix}${label}`);
  const labelRe = exact ? new RegExp(`^\\s*${escapeRe(label)}\\s*$`) : new RegExp(escapeRe(label));
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: labelRe }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  await input.waitFor({ state: 'hidden', timeout: timeoutMs }).catch(() => {});
}

async function main() {
  assertHost();
  if (!vsixArg) throw new Error('usage: node test/e2e/uiSmoke.mjs <clan-backups.vsix> [--update-screenshots]');
  const vsix = resolve(vsixArg);
  if (!existsSync(vsix)) throw new Error(`VSIX not found: ${vsix}`);
  mkdirSync(RESULTS_DIR, { recursive: true });

  const dirs = makeRunDir({ prefix: 'clan-e2e-ui-' });
  const { workspace, clanExe, fakeClanLog, fakeClanStateFile } = prepareDemo(dirs, fakeClanState);
  writeUserSettings(dirs, { 'clanBackups.clanPath': clanExe });
  const env = {
    FAKE_CLAN_LOG: fakeClanLog,
    FAKE_CLAN_STATE: fakeClanStateFile,
    PATH: `${dirname(clanExe)}:${process.env.PATH}`,
  };

  let server;
  let browser;
  try {
    // ---- packaging: the VSIX installs and carries what the extension needs at run time, nothing more -------------
    let installedDir;
    await check('VSIX installs with code-server --install-extension', async () => {
      const out = await installVsix(dirs, vsix);
      const want = `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();
      installedDir = readdirSync(dirs.extensions)
        .map((d) => join(dirs.extensions, d))
        .find((d) => basename(d).toLowerCase() === want);
      if (!installedDir) throw new Error(`no ${want} in the extensions dir after install:\n${out}`);
      return `${basename(installedDir)}, ${(statSync(vsix).size / 1024).toFixed(0)} KiB`;
    });
    await check('VSIX contents: runtime files present, sources/tests/caches absent', async () => {
      if (!installedDir) throw new Error('not installed');
      const must = [
        manifest.main,
        'dist/cli.js',
        'dist/tree-sitter-nix.wasm',
        'dist/web-tree-sitter.wasm',
        'package.json',
      ].map((p) => p.replace(/^\.\//, ''));
      const missing = must.filter((p) => !existsSync(join(installedDir, p)));
      const forbidden = [
        '.cache',
        'test',
        'node_modules/.bin',
        'client/src',
        'server/src',
        'out',
        'test-results',
        '.git',
      ].filter((p) => existsSync(join(installedDir, p)));
      const problems = [];
      if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
      if (forbidden.length) problems.push(`should not be packaged: ${forbidden.join(', ')}`);
      if (statSync(vsix).size > 30 * 1024 * 1024)
        problems.push(`VSIX is ${(statSync(vsix).size / 1048576).toFixed(1)} MiB`);
      if (problems.length) throw new Error(problems.join('; '));
    });

    server = await startCodeServer({
      dirs,
      trust: true,
      env,
      log: verbose ? (s) => process.stderr.write(`[cs] ${s}`) : undefined,
    });
    console.log(`[ui ${stamp()}] code-server on ${server.url}`);
    browser = await launchBrowser();
    const { page } = browser;
    const pageErrors = [];
    page.on('console', (m) => {
      if (verbose) process.stderr.write(`[page] ${m.type()} ${m.text()}\n`);
      if (m.type() === 'error' && /clan/i.test(m.text()) && !/ENOTFOUND|open-vsx/.test(m.text()))
        pageErrors.push(m.text());
    });
    await page.goto(workbenchUrl(server, workspace), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    console.log(`[ui ${stamp()}] workbench visible`);

    await check('opening clan.nix renders diagnostics as squiggles', async () => {
      if (!existsSync(join(workspace, 'clan.nix'))) throw new Error('examples/demo-clan/clan.nix is missing');
      await quickPick(page, 'clan.nix', { prefix: '', timeoutMs: 20_000 });
      await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 15_000 });
      const squiggles = page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning');
      await squiggles.first().waitFor({ state: 'attached', timeout: 30_000 });
      return `${await squiggles.count()} squiggles in view`;
    });

    await check('Problems panel lists the clan-backups diagnostics with their codes', async () => {
      await quickPick(page, 'Problems: Focus on Problems View');
      const panel = page.locator('.markers-panel');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
      const codes = [...new Set(EXPECTED_CLAN_NIX.map((d) => d.code))];
      if (codes.length === 0) throw new Error('test/e2e/suite/expected.js pins no diagnostics for demo-clan/clan.nix');
      const text = await waitFor(
        async () => {
          const t = await panel.innerText();
          return codes.every((c) => t.includes(c)) ? t : undefined;
        },
        { timeoutMs: 20_000, what: `Problems rows with codes ${codes.join(', ')}` },
      ).catch(async (e) => {
        throw new Error(`${e.message}\npanel text:\n${(await panel.innerText()).slice(0, 1500)}`);
      });
      if (!/clan-backups/.test(text)) throw new Error('no row names the source clan-backups');
      const rows = await panel.locator('.monaco-list-row').count();
      return `${rows} rows, codes ${codes.join(', ')}`;
    });

    await check('palette command "Show Output" opens the Clan Backups output channel', async () => {
      const { title } = commandTitle('showOutput');
      await quickPick(page, title);
      const out = page.locator('.part.panel .output-view, .part.panel [id="workbench.panel.output"]').first();
      await out.waitFor({ state: 'visible', timeout: 10_000 });
      const hasText = await waitFor(
        async () => {
          const t = await page.locator('.part.panel').innerText();
          return /clan/i.test(t) ? t : undefined;
        },
        { timeoutMs: 10_000, what: 'output panel showing the Clan Backups channel' },
      );
      return `${title}${hasText ? '' : ''}`;
    });

    let treeRows = [];
    await check('activity-bar container shows machines and their backup jobs', async () => {
      const container = manifest.contributes?.viewsContainers?.activitybar?.[0];
      if (!container) throw new Error('package.json contributes no activity-bar views container');
      const tab = page
        .locator(
          `.part.activitybar .action-item a[aria-label^="${container.title}"], .part.activitybar .action-label[aria-label^="${container.title}"]`,
        )
        .first();
      await tab.click({ timeout: 10_000 });
      const view = page.locator(`[id="workbench.view.extension.${container.id}"]`);
      await view.waitFor({ state: 'visible', timeout: 10_000 });
      const rows = view.locator('.monaco-list-row');
      const labels = async () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') || e.innerText));
      const machines = DEMO_MACHINES.map((m) => m.name);
      if (machines.length === 0) throw new Error('test/e2e/suite/expected.js lists no DEMO_MACHINES');
      await waitFor(
        async () => {
          const ls = await labels();
          return machines.every((m) => ls.some((l) => l.includes(m)));
        },
        { timeoutMs: 20_000, what: `tree rows for ${machines.join(', ')}` },
      ).catch(async (e) => {
        throw new Error(`${e.message}; rows: ${JSON.stringify(await labels())}`);
      });
      // Expand every machine that has jobs and wait for its job rows.
      const jobs = DEMO_MACHINES.flatMap((m) => (m.jobs ?? []).map((j) => ({ machine: m.name, job: jobUnit(j) })));
      for (const m of DEMO_MACHINES.filter((x) => (x.jobs ?? []).length)) {
        const row = rows
          .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(m.name)}\\s*$`) }) })
          .first();
        await row.waitFor({ state: 'visible', timeout: 5_000 }).catch(async (e) => {
          throw new Error(
            `no row labelled ${m.name}: ${e.message.split('\n')[0]}; first row: ${(await rows.first().evaluate((el) => el.outerHTML)).slice(0, 1500)}`,
          );
        });
        // The twistie, not the label: a row whose item has a command (open its definition) runs it on click.
        if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
      }
      await waitFor(
        async () => {
          const ls = await labels();
          return jobs.every((j) => ls.some((l) => l.includes(j.job)));
        },
        { timeoutMs: 15_000, what: `job rows ${jobs.map((j) => j.job).join(', ')}` },
      ).catch(async (e) => {
        throw new Error(`${e.message}; rows: ${JSON.stringify(await labels())}`);
      });
      treeRows = await labels();
      return JSON.stringify(treeRows);
    });

    await check('palette command "Run backup now" runs `clan backups create` through the fake clan', async () => {
      const { title } = commandTitle('runBackup');
      await quickPick(page, title);
      // The command asks for a machine when none is selected: take the first backup client offered.
      const client = DEMO_MACHINES.find((m) => (m.jobs ?? []).length);
      if (!client) throw new Error('test/e2e/suite/expected.js lists no machine with jobs');
      const machineRow = page
        .locator('.quick-input-widget .monaco-list-row')
        .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(client.name)}\\s*$`) }) })
        .first();
      const createCall = () => {
        if (!existsSync(fakeClanLog)) return undefined;
        return readFileSync(fakeClanLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).argv)
          .find((a) => a[0] === 'backups' && a[1] === 'create');
      };
      // Either the command asks which machine (pick the client in the quick input), or it runs right away.
      let clicked = false;
      const call = await waitFor(
        async () => {
          const c = createCall();
          if (c) return c;
          if (!clicked && (await machineRow.isVisible().catch(() => false))) {
            await machineRow.click();
            clicked = true;
          }
          return undefined;
        },
        { timeoutMs: 20_000, what: 'a `clan backups create` call recorded by the fake clan' },
      );
      if (!call.includes('--flake') || call.indexOf('--flake') < 2)
        throw new Error(`--flake missing or before the subcommand: ${call.join(' ')}`);
      return `clan ${call.join(' ')}`;
    });

    await check('no errors from the extension in the workbench console (grammars, activation)', async () => {
      if (pageErrors.length)
        throw new Error(
          pageErrors
            .slice(0, 5)
            .map((e) => e.split('\n')[0])
            .join('\n'),
        );
    });

    await check('overview screenshot', async () => {
      // The editor with squiggles, the Problems panel and the tree together.
      await quickPick(page, 'Notifications: Clear All Notifications').catch(() => {});
      await quickPick(page, 'Problems: Focus on Problems View').catch(() => {});
      // Reveal a diagnostic in the editor (clicking a Problems row jumps there), so squiggles are in view.
      const row = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'undefined-machine' }).first();
      if (await row.isVisible().catch(() => false)) await row.click();
      await page
        .locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning')
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 })
        .catch(() => {});
      const file = join(RESULTS_DIR, 'ui-smoke-overview.png');
      await page.screenshot({ path: file });
      if (updateScreenshots) {
        mkdirSync(DOCS_IMAGES, { recursive: true });
        copyFileSync(file, join(DOCS_IMAGES, 'clan-backups-overview.png'));
        return `${file} (copied to docs/images/clan-backups-overview.png)`;
      }
      return file;
    });

    await check('tree screenshot: machines, backup jobs with repository, schedule and next run', async () => {
      // Widen the side bar (drag its sash) so a job's description (repository · schedule · next run) is readable.
      const box = await page.locator('.part.sidebar').boundingBox();
      if (!box) throw new Error('no side bar');
      const dragSash = async (from, to) => {
        await page.mouse.move(from, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(to, box.y + box.height / 2, { steps: 8 });
        await page.mouse.up();
      };
      await dragSash(box.x + box.width + 1, box.x + box.width + 420);
      const sidebar = page.locator('.part.sidebar');
      const text = await sidebar.innerText();
      if (!/borgbackup-job-/.test(text)) throw new Error(`side bar shows no job: ${text.slice(0, 300)}`);
      const file = join(RESULTS_DIR, 'ui-smoke-tree.png');
      await page.screenshot({ path: file });
      if (updateScreenshots) {
        mkdirSync(DOCS_IMAGES, { recursive: true });
        copyFileSync(file, join(DOCS_IMAGES, 'clan-backups-tree.png'));
      }
      const wide = await page.locator('.part.sidebar').boundingBox();
      if (wide) await dragSash(wide.x + wide.width + 1, box.x + box.width);
      return file;
    });

    await check('quick-fix screenshot: the lightbulb menu on a diagnostic', async () => {
      // The cursor sits on the undefined machine after the overview step; open the quick fixes there.
      await page
        .locator('.monaco-editor textarea')
        .first()
        .focus()
        .catch(() => {});
      await page.keyboard.press('Control+.');
      const menu = page.locator('.action-widget, .context-view .monaco-list').first();
      await menu.waitFor({ state: 'visible', timeout: 10_000 });
      const text = await menu.innerText();
      if (!/inventory\.machines/.test(text))
        throw new Error(`quick fix menu lacks the undefined-machine fix: ${text.slice(0, 300)}`);
      const file = join(RESULTS_DIR, 'ui-smoke-quickfix.png');
      await page.screenshot({ path: file });
      await page.keyboard.press('Escape');
      if (updateScreenshots) {
        mkdirSync(DOCS_IMAGES, { recursive: true });
        copyFileSync(file, join(DOCS_IMAGES, 'clan-backups-quickfix.png'));
      }
      return file;
    });
  } catch (e) {
    results.push({ name: 'ui smoke harness', ok: false, error: e?.message ?? String(e) });
    console.log(`FAIL ui smoke harness\n     ${e?.stack ?? e}`);
    if (browser) await browser.page.screenshot({ path: join(RESULTS_DIR, 'ui-smoke-failure.png') }).catch(() => {});
  } finally {
    if (browser && results.some((r) => !r.ok)) {
      await browser.page.screenshot({ path: join(RESULTS_DIR, 'ui-smoke-failure.png') }).catch(() => {});
    }
    await browser?.close();
    await cleanup(server, dirs);
  }
}

try {
  await main();
} catch (e) {
  results.push({ name: 'ui smoke setup', ok: false, error: e?.message ?? String(e) });
  console.log(`FAIL ui smoke setup\n     ${e?.message ?? e}`);
}
const passes = results.filter((r) => r.ok).length;
const failures = results.length - passes;
if (process.env.E2E_RESULTS_OUT) {
  writeFileSync(
    process.env.E2E_RESULTS_OUT,
    JSON.stringify({
      passes,
      failures,
      tests: results.length,
      failed: results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error.split('\n')[0]}`),
    }),
  );
}
console.log(`[ui] done in ${stamp()}`);
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
