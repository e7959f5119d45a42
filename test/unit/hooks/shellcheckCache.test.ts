// ShellCheck once per distinct script text, results kept in memory and on disk (issue #19): a fake `shellcheck`
// that records what it is asked to check shows which scripts ran; the positions are checked on every occurrence.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildClanModel } from '../../../server/src/model/buildClanModel';
import { readNixSource } from '../../../server/src/model/sourceFile';
import { AnalysisMemo } from '../../../server/src/checks/analysisMemo';
import { checkShellcheck, checkShellcheckMany } from '../../../server/src/checks/hookShellChecks';
import { HOOK_NAMES, HookStateInput } from '../../../server/src/hooks/hookInput';
import { defaultShellcheckCacheDir, DiskCache, scriptKey } from '../../../server/src/hooks/shellcheckCache';
import { initParsing } from '../../../server/src/parsing/parser';
import { CLI } from '../../helpers/lspClient';
import { skipUnlessTool } from '../../helpers/tools';

const ROOT = resolve(__dirname, '../../../..');

// The same script three times (two indented strings at different depths, one "…" string with escapes), and another.
const CLAN = `{
  meta.name = "sc";
  machines.a.clan.core.state.one = {
    folders = [ "/a" ];
    preBackupScript = ''
      rm -rf $dir/old
      echo $dir
    '';
  };
  machines.b = {
        clan.core.state.two = {
            folders = [ "/b" ];
            postBackupScript = ''
                rm -rf $dir/old
                echo $dir
            '';
        };
  };
  machines.c.clan.core.state.three = { folders = [ "/c" ]; preRestoreScript = "rm -rf $dir/old\\necho $dir\\n"; };
  machines.d.clan.core.state.four = {
    folders = [ "/d" ];
    postRestoreScript = ''
      cd $HOME
    '';
  };
}
`;

/** A `shellcheck` that answers json1 with one SC2086 per `$name`, and logs each run's scripts (one JSON line). */
function makeFake(
  dir: string,
  version = `fake-${process.pid}-${Math.random().toString(36).slice(2)}`,
): { path: string; log: string; versionLog: string } {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'calls.log');
  const versionLog = join(dir, 'version.log');
  const path = join(dir, 'shellcheck');
  writeFileSync(
    path,
    `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
if (args.includes('--version')) {
  fs.appendFileSync(${JSON.stringify(versionLog)}, 'v\\n');
  process.stdout.write('ShellCheck - shell script analysis tool\\nversion: ${version}\\n');
  process.exit(0);
}
const files = args.filter((a) => !a.startsWith('-'));
const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(texts) + '\\n');
const comments = [];
files.forEach((file, k) => texts[k].split('\\n').forEach((l, i) => {
  for (const m of l.matchAll(/\\$[A-Za-z_][A-Za-z0-9_]*/g)) {
    comments.push({ file, line: i + 1, endLine: i + 1, column: m.index + 1, endColumn: m.index + 1 + m[0].length,
      level: 'info', code: 2086, message: 'Double quote to prevent globbing and word splitting.', fix: null });
  }
}));
process.stdout.write(JSON.stringify({ comments }));
`,
  );
  chmodSync(path, 0o755);
  return { path, log, versionLog };
}

/** The scripts of each recorded run. */
function calls(log: string): string[][] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[])
    : [];
}

function inputsOf(text: string, uri = 'file:///c/clan.nix'): HookStateInput[] {
  const file = readNixSource(uri, 'clan', text);
  const model = buildClanModel({ dir: '/c', clanFile: file, machineFiles: [], machineDirs: [] });
  return [...model.machines.values()]
    .flatMap((m) => m.states)
    .map((s) => {
      const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
      for (const h of HOOK_NAMES) {
        const e = s.attrs?.entries.get(h);
        if (e?.binding)
          input.hooks[h] = {
            value: e.value,
            bindingStart: file.lines.offsetAt(e.binding.start),
            bindingEnd: file.lines.offsetAt(e.binding.end),
          };
      }
      return input;
    })
    .filter((i) => Object.keys(i.hooks).length > 0);
}

/** The document text under each finding, with its line. */
function underFindings(
  text: string,
  findings: Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } } }>,
): string[] {
  const lines = text.split('\n');
  return findings
    .map((f) => {
      assert.equal(f.range.start.line, f.range.end.line);
      return `${f.range.start.line}:${lines[f.range.start.line]!.slice(f.range.start.character, f.range.end.character)}`;
    })
    .sort();
}

function entries(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort()
    : [];
}

let tmp: string;
before(async () => {
  await initParsing();
  tmp = mkdtempSync(join(tmpdir(), 'sc-cache-test-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('ShellCheck once per distinct script', () => {
  it('checks each distinct text once and maps its findings to every occurrence with its own positions', async () => {
    const fake = makeFake(join(tmp, 'dedup'));
    const r = await checkShellcheckMany(inputsOf(CLAN), { shellcheckPath: fake.path });
    assert.deepEqual(r.failures, []);
    const runs = calls(fake.log);
    assert.equal(runs.length, 1);
    assert.deepEqual(runs[0]!.sort(), ['cd $HOME\n', 'rm -rf $dir/old\necho $dir\n']);
    assert.deepEqual(r.stats, { scripts: 4, distinct: 2, checked: 2 });
    // Two `$dir` in each of the three copies, `$HOME` once: each finding lies on its own copy's text.
    assert.equal(r.findings.length, 7);
    const lines = CLAN.split('\n');
    const at = (needle: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(needle));
    const a = at('rm -rf $dir/old');
    const b = at('rm -rf $dir/old', a + 1);
    const c = at('preRestoreScript');
    const col = (line: number, needle: string, from = 0) => lines[line]!.indexOf(needle, from);
    assert.deepEqual(
      underFindings(CLAN, r.findings),
      [
        `${a}:$dir`,
        `${a + 1}:$dir`,
        `${b}:$dir`,
        `${b + 1}:$dir`,
        `${c}:$dir`,
        `${c}:$dir`,
        `${at('cd $HOME')}:$HOME`,
      ].sort(),
    );
    // The "…" string holds both on one line: one after `rm -rf `, one after the `\n` escape.
    const inC = r.findings
      .filter((f) => f.range.start.line === c)
      .map((f) => f.range.start.character)
      .sort((x, y) => x - y);
    assert.deepEqual(inC, [col(c, '$dir'), col(c, '$dir', col(c, '$dir') + 1)]);
    // The hook name in the message is each occurrence's own.
    assert.deepEqual(
      new Set(r.findings.map((f) => /in (\w+)\)$/.exec(f.message)?.[1])),
      new Set(['preBackupScript', 'postBackupScript', 'preRestoreScript', 'postRestoreScript']),
    );
  });

  it(
    'finds with real ShellCheck what one run per state finds',
    { skip: skipUnlessTool('shellcheck', 'the ShellCheck cache against real ShellCheck') },
    async () => {
      const inputs = inputsOf(CLAN);
      const single = (await Promise.all(inputs.map((i) => checkShellcheck(i, { timeoutMs: 30000 })))).flatMap(
        (x) => x.findings,
      );
      const batch = await checkShellcheckMany(inputs, { timeoutMs: 30000 });
      const key = (f: {
        message: string;
        range: { start: { line: number; character: number }; end: { line: number; character: number } };
      }) =>
        `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.message}`;
      assert.ok(single.length >= 4, single.map(key).join('\n'));
      assert.deepEqual(batch.findings.map(key).sort(), single.map(key).sort());
      assert.equal(batch.stats?.checked, 2);
    },
  );

  it('spreads many scripts over several processes and finds the same', async () => {
    const fake = makeFake(join(tmp, 'parallel'));
    const text = `{\n${Array.from({ length: 120 }, (_, i) => `  machines.m${i}.clan.core.state.s.preBackupScript = "echo $v${i}";`).join('\n')}\n}\n`;
    const r = await checkShellcheckMany(inputsOf(text), { shellcheckPath: fake.path, parallelism: 3 });
    const runs = calls(fake.log);
    assert.equal(runs.length, 3);
    assert.equal(runs.flat().length, 120);
    assert.equal(r.findings.length, 120);
    assert.deepEqual(
      underFindings(text, r.findings),
      text
        .split('\n')
        .flatMap((l, i) => (/\$v\d+/.exec(l) ? [`${i}:${/\$v\d+/.exec(l)![0]}`] : []))
        .sort(),
    );
  });

  it('keeps results in memory: an edit elsewhere does not run ShellCheck again, and positions follow the text', async () => {
    // Kept in the memo's ShellCheck memory (one per language server or CLI run).
    const memo = new AnalysisMemo();
    const fake = makeFake(join(tmp, 'memory'));
    const first = await checkShellcheckMany(inputsOf(CLAN), { shellcheckPath: fake.path, memo });
    assert.equal(calls(fake.log).length, 1);
    const edited = CLAN.replace('meta.name = "sc";', 'meta.name = "sc";\n  meta.description = "two lines";\n');
    const second = await checkShellcheckMany(inputsOf(edited), { shellcheckPath: fake.path, memo });
    assert.equal(calls(fake.log).length, 1, 'no new ShellCheck run');
    assert.equal(second.stats?.checked, 0);
    assert.deepEqual(
      underFindings(edited, second.findings),
      underFindings(CLAN, first.findings).map((s) => s.replace(/^\d+/, (n) => String(Number(n) + 2))),
    );
    // Changing one script runs ShellCheck on that one only.
    const changed = edited.replace('cd $HOME', 'cd $HOME/x');
    await checkShellcheckMany(inputsOf(changed), { shellcheckPath: fake.path, memo });
    assert.deepEqual(calls(fake.log).slice(1), [['cd $HOME/x\n']]);
    // ShellCheck's version is asked once per memo.
    assert.equal(readFileSync(fake.versionLog, 'utf8'), 'v\n');
  });
});

describe('the disk cache', () => {
  it('serves a second run without ShellCheck, with the same findings', async () => {
    const fake = makeFake(join(tmp, 'disk'));
    const dir = join(tmp, 'disk-cache');
    const opts = { shellcheckPath: fake.path, diskCache: { dir } };
    const first = await checkShellcheckMany(inputsOf(CLAN), opts);
    assert.equal(calls(fake.log).length, 1);
    assert.equal(entries(dir).length, 2);
    const second = await checkShellcheckMany(inputsOf(CLAN), opts);
    assert.equal(calls(fake.log).length, 1, 'the fake records no new call');
    assert.equal(second.stats?.checked, 0);
    assert.deepEqual(second.findings, first.findings);
  });

  it('is keyed by ShellCheck version, options and text', async () => {
    const dir = join(tmp, 'keyed');
    const v1 = makeFake(join(tmp, 'keyed-1'), 'one');
    const v2 = makeFake(join(tmp, 'keyed-2'), 'two');
    await checkShellcheckMany(inputsOf(CLAN), { shellcheckPath: v1.path, diskCache: { dir } });
    await checkShellcheckMany(inputsOf(CLAN), { shellcheckPath: v2.path, diskCache: { dir } });
    assert.equal(calls(v2.log).length, 1, 'another version is not served from the first one’s entries');
    await checkShellcheckMany(inputsOf(CLAN), { shellcheckPath: v2.path, diskCache: { dir }, severity: 'warning' });
    assert.equal(calls(v2.log).length, 2, 'another severity neither');
    const opts = { severity: 'info', excluded: [2148, 1008, 2096], shell: 'bash' };
    assert.notEqual(scriptKey('x', opts, 'echo'), scriptKey('x', { ...opts, excluded: [2148] }, 'echo'));
    assert.notEqual(scriptKey('x', opts, 'echo'), scriptKey('x', { ...opts, shell: 'sh' }, 'echo'));
    assert.equal(scriptKey('x', opts, 'echo'), scriptKey('x', { ...opts, excluded: [2096, 1008, 2148] }, 'echo'));
  });

  it('ignores a corrupt, partial or foreign entry and rewrites it', async () => {
    const fake = makeFake(join(tmp, 'corrupt'));
    const dir = join(tmp, 'corrupt-cache');
    const opts = { shellcheckPath: fake.path, diskCache: { dir } };
    const first = await checkShellcheckMany(inputsOf(CLAN), opts);
    const [e1, e2] = entries(dir);
    const good = readFileSync(join(dir, e1!), 'utf8');
    writeFileSync(join(dir, e1!), good.slice(0, good.length / 2));
    // Valid JSON, but another key's entry (as if renamed by hand): not trusted either.
    writeFileSync(join(dir, e2!), good);
    const second = await checkShellcheckMany(inputsOf(CLAN), opts);
    assert.deepEqual(second.failures, []);
    assert.equal(calls(fake.log).length, 2);
    assert.equal(calls(fake.log)[1]!.length, 2);
    assert.deepEqual(second.findings, first.findings);
    for (const e of entries(dir))
      assert.equal((JSON.parse(readFileSync(join(dir, e), 'utf8')) as { key: string }).key, e.slice(0, -5));
    const third = await checkShellcheckMany(inputsOf(CLAN), opts);
    assert.equal(calls(fake.log).length, 2, 'rewritten entries are served again');
    assert.deepEqual(third.findings, first.findings);
  });

  it('takes two writers at once', async () => {
    const fake = makeFake(join(tmp, 'concurrent'));
    const dir = join(tmp, 'concurrent-cache');
    const text = `{\n${Array.from({ length: 80 }, (_, i) => `  machines.m${i}.clan.core.state.s.preBackupScript = "echo $v${i}";`).join('\n')}\n}\n`;
    const opts = { shellcheckPath: fake.path, diskCache: { dir }, parallelism: 2 };
    const [a, b] = await Promise.all([
      checkShellcheckMany(inputsOf(text), opts),
      checkShellcheckMany(inputsOf(text), opts),
    ]);
    assert.equal(a.findings.length, 80);
    assert.deepEqual(b.findings, a.findings);
    assert.equal(entries(dir).length, 80);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
    const before = calls(fake.log).length;
    const c = await checkShellcheckMany(inputsOf(text), opts);
    assert.equal(calls(fake.log).length, before);
    assert.deepEqual(c.findings, a.findings);
  });

  it('stays within its bounds, the least recently used going first', () => {
    const dir = join(tmp, 'evict');
    const fill = new DiskCache({ dir, maxEntries: 100 });
    const comment = {
      line: 1,
      endLine: 1,
      column: 1,
      endColumn: 2,
      level: 'info',
      code: 2086,
      message: 'x'.repeat(200),
      fix: null,
    };
    const keys = Array.from({ length: 10 }, (_, i) =>
      scriptKey('v', { severity: 'info', excluded: [], shell: 'bash' }, `echo ${i}`),
    );
    keys.forEach((k) => fill.set(k, [comment]));
    // Entry i last used i hours ago.
    const now = Date.now() / 1000;
    keys.forEach((k, i) => utimesSync(join(dir, `${k}.json`), now - i * 3600 - 60, now - i * 3600 - 60));
    // A hit renews an old entry's place.
    assert.ok(new DiskCache({ dir }).get(keys[9]!));
    const bounded = new DiskCache({ dir, maxEntries: 5 });
    const extra = scriptKey('v', { severity: 'info', excluded: [], shell: 'bash' }, 'echo extra');
    bounded.set(extra, [comment]);
    bounded.prune();
    const left = entries(dir).map((n) => n.slice(0, -5));
    assert.ok(left.length <= 5, `${left.length} entries`);
    // The newest stay: the one just written, the one just used, then by age.
    assert.deepEqual(new Set(left), new Set([extra, keys[9]!, keys[0]!, keys[1]!].slice(0, left.length)));
    // And by size.
    const size = statSync(join(dir, `${extra}.json`)).size;
    const small = new DiskCache({ dir, maxBytes: size * 2 + 1 });
    small.set(scriptKey('v', { severity: 'info', excluded: [], shell: 'bash' }, 'echo small'), [comment]);
    small.prune();
    const total = entries(dir).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
    assert.ok(total <= size * 2 + 1, `${total} bytes`);
  });

  it('honours XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(
      defaultShellcheckCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }),
      '/x/cache/clan-backups/shellcheck',
    );
    assert.equal(defaultShellcheckCacheDir({ HOME: '/home/u' }), '/home/u/.cache/clan-backups/shellcheck');
    // A relative XDG_CACHE_HOME is invalid (XDG Base Directory spec) and ignored.
    assert.equal(
      defaultShellcheckCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' }),
      '/home/u/.cache/clan-backups/shellcheck',
    );
  });

  it('is no cache when the directory cannot be written, without throwing', async () => {
    const fake = makeFake(join(tmp, 'unwritable'));
    const blocker = join(tmp, 'a-file');
    writeFileSync(blocker, '');
    const r = await checkShellcheckMany(inputsOf(CLAN), {
      shellcheckPath: fake.path,
      diskCache: { dir: join(blocker, 'cache') },
    });
    assert.equal(r.findings.length, 7);
    assert.deepEqual(r.failures, []);
    assert.match(r.cacheWarning ?? '', /cannot write the ShellCheck cache/);
  });
});

describe('clan-backups check and the cache', () => {
  let clanDir: string;
  let fake: ReturnType<typeof makeFake>;
  let cache: string;
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, 'check', ...args, clanDir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30000,
      env: {
        ...process.env,
        PATH: `${join(tmp, 'cli-fake')}${delimiter}${process.env.PATH ?? ''}`,
        XDG_CACHE_HOME: cache,
        ...env,
      },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(() => {
    clanDir = join(tmp, 'clan');
    mkdirSync(clanDir);
    writeFileSync(join(clanDir, 'clan.nix'), CLAN);
    fake = makeFake(join(tmp, 'cli-fake'));
    cache = join(tmp, 'xdg');
  });

  it('keeps results under $XDG_CACHE_HOME/clan-backups/shellcheck; --no-cache neither reads nor writes them', () => {
    const nocache1 = run(['--no-cache']);
    assert.equal(calls(fake.log).length, 1);
    assert.equal(existsSync(join(cache, 'clan-backups')), false, '--no-cache writes nothing');
    const first = run([]);
    assert.equal(calls(fake.log).length, 2);
    assert.equal(entries(join(cache, 'clan-backups', 'shellcheck')).length, 2);
    const second = run([]);
    assert.equal(calls(fake.log).length, 2, 'the second run is served from the cache');
    const nocache2 = run(['--no-cache']);
    assert.equal(calls(fake.log).length, 3, '--no-cache runs ShellCheck although the cache has it');
    for (const r of [first, second, nocache2]) {
      assert.equal(r.stdout, nocache1.stdout);
      assert.equal(r.stderr, nocache1.stderr);
    }
    assert.equal(nocache1.stdout.split('\n').filter((l) => l.includes('[hook-shell]')).length, 7);
  });

  it('says one line, and checks all the same, when the cache directory cannot be written', () => {
    const blocker = join(tmp, 'xdg-is-a-file');
    writeFileSync(blocker, '');
    const r = run([], { XDG_CACHE_HOME: blocker });
    const ok = run(['--no-cache']);
    assert.equal(r.code, ok.code);
    assert.equal(r.stdout, ok.stdout);
    const lines = r.stderr.split('\n').filter((l) => /cache/i.test(l));
    assert.equal(lines.length, 1, r.stderr);
  });

  it('takes two runs at once sharing the cache', async () => {
    const shared = join(tmp, 'xdg-shared');
    const go = () =>
      new Promise<{ code: number | null; stdout: string }>((res) => {
        const child = spawn(process.execPath, [CLI, 'check', clanDir], {
          cwd: ROOT,
          env: {
            ...process.env,
            PATH: `${join(tmp, 'cli-fake')}${delimiter}${process.env.PATH ?? ''}`,
            XDG_CACHE_HOME: shared,
          },
        });
        let stdout = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d: string) => {
          stdout += d;
        });
        child.on('close', (code) => res({ code, stdout }));
      });
    const [a, b] = await Promise.all([go(), go()]);
    assert.equal(a.code, b.code);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.stdout.split('\n').filter((l) => l.includes('[hook-shell]')).length, 7);
    const dir = join(shared, 'clan-backups', 'shellcheck');
    assert.equal(entries(dir).length, 2);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  it('lists --no-cache in the usage', () => {
    assert.match(run(['--help']).stdout, /\[--no-cache\]/);
  });
});
