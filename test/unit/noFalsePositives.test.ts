// False positives are the worst bug this product can have. The valid corpus (test/fixtures/valid) holds clans in the
// styles real repositories use; `clan-backups check` must report no error and no warning on any of them. Each
// mistaken twin (test/fixtures/mistakes) must get exactly the findings its expected.txt lists. Every file's syntax
// verdict is Nix's own (`nix-instantiate --parse`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { CLI } from '../helpers/lspClient';
import { skipUnlessTool } from '../helpers/tools';

const ROOT = resolve(__dirname, '../../..');
const VALID = join(ROOT, 'test/fixtures/valid');
const MISTAKES = join(ROOT, 'test/fixtures/mistakes');

interface JsonFinding {
  file: string;
  line: number;
  severity: string;
  code: string;
  message: string;
}

function check(dir: string): JsonFinding[] {
  // ShellCheck findings are judged by ShellCheck; these corpora are about our own rules.
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--disable', 'hook-shell', dir], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.ok(r.status === 0 || r.status === 1, `check ${dir} exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as JsonFinding[]).map((f) => ({ ...f, file: relative(dir, resolve(ROOT, f.file)) }));
}

function nixFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? nixFiles(p) : p.endsWith('.nix') ? [p] : [];
  });
}

/** Nix's verdict: an unbound name (`lib` of a fragment) is evaluation, not syntax. */
function nixAccepts(file: string): boolean {
  const r = spawnSync('nix-instantiate', ['--parse', file], { encoding: 'utf8' });
  return r.status === 0 || /undefined variable/.test(r.stderr);
}

const dirs = (root: string) => readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory());

describe('the valid corpus gets no error and no warning', () => {
  for (const name of dirs(VALID)) {
    it(name, () => {
      const loud = check(join(VALID, name)).filter((f) => f.severity === 'error' || f.severity === 'warning');
      assert.deepEqual(
        loud.map((f) => `${f.code} ${f.file}:${f.line}: ${f.message}`),
        [],
      );
    });
  }

  it('holds at least the styles the catalogue promises', () => {
    const text = dirs(VALID)
      .flatMap((d) => nixFiles(join(VALID, d)))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const [style, re] of [
      ['nixfmt trailing commas in formals', /,\n\}:/],
      ['leading commas', /\n, \w/],
      ['lib.mkForce', /lib\.mkForce/],
      ['lib.mkIf', /lib\.mkIf/],
      ['lib.mkDefault', /lib\.mkDefault/],
      ['flake-parts', /flake-parts\.lib\.mkFlake/],
      ['lib.clan', /clan-core\.lib\.clan/],
    ] as const)
      assert.match(text, re, style);
  });
});

describe('the mistaken corpus gets exactly its expected findings', () => {
  for (const name of dirs(MISTAKES)) {
    it(name, () => {
      const dir = join(MISTAKES, name);
      const expected = readFileSync(join(dir, 'expected.txt'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      const got = check(dir).map((f) => `${f.code} ${f.file}:${f.line}`);
      assert.deepEqual(got.sort(), expected.sort());
    });
  }
});

describe(
  "syntax verdicts of both corpora are Nix's",
  { skip: skipUnlessTool('nix', 'the syntax verdicts of the corpora against nix-instantiate --parse') },
  () => {
    it('every file of the valid corpus parses; every syntax-error of the mistakes is one to Nix', () => {
      for (const f of nixFiles(VALID)) assert.ok(nixAccepts(f), `nix-instantiate rejects ${relative(ROOT, f)}`);
      for (const name of dirs(MISTAKES)) {
        const dir = join(MISTAKES, name);
        const broken = new Set(
          readFileSync(join(dir, 'expected.txt'), 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('syntax-error '))
            .map((l) => l.split(' ')[1]!.replace(/:\d+$/, '')),
        );
        for (const f of nixFiles(dir)) {
          assert.equal(
            nixAccepts(f),
            !broken.has(relative(dir, f)),
            `${relative(ROOT, f)}: the product and Nix disagree`,
          );
        }
      }
    });
  },
);
