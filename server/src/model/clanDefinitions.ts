// Where a file defines a clan, by its shape: the argument of `clan-core.lib.clan { ... }` (or buildClan), a
// flake-parts module's `clan` / `flake.clan`, or a clan.nix-shaped file. Nothing is evaluated; only literal shapes count.

import type { Node } from '../parsing/parser';
import { AttrsValue, asAttrs, NixValue } from './nixValue';
import { attrName, readValue } from './valueReader';
import { Range, rangeOfNode, sameRange } from './range';
import type { SourceFile } from './sourceFile';

// ---- finding clan definitions in a file ----

export type ClanDefinition =
  /** The argument of `clan-core.lib.clan` / `buildClan`: a whole clan. */
  | { kind: 'call'; file: SourceFile; value: NixValue; range: Range }
  /** A flake-parts module's `clan` or `flake.clan` value. */
  | { kind: 'option'; file: SourceFile; value: NixValue; range: Range }
  /** The file itself is a clan module (clan.nix, or an attrset with `inventory` and `machines`/`meta`). */
  | { kind: 'file'; file: SourceFile; value: NixValue; range: Range };

const CLAN_CALL = /(^|\.)(lib\.clan|lib\.buildClan|buildClan)$/;
/** Top-level options of a clan (clan-core modules/clan/top-level-interface.nix); NixOS's `clan.*` options (`clan.core`, …) have none. */
const CLAN_KEYS = [
  'inventory',
  'machines',
  'meta',
  'modules',
  'imports',
  'specialArgs',
  'directory',
  'self',
  'pkgsForSystem',
  'templates',
];

/** Whether a value has the shape of a clan module (and not of NixOS's `clan.core…`). */
export function looksLikeClan(v: NixValue | undefined): boolean {
  const a = asAttrs(v);
  return !!a && !a.entries.has('core') && CLAN_KEYS.some((k) => a.entries.has(k));
}

/** Clan definitions in a file, by their shape. `fileName` is the file's base name. */
export function findClanDefinitions(file: SourceFile, fileName: string): ClanDefinition[] {
  const out: ClanDefinition[] = [];
  // The file's own value is already read: a flake-parts module defines the clan at its top level.
  const rootAttrs = asAttrs(file.root);
  for (const value of optionValues(rootAttrs)) out.push({ kind: 'option', file, value, range: value.range });
  // Reading syntax is slow next to a regular expression: search the tree only where a definition may be nested.
  if (out.length === 0 && file.tree && (NESTED_HINT.test(file.text) || OPTION_HINT.test(file.text))) {
    const stack: Node[] = [file.tree.rootNode];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.type === 'apply_expression') {
        const { head, args } = flattenApply(node);
        if (args.length === 1 && CLAN_CALL.test(head)) {
          out.push({ kind: 'call', file, value: readValue(args[0]!, file.uri, file.text), range: rangeOfNode(node) });
          continue;
        }
      } else if (
        (node.type === 'attrset_expression' || node.type === 'rec_attrset_expression') &&
        hasClanBinding(node)
      ) {
        const isRoot = rootAttrs && sameRange(rootAttrs.range, rangeOfNode(node));
        const found = isRoot ? [] : optionValues(asAttrs(readValue(node, file.uri, file.text)));
        if (found.length) {
          for (const value of found) out.push({ kind: 'option', file, value, range: value.range });
          continue;
        }
      }
      // Children in reverse so definitions come out in source order.
      for (let i = node.namedChildCount - 1; i >= 0; i--) {
        const c = node.namedChild(i);
        if (c) stack.push(c);
      }
    }
  }
  if (out.length === 0 && (fileName === 'clan.nix' || isClanShapedFile(file.root))) {
    out.push({ kind: 'file', file, value: file.root, range: file.root.range });
  }
  return out;
}

const NESTED_HINT = /lib\.clan|buildClan|mkFlake/;
const OPTION_HINT =
  /\b(flake\.)?clan\s*=\s*[{(]|\bclan\.(inventory|machines|meta|modules|imports|specialArgs|directory)\b/;

/** The clan-shaped `clan` and `flake.clan` values of a flake-parts module. */
function optionValues(attrs: AttrsValue | undefined): NixValue[] {
  const found: NixValue[] = [];
  const clanV = attrs?.entries.get('clan')?.value;
  if (looksLikeClan(clanV)) found.push(clanV!);
  const flakeClan = asAttrs(attrs?.entries.get('flake')?.value)?.entries.get('clan')?.value;
  if (looksLikeClan(flakeClan)) found.push(flakeClan!);
  return found;
}

function isClanShapedFile(root: NixValue): boolean {
  const a = asAttrs(root);
  return !!a && a.entries.has('inventory') && (a.entries.has('machines') || a.entries.has('meta')) && looksLikeClan(a);
}

function hasClanBinding(node: Node): boolean {
  const set = node.namedChildren.find((c) => c?.type === 'binding_set');
  for (const b of set?.namedChildren ?? []) {
    if (b?.type !== 'binding') continue;
    const first = b.childForFieldName('attrpath')?.childrenForFieldName('attr')[0];
    const name = first ? attrName(first) : undefined;
    if (name === 'clan' || name === 'flake') return true;
  }
  return false;
}

export function flattenApply(node: Node): { head: string; headNode: Node; args: Node[] } {
  const args: Node[] = [];
  let fn: Node = node;
  while (fn.type === 'apply_expression') {
    const arg = fn.childForFieldName('argument');
    const f = fn.childForFieldName('function');
    if (!arg || !f) break;
    args.unshift(arg);
    fn = f;
  }
  while (fn.type === 'parenthesized_expression' && fn.namedChildCount === 1) fn = fn.namedChild(0)!;
  return { head: fn.text.replace(/\s+/g, ''), headNode: fn, args };
}
