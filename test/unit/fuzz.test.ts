// Seeded fuzzing of the analysis: the fixture clans, mutated byte-wise and token-wise, must never make the analysis
// throw or hang, and every finding (and quick-fix edit) must point inside its document. The seed is fixed and printed;
// `FUZZ_SEED=<n>` replays another run, `FUZZ_COUNT=<n>` and `FUZZ_BUDGET_MS=<ms>` change the number of inputs and the
// time budget.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeClan } from '../../server/src/analyze';
import type { Finding } from '../../server/src/findings';
import { loadClanSources, loadSingleFile, UnreadableInput } from '../../server/src/model/loadClan';
import { toUri } from '../../server/src/util/uris';
import { initParsing } from '../../server/src/parsing/parser';
import { mulberry32 } from '../helpers/prng';

const ROOT = resolve(__dirname, '../../..');
const SEEDS = join(ROOT, 'test/fixtures/seeds');
const DEFAULT_SEED = 20240917;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : DEFAULT_SEED;
const COUNT = process.env.FUZZ_COUNT ? Number(process.env.FUZZ_COUNT) : 300;
/** The whole fuzz run stops early (and passes) when this budget is spent, so slow machines stay bounded. */
const TOTAL_BUDGET_MS = process.env.FUZZ_BUDGET_MS ? Number(process.env.FUZZ_BUDGET_MS) : 15000;
/** Not a speed requirement: an input taking this long is a hang (or a quadratic blow-up) worth looking at. */
const PER_RUN_LIMIT_MS = 2000;

const rng = mulberry32;

const TOKENS = [
  '{',
  '}',
  ';',
  "''",
  '${',
  '"',
  '=',
  '.',
  '[',
  ']',
  '(',
  ')',
  ':',
  ',',
  '?',
  '@',
  '//',
  '++',
  '#',
  '/*',
  '*/',
  'let',
  'in',
  'rec',
  'with',
  'inherit',
  'if',
  'then',
  'else',
  'assert',
  'or',
  'null',
  'true',
  'false',
  '...',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '\\',
  "'''",
  "''$",
  '\\${',
  'lib.mkForce',
  'mkDefault',
  '❤',
  '😀',
  '\u00e9',
  'roles.server.machines.x = { };',
  'settings.startAt = "*-*-* 25:00";',
  'machines = ',
  'module.name = "borgbackup";',
  'destinations.d.repo = "/x";',
  'tags = [ "all" ];',
  'folders = [ ];',
  '"${x}"',
  "''${x}''",
  './rel/path',
];

type Mutation = (buf: Buffer, r: () => number) => Buffer;

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: () => number, n: number) => Math.floor(r() * n);

/** A random range [a, b) of at most `max` bytes. */
function span(buf: Buffer, r: () => number, max = 64): [number, number] {
  const a = int(r, buf.length + 1);
  return [a, Math.min(buf.length, a + int(r, max + 1))];
}

function randomBytes(r: () => number): Buffer {
  const n = 1 + int(r, 8);
  // Mostly printable ASCII, sometimes any byte (invalid UTF-8, control characters, a lone CR); NUL only rarely.
  return Buffer.from(Array.from({ length: n }, () => (r() < 0.6 ? 32 + int(r, 95) : 1 + int(r, 255))));
}

const MUTATIONS: Array<[string, Mutation]> = [
  [
    'delete',
    (b, r) => {
      const [x, y] = span(b, r);
      return Buffer.concat([b.subarray(0, x), b.subarray(y)]);
    },
  ],
  [
    'insert-token',
    (b, r) => {
      const at = int(r, b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(pick(r, TOKENS)), b.subarray(at)]);
    },
  ],
  [
    'insert-bytes',
    (b, r) => {
      const at = int(r, b.length + 1);
      return Buffer.concat([b.subarray(0, at), randomBytes(r), b.subarray(at)]);
    },
  ],
  [
    'replace-bytes',
    (b, r) => {
      const [x, y] = span(b, r, 8);
      return Buffer.concat([b.subarray(0, x), randomBytes(r), b.subarray(y)]);
    },
  ],
  [
    'duplicate',
    (b, r) => {
      const [x, y] = span(b, r, 400);
      const at = int(r, b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(x, y), b.subarray(at)]);
    },
  ],
  [
    'swap',
    (b, r) => {
      const [x1, y1] = span(b, r, 200);
      const [x2, y2] = span(b, r, 200);
      if (y1 > x2 && y2 > x1) return b;
      const [a, c] =
        x1 < x2
          ? [
              [x1, y1],
              [x2, y2],
            ]
          : [
              [x2, y2],
              [x1, y1],
            ];
      return Buffer.concat([
        b.subarray(0, a[0]),
        b.subarray(c[0]!, c[1]),
        b.subarray(a[1]!, c[0]),
        b.subarray(a[0]!, a[1]),
        b.subarray(c[1]),
      ]);
    },
  ],
  ['truncate', (b, r) => b.subarray(0, int(r, b.length + 1))],
  [
    'nul',
    (b, r) => {
      const at = int(r, b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]);
    },
  ],
];

interface Corpus {
  name: string;
  /** Relative path → original bytes. */
  files: Map<string, Buffer>;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p)];
  });
}

/** LSP-style check: 0 ≤ line < line count, 0 ≤ character ≤ that line's length in UTF-16 units, start ≤ end. */
function rangeProblem(text: string, range: Finding['range']): string | undefined {
  const lines = text.split('\n');
  const { start, end } = range;
  for (const p of [start, end]) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0)
      return `bad position ${JSON.stringify(p)}`;
    if (p.line >= lines.length) return `line ${p.line} ≥ line count ${lines.length}`;
    if (p.character > lines[p.line]!.length)
      return `character ${p.character} > length ${lines[p.line]!.length} of line ${p.line}`;
  }
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) return 'start after end';
  return undefined;
}

function checkFindings(findings: Finding[], texts: Map<string, string>, what: string): void {
  for (const f of findings) {
    const text = texts.get(f.uri);
    assert.ok(text !== undefined, `${what}: finding ${f.code} in a file that is not part of the analysis: ${f.uri}`);
    const problem = rangeProblem(text, f.range);
    assert.equal(problem, undefined, `${what}: ${f.code} ${JSON.stringify(f.range)}: ${problem}`);
    for (const fix of f.fixes ?? []) {
      for (const e of fix.edits) {
        const target = texts.get(e.uri);
        if (target === undefined) continue; // an edit may create a file
        const p = rangeProblem(target, e.range);
        assert.equal(p, undefined, `${what}: fix "${fix.title}" of ${f.code} ${JSON.stringify(e.range)}: ${p}`);
      }
    }
  }
}

/** Runs `fn`, asserting it returns within the per-run bound; UnreadableInput (the clean refusal) is passed through. */
function timed<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  const result = fn();
  const ms = performance.now() - t0;
  assert.ok(ms < PER_RUN_LIMIT_MS, `${what}: took ${ms.toFixed(0)} ms (limit ${PER_RUN_LIMIT_MS} ms)`);
  return result;
}

describe('fuzzing the analysis with mutated fixture clans', () => {
  const corpora: Corpus[] = [];
  let work: string;

  before(async () => {
    await initParsing();
    work = mkdtempSync(join(tmpdir(), 'clan-backups-fuzz-'));
    const dirs = [
      ...readdirSync(SEEDS)
        .sort()
        .map((n) => join(SEEDS, n)),
      join(ROOT, 'examples/demo-clan'),
    ];
    for (const src of dirs) {
      const name = relative(ROOT, src).replace(/\//g, '_');
      cpSync(src, join(work, name), { recursive: true });
      const files = new Map(listFiles(src).map((p) => [p, readFileSync(join(src, p))] as const));
      corpora.push({ name, files });
    }
    // No fixture has an inventory.json; give the demo clan one so the JSON path is fuzzed too.
    const inventory = Buffer.from(
      `${JSON.stringify(
        {
          machines: { web: { tags: ['backup'] }, nas: { deploy: { targetHost: 'root@nas' } } },
          instances: { borg: { module: { name: 'borgbackup' }, roles: { client: { tags: { backup: {} } } } } },
        },
        null,
        2,
      )}\n`,
    );
    const demo = corpora.find((c) => c.name.endsWith('demo-clan'))!;
    demo.files.set('inventory.json', inventory);
    writeFileSync(join(work, demo.name, 'inventory.json'), inventory);
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it(`never throws, never hangs, keeps every range inside its document (seed ${SEED})`, (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
    const r = rng(SEED);
    const started = performance.now();
    let runs = 0;
    let refused = 0;
    for (let i = 0; i < COUNT && performance.now() - started < TOTAL_BUDGET_MS; i++) {
      const corpus = pick(r, corpora);
      const dir = join(work, corpus.name);
      const paths = [...corpus.files.keys()];
      const mutated = new Map<string, Buffer>();
      const applied: string[] = [];
      for (let f = 0, nFiles = r() < 0.8 ? 1 : 2; f < nFiles; f++) {
        const path = pick(r, paths);
        let buf = mutated.get(path) ?? corpus.files.get(path)!;
        for (let m = 0, n = 1 + int(r, 4); m < n; m++) {
          // NUL bytes make the whole file a (cleanly refused) binary: keep them rare so the parser sees the rest.
          let [name, mutate] = pick(r, MUTATIONS);
          if (name === 'nul' && r() < 0.8) [name, mutate] = MUTATIONS[1]!;
          buf = mutate(buf, r);
          applied.push(`${path}:${name}`);
        }
        mutated.set(path, buf);
      }
      const what = `input #${i} (FUZZ_SEED=${SEED}, ${corpus.name}: ${applied.join(' ')})`;
      for (const [p, b] of mutated) writeFileSync(join(dir, p), b);
      try {
        const binary = [...mutated.values()].some((b) => b.subarray(0, 8192).includes(0));
        const refusedOk = (e: unknown) => binary && e instanceof UnreadableInput;
        try {
          const analysis = timed(`${what}: clan`, () => analyzeClan(loadClanSources(dir)));
          const texts = new Map(analysis.model.files.map((f) => [f.uri, f.text] as const));
          checkFindings(analysis.findings, texts, `${what}: clan`);
        } catch (e) {
          if (!refusedOk(e))
            throw new Error(`${what}: clan analysis threw: ${e instanceof Error ? e.stack : String(e)}`, { cause: e });
          refused++;
        }
        for (const p of mutated.keys()) {
          if (!p.endsWith('.nix')) continue;
          try {
            const analysis = timed(`${what}: single ${p}`, () => analyzeClan(loadSingleFile(join(dir, p))));
            const texts = new Map(analysis.model.files.map((f) => [f.uri, f.text] as const));
            assert.ok(texts.has(toUri(join(dir, p))));
            checkFindings(analysis.findings, texts, `${what}: single ${p}`);
          } catch (e) {
            if (!refusedOk(e))
              throw new Error(
                `${what}: single-file analysis of ${p} threw: ${e instanceof Error ? e.stack : String(e)}`,
                { cause: e },
              );
          }
        }
      } finally {
        for (const p of mutated.keys()) writeFileSync(join(dir, p), corpus.files.get(p)!);
      }
      runs++;
    }
    t.diagnostic(`${runs} inputs (${refused} refused as binary) in ${(performance.now() - started).toFixed(0)} ms`);
    assert.ok(runs >= Math.min(COUNT, 50), `only ${runs} inputs within the time budget`);
  });
});
