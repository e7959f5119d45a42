// The one owner of web-tree-sitter: loads the runtime and both grammars from bytes once, then parses
// synchronously. Everything else in the server works on the trees this module returns.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Edit, Language, Parser, Point, Tree } from 'web-tree-sitter';
import { blankCommas, trailingFormalCommas } from './formalCommas';

export type { Node, Tree, Point } from 'web-tree-sitter';

interface Grammars {
  nix: Parser;
  bash: Parser;
}

let grammars: Grammars | undefined;
let loading: Promise<void> | undefined;

const WASM_FILES = ['web-tree-sitter.wasm', 'tree-sitter-nix.wasm', 'tree-sitter-bash.wasm'];

// Node has WebAssembly; the ES2022 lib this project compiles with does not declare it. What initParsing uses:
type WasmModule = Parameters<typeof Language.loadSync>[0];
type WasmInstance = object;
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: unknown): Promise<WasmInstance>;
};

/** The bundles sit next to the wasm files in dist/; compiled tests run from out/, two or three levels below. */
export function findWasmDir(): string {
  const candidates = [
    __dirname,
    resolve(__dirname, '..'),
    resolve(__dirname, '../../dist'),
    resolve(__dirname, '../../../dist'),
    resolve(__dirname, '../../../../dist'),
  ];
  for (const dir of candidates) {
    if (WASM_FILES.every((f) => existsSync(join(dir, f)))) return dir;
  }
  throw new Error(`tree-sitter wasm files not found (looked in ${candidates.join(', ')}); run \`npm run build\``);
}

/** Idempotent; concurrent callers share one load. */
export function initParsing(wasmDir?: string): Promise<void> {
  if (grammars) return Promise.resolve();
  loading ??= (async () => {
    const dir = wasmDir ?? findWasmDir();
    // The three modules compile at once, on V8's background threads (WebAssembly.compile), instead of one after
    // another on the main thread; the bash grammar alone is 1.3 MB of wasm.
    const [runtime, nixModule, bashModule] = await Promise.all(
      WASM_FILES.map((f) => WebAssembly.compile(readFileSync(join(dir, f)))),
    );
    await Parser.init({
      // Emscripten's hook for a module compiled elsewhere: instantiate with its imports, hand back instance and module.
      instantiateWasm: (imports: unknown, done: (instance: WasmInstance, module: WasmModule) => void) => {
        void WebAssembly.instantiate(runtime!, imports).then((instance) => done(instance, runtime!));
        return {};
      },
    } as Parameters<typeof Parser.init>[0]);
    const nixLang = Language.loadSync(nixModule!);
    const bashLang = Language.loadSync(bashModule!);
    const nix = new Parser();
    nix.setLanguage(nixLang);
    const bash = new Parser();
    bash.setLanguage(bashLang);
    grammars = { nix, bash };
  })();
  return loading;
}

function ready(): Grammars {
  if (!grammars) throw new Error('initParsing() must complete before parsing');
  return grammars;
}

/**
 * Nix sources longer than this (in UTF-16 units) are not parsed. A hand-written clan.nix is a few KiB; at 20 MB the
 * parse takes seconds and gigabytes, and once the wasm heap is exhausted tree-sitter aborts for good, so every later
 * parse in the process would fail too. Callers report such a file instead of parsing it.
 */
export const MAX_NIX_SOURCE_LENGTH = 1024 * 1024;

export function tooLargeToParse(text: string): boolean {
  return text.length > MAX_NIX_SOURCE_LENGTH;
}

// Which tree an incremental parse started from: node ids are only comparable within one such lineage.
const derivedFrom = new WeakMap<Tree, Tree>();
// The trailing formal commas each tree was parsed with blanked (see formalCommas.ts).
const blankedIn = new WeakMap<Tree, readonly number[]>();
let lastCommas: { text: string; commas: readonly number[] } | undefined;

/** The trailing formal commas of `text`; the last answer is kept, since editTree and parseNix ask for the same text. */
function formalCommasOf(text: string): readonly number[] {
  if (lastCommas?.text !== text) lastCommas = { text, commas: trailingFormalCommas(text) };
  return lastCommas.commas;
}

/**
 * Parses Nix. With `old` (already edited through `editTree`), tree-sitter reuses unchanged subtrees. Trailing commas
 * in formals are read as blanks, which the npm grammar needs (formalCommas.ts); nodes still give the document's text.
 */
export function parseNix(text: string, old?: Tree): Tree {
  const commas = formalCommasOf(text);
  const tree = ready().nix.parse(blankCommas(text, commas), old ?? null);
  if (!tree) throw new Error('tree-sitter returned no tree');
  // web-tree-sitter reads node text through the tree's callback over the parsed input; point it at the document, so
  // `node.text` of formals shows their commas (test/unit/parsing/formalCommas.test.ts checks that this still holds).
  (tree as unknown as { textCallback: (index: number) => string }).textCallback = (index) => text.slice(index);
  if (old) derivedFrom.set(tree, old);
  blankedIn.set(tree, commas);
  return tree;
}

/** True when `tree` was parsed incrementally from `old` (unchanged subtrees then keep their node ids). */
export function isDerivedFrom(tree: Tree, old: Tree): boolean {
  return derivedFrom.get(tree) === old;
}

export function parseBash(text: string): Tree {
  const tree = ready().bash.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/** Point (row, UTF-16 column) of an offset into `text`; tree-sitter edits need both forms. */
export function pointAt(text: string, offset: number): Point {
  return pointAfter({ row: 0, column: 0 }, text, 0, offset);
}

/** The point of `text[to]`, given that `text[from]` is at `at` (from ≤ to). */
function pointAfter(at: Point, text: string, from: number, to: number): Point {
  let row = at.row;
  let lineStart = from - at.column;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: to - lineStart };
}

/**
 * Applies a text replacement to `tree` in place (before re-parsing incrementally) and returns the new text.
 * Offsets are UTF-16 indices into `oldText`, which is also what web-tree-sitter's indices are.
 */
export function editTree(tree: Tree, oldText: string, start: number, end: number, insert: string): string {
  const newText = oldText.slice(0, start) + insert + oldText.slice(end);
  const newEnd = start + insert.length;
  // One pass over the text before the edit; both ends follow from its start (an edit far down a large file).
  const startPoint = pointAt(oldText, start);
  tree.edit(
    new Edit({
      startIndex: start,
      oldEndIndex: end,
      newEndIndex: newEnd,
      startPosition: startPoint,
      oldEndPosition: pointAfter(startPoint, oldText, start, end),
      newEndPosition: pointAfter(startPoint, insert, 0, insert.length),
    }),
  );
  // A comma outside the edit can start or stop being blanked (`{ a, }:` → `{ a, b }:`): the parser reads it anew only
  // where the tree is told that the text changed.
  const before = blankedIn.get(tree);
  if (before) {
    const delta = insert.length - (end - start);
    const was = new Set<number>();
    for (const at of before) if (at < start || at >= end) was.add(at < start ? at : at + delta);
    const now = new Set(formalCommasOf(newText));
    for (const at of new Set([...was, ...now])) {
      if (was.has(at) === now.has(at) || (at >= start && at < newEnd)) continue;
      const point = pointAt(newText, at);
      tree.edit(
        new Edit({
          startIndex: at,
          oldEndIndex: at + 1,
          newEndIndex: at + 1,
          startPosition: point,
          oldEndPosition: { row: point.row, column: point.column + 1 },
          newEndPosition: { row: point.row, column: point.column + 1 },
        }),
      );
    }
    blankedIn.set(tree, [...now]);
  }
  return newText;
}
