// `npm run bench`: speed and memory at fleet scale, printed as a table and written to bench/results.json.
// Generated clans of 10, 100 and 1,000 machines (tags, several instances, states with hooks, destinations,
// PostgreSQL); medians of repeated runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AnalysisMemo, analyzeClan } from '../../server/src/analyze';
import { loadClanSources, SourceCache, toUri } from '../../server/src/model/loadClan';
import { readNixSource } from '../../server/src/model/sourceFile';
import { editTree, initParsing, parseNix } from '../../server/src/parsing/parser';
import { runIndexBench } from './indexBench';
import { LspTestClient } from '../helpers/lspClient';
import { readFileSync } from 'node:fs';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');

export function generateClan(machines: number): string {
  const lines: string[] = ['{', '  meta.name = "bench";', '  meta.domain = "bench.lol";', '', '  inventory.machines = {'];
  for (let i = 0; i < machines; i++) {
    const tags = [i % 3 === 0 ? '"web"' : '"office"', i % 10 === 0 ? '"db"' : ''].filter(Boolean).join(' ');
    lines.push(`    m${i} = {`, `      deploy.targetHost = "root@10.0.${i >> 8}.${i & 255}";`, `      tags = [ ${tags} ];`, '    };');
  }
  lines.push('    backup-a = { };', '    backup-b = { };', '  };', '', '  inventory.instances = {',
    '    borgbackup = {',
    '      roles.client.tags = [ "web" "office" ];',
    '      roles.client.settings.exclude = [ "*.pyc" "*/__pycache__" ];',
    '      roles.server.machines.backup-a.settings.directory = "/srv/borg";',
    '      roles.server.machines."backup-b" = { settings.address = "10.9.0.2"; };');
  for (let i = 0; i < machines; i += 10) {
    lines.push(`      roles.client.machines.m${i}.settings = {`, '        startAt = "*-*-* 03:00:00";',
      '        destinations.storagebox = {', `          repo = "u${i}@u${i}.your-storagebox.de:/./borgbackup";`,
      '          rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";',
      '        };', '      };');
  }
  lines.push('    };', '    sshd.roles.server.tags.all = { };', '    user-root = { module.name = "users"; roles.default.tags.all = { }; };',
    '  };', '', '  machines = {');
  for (let i = 0; i < machines; i++) {
    lines.push(`    m${i} = { config, lib, pkgs, ... }: {`, `      clan.core.state.app${i} = {`,
      `        folders = [ "/var/lib/app${i}" "/etc/app${i}" ];`, '        preBackupScript = \'\'',
      '          export PATH=${lib.makeBinPath [ config.systemd.package ]}', `          systemctl stop app${i}.service`,
      '        \'\';', '        postBackupScript = \'\'', `          systemctl start app${i}.service`, '        \'\';', '      };');
    if (i % 10 === 0) {
      lines.push('      clan.core.postgresql.enable = true;', `      clan.core.postgresql.databases.db${i}.create.options.OWNER = "app";`);
    }
    lines.push('    };');
  }
  lines.push('    backup-a.clan.core.state.x.folders = [ ];', '  };', '}', '');
  return lines.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, runs: number): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

function wall(cmd: string, args: string[], runs: number, env: NodeJS.ProcessEnv = process.env, beforeEach?: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    beforeEach?.();
    const t = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore', env });
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/** Peak RSS of a command in MB, from GNU time when available. */
function peakRss(args: string[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8', env });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}

/** Spawn `clan-backups lsp --stdio`, initialize, open the example clan.nix, wait for its diagnostics. */
async function serverStartToDiagnostics(): Promise<number> {
  const file = join(ROOT, 'examples/demo-clan/clan.nix');
  const text = readFileSync(file, 'utf8');
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const client = new LspTestClient();
    await client.initialize(toUri(join(ROOT, 'examples/demo-clan')));
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: toUri(file), languageId: 'nix', version: 1, text } });
    await client.waitForDiagnostics(toUri(file), (p) => p.version === 1, 0);
    times.push(performance.now() - t);
    await client.shutdown();
  }
  return median(times);
}

async function main(): Promise<void> {
  await initParsing();
  const haveNix = spawnSync('nix-instantiate', ['--version']).status === 0;
  const rows: Array<Record<string, number | string | undefined>> = [];
  for (const n of [10, 100, 1000]) {
    const dir = mkdtempSync(join(tmpdir(), `clan-bench-${n}-`));
    const text = generateClan(n);
    writeFileSync(join(dir, 'clan.nix'), text);
    const runs = n >= 1000 ? 15 : 40;
    const full = time(() => analyzeClan(loadClanSources(dir)), runs);
    // One-character edits, typed one after another at the start, the middle and the end of the machines: incremental
    // re-parse, then the analysis as the language server runs it (the previous read is kept, unchanged subtrees reused).
    const uri = toUri(join(dir, 'clan.nix'));
    const editRuns = 40;
    const editAt = (needle: string, insert = 'x'): number => {
      let current = text;
      let tree = parseNix(current);
      const cache: SourceCache = new Map();
      const memo = new AnalysisMemo();
      analyzeClan(loadClanSources(dir, new Map([[uri, { text: current, tree }]]), cache), { memo });
      let at = current.indexOf(needle) + 5;
      const ms = time(() => {
        current = editTree(tree, current, at, at, insert);
        at += insert.length;
        const next = parseNix(current, tree);
        tree.delete();
        tree = next;
        analyzeClan(loadClanSources(dir, new Map([[uri, { text: current, tree }]]), cache), { memo });
      }, editRuns);
      tree.delete();
      memo.dispose();
      return ms;
    };
    const editStart = editAt('"/var/lib/app1"');
    const editMiddle = editAt(`"/var/lib/app${Math.floor(n / 2)}"`);
    const editEnd = editAt(`"/var/lib/app${n - 1}"`);
    // Typing keeps the line count, and values below the edited line are then reused as they are; Enter moves every
    // line after it, and everything read from there on is copied with moved positions.
    const newlineStart = editAt('"/var/lib/app1"', '\n');
    const parseOnly = time(() => readNixSource(uri, 'clan', text), runs);
    // ShellCheck's results are kept across runs (in $XDG_CACHE_HOME/clan-backups/shellcheck): a cache of the
    // bench's own, emptied before each first run; the second run finds every script there.
    const xdg = mkdtempSync(join(tmpdir(), `clan-bench-cache-${n}-`));
    const env = { ...process.env, XDG_CACHE_HOME: xdg };
    const emptyCache = () => rmSync(join(xdg, 'clan-backups'), { recursive: true, force: true });
    const check = wall(process.execPath, [CLI, 'check', dir], 3, env, emptyCache);
    spawnSync(process.execPath, [CLI, 'check', dir], { stdio: 'ignore', env });
    const checkCached = wall(process.execPath, [CLI, 'check', dir], 5, env);
    // The engine alone: ShellCheck is an external program that dominates large clans with thousands of hooks.
    const checkNoSc = wall(process.execPath, [CLI, 'check', '--disable', 'hook-shell', dir], 5, env);
    const nix = haveNix ? wall('nix-instantiate', ['--parse', join(dir, 'clan.nix')], 5) : undefined;
    rows.push({
      machines: n, lines: text.split('\n').length, 'full analysis ms': full,
      'edit→analysis ms (start)': editStart, '(middle)': editMiddle, '(end)': editEnd, 'new line→analysis ms (start)': newlineStart,
      'parse+read ms': parseOnly, 'check wall ms (ShellCheck, first run)': check, 'check wall ms (ShellCheck, cached)': checkCached,
      'check wall ms (no ShellCheck)': checkNoSc, 'first/no-ShellCheck ratio': check / checkNoSc, 'cached/no-ShellCheck ratio': checkCached / checkNoSc,
      'nix-instantiate --parse ms': nix, 'check/nix ratio (no ShellCheck)': nix ? checkNoSc / nix : undefined,
      'check peak RSS MB': peakRss([CLI, 'check', dir], env),
    });
    rmSync(xdg, { recursive: true, force: true });
  }
  // The floor under every `check` figure: starting Node itself, with nothing loaded.
  const nodeStart = wall(process.execPath, ['-e', '0'], 9);
  console.log(`\nnode -e 0 (Node's own start, median of 9): ${nodeStart.toFixed(0)} ms`);
  const start = await serverStartToDiagnostics();
  console.log(`\nserver start → first diagnostics (examples/demo-clan, median of 5): ${start.toFixed(0)} ms`);
  const vsixPath = join(mkdtempSync(join(tmpdir(), 'clan-bench-vsix-')), 'clan-backups.vsix');
  spawnSync('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsixPath],
    { cwd: ROOT, stdio: 'ignore' });
  const vsix = existsSync(vsixPath) ? vsixPath : undefined;
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? 'n/a'));
  const cols = Object.keys(rows[0]!);
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`);
  const growth = (k: string) => (rows[2]![k] as number) / (rows[0]![k] as number);
  console.log(`\ngrowth 10 → 1,000 machines (100× the input): full analysis ×${growth('full analysis ms').toFixed(1)}, edit at the start ×${growth('edit→analysis ms (start)').toFixed(1)}`);
  const big = rows[rows.length - 1]!;
  console.log(`check at ${big.machines} machines: ShellCheck first run ${fmt(big['check wall ms (ShellCheck, first run)'])} ms `
    + `(×${fmt(big['first/no-ShellCheck ratio'])}), cached ${fmt(big['check wall ms (ShellCheck, cached)'])} ms `
    + `(×${fmt(big['cached/no-ShellCheck ratio'])}), without ShellCheck ${fmt(big['check wall ms (no ShellCheck)'])} ms`);
  const vsixKiB = vsix ? statSync(vsix).size / 1024 : undefined;
  console.log(`VSIX: ${vsixKiB ? `${vsixKiB.toFixed(0)} KiB` : 'not built (vsce failed)'}`);
  const index = await runIndexBench(500);
  console.log(`workspace index of ${index.files} Nix files: ${JSON.stringify(index)}`);
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, index, serverStartMs: start, nodeStartMs: nodeStart, vsixKiB }, null, 2)}\n`);
}

if (require.main === module) void main();
