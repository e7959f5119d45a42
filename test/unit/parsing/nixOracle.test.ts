// tree-sitter-nix must agree with Nix itself (`nix-instantiate --parse`) on whether a file is valid.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { initParsing, parseNix } from '../../../server/src/parsing/parser';
import { readNixSource } from '../../../server/src/model/sourceFile';
import { skipUnlessTool } from '../../helpers/tools';

const ROOT = resolve(__dirname, '../../../..');

function nixFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? nixFiles(p) : p.endsWith('.nix') ? [p] : [];
  });
}

const BROKEN = [
  '{ a = 1 }',
  '{ a = 1; ',
  '{ a.b. = 1; }',
  '{ roles.client.machines."x" = { settings. }; y = 1; }',
  'let x = 1 in x',
  '[ 1 2',
  '{ a = "unterminated; }',
  "{ a = ''abc; }",
  '{ = 1; }',
  '{ a = 1; } }',
  'if x then y',
  '{ a = ${x}; }',
];
const VALID = [
  '{ }',
  '{ a.b."c-d" = 1; inherit (x) y; }',
  'x: y: x + y',
  '{ a ? 1, ... }@args: args',
  "''\n  ''${x} '''\n''",
  'let a = { b = 1; }; in a.b or 2',
  'with pkgs; [ hello ]',
  '{ a = ./foo/${x}.nix; b = <nixpkgs>; }',
  'assert true; 1',
  '{ "${x}" = 1; ${y} = 2; }',
  'rec { a = 1; b = a; }',
  '-5 - -3',
  '{ a = 1.5e3; b = .5; }',
];

describe(
  'grammar agrees with nix-instantiate --parse',
  { skip: skipUnlessTool('nix', 'the grammar against nix-instantiate --parse') },
  () => {
    before(() => initParsing());
    const tmp = mkdtempSync(join(tmpdir(), 'clan-backups-oracle-'));
    const nixSays = (text: string): boolean => {
      const f = join(tmp, 'x.nix');
      writeFileSync(f, text);
      const r = spawnSync('nix-instantiate', ['--parse', f], { encoding: 'utf8' });
      // Nix resolves variables while parsing; an unbound name is not a syntax error, and snippets have free names.
      return r.status === 0 || /undefined variable/.test(r.stderr);
    };

    it('on every Nix file of the project (fixtures and examples)', () => {
      const files = [...nixFiles(join(ROOT, 'test/fixtures')), ...nixFiles(join(ROOT, 'examples'))];
      assert.ok(files.length >= 10);
      for (const f of files) {
        const text = readFileSync(f, 'utf8');
        assert.equal(readNixSource('file:///f.nix', 'clan', text).syntaxProblems.length === 0, nixSays(text), f);
      }
    });

    it('on valid constructs and broken snippets', () => {
      for (const text of [...VALID, ...BROKEN]) {
        assert.equal(readNixSource('file:///f.nix', 'clan', text).syntaxProblems.length === 0, nixSays(text), text);
        assert.equal(!parseNix(text).rootNode.hasError || !nixSays(text), true, `tree-sitter rejects valid ${text}`);
      }
    });
  },
);

describe(
  'duplicate attributes, which Nix refuses while parsing',
  { skip: skipUnlessTool('nix', 'duplicate attributes against nix-instantiate --parse') },
  () => {
    before(() => initParsing());
    const CASES = [
      '{ a = { b = 1; }; a = { c = 2; }; }',
      '{ a = { b = 1; }; a.c = 2; }',
      '{ a.c = 2; a = { b = 1; }; }',
      '{ a.b = 1; a.b = 2; }',
      '{ a = 1; a.b = 2; }',
      '{ a.b = 1; a = 2; }',
      '{ a.b.c = 1; a.b = { d = 2; }; }',
      '{ a = { b = 1; }; a = 2; }',
      '{ inherit a; a = 1; }',
      '{ a = { b = 1; }; a = { b = 2; }; }',
      'let x = { a = 1; a = 2; }; in x',
    ];
    it('are syntax errors exactly where nix-instantiate --parse fails', () => {
      const tmp = mkdtempSync(join(tmpdir(), 'clan-backups-dup-'));
      for (const text of CASES) {
        const f = join(tmp, 'd.nix');
        writeFileSync(f, text);
        const r = spawnSync('nix-instantiate', ['--parse', f], { encoding: 'utf8' });
        const nixOk = r.status === 0 || /undefined variable/.test(r.stderr);
        const ours = readNixSource('file:///d.nix', 'clan', text).syntaxProblems;
        assert.equal(ours.length === 0, nixOk, `${text}: ours ${JSON.stringify(ours)} nix ${r.stderr}`);
        if (!nixOk) assert.match(ours[0]!.message, /attribute '[\w.]+' already defined/);
      }
    });
  },
);
