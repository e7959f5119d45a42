#!/usr/bin/env node
// `npm test`: lint, build, the unit tests, the e2e tier, each through its npm script, then one summary: what passed,
// what failed and what was skipped because a tool or host is missing, with how to install it.
//
// Tests that skip record why in the file named by CLAN_TEST_SKIPS (test/helpers/tools.ts, test/e2e/run-all.mjs).
// A missing tool or host is not a failure on a developer's machine; with CI=true it is (the tests themselves fail,
// and this script fails too if a skip of a tool CI must have was recorded anyway). Data that no script of this
// repository provides (optional) never fails the run.
//
// Usage: node scripts/run-tests.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const tmp = mkdtempSync(join(tmpdir(), 'clan-tests-'));
const skipsFile = join(tmp, 'skips.jsonl');
// The CLI and the server keep ShellCheck's results and V8's code cache in the user's cache directory: the tests get
// a throwaway one, so that they neither read what earlier runs left nor write into the user's.
const env = { ...process.env, CLAN_TEST_SKIPS: skipsFile, XDG_CACHE_HOME: join(tmp, 'cache') };

// grammar.test.ts checks the hook-shell injection against VS Code's own shell grammar when SHELL_GRAMMAR names it;
// the e2e host's code-server ships that grammar.
const hostDir = process.env.E2E_HOST_DIR || join(ROOT, '.cache', 'e2e-host');
const shellGrammar = join(
  hostDir,
  'node_modules/code-server/lib/vscode/extensions/shellscript/syntaxes/shell-unix-bash.tmLanguage.json',
);
if (!env.SHELL_GRAMMAR && existsSync(shellGrammar)) env.SHELL_GRAMMAR = shellGrammar;

const STEPS = [
  { name: 'lint', script: 'lint' },
  { name: 'build', script: 'build', needed: true }, // unit and e2e run the build's output
  { name: 'unit', script: 'test:unit' },
  { name: 'e2e', script: 'test:e2e' },
];

const results = [];
for (const step of STEPS) {
  console.log(`\n[test] ===== ${step.name}: npm run ${step.script}`);
  const start = Date.now();
  const r = spawnSync(npm, ['run', '--silent', step.script], { cwd: ROOT, env, stdio: 'inherit' });
  const ok = r.status === 0;
  results.push({ name: step.name, ok, secs: ((Date.now() - start) / 1000).toFixed(1), code: r.status ?? r.signal });
  if (!ok && step.needed) {
    console.log(`[test] ${step.name} failed: the later steps need it and are not run`);
    break;
  }
}

let skips = [];
if (existsSync(skipsFile)) {
  skips = readFileSync(skipsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
rmSync(tmp, { recursive: true, force: true });

console.log('\n[test] ===== summary');
for (const r of results)
  console.log(`[test] ${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.secs} s${r.ok ? '' : `, exit ${r.code}`})`);
for (const s of STEPS.slice(results.length)) console.log(`[test] NOT RUN ${s.name}`);

// One entry per missing tool, with the tests it cost.
const byTool = new Map();
for (const s of skips) {
  const entry = byTool.get(s.tool) ?? { ...s, whats: new Set() };
  entry.whats.add(`${s.what} (${s.file})`);
  byTool.set(s.tool, entry);
}
if (byTool.size) {
  console.log(`[test] !!! SKIPPED because something is missing${inCi ? '' : ' (CI=true makes these failures)'}:`);
  for (const t of byTool.values()) {
    console.log(`[test]   ${t.tool}${t.optional ? ' (optional)' : ''}: install: ${t.install}`);
    for (const w of t.whats) console.log(`[test]       ${w}`);
  }
} else {
  console.log('[test] nothing skipped for a missing tool or host');
}

const failed = results.filter((r) => !r.ok).length + STEPS.length - results.length;
const requiredSkips = [...byTool.values()].filter((t) => !t.optional);
if (inCi && requiredSkips.length) {
  console.log(`[test] FAIL: CI=true and ${requiredSkips.map((t) => t.tool).join(', ')} missing`);
}
const exit = failed > 0 || (inCi && requiredSkips.length > 0) ? 1 : 0;
console.log(`[test] ${exit === 0 ? 'OK' : 'FAILED'}`);
process.exit(exit);
