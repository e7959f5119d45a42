// V8's code cache for the engine bundle (server/src/cli/codeCache.ts): on a tiny bundle in-process, then through the
// real `dist/cli.js`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { CLI } from '../../helpers/lspClient';

const ROOT = resolve(__dirname, '../../../..');
const CODE_CACHE = resolve(__dirname, '../../../server/src/cli/codeCache.js');

/** A bundle that records each run and what Node handed it, under a name unique to the test. */
function bundle(dir: string, tag: string, extra = ''): string {
  const file = join(dir, `${tag}.js`);
  writeFileSync(
    file,
    `const path = require('node:path');\n` +
      `globalThis.__codeCacheRuns ??= {};\n` +
      `globalThis.__codeCacheRuns[${JSON.stringify(tag)}] = { dirname: __dirname, filename: __filename, ` +
      `sep: path.sep, exportsIsThis: this === module.exports };\n` +
      `function square(x) { return x * x; }\nmodule.exports.value = square(7);\n${extra}`,
  );
  return file;
}

/** A fresh directory with a bundle tagged `tag` and the path its cache directory would have. */
function setUp(tag: string): { dir: string; cache: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
  return { dir, cache: join(dir, 'cache'), file: bundle(dir, tag) };
}

interface ChildRun {
  status: string;
  runs: Record<string, { dirname: string; filename: string; sep: string; exportsIsThis: boolean }>;
}

/**
 * runBundle then save() in a fresh Node process, as the launcher does: V8 keeps what a process compiled, so a second
 * compile of the same text in one process never consults the cached data.
 */
function runBundle(file: string, cacheDir: string | undefined, flavour: string): ChildRun {
  const script =
    `const run = require(${JSON.stringify(CODE_CACHE)}).runBundle(${JSON.stringify(file)}, ` +
    `${cacheDir === undefined ? 'undefined' : JSON.stringify(cacheDir)}, ${JSON.stringify(flavour)});\n` +
    'run.save();\nconsole.log(JSON.stringify({ status: run.status, runs: globalThis.__codeCacheRuns }));';
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ChildRun;
}

describe('codeCache.runBundle', () => {
  it('runs the bundle as Node would, with no cache directory at all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
    const file = bundle(dir, 'plain');
    const run = runBundle(file, undefined, 'check');
    assert.equal(run.status, 'off');
    assert.deepEqual(run.runs.plain, { dirname: dir, filename: file, sep: '/', exportsIsThis: true });
    assert.deepEqual(readdirSync(dir), ['plain.js']);
  });

  it('misses, writes one file, then hits', () => {
    const { cache, file } = setUp('hit');
    assert.equal(runBundle(file, cache, 'check').status, 'miss');
    const files = readdirSync(cache);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^check-[0-9a-f]{32}\.bin$/);
    assert.equal(runBundle(file, cache, 'check').status, 'hit');
  });

  it('ignores a damaged file (the digest in front does not match) and writes it anew', () => {
    const { cache, file } = setUp('damaged');
    runBundle(file, cache, 'lsp');
    const path = join(cache, readdirSync(cache)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(path, bytes);
    assert.equal(runBundle(file, cache, 'lsp').status, 'miss');
    assert.equal(runBundle(file, cache, 'lsp').status, 'hit');
  });

  it('reports data V8 refuses as rejected, runs the bundle anyway and writes the file anew', () => {
    const { cache, file } = setUp('refused');
    runBundle(file, cache, 'lsp');
    const path = join(cache, readdirSync(cache)[0]!);
    // Whole (a matching digest) but not V8's: what a file written by another V8 version looks like to this one.
    const junk = Buffer.alloc(4096, 7);
    writeFileSync(path, Buffer.concat([createHash('sha256').update(junk).digest(), junk]));
    const refused = runBundle(file, cache, 'lsp');
    assert.equal(refused.status, 'rejected');
    assert.equal(refused.runs.refused?.filename, file);
    assert.equal(runBundle(file, cache, 'lsp').status, 'hit');
  });

  it('keys the file by the bundle text; a new bundle replaces its flavour’s file and leaves the others', () => {
    const { cache, file } = setUp('versions');
    runBundle(file, cache, 'check');
    runBundle(file, cache, 'lsp');
    const before = readdirSync(cache).sort();
    // Same length, other text: V8's own check would not see the difference.
    writeFileSync(file, readFileSync(file, 'utf8').replace('square(7)', 'square(8)'));
    assert.equal(runBundle(file, cache, 'check').status, 'miss');
    const after = readdirSync(cache).sort();
    assert.equal(after.length, 2);
    assert.ok(after.includes(before.find((f) => f.startsWith('lsp-'))!));
    assert.ok(!after.includes(before.find((f) => f.startsWith('check-'))!));
  });

  it('runs without a cache when the directory cannot be created', () => {
    const dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const file = bundle(dir, 'unwritable');
    const run = runBundle(file, join(blocker, 'v8'), 'check');
    assert.equal(run.status, 'miss');
    assert.equal(run.runs.unwritable?.filename, file);
    assert.deepEqual(readdirSync(dir).sort(), ['not-a-dir', 'unwritable.js']);
  });
});

describe('clan-backups and its code cache', () => {
  const check = (xdg: string, extra: string[] = []) =>
    spawnSync(process.execPath, [CLI, 'check', ...extra, '--format', 'json', 'examples/demo-clan'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30000,
      env: { ...process.env, XDG_CACHE_HOME: xdg },
    });

  it('keeps one file per command under $XDG_CACHE_HOME/clan-backups/v8, with the same findings as without it', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'code-cache-xdg-'));
    const first = check(xdg);
    assert.equal(first.status, 1, first.stderr);
    assert.match(readdirSync(join(xdg, 'clan-backups', 'v8')).join(' '), /^check-[0-9a-f]{32}\.bin$/);
    const cached = check(xdg);
    const none = check(xdg, ['--no-cache']);
    assert.equal(cached.status, 1, cached.stderr);
    assert.equal(cached.stdout, first.stdout);
    assert.equal(none.stdout, first.stdout);
    assert.equal(readdirSync(join(xdg, 'clan-backups', 'v8')).length, 1);
  });

  it('says what is missing, and exits 2, when dist/engine.js is not next to dist/cli.js', () => {
    const dir = mkdtempSync(join(tmpdir(), 'code-cache-lonely-'));
    copyFileSync(CLI, join(dir, 'cli.js'));
    const r = spawnSync(process.execPath, [join(dir, 'cli.js'), 'check', 'examples/demo-clan'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `clan-backups: ${join(dir, 'engine.js')} is missing: the build is incomplete (run \`npm run build\`)\n`,
    );
  });

  it('takes two runs at once that both write the cache', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'code-cache-xdg-'));
    const once = () =>
      new Promise<{ code: number | null; stdout: string }>((done) => {
        const child = spawn(process.execPath, [CLI, 'check', '--format', 'json', 'examples/demo-clan'], {
          cwd: ROOT,
          env: { ...process.env, XDG_CACHE_HOME: xdg },
        });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('close', (code) => done({ code, stdout }));
      });
    const [a, b] = await Promise.all([once(), once()]);
    assert.equal(a.code, 1);
    assert.equal(b.code, 1);
    assert.equal(a.stdout, b.stdout);
    // One file, whole: a later run hits it (no file is written on a hit) and finds the same.
    assert.match(readdirSync(join(xdg, 'clan-backups', 'v8')).join(' '), /^check-[0-9a-f]{32}\.bin$/);
    const before = readFileSync(join(xdg, 'clan-backups', 'v8', readdirSync(join(xdg, 'clan-backups', 'v8'))[0]!));
    assert.equal(check(xdg).stdout, a.stdout);
    const after = readFileSync(join(xdg, 'clan-backups', 'v8', readdirSync(join(xdg, 'clan-backups', 'v8'))[0]!));
    assert.ok(before.equals(after));
  });

  it('--no-cache writes no cache file at all', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'code-cache-xdg-'));
    const r = check(xdg, ['--no-cache']);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(readdirSync(xdg), []);
  });
});
