// String decoding (escapes, `''…''` indentation stripping, interpolations) compared with Nix's own evaluator on
// generated strings: the hook analysis maps shell positions through this decoding, so it must be exact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readValue } from '../../../server/src/model/valueReader';
import { initParsing, parseNix } from '../../../server/src/parsing/parser';
import { skipUnlessTool } from '../../helpers/tools';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INDENTED_PARTS = [
  ' ',
  '  ',
  '    ',
  '\n',
  '\n',
  'a',
  'echo x',
  '\t',
  "''$",
  "'''",
  "''\\n",
  "''\\t",
  '${"i"}',
  '$x',
  '#',
  '"q"',
];
const PLAIN_PARTS = [' ', 'a', '\\n', '\\t', '\\"', '\\\\', '\\$', '${"i"}', '$x', "''", 'é', '😀'];

function generate(count: number, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const indented = i % 3 !== 0;
    const parts = indented ? INDENTED_PARTS : PLAIN_PARTS;
    let body = '';
    const n = 1 + Math.floor(r() * 12);
    for (let k = 0; k < n; k++) body += parts[Math.floor(r() * parts.length)];
    // A `'` right before the closing `''` would close early; keep generated strings well-formed.
    out.push(indented ? `''${body.replace(/'$/, "'a")}''` : `"${body}"`);
  }
  return out;
}

describe(
  'string decoding agrees with nix-instantiate --eval',
  { skip: skipUnlessTool('nix', 'string decoding against nix-instantiate --eval') },
  () => {
    before(() => initParsing());

    it('on 400 generated plain and indented strings', () => {
      const seed = Number(process.env.STRINGS_SEED ?? 7);
      const exprs = generate(400, seed);
      const source = `[\n${exprs.join('\n')}\n]\n`;
      const file = join(mkdtempSync(join(tmpdir(), 'clan-strings-')), 's.nix');
      writeFileSync(file, source);
      const r = spawnSync('nix-instantiate', ['--eval', '--strict', '--json', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const expected = JSON.parse(r.stdout) as string[];
      const tree = parseNix(source);
      assert.equal(tree.rootNode.hasError, false);
      const list = readValue(tree.rootNode.firstNamedChild!, 'file:///s.nix', source);
      assert.equal(list.kind, 'list');
      const items = list.kind === 'list' ? list.items : [];
      assert.equal(items.length, expected.length);
      items.forEach((v, i) => {
        assert.equal(v.kind, 'string');
        if (v.kind !== 'string') return;
        // Interpolations here are all `${"i"}`: substitute the literal to compare whole values.
        const ours = v.pieces.map((p) => (p.kind === 'text' ? p.text : 'i')).join('');
        assert.equal(ours, expected[i], `${exprs[i]}`);
        for (const p of v.pieces) {
          if (p.kind !== 'text') continue;
          // Every character maps to a document offset inside the string's source.
          assert.equal(p.offsets.length, p.text.length);
          for (const o of p.offsets) assert.ok(o >= tree.rootNode.startIndex && o < source.length);
        }
      });
    });
  },
);
