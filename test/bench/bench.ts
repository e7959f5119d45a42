// `npm run bench`: speed and memory at fleet scale, printed as a table and written to bench/results.json.
// Generated clans of 10, 100 and 1,000 machines (tags, several instances, states with hooks, destinations,
// PostgreSQL); medians of repeated runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AnalysisMemo, analyzeClan } from '../../server/src/analyze';
import { loadClanSources } from '../../server/src/model/loadClan';
import { SourceCache } from '../../server/src/model/sourceFile';
import { toUri } from '../../server/src/util/uris';
import { readNixSource } from '../../server/src/model/sourceFile';
import { editTree, initParsing, parseNix } from '../../server/src/parsing/parser';
import { generateWorkspace, indexFolder, runIndexBench } from './indexBench';
import { serverIndex, serverStartToDiagnostics } from './serverBench';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const PARSE_FLOOR = join(__dirname, 'parseFloor.js');

// The state hooks of a real fleet are mostly the same few texts (one role's services on many machines), plus some
// machine-specific ones: 'shared' gives most machines one of five hook pairs and every tenth machine its own.
const SHARED_SERVICES = ['nginx', 'postgresql', 'gitea', 'nextcloud-setup', 'vaultwarden'];

export function generateClan(machines: number, hooks: 'shared' | 'distinct' = 'distinct'): string {
  const service = (i: number) =>
    hooks === 'distinct' || i % 10 === 7 ? `app${i}` : SHARED_SERVICES[i % SHARED_SERVICES.length]!;
  const lines: string[] = [
    '{',
    '  meta.name = "bench";',
    '  meta.domain = "bench.lol";',
    '',
    '  inventory.machines = {',
  ];
  for (let i = 0; i < machines; i++) {
    const tags = [i % 3 === 0 ? '"web"' : '"office"', i % 10 === 0 ? '"db"' : ''].filter(Boolean).join(' ');
    lines.push(
      `    m${i} = {`,
      `      deploy.targetHost = "root@10.0.${i >> 8}.${i & 255}";`,
      `      tags = [ ${tags} ];`,
      '    };',
    );
  }
  lines.push(
    '    backup-a = { };',
    '    backup-b = { };',
    '  };',
    '',
    '  inventory.instances = {',
    '    borgbackup = {',
    '      roles.client.tags = [ "web" "office" ];',
    '      roles.client.settings.exclude = [ "*.pyc" "*/__pycache__" ];',
    '      roles.server.machines.backup-a.settings.directory = "/srv/borg";',
    '      roles.server.machines."backup-b" = { settings.address = "10.9.0.2"; };',
  );
  for (let i = 0; i < machines; i += 10) {
    lines.push(
      `      roles.client.machines.m${i}.settings = {`,
      '        startAt = "*-*-* 03:00:00";',
      '        destinations.storagebox = {',
      `          repo = "u${i}@u${i}.your-storagebox.de:/./borgbackup";`,
      '          rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";',
      '        };',
      '      };',
    );
  }
  lines.push(
    '    };',
    '    sshd.roles.server.tags.all = { };',
    '    user-root = { module.name = "users"; roles.default.tags.all = { }; };',
    '  };',
    '',
    '  machines = {',
  );
  for (let i = 0; i < machines; i++) {
    lines.push(
      `    m${i} = { config, lib, pkgs, ... }: {`,
      `      clan.core.state.app${i} = {`,
      `        folders = [ "/var/lib/app${i}" "/etc/app${i}" ];`,
      "        preBackupScript = ''",
      '          export PATH=${lib.makeBinPath [ config.systemd.package ]}',
      `          systemctl stop ${service(i)}.service`,
      "        '';",
      "        postBackupScript = ''",
      `          systemctl start ${service(i)}.service`,
      "        '';",
      '      };',
    );
    if (i % 10 === 0) {
      lines.push(
        '      clan.core.postgresql.enable = true;',
        `      clan.core.postgresql.databases.db${i}.create.options.OWNER = "app";`,
      );
    }
    lines.push('    };');
  }
  lines.push('    backup-a.clan.core.state.x.folders = [ ];', '  };', '}', '');
  return lines.join('\n');
}

/**
 * One-character edits, typed one after another at `needle` in `dir`/clan.nix: incremental re-parse, then the analysis
 * as the language server runs it (the previous read is kept, unchanged subtrees reused). Median ms per edit.
 */
function editRun(dir: string, text: string, needle: string, insert: string): number {
  const uri = toUri(join(dir, 'clan.nix'));
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
  }, 40);
  tree.delete();
  return ms;
}

/** `--only edit`: typing and Enter at the start of the 1,000-machine clan, five rounds each. */
function printEdits(): void {
  const dir = mkdtempSync(join(tmpdir(), 'clan-bench-edit-'));
  const text = generateClan(1000, 'shared');
  writeFileSync(join(dir, 'clan.nix'), text);
  try {
    for (const [label, insert] of [
      ['typing', 'x'],
      ['Enter', '\n'],
    ] as const) {
      const xs = [0, 1, 2, 3, 4].map(() => editRun(dir, text, '"/var/lib/app1"', insert));
      console.log(
        `${label} → analysis at the start, 1,000 machines (medians of 40): ${xs.map((x) => x.toFixed(0)).join(', ')} ms`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

function wall(cmd: string, args: string[], runs: number): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore' });
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

async function main(): Promise<void> {
  await initParsing();
  // `--only index` / `--only edit` / `--only start`: one section's figures alone (a minute instead of many), while working on it.
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only === 'index') return printIndex();
  if (only === 'edit') return printEdits();
  if (only === 'start') {
    const start = await serverStartToDiagnostics(9);
    console.log(
      `server start → first diagnostics (median of 9): ${start.median.toFixed(0)} ms (runs: ${start.all.map((x) => x.toFixed(0)).join(', ')})`,
    );
    return;
  }
  if (only !== undefined) throw new Error(`bench: --only ${only}: the sections are 'index', 'edit' and 'start'`);
  // Probed with a parse, the command the rounds time: a nix-instantiate that cannot parse is missing too.
  const haveNix = spawnSync('nix-instantiate', ['--parse', '-E', '{ }']).status === 0;
  const rows: Array<Record<string, number | string | undefined>> = [];
  let distinct: { first: number; cached: number; noSc: number } | undefined;
  let floor: { parse: number; walk: number } | undefined;
  for (const n of [10, 100, 1000]) {
    const dir = mkdtempSync(join(tmpdir(), `clan-bench-${n}-`));
    const text = generateClan(n, 'shared');
    writeFileSync(join(dir, 'clan.nix'), text);
    const runs = n >= 1000 ? 15 : 40;
    const full = time(() => analyzeClan(loadClanSources(dir)), runs);
    const editAt = (needle: string, insert = 'x') => editRun(dir, text, needle, insert);
    const editStart = editAt('"/var/lib/app1"');
    const editMiddle = editAt(`"/var/lib/app${Math.floor(n / 2)}"`);
    const editEnd = editAt(`"/var/lib/app${n - 1}"`);
    // Typing keeps the line count, and values below the edited line are then reused as they are; Enter moves every
    // line after it, and everything read from there on is copied with moved positions.
    const newlineStart = editAt('"/var/lib/app1"', '\n');
    const parseOnly = time(() => readNixSource(toUri(join(dir, 'clan.nix')), 'clan', text), runs);
    const sc = checkRounds(dir, `${n}`, haveNix, 5, n >= 1000);
    if (sc.floor) floor = sc.floor;
    const checkNoSc = sc.noSc;
    const nix = sc.nix;
    rows.push({
      machines: n,
      lines: text.split('\n').length,
      'full analysis ms': full,
      'edit→analysis ms (start)': editStart,
      '(middle)': editMiddle,
      '(end)': editEnd,
      'new line→analysis ms (start)': newlineStart,
      'parse+read ms': parseOnly,
      'check wall ms (ShellCheck, first run)': sc.first,
      'check wall ms (ShellCheck, cached)': sc.cached,
      'check wall ms (no ShellCheck)': checkNoSc,
      'first/no-ShellCheck ratio': sc.first / checkNoSc,
      'cached/no-ShellCheck ratio': sc.cached / checkNoSc,
      'nix-instantiate --parse ms': nix,
      'check/nix ratio (no ShellCheck)': nix ? checkNoSc / nix : undefined,
      'check peak RSS MB': peakRss([CLI, 'check', dir], sc.env),
    });
    rmSync(sc.env.XDG_CACHE_HOME!, { recursive: true, force: true });
    if (n === 1000) {
      // The case without repetition: every machine's hooks are its own text.
      writeFileSync(join(dir, 'clan.nix'), generateClan(n, 'distinct'));
      const d = checkRounds(dir, `${n}-distinct`, false);
      distinct = { first: d.first, cached: d.cached, noSc: d.noSc };
      rmSync(d.env.XDG_CACHE_HOME!, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  // The floor under every `check` figure: starting Node itself, with nothing loaded.
  const nodeStart = wall(process.execPath, ['-e', '0'], 9);
  console.log(`\nnode -e 0 (Node's own start, median of 9): ${nodeStart.toFixed(0)} ms`);
  const start = await serverStartToDiagnostics(7);
  console.log(
    `server start → first diagnostics (examples/demo-clan, median of 7): ${start.median.toFixed(0)} ms ` +
      `(runs: ${start.all.map((x) => x.toFixed(0)).join(', ')})`,
  );
  const vsixPath = join(mkdtempSync(join(tmpdir(), 'clan-bench-vsix-')), 'clan-backups.vsix');
  spawnSync(
    'npx',
    [
      'vsce',
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--no-rewrite-relative-links',
      '-o',
      vsixPath,
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  const vsix = existsSync(vsixPath) ? vsixPath : undefined;
  const fmt = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? 'n/a');
  const cols = Object.keys(rows[0]!);
  console.log(`\n| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`);
  console.log(`(hooks: ${SHARED_SERVICES.length} shared hook pairs on 9 of 10 machines, every tenth machine its own)`);
  const growth = (k: string) => (rows[2]![k] as number) / (rows[0]![k] as number);
  console.log(
    `\ngrowth 10 → 1,000 machines (100× the input): full analysis ×${growth('full analysis ms').toFixed(1)}, edit at the start ×${growth('edit→analysis ms (start)').toFixed(1)}`,
  );
  const big = rows[rows.length - 1]!;
  console.log(
    `check at ${big.machines} machines, shared hooks: ShellCheck first run ${fmt(big['check wall ms (ShellCheck, first run)'])} ms ` +
      `(×${fmt(big['first/no-ShellCheck ratio'])}), cached ${fmt(big['check wall ms (ShellCheck, cached)'])} ms ` +
      `(×${fmt(big['cached/no-ShellCheck ratio'])}), without ShellCheck ${fmt(big['check wall ms (no ShellCheck)'])} ms`,
  );
  if (distinct) {
    console.log(
      `check at 1000 machines, every hook distinct: ShellCheck first run ${distinct.first.toFixed(0)} ms (×${(distinct.first / distinct.noSc).toFixed(2)}), ` +
        `cached ${distinct.cached.toFixed(0)} ms (×${(distinct.cached / distinct.noSc).toFixed(2)}), without ShellCheck ${distinct.noSc.toFixed(0)} ms`,
    );
  }
  const nix1000 = big['nix-instantiate --parse ms'] as number | undefined;
  if (floor) {
    // What #19's `check`/nix target is up against: the parse alone, and the least any reader of its tree does.
    const ratio = (ms: number) => (nix1000 ? ` (${(ms / nix1000).toFixed(2)}× nix-instantiate --parse)` : '');
    console.log(
      `floor under check at 1000 machines (test/bench/parseFloor.ts): Node + grammars + one parse ${floor.parse.toFixed(0)} ms${ratio(floor.parse)}; ` +
        `the same with one visit of every named node ${floor.walk.toFixed(0)} ms${ratio(floor.walk)}`,
    );
  }
  const vsixKiB = vsix ? statSync(vsix).size / 1024 : undefined;
  console.log(`VSIX: ${vsixKiB ? `${vsixKiB.toFixed(0)} KiB` : 'not built (vsce failed)'}`);
  const { index, workspaces } = await indexSection();
  const targets: Target[] = [
    [
      'ShellCheck first run / no ShellCheck (1,000 machines, shared hooks)',
      big['first/no-ShellCheck ratio'] as number,
      1.5,
      '×',
    ],
    [
      'ShellCheck cached / no ShellCheck (1,000 machines, shared hooks)',
      big['cached/no-ShellCheck ratio'] as number,
      1.2,
      '×',
    ],
    ['Enter → analysis at the start (1,000 machines)', big['new line→analysis ms (start)'] as number, 30, ' ms'],
    ['server start → first diagnostics (examples/demo-clan)', start.median, 300, ' ms'],
    [
      'check without ShellCheck / nix-instantiate --parse (1,000 machines)',
      big['check/nix ratio (no ShellCheck)'] as number | undefined,
      10,
      '×',
    ],
    ...holdTargets(workspaces),
  ];
  printTargets(targets);
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        rows,
        distinct,
        floor,
        index,
        workspaces,
        serverStartMs: start.median,
        nodeStartMs: nodeStart,
        vsixKiB,
        targets: targets.map(([name, value, limit]) => ({ name, value, limit })),
      },
      null,
      2,
    )}\n`,
  );
}

type Target = [name: string, value: number | undefined, limit: number, unit: string];

/** The workspace index: the generated 500-file workspace in-process, then the largest fixture and 2,000 files. */
async function indexSection() {
  const index = await runIndexBench(500);
  console.log(`workspace index of ${index.files} Nix files: ${JSON.stringify(index)}`);
  const workspaces = await indexRuns();
  for (const w of workspaces) {
    console.log(
      `workspace index of ${w.name} (${w.files} Nix files): in-process ${w.ms.toFixed(0)} ms; in the server ${w.server.indexedMs.toFixed(0)} ms ` +
        `to indexed, longest event-loop hold ${w.server.longestHoldMs.toFixed(1)} ms (at ${w.server.longestHoldAtMs} ms after the first loop turn)`,
    );
  }
  return { index, workspaces };
}

function holdTargets(workspaces: Awaited<ReturnType<typeof indexRuns>>): Target[] {
  return workspaces.map((w) => [
    `longest event-loop hold while the server indexes ${w.name}`,
    w.server.longestHoldMs,
    50,
    ' ms',
  ]);
}

function printTargets(targets: Target[]): void {
  console.log('\nissue #19 targets (this run):');
  for (const [name, value, limit, unit] of targets) {
    const verdict = value === undefined ? 'n/a ' : value <= limit ? 'pass' : 'FAIL';
    console.log(
      `  ${verdict}  ${name}: ${value === undefined ? 'n/a' : value.toFixed(unit === '×' ? 2 : 0)}${unit} (target ≤ ${limit}${unit})`,
    );
  }
}

/** Only the index section; bench/results.json is left as the last full run wrote it. */
async function printIndex(): Promise<void> {
  const { workspaces } = await indexSection();
  printTargets(holdTargets(workspaces));
}

/**
 * `check` with ShellCheck (a first run with an emptied result cache, then a run that finds every script there),
 * `check` without ShellCheck, and `nix-instantiate --parse` of the same file, in rounds of one each: the host's speed
 * drifts within a run, and alternating makes it weigh on all of them alike. Medians of `rounds`. All runs share the
 * bench's own $XDG_CACHE_HOME, where a warm-up run leaves V8's code cache for every one of them.
 */
function checkRounds(
  dir: string,
  label: string,
  haveNix: boolean,
  rounds = 5,
  floor = false,
): {
  first: number;
  cached: number;
  noSc: number;
  nix: number | undefined;
  floor: { parse: number; walk: number } | undefined;
  env: NodeJS.ProcessEnv;
} {
  const xdg = mkdtempSync(join(tmpdir(), `clan-bench-cache-${label}-`));
  const env = { ...process.env, XDG_CACHE_HOME: xdg };
  // A run that failed would still give a time, and a fast one: it is an error of the bench instead. `check` exits 1
  // when it reports errors, which is a finished run.
  const once = (cmd: string, args: string[]) => {
    const t = performance.now();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    const ms = performance.now() - t;
    const finished = r.status === 0 || (r.status === 1 && args[1] === 'check');
    if (!finished) {
      const how = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
      throw new Error(`bench: ${cmd} ${args.join(' ')} failed (${how}): ${String(r.stderr)}`);
    }
    return ms;
  };
  once(process.execPath, [CLI, 'check', dir]);
  const xs = {
    first: [] as number[],
    cached: [] as number[],
    noSc: [] as number[],
    nix: [] as number[],
    parse: [] as number[],
    walk: [] as number[],
  };
  for (let i = 0; i < rounds; i++) {
    rmSync(join(xdg, 'clan-backups', 'shellcheck'), { recursive: true, force: true });
    xs.first.push(once(process.execPath, [CLI, 'check', dir]));
    xs.cached.push(once(process.execPath, [CLI, 'check', dir]));
    // The engine alone: ShellCheck is an external program that dominates large clans with thousands of hooks.
    xs.noSc.push(once(process.execPath, [CLI, 'check', '--disable', 'hook-shell', dir]));
    if (haveNix) xs.nix.push(once('nix-instantiate', ['--parse', join(dir, 'clan.nix')]));
    if (floor) {
      xs.parse.push(once(process.execPath, ['--liftoff-only', PARSE_FLOOR, join(dir, 'clan.nix'), 'parse']));
      xs.walk.push(once(process.execPath, ['--liftoff-only', PARSE_FLOOR, join(dir, 'clan.nix'), 'walk']));
    }
  }
  return {
    first: median(xs.first),
    cached: median(xs.cached),
    noSc: median(xs.noSc),
    nix: haveNix ? median(xs.nix) : undefined,
    floor: floor ? { parse: median(xs.parse), walk: median(xs.walk) } : undefined,
    env,
  };
}

/** The largest real-layout fixture (most .nix files, then most bytes) and a generated workspace of 2,000 files. */
async function indexRuns() {
  const fixtures = ['valid', 'layouts', 'seeds'].flatMap((group) =>
    readdirSync(join(ROOT, 'test/fixtures', group), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(ROOT, 'test/fixtures', group, e.name)),
  );
  const sized = fixtures.map((dir) => ({ dir, ...sizeOf(dir) })).sort((a, b) => b.files - a.files || b.bytes - a.bytes);
  const largest = sized[0]!;
  const generated = generateWorkspace(2000);
  try {
    const out = [];
    for (const [name, dir] of [
      [relative(ROOT, largest.dir), largest.dir],
      ['a generated workspace', generated.dir],
    ] as const) {
      const inProcess = indexFolder(dir);
      out.push({ name, files: inProcess.files, ms: inProcess.ms, server: await serverIndex(dir) });
    }
    return out;
  } finally {
    rmSync(generated.dir, { recursive: true, force: true });
  }
}

function sizeOf(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const s = sizeOf(p);
      files += s.files;
      bytes += s.bytes;
    } else if (e.name.endsWith('.nix')) {
      files++;
      bytes += statSync(p).size;
    }
  }
  return { files, bytes };
}

if (require.main === module) void main();
