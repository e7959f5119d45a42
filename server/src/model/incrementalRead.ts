// Reading an edited document again: reuse the values of unchanged subtrees.
//
// After an incremental parse, tree-sitter keeps the subtrees an edit did not touch, with their node ids. A value read
// from such a node is the same value again, only moved when the edit was before it: it is reused as it is when it
// starts at the same line and character (values hold no document offsets, so text that grew or shrank on an earlier
// line does not matter), and copied with shifted positions otherwise. Everything else is read as usual.
//
// A moved value is a copy, never the old object with new positions: the checks keep results by value identity
// (settingsChecks' validated settings, hookChecks' unchanged states, shellScript's parsed scripts), and those results
// hold positions, so the same object must keep meaning the same place.
import type { Node } from '../parsing/parser';
import type { AttrEntry, DuplicateAttr, NixValue, StringPiece } from './nixValue';
import type { Position, Range } from './range';
import { BindingHead, ReadReuse, ValueReader } from './valueReader';

/** A value read from one node, kept for the next read of the same document. */
export interface ReadCacheEntry {
  type: string;
  length: number;
  line: number;
  character: number;
  value: NixValue;
  duplicates: DuplicateAttr[];
  /** Ids of cached nodes inside this one (carried along when this one is reused whole). */
  children: number[];
}

export interface ReadCache {
  entries: Map<number, ReadCacheEntry>;
  /** Binding heads by binding node (see valueReader's BindingHead). */
  heads: Map<number, BindingHead>;
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
  const reuse = new Reuse(prev);
  const duplicates: DuplicateAttr[] = [];
  const value = new ValueReader(uri, text, duplicates, reuse).read(node);
  return { value, duplicates, cache: { entries: reuse.next, heads: reuse.nextHeads } };
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

/** One incremental read: the previous read's cache, and the cache being built for the next. */
class Reuse implements ReadReuse {
  readonly next = new Map<number, ReadCacheEntry>();
  readonly nextHeads = new Map<number, BindingHead>();
  /** For each cached node being read, the ids of the cached nodes read inside it so far. */
  private readonly open: number[][] = [];

  constructor(private readonly prev: ReadCache | undefined) {}

  value(reader: ValueReader, node: Node, type: string): NixValue {
    const length = node.endIndex - node.startIndex;
    if (!CACHEABLE.has(type) || length < MIN_CACHED_LENGTH) return reader.readNode(node, type);
    const id = node.id;
    const { row, column } = node.startPosition;
    const parentOpen = this.open[this.open.length - 1];
    const sink = reader.duplicates;
    const old = this.prev?.entries.get(id);
    if (old && old.length === length && old.type === type) {
      parentOpen?.push(id);
      if (old.line === row && old.character === column) {
        this.carry(id, old, undefined);
        if (old.duplicates.length) sink?.push(...old.duplicates);
        return old.value;
      }
      const shift = new Shift(old.line, old.character, row, column);
      const moved = this.carry(id, old, shift);
      if (old.duplicates.length) sink?.push(...old.duplicates.map((d) => shift.duplicate(d)));
      return moved;
    }
    const mark = sink?.length ?? 0;
    this.open.push([]);
    let value: NixValue;
    let children: number[];
    try {
      value = reader.readNode(node, type);
    } finally {
      children = this.open.pop()!;
    }
    const duplicates = sink && sink.length > mark ? sink.slice(mark) : NO_DUPLICATES;
    this.next.set(id, { type, length, line: row, character: column, value, duplicates, children });
    parentOpen?.push(id);
    return value;
  }

  bindingHead(binding: Node, read: (binding: Node) => BindingHead | undefined): BindingHead | undefined {
    const id = binding.id;
    const length = binding.endIndex - binding.startIndex;
    const old = this.prev?.heads.get(id);
    let head: BindingHead | undefined;
    if (old && old.length === length) {
      // The same node with the same length is the same text (see the top of this file), maybe moved.
      const { row, column } = binding.startPosition;
      head =
        old.line === row && old.character === column ? old : new Shift(old.line, old.character, row, column).head(old);
    } else {
      head = read(binding);
    }
    if (head) this.nextHeads.set(id, head);
    return head;
  }

  /**
   * Puts a reused entry into the next cache and returns its (moved) value. An entry reused where it was brings the
   * cached entries inside it along; a moved one does not: its copy is new, and the next read that needs what is
   * inside (an edit there) reads that part again, which costs less than mapping every inner value to its copy.
   */
  private carry(id: number, entry: ReadCacheEntry, shift: Shift | undefined): NixValue {
    if (!shift) {
      this.next.set(id, entry);
      this.carryChildren(entry);
      return entry.value;
    }
    const value = shift.value(entry.value);
    this.next.set(id, shift.entry(entry, value));
    return value;
  }

  private carryChildren(entry: ReadCacheEntry): void {
    const prev = this.prev!.entries;
    for (const childId of entry.children) {
      const child = prev.get(childId);
      if (!child || this.next.has(childId)) continue;
      this.next.set(childId, child);
      this.carryChildren(child);
    }
  }
}

/**
 * How positions inside a reused subtree move: its text is unchanged, so every line after its first keeps its
 * characters and moves by whole lines, and only its first line also moves sideways. Unmoved positions and ranges are
 * shared with the previous read instead of copied.
 */
class Shift {
  private readonly lineDelta: number;
  private readonly charDelta: number;
  constructor(
    private readonly firstLine: number,
    character: number,
    line: number,
    newCharacter: number,
  ) {
    this.lineDelta = line - firstLine;
    this.charDelta = newCharacter - character;
  }

  position(p: Position): Position {
    const dc = p.line === this.firstLine ? this.charDelta : 0;
    return this.lineDelta || dc ? { line: p.line + this.lineDelta, character: p.character + dc } : p;
  }

  range(r: Range): Range {
    const s = this.position(r.start);
    const e = this.position(r.end);
    return s === r.start && e === r.end ? r : { start: s, end: e };
  }

  duplicate(d: DuplicateAttr): DuplicateAttr {
    return { range: this.range(d.range), name: d.name };
  }

  head(h: BindingHead): BindingHead {
    const at = this.position({ line: h.line, character: h.character });
    return {
      length: h.length,
      line: at.line,
      character: at.character,
      names: h.names,
      keyRanges: h.keyRanges.map((r) => this.range(r)),
      range: this.range(h.range),
    };
  }

  entry(e: ReadCacheEntry, value: NixValue): ReadCacheEntry {
    const dc = e.line === this.firstLine ? this.charDelta : 0;
    return {
      type: e.type,
      length: e.length,
      line: e.line + this.lineDelta,
      character: e.character + dc,
      value,
      duplicates: e.duplicates.length ? e.duplicates.map((d) => this.duplicate(d)) : e.duplicates,
      children: e.children,
    };
  }

  /**
   * True when this shift leaves `v` where it is: with the lines in place, only the subtree's first line moves, and
   * nothing in a value lies before its own start (merged and wrapped values included).
   */
  private unmoved(v: NixValue): boolean {
    return this.lineDelta === 0 && v.range.start.line !== this.firstLine;
  }

  /** A copy of a value with every position moved; what stays where it is, is shared. */
  value(v: NixValue): NixValue {
    if (this.unmoved(v)) return v;
    const range = this.range(v.range);
    // Object literals of one shape per kind, not spreads: an Enter near the start of a large file moves every value.
    let out: NixValue;
    switch (v.kind) {
      case 'string':
        out = {
          kind: 'string',
          uri: v.uri,
          range,
          priority: v.priority,
          value: v.value,
          pieces: this.pieces(v.pieces),
          indented: v.indented,
          literal: v.literal === v.range ? range : this.range(v.literal),
        };
        break;
      case 'list':
        out = { kind: 'list', uri: v.uri, range, priority: v.priority, items: v.items.map((i) => this.value(i)) };
        break;
      case 'attrs': {
        const entries = new Map<string, AttrEntry>();
        for (const [k, e] of v.entries) {
          entries.set(k, {
            name: e.name,
            keyRange: this.range(e.keyRange),
            value: this.value(e.value),
            binding: e.binding && this.range(e.binding),
          });
        }
        out = {
          kind: 'attrs',
          uri: v.uri,
          range,
          priority: v.priority,
          entries,
          dynamicKeys: v.dynamicKeys,
          implicit: v.implicit,
        };
        break;
      }
      case 'function':
        out = { kind: 'function', uri: v.uri, range, priority: v.priority, body: this.value(v.body) };
        break;
      default:
        out = { ...v, range };
    }
    return out;
  }

  /** Piece offsets count from the literal's start, so only an interpolation's range can move. */
  private pieces(pieces: StringPiece[]): StringPiece[] {
    if (pieces.every((p) => p.kind === 'text')) return pieces;
    return pieces.map((p) => {
      if (p.kind === 'text') return p;
      const range = this.range(p.range);
      return range === p.range ? p : { ...p, range };
    });
  }
}
