// Reading an edited document again reuses the values of unchanged subtrees (moved when the edit was before them).
// Whatever the edits, the result must equal a fresh read: same values with the same positions and offsets, same
// syntax problems, same findings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { AnalysisMemo, analyzeClan } from '../../../server/src/analyze';
import type { Finding } from '../../../server/src/findings';
import { loadClanSources } from '../../../server/src/model/loadClan';
import type { NixValue } from '../../../server/src/model/nixValue';
import { readNixSource, SourceCache, SourceFile } from '../../../server/src/model/sourceFile';
import { MAX_READ_DEPTH } from '../../../server/src/model/valueReader';
import { editTree, initParsing, parseNix } from '../../../server/src/parsing/parser';
import { generateClan } from '../../bench/bench';
import { toUri } from '../../../server/src/util/uris';
import { mulberry32 } from '../../helpers/prng';

/** Every observable part of a value, offsets included (lazy offset arrays are materialised). */
function dump(v: NixValue): unknown {
  const base = { kind: v.kind, range: v.range, priority: v.priority ?? null };
  switch (v.kind) {
    case 'string':
      return {
        ...base,
        at: v.literal,
        value: v.value ?? null,
        pieces: v.pieces.map((p) => (p.kind === 'text' ? { t: p.text, o: p.offsets } : { ...p })),
      };
    case 'list':
      return { ...base, items: v.items.map(dump) };
    case 'attrs':
      return {
        ...base,
        dyn: v.dynamicKeys,
        implicit: v.implicit,
        entries: [...v.entries].map(([k, e]) => [k, e.keyRange, e.binding ?? null, dump(e.value)]),
      };
    case 'function':
      return { ...base, body: dump(v.body) };
    default:
      return { ...v };
  }
}

function findingsOf(file: SourceFile): unknown {
  return comparable(analyzeClan({ dir: '/x', clanFile: file, machineFiles: [], machineDirs: [] }).findings);
}

function comparable(findings: Finding[]): unknown {
  return findings.map((f) => ({
    uri: f.uri,
    code: f.code,
    range: f.range,
    message: f.message,
    fixes: f.fixes ?? null,
  }));
}

const EDITS = ['x', '\n', '', ' ', '"', '{', '}', ';', 'a = 1;', '\n  ', "''", '${x}', '# c\n', ',', ', }:', 'b,'];

// A machine module as nixfmt writes it: trailing commas in formals, which the parser reads as blanks.
const NIXFMT_MODULE = `{
  config,
  lib,
  pkgs,
}:
{
  imports = [ ({ x, }: { }) ];
  clan.core.state.app = {
    folders = [ "/var/lib/app" ];
    preBackupScript = ''
      \${lib.getExe' config.systemd.package "systemctl"} stop app
    '';
  };
  services.f = { a ? 1, b, }@args: args;
}
`;

/** Reads `source`, then applies `edits` edit by edit; after each, the incremental read must equal a fresh one. */
function assertEqualsFreshReads(
  source: string,
  seed: number,
  edits: number,
  pick: (rnd: () => number, text: string) => [number, number, string],
): void {
  const rnd = mulberry32(seed);
  let text = source;
  let tree = parseNix(text);
  let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
  for (let i = 0; i < edits; i++) {
    const [start, end, insert] = pick(rnd, text);
    text = editTree(tree, text, start, end, insert);
    const next = parseNix(text, tree);
    const incremental = readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
    // The same tree read with nothing reused; and, while the text parses, the tree of a fresh parse (tree-sitter may
    // recover from a syntax error differently in an incremental parse than in a fresh one).
    const fresh = [readNixSource('file:///x/clan.nix', 'clan', text, next)];
    if (!next.rootNode.hasError) fresh.push(readNixSource('file:///x/clan.nix', 'clan', text));
    const what = `edit ${i} (${JSON.stringify(insert)} over ${start}..${end})`;
    for (const f of fresh) {
      assert.deepEqual(dump(incremental.root), dump(f.root), `value after ${what}`);
      assert.deepEqual(incremental.syntaxProblems, f.syntaxProblems, `syntax problems after ${what}`);
      assert.deepEqual(findingsOf(incremental), findingsOf(f), `findings after ${what}`);
    }
    tree.delete();
    tree = next;
    file = incremental;
  }
  tree.delete();
}

// Line breaks and pastes move everything after them by lines; astral characters are two UTF-16 units, and CRLF
// lines end in two characters: positions must stay exact LSP positions through every move.
const MOVING_EDITS = [
  '\n',
  '\r\n',
  '\n\n',
  '\n    ',
  '🦀',
  'é🦀x',
  '"🦀"',
  'x = "🦀";\n',
  '\n  a = 1;\n  b = [ "x" ];\n',
  "  c = ''\n    🦀 ${x}\n  '';\n",
  '{\n',
  '}\n',
  '# 🦀\r\n',
  '',
];

describe('incremental re-reading of an edited document', () => {
  before(() => initParsing());

  for (const [name, source] of [
    ['generated 20-machine clan', () => generateClan(20)],
    ['generated 20-machine clan with CRLF line ends', () => generateClan(20).replace(/\n/g, '\r\n')],
    [
      'astral characters in strings and comments',
      () =>
        generateClan(8)
          .replace(/app(\d)/g, 'app🦀$1')
          .replace(/\{\n/g, '{ # 🦀é\n'),
    ],
  ] as const) {
    it(`equals a fresh read after line breaks, pastes and deletions anywhere: ${name}`, () => {
      assertEqualsFreshReads(source(), 11, 100, (rnd, text) => {
        // Half the edits near the start, where they move the most values.
        const start = Math.floor((rnd() < 0.5 ? rnd() * 0.1 : rnd()) * (text.length + 1));
        const r = rnd();
        const end = Math.min(
          text.length,
          start + (r < 0.5 ? 0 : r < 0.8 ? Math.floor(rnd() * 8) : Math.floor(rnd() * 200)),
        );
        return [start, end, MOVING_EDITS[Math.floor(rnd() * MOVING_EDITS.length)]!];
      });
    });
  }

  it('equals a fresh read after Enter pressed again and again above the machines, then typing below them', () => {
    const text = generateClan(30);
    const above = text.indexOf('machines = {');
    const below = text.lastIndexOf('/var/lib/app');
    let n = 0;
    assertEqualsFreshReads(text, 3, 40, (rnd, t) => {
      n++;
      if (n <= 20) return [above, above, n % 3 === 0 ? '\r\n' : '\n'];
      // The text below moved by the Enters; the search is done in the current text.
      const at = t.lastIndexOf('/var/lib/app') + 5 + Math.floor(rnd() * 3);
      return rnd() < 0.3 ? [at, at + 1, ''] : [at, at, 'x'];
    });
    assert.ok(below > above);
  });

  it('a previous read serves one incremental read: a second one from it reads afresh', () => {
    let text = generateClan(10);
    const tree = parseNix(text);
    const first = readNixSource('file:///x/clan.nix', 'clan', text, tree);
    text = editTree(tree, text, 0, 0, '\n\n');
    const next = parseNix(text, tree);
    const fresh = dump(readNixSource('file:///x/clan.nix', 'clan', text).root);
    // Both from `first`, as two readers sharing one previous read would: the first moves the values in place.
    assert.deepEqual(dump(readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, first).root), fresh);
    assert.deepEqual(dump(readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, first).root), fresh);
    tree.delete();
    next.delete();
  });

  it('equals a fresh read when an edit above changes how deep a reused subtree sits, near the nesting limit', () => {
    // The reader cuts nesting at MAX_READ_DEPTH: a subtree read one level deeper than before ends one level sooner.
    const depth = MAX_READ_DEPTH - 3;
    const source = `{\n  a = ${'['.repeat(depth)} 1 ${']'.repeat(depth)};\n  b = 1;\n}\n`;
    const at = source.indexOf('[');
    const wrapper = 'lib.mkForce (';
    let n = 0;
    assertEqualsFreshReads(source, 5, 4, (_rnd, text) => {
      n++;
      // Wrap the list one call and one parenthesis deeper (and close it), then unwrap it again.
      if (n === 1) return [at, at, wrapper];
      if (n === 2) return [text.indexOf(';'), text.indexOf(';'), ')'];
      if (n === 3) return [text.indexOf(';') - 1, text.indexOf(';'), ''];
      return [at, at + wrapper.length, ''];
    });
  });

  it('keeps hook findings in place when a space above becomes a line break (same length, one line more)', () => {
    const dir = resolve(__dirname, '../../../../test/fixtures/edits/moving-hooks');
    let text = readFileSync(join(dir, 'clan.nix'), 'utf8');
    let tree = parseNix(text);
    let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
    const before = findingsOf(file);
    for (const needle of ['meta.name = ', 'machines.web = ']) {
      const at = text.indexOf(needle) + needle.length - 1;
      text = editTree(tree, text, at, at + 1, '\n');
      const next = parseNix(text, tree);
      file = readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
      assert.deepEqual(findingsOf(file), findingsOf(readNixSource('file:///x/clan.nix', 'clan', text)), needle);
      tree.delete();
      tree = next;
    }
    tree.delete();
    assert.ok(JSON.stringify(before).includes('unbalanced-hook'));
  });

  // As the language server analyses: one source cache and one memo for every version, so unchanged values, moved in
  // place by an edit above them, meet the checks' caches (hook findings of unchanged states, validated settings).
  // moving-hooks has hook findings whose fixes stay inside their state: those are moved with it, not made again.
  for (const [clan, file, code] of [
    ['examples/demo-clan', 'clan.nix', 'unknown-setting'],
    ['examples/demo-clan', 'machines/web/configuration.nix', 'hook-missing-path'],
    ['test/fixtures/edits/moving-hooks', 'clan.nix', 'unknown-setting'],
    ['test/fixtures/edits/moving-hooks', 'machines/web/configuration.nix', 'unbalanced-hook'],
  ] as const) {
    it(`keeps the findings of a fresh analysis through moving edits, with one memo across versions: ${clan}/${file}`, () => {
      const dir = resolve(__dirname, '../../../..', clan);
      const uri = toUri(join(dir, file));
      let text = readFileSync(join(dir, file), 'utf8');
      let tree = parseNix(text);
      const cache: SourceCache = new Map();
      const memo = new AnalysisMemo();
      const analyse = () => analyzeClan(loadClanSources(dir, new Map([[uri, { text, tree }]]), cache), { memo });
      const codes = new Set(
        analyse()
          .findings.filter((f) => f.uri === uri)
          .map((f) => f.code),
      );
      const rnd = mulberry32(7);
      for (let i = 0; i < 60; i++) {
        // Mostly line breaks and indentation before or inside what the findings are about, some other edits.
        // Half of them in the first third, above most of what the findings are about.
        const at = Math.floor((rnd() < 0.5 ? rnd() / 3 : rnd()) * (text.length + 1));
        const insert = rnd() < 0.7 ? ['\n', '\n\n', '  ', '\n    '][i % 4]! : EDITS[Math.floor(rnd() * EDITS.length)]!;
        text = editTree(tree, text, at, at, insert);
        const next = parseNix(text, tree);
        tree.delete();
        tree = next;
        const kept = analyse();
        const fresh = analyzeClan(loadClanSources(dir, new Map([[uri, { text }]])));
        assert.deepEqual(
          comparable(kept.findings),
          comparable(fresh.findings),
          `findings after ${JSON.stringify(insert)} at ${at}`,
        );
      }
      tree.delete();
      // The file's findings include those the caches keep: hook findings with fixes, schema findings of settings.
      assert.ok(codes.has(code), [...codes].join(' '));
    });
  }

  for (const [name, source] of [
    ['generated 30-machine clan', () => generateClan(30)],
    ['nixfmt-style module', () => NIXFMT_MODULE],
    ['demo clan', () => readFileSync(resolve(__dirname, '../../../../examples/demo-clan/clan.nix'), 'utf8')],
    [
      'two-machines seed',
      () => readFileSync(join(resolve(__dirname, '../../../../test/fixtures/seeds/two-machines'), 'clan.nix'), 'utf8'),
    ],
  ] as const) {
    it(`equals a fresh read after each of 120 random edits: ${name}`, () => {
      const rnd = mulberry32(42);
      let text = source();
      let tree = parseNix(text);
      let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
      for (let i = 0; i < 120; i++) {
        const start = Math.floor(rnd() * (text.length + 1));
        const end = Math.min(text.length, start + (rnd() < 0.5 ? 0 : Math.floor(rnd() * 6)));
        const insert = EDITS[Math.floor(rnd() * EDITS.length)]!;
        text = editTree(tree, text, start, end, insert);
        const next = parseNix(text, tree);
        const incremental = readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
        const fresh = readNixSource('file:///x/clan.nix', 'clan', text);
        assert.deepEqual(
          dump(incremental.root),
          dump(fresh.root),
          `value after edit ${i} (${JSON.stringify(insert)} at ${start})`,
        );
        assert.deepEqual(incremental.syntaxProblems, fresh.syntaxProblems, `syntax problems after edit ${i}`);
        assert.deepEqual(findingsOf(incremental), findingsOf(fresh), `findings after edit ${i}`);
        tree.delete();
        tree = next;
        file = incremental;
      }
    });
  }
});
