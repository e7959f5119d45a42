// Where the cursor is, in clan terms: the attribute path of the binding around it (`inventory.instances.borgbackup.
// roles.client.settings.startAt`), whether it is on a key or in a value, and the syntax nodes involved. Machine files
// (machines/<m>/configuration.nix) get the `machines.<m>` prefix so every path reads as in clan.nix.
import { attrName } from '../model/valueReader';
import { comparePositions, containsPosition, Position, Range } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import type { Node } from '../parsing/parser';

export interface CursorContext {
  /** Attribute path from the clan root to the binding the cursor is in (keys before the cursor's key on a key). */
  path: string[];
  /**
   * On an attribute name: its name, node, the path up to it (`fullPath`) and the whole binding's path (`bindingPath`:
   * on `clan` of `clan.core.state.x = …`, that is `…clan.core.state.x`).
   */
  key?: { name: string | undefined; node: Node; fullPath: string[]; bindingPath: string[] };
  /** The innermost string the cursor is in, if any. */
  string?: Node;
  /** The attrset expression that directly contains the cursor (for completing new keys). */
  attrset?: Node;
  /** The innermost node at the cursor. */
  node: Node;
  /** Inside a list: which element (for `roles.x.tags = [ ... ]`). */
  inList: boolean;
}

const WRAPPERS = new Set([
  'function_expression',
  'let_expression',
  'with_expression',
  'parenthesized_expression',
  'assert_expression',
]);

export function modulePrefix(file: SourceFile): string[] {
  return file.kind === 'machine' && file.machine !== undefined ? ['machines', file.machine] : [];
}

/** Where a piece of the clan starts in a file: its value's range, and the clan path it stands for. */
export interface Anchor {
  range: Range;
  path: string[];
  /** The attribute path of the piece from the file's root, when the file reaches it through attrsets. */
  filePath?: string[];
}

/**
 * The cursor's context. In files that hold a piece of the clan somewhere inside (flake.nix's `lib.clan` argument, a
 * flake-parts `flake.clan.inventory.instances = { ... }`), `anchors` say where: the path is read from the innermost
 * anchor around the cursor and prefixed with the anchor's clan path.
 */
export function cursorContext(file: SourceFile, pos: Position, anchors: Anchor[] = []): CursorContext | undefined {
  if (!file.tree) return undefined;
  const offset = file.lines.offsetAt(pos);
  // The node just before the cursor is what the user is typing; prefer it at token boundaries.
  const at = Math.max(0, offset - 1);
  const node = file.tree.rootNode.descendantForIndex(at, Math.max(at, offset - 1));
  if (!node) return undefined;
  const ctx: CursorContext = { path: [], node, inList: false };
  const segments: string[][] = [];
  // On a key: the binding's segments after the one under the cursor (`core.state.x` of `clan.core.state.x = …`).
  let rest: string[] = [];
  const anchor = anchors
    .filter((a) => containsPosition(a.range, pos))
    .sort((a, b) => comparePositions(b.range.start, a.range.start))[0];
  // With a file path the whole path is read from the root and its prefix swapped; otherwise the walk stops at the
  // anchor's node (an attrset written with braces, e.g. the argument of `lib.clan`).
  const stopAtAnchor = anchor && !anchor.filePath;
  const anchorStart = stopAtAnchor ? file.lines.offsetAt(anchor.range.start) : -1;
  const anchorEnd = stopAtAnchor ? file.lines.offsetAt(anchor.range.end) : -1;
  let child: Node = node;
  for (let cur: Node | null = node; cur; child = cur, cur = cur.parent) {
    // Above the anchor's own node the path belongs to the file's wrapping (flake outputs, flake-parts), not the clan.
    if (stopAtAnchor && (cur.startIndex < anchorStart || cur.endIndex > anchorEnd)) break;
    if (
      !ctx.string &&
      (cur.type === 'string_expression' || cur.type === 'indented_string_expression') &&
      cur.parent?.type !== 'attrpath'
    )
      ctx.string = cur;
    if (!ctx.attrset && (cur.type === 'attrset_expression' || cur.type === 'rec_attrset_expression') && cur !== node)
      ctx.attrset = cur;
    if (cur.type === 'list_expression' && !segments.length) ctx.inList = true;
    if (cur.type !== 'binding') continue;
    const attrpath = cur.childForFieldName('attrpath');
    if (!attrpath) continue;
    const attrs = attrpath.childrenForFieldName('attr').filter((a): a is Node => a !== null);
    const names = attrs.map((a) => attrName(a) ?? '${…}');
    if (child === attrpath || (child.startIndex >= attrpath.startIndex && child.endIndex <= attrpath.endIndex)) {
      // On the key: the path runs up to the segment under the cursor.
      const idx = attrs.findIndex((a) => a.startIndex <= at && at < a.endIndex + 1);
      const i = idx < 0 ? attrs.length - 1 : idx;
      segments.push(names.slice(0, i));
      if (!ctx.key) {
        ctx.key = { name: names[i] === '${…}' ? undefined : names[i], node: attrs[i]!, fullPath: [], bindingPath: [] };
        rest = names.slice(i + 1);
      }
    } else {
      segments.push(names);
    }
  }
  const fromRoot: string[] = [];
  for (const s of segments.reverse()) fromRoot.push(...s);
  const fp = anchor?.filePath;
  const path = !anchor
    ? [...modulePrefix(file), ...fromRoot]
    : fp
      ? fp.every((seg, i) => fromRoot[i] === seg)
        ? [...anchor.path, ...fromRoot.slice(fp.length)]
        : fromRoot
      : [...anchor.path, ...fromRoot];
  if (ctx.key) {
    ctx.key.fullPath = [...path, ctx.key.name ?? '${…}'];
    ctx.key.bindingPath = [...ctx.key.fullPath, ...rest];
  }
  ctx.path = path;
  return ctx;
}

/** True when a node sits where a new key can be typed: directly inside an attrset's braces, not in a value. */
export function isKeyPosition(ctx: CursorContext): boolean {
  if (ctx.key) return true;
  const t = ctx.node.type;
  return (
    t === '{' || t === 'binding_set' || t === 'attrset_expression' || t === ';' || t === 'ERROR' || WRAPPERS.has(t)
  );
}
