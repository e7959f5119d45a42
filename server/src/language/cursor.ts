// Where the cursor is, in clan terms: the attribute path of the binding around it (`inventory.instances.borgbackup.
// roles.client.settings.startAt`), whether it is on a key or in a value, and the syntax nodes involved. Machine files
// (machines/<m>/configuration.nix) get the `machines.<m>` prefix so every path reads as in clan.nix.
import { attrName } from '../model/nixValue';
import type { Position } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import type { Node } from '../parsing/parser';

export interface CursorContext {
  /** Attribute path from the clan root to the binding the cursor is in (keys before the cursor's key on a key). */
  path: string[];
  /** On an attribute name: the segment's index in the binding's attrpath, its name, and the full key path. */
  key?: { name: string | undefined; node: Node; fullPath: string[] };
  /** The innermost string the cursor is in, if any. */
  string?: Node;
  /** The attrset expression that directly contains the cursor (for completing new keys). */
  attrset?: Node;
  /** The innermost node at the cursor. */
  node: Node;
  /** Inside a list: which element (for `roles.x.tags = [ ... ]`). */
  inList: boolean;
}

const WRAPPERS = new Set(['function_expression', 'let_expression', 'with_expression', 'parenthesized_expression', 'assert_expression']);

export function modulePrefix(file: SourceFile): string[] {
  return file.kind === 'machine' && file.machine !== undefined ? ['machines', file.machine] : [];
}

export function cursorContext(file: SourceFile, pos: Position): CursorContext | undefined {
  if (!file.tree) return undefined;
  const offset = file.lines.offsetAt(pos);
  // The node just before the cursor is what the user is typing; prefer it at token boundaries.
  const at = Math.max(0, offset - 1);
  const node = file.tree.rootNode.descendantForIndex(at, Math.max(at, offset - 1));
  if (!node) return undefined;
  const ctx: CursorContext = { path: [], node, inList: false };
  const segments: string[][] = [];
  let child: Node = node;
  for (let cur: Node | null = node; cur; child = cur, cur = cur.parent) {
    if (!ctx.string && (cur.type === 'string_expression' || cur.type === 'indented_string_expression')
      && cur.parent?.type !== 'attrpath') ctx.string = cur;
    if (!ctx.attrset && (cur.type === 'attrset_expression' || cur.type === 'rec_attrset_expression') && cur !== node) ctx.attrset = cur;
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
      if (!ctx.key) ctx.key = { name: names[i] === '${…}' ? undefined : names[i], node: attrs[i]!, fullPath: [] };
      ctx.key.fullPath = names.slice(0, i + 1);
    } else {
      segments.push(names);
    }
  }
  const path = [...modulePrefix(file)];
  for (const s of segments.reverse()) path.push(...s);
  if (ctx.key) ctx.key.fullPath = [...path, ctx.key.name ?? '${…}'];
  ctx.path = path;
  return ctx;
}

/** True when a node sits where a new key can be typed: directly inside an attrset's braces, not in a value. */
export function isKeyPosition(ctx: CursorContext): boolean {
  if (ctx.key) return true;
  const t = ctx.node.type;
  return t === '{' || t === 'binding_set' || t === 'attrset_expression' || t === ';' || t === 'ERROR' || WRAPPERS.has(t);
}
