// Reading an edited document again: reuse the values of unchanged subtrees.
//
// After an incremental parse, tree-sitter keeps the subtrees an edit did not touch, with their node ids. A value read
// from such a node at the same depth (the reader cuts nesting at MAX_READ_DEPTH) is the same value again, only moved
// when the edit was before it: it is reused as it is when it starts at the same line and character (values hold no
// document offsets, so text that grew or shrank on an earlier line does not matter), and moved in place otherwise.
// Everything else is read as usual.
//
// Moving in place, not copying, is what makes an Enter near the start of a large file cost about what a keystroke
// costs: each cached subtree keeps the ranges its read created (ValueReader hands each one to `track`, once), and a
// move shifts exactly those, so a range shared by several values moves once. The value objects stay the same, so the
// checks' caches by value identity keep hitting; each one that keeps positions checks that its value has not moved
// (settingsChecks' validated settings, hookFindingsReuse's unchanged states, shellScript's parsed scripts).
//
// The previous read's values then hold the new document's positions: a cache is spent by the read that moves it, and
// a second read from the same previous read (another tree derived from it) reads everything afresh.
import type { Node } from '../parsing/parser';
import type { DuplicateAttr, NixValue } from './nixValue';
import type { Range } from './range';
import { BindingHead, ReadReuse, ValueReader } from './valueReader';

/** A value read from one node, kept for the next read of the same document. */
export interface ReadCacheEntry {
  id: number;
  type: string;
  length: number;
  /** How deep the node was read: nesting is cut at MAX_READ_DEPTH, so at another depth its value may differ. */
  depth: number;
  line: number;
  character: number;
  value: NixValue;
  duplicates: DuplicateAttr[];
  /**
   * The cached nodes inside this one, reused and moved with it. They are not looked up again: an edit inside this
   * node gives it a new id, so the first edit inside a subtree that was reused whole reads that subtree again.
   */
  children: ReadCacheEntry[];
  /** The ranges this node's read created, not counting those of the cached nodes inside it (moved with it). */
  ranges: Range[];
}

export interface ReadCache {
  /**
   * The cached nodes this read met, by node id; those inside them are reached through their `children`, so reusing a
   * subtree costs the same whatever its size (a keystroke among 1,000 machines carries 1,000 entries, not all of theirs).
   */
  entries: Map<number, ReadCacheEntry>;
  /** Binding heads by binding node (see valueReader's BindingHead). */
  heads: Map<number, BindingHead>;
  /** Set by the read that reused this cache: its values may have moved to that read's positions. */
  spent: boolean;
}

/**
 * readValueReporting for a document read before: `prev` is the cache of the previous read, valid only when the
 * tree was parsed incrementally from that read's tree (see parser.isDerivedFrom). Returns the cache for the next read.
 */
export function readValueIncremental(
  node: Node,
  uri: string,
  text: string,
  prev: ReadCache | undefined,
): { value: NixValue; duplicates: DuplicateAttr[]; cache: ReadCache } {
  const usable = prev && !prev.spent ? prev : undefined;
  if (usable) usable.spent = true;
  const reuse = new Reuse(usable);
  const duplicates: DuplicateAttr[] = [];
  const value = new ValueReader(uri, text, duplicates, reuse).read(node);
  return { value, duplicates, cache: { entries: reuse.next, heads: reuse.nextHeads, spent: false } };
}

const CACHEABLE = new Set([
  'attrset_expression',
  'rec_attrset_expression',
  'function_expression',
  'list_expression',
  'indented_string_expression',
  'let_expression',
]);
const MIN_CACHED_LENGTH = 48;
const NO_DUPLICATES: DuplicateAttr[] = [];

/** A cached node being read: the cached nodes read inside it so far, and the ranges its read created. */
interface Open {
  children: ReadCacheEntry[];
  ranges: Range[];
}

/** One incremental read: the previous read's cache, and the cache being built for the next. */
class Reuse implements ReadReuse {
  readonly next = new Map<number, ReadCacheEntry>();
  readonly nextHeads = new Map<number, BindingHead>();
  private readonly open: Open[] = [];

  constructor(private readonly prev: ReadCache | undefined) {}

  track(range: Range): void {
    this.open[this.open.length - 1]?.ranges.push(range);
  }

  value(reader: ValueReader, node: Node, type: string): NixValue {
    const length = node.endIndex - node.startIndex;
    if (!CACHEABLE.has(type) || length < MIN_CACHED_LENGTH) return reader.readNode(node, type);
    const id = node.id;
    const parent = this.open[this.open.length - 1];
    const sink = reader.duplicates;
    // A node is read once per read; were it asked for twice, its entry must not move twice.
    const done = this.next.get(id);
    if (done) return done.value;
    const old = this.prev?.entries.get(id);
    if (old && old.length === length && old.type === type && old.depth === reader.depth) {
      const { row, column } = node.startPosition;
      const move = new Move(old.line, row - old.line, column - old.character);
      if (move.moves) move.entry(old);
      this.next.set(id, old);
      parent?.children.push(old);
      if (old.duplicates.length) sink?.push(...old.duplicates);
      return old.value;
    }
    const mark = sink?.length ?? 0;
    const open: Open = { children: [], ranges: [] };
    this.open.push(open);
    let value: NixValue;
    try {
      value = reader.readNode(node, type);
    } finally {
      this.open.pop();
    }
    const duplicates = sink && sink.length > mark ? sink.slice(mark) : NO_DUPLICATES;
    const { row, column } = node.startPosition;
    const entry: ReadCacheEntry = {
      id,
      type,
      length,
      depth: reader.depth,
      line: row,
      character: column,
      value,
      duplicates,
      ...open,
    };
    this.next.set(id, entry);
    parent?.children.push(entry);
    return value;
  }

  bindingHead(binding: Node, read: (binding: Node) => BindingHead | undefined): BindingHead | undefined {
    const id = binding.id;
    let head = this.nextHeads.get(id);
    if (head) return head;
    const length = binding.endIndex - binding.startIndex;
    const old = this.prev?.heads.get(id);
    if (old && old.length === length) {
      // The same node with the same length is the same text (see the top of this file), maybe moved.
      const { row, column } = binding.startPosition;
      const move = new Move(old.line, row - old.line, column - old.character);
      if (move.moves) {
        for (const r of old.keyRanges) move.range(r);
        move.range(old.range);
        old.line = row;
        old.character = column;
      }
      head = old;
    } else {
      head = read(binding);
    }
    if (!head) return undefined;
    // The attrset being read owns the head's ranges now: they move with it.
    for (const r of head.keyRanges) this.track(r);
    this.track(head.range);
    this.nextHeads.set(id, head);
    return head;
  }
}

/**
 * How positions inside a reused subtree move: its text is unchanged, so every line after its first keeps its
 * characters and moves by whole lines, and only its first line also moves sideways.
 */
class Move {
  readonly moves: boolean;
  constructor(
    private readonly firstLine: number,
    private readonly lines: number,
    private readonly characters: number,
  ) {
    this.moves = lines !== 0 || characters !== 0;
  }

  /** Moves a cached node's entry, its ranges and the cached nodes inside it, in place. */
  entry(e: ReadCacheEntry): void {
    for (const r of e.ranges) this.range(r);
    if (e.line === this.firstLine) e.character += this.characters;
    e.line += this.lines;
    for (const child of e.children) this.entry(child);
  }

  /** Moves `r` in place (an empty range may share one position object for both ends). */
  range(r: Range): void {
    const { start, end } = r;
    if (start.line === this.firstLine) start.character += this.characters;
    start.line += this.lines;
    if (end === start) return;
    if (end.line === this.firstLine) end.character += this.characters;
    end.line += this.lines;
  }
}
