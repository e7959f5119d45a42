// Completion: attribute names at every level the catalogue knows (with their docs and a value snippet), machine
// names under roles.*.machines, tags, role names, module names, schedules in startAt, systemd units in hook
// `systemctl` lines, and whole-block snippets.
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver-types';
import type { Analysis } from '../analyze';
import { BUILTIN_MODULES } from '../model/clanModel';
import { attrName } from '../model/valueReader';
import { nixString } from '../model/nixEdits';
import type { Position } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import type { Node } from '../parsing/parser';
import { allTags, anchorsOf, isBorgPath, serviceOfPath } from './context';
import { cursorContext } from './cursor';
import { readNixSource } from '../model/sourceFile';
import { DEFAULT_SERVER_DIRECTORY, DEFAULT_START_AT, rolesOf } from '../model/roleSettings';
import { childOptions, formatOptionDoc, OptionDoc, wildcardAt } from './optionDocs';

const SCHEDULES: Array<[string, string]> = [
  ['daily', 'every day at 00:00'],
  [DEFAULT_START_AT, 'every day at 01:00 (the default)'],
  ['*-*-* 04:00:00', 'every day at 04:00'],
  ['hourly', 'every hour'],
  ['*-*-* *:00/15:00', 'every 15 minutes'],
  ['weekly', 'Mondays at 00:00'],
  ['Mon *-*-* 03:00:00', 'Mondays at 03:00'],
  ['Mon..Fri *-*-* 02:00:00', 'weekdays at 02:00'],
  ['Sat,Sun *-*-* 05:00:00', 'weekends at 05:00'],
  ['monthly', 'the 1st of every month'],
  ['*-*-01 03:00:00', 'the 1st at 03:00'],
];

/** Snippets for whole blocks, offered where their first key is valid. */
const BLOCKS: Array<{ label: string; where: (path: string[]) => boolean; text: string; doc: string }> = [
  {
    label: 'borgbackup instance',
    where: (p) => p.length === 2 && p[0] === 'inventory' && p[1] === 'instances',
    text: `borgbackup = {\n\troles.client.machines.\${1:client} = { };\n\troles.server.machines.\${2:server}.settings.directory = ${nixString(DEFAULT_SERVER_DIRECTORY)};\n};`,
    doc: 'A borgbackup instance with a client and a server.',
  },
  {
    label: 'storagebox destination',
    where: (p) => p[p.length - 1] === 'destinations',
    text: '${1:storagebox} = {\n\trepo = "ssh://${2:u000000}@${2:u000000}.your-storagebox.de:23/./borgbackup";\n};',
    doc: "A Hetzner Storage Box: port 23 in the `ssh://` URL and no `rsh`, so Clan's default rsh keeps the clan's borgbackup key (its path differs between clan-core versions) and accepts a new host key once.",
  },
  {
    label: 'state with hooks',
    where: (p) => p[p.length - 1] === 'state' && p[p.length - 2] === 'core',
    text: "${1:name} = {\n\tfolders = [ \"${2:/var/lib/app}\" ];\n\tpreBackupScript = ''\n\t\texport PATH=\\${lib.makeBinPath [ config.systemd.package ]}\n\t\tsystemctl stop ${3:app.service}\n\t'';\n\tpostBackupScript = ''\n\t\texport PATH=\\${lib.makeBinPath [ config.systemd.package ]}\n\t\tsystemctl start ${3:app.service}\n\t'';\n};",
    doc: 'A state that stops a unit during the backup and starts it again.',
  },
];

export function completionsAt(analysis: Analysis, file: SourceFile, pos: Position): CompletionItem[] {
  const { model } = analysis;
  const offset = file.lines.offsetAt(pos);
  const lineStart = file.text.lastIndexOf('\n', offset - 1) + 1;
  const before = file.text.slice(lineStart, offset);
  const anchors = anchorsOf(analysis, file.uri);
  const ctx = cursorContext(file, pos, anchors);

  // Inside a string value.
  if (ctx?.string && !ctx.key) return valueCompletions(analysis, file, ctx.path, ctx.string, offset);

  // A key being typed. The text around the cursor rarely parses while typing (`settings.|`), so complete on a
  // patched copy where the partial key becomes a whole binding: its parents are then the path to complete under.
  if (/=\s*[^;{]*$/.test(before)) return [];
  const partial = /[A-Za-z0-9_'-]*$/.exec(before)?.[0] ?? '';
  const patchedText = `${file.text.slice(0, offset)}${PLACEHOLDER} = null; ${file.text.slice(offset)}`;
  const patched = readNixSource(file.uri, file.kind, patchedText, undefined, file.machine);
  // Anchors around the cursor grow by the inserted text.
  const inserted = `${PLACEHOLDER} = null; `.length;
  const shifted = anchors.map((a) => {
    const end = file.lines.offsetAt(a.range.end);
    return end < offset ? a : { ...a, range: { start: a.range.start, end: patched.lines.positionAt(end + inserted) } };
  });
  const pctx = cursorContext(patched, patched.lines.positionAt(offset + PLACEHOLDER.length), shifted);
  if (!pctx?.key || pctx.key.name !== `${partial}${PLACEHOLDER}`) return [];
  const path = pctx.key.fullPath.slice(0, -1);
  return keyCompletions(analysis, path, serviceOfPath(model, path));
}

const PLACEHOLDER = '__clan_backups_cursor__';

function keyCompletions(analysis: Analysis, path: string[], service: string | undefined): CompletionItem[] {
  const borg = service === 'borgbackup';
  const { model } = analysis;
  const items: CompletionItem[] = childOptions(path, service).map(({ key, doc }) => keyItem(key, doc, path));
  const wildcard = wildcardAt(path, service);
  const names = (list: string[], kind: CompletionItemKind, detail: string) => {
    for (const n of list)
      if (!items.some((i) => i.label === n)) items.push({ label: n, kind, detail, insertText: quoteKey(n) });
  };
  if (wildcard === 'machine') names([...model.machines.keys()].sort(), CompletionItemKind.Module, 'machine');
  if (wildcard === 'tag') names(allTags(model), CompletionItemKind.EnumMember, 'tag');
  if (wildcard === 'role' && borg) names(rolesOf('borgbackup'), CompletionItemKind.Class, 'borgbackup role');
  if (wildcard === 'role' && service === 'localbackup')
    names(rolesOf('localbackup'), CompletionItemKind.Class, 'localbackup role');
  if (wildcard === 'instance')
    names(['borgbackup', 'localbackup'], CompletionItemKind.Class, 'clan-core service instance');
  for (const b of BLOCKS) {
    if (!b.where(path)) continue;
    items.push({
      label: b.label,
      kind: CompletionItemKind.Snippet,
      insertText: b.text,
      insertTextFormat: InsertTextFormat.Snippet,
      documentation: { kind: MarkupKind.Markdown, value: b.doc },
    });
  }
  return items;
}

function quoteKey(name: string): string {
  return /^[A-Za-z_][\w'-]*$/.test(name) ? name : `"${name}"`;
}

function keyItem(key: string, doc: OptionDoc | undefined, path: string[]): CompletionItem {
  const item: CompletionItem = { label: key, kind: CompletionItemKind.Property };
  if (doc) {
    item.detail = doc.type;
    item.documentation = {
      kind: MarkupKind.Markdown,
      value: formatOptionDoc([...path, key].join('.').replace(/^inventory\.instances\.[^.]+\./, ''), doc),
    };
    if (doc.snippet) {
      item.insertText = `${key} = ${doc.snippet}`;
      item.insertTextFormat = InsertTextFormat.Snippet;
    }
  }
  return item;
}

function valueCompletions(
  analysis: Analysis,
  file: SourceFile,
  path: string[],
  str: Node,
  offset: number,
): CompletionItem[] {
  const { model } = analysis;
  const last = path[path.length - 1];
  const borg = isBorgPath(model, path);
  const textItems = (values: Array<[string, string]>, kind: CompletionItemKind) =>
    values.map(([label, detail]) => ({ label, detail, kind }));
  if (last === 'startAt' && borg) return textItems(SCHEDULES, CompletionItemKind.Value);
  if (last === 'tags' && path[3] === 'roles')
    return textItems(
      allTags(model).map((t) => [t, 'tag']),
      CompletionItemKind.EnumMember,
    );
  if (last === 'tags' && path[0] === 'inventory' && path[1] === 'machines') {
    return textItems(
      allTags(model)
        .filter((t) => !['all', 'nixos', 'darwin'].includes(t))
        .map((t) => [t, 'tag']),
      CompletionItemKind.EnumMember,
    );
  }
  if (last === 'machineClass')
    return textItems(
      [
        ['nixos', 'NixOS machine'],
        ['darwin', 'nix-darwin machine'],
      ],
      CompletionItemKind.EnumMember,
    );
  if (last === 'name' && path[path.length - 2] === 'module')
    return textItems(
      BUILTIN_MODULES.map((m) => [m, 'clan-core service']),
      CompletionItemKind.Module,
    );
  if (last && /^(pre|post)(Backup|Restore)Script$/.test(last)) {
    const lineStart = file.text.lastIndexOf('\n', offset - 1) + 1;
    const before = file.text.slice(Math.max(lineStart, str.startIndex), offset);
    if (/\bsystemctl\s+(?:stop|start|restart|reload|kill|is-active)\s+(?:[\w@.-]+\s+)*[\w@.-]*$/.test(before)) {
      return textItems(
        unitsOfMachine(file, path).map((u) => [u, 'systemd unit']),
        CompletionItemKind.Value,
      );
    }
  }
  return [];
}

/** Units the machine's config names: `services.<x>.enable = true` → `<x>.service`, and `systemd.services.<x>`. */
function unitsOfMachine(file: SourceFile, path: string[]): string[] {
  const units = new Set<string>();
  const machinePrefix = path[0] === 'machines' ? path.slice(0, 2) : [];
  // An explicit stack: a file may nest far deeper than the JavaScript stack allows.
  const stack: Array<[Node, string[]]> = file.tree
    ? [[file.tree.rootNode, file.kind === 'machine' ? machinePrefix : []]]
    : [];
  while (stack.length) {
    const [node, prefix] = stack.pop()!;
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type !== 'binding') {
        stack.push([child, prefix]);
        continue;
      }
      const attrs = child.childForFieldName('attrpath')?.childrenForFieldName('attr') ?? [];
      const names = attrs.map((a) => (a ? attrName(a) : undefined));
      if (names.some((n) => n === undefined)) continue;
      const full = [...prefix, ...(names as string[])];
      const inMachine = machinePrefix.every((seg, i) => full[i] === undefined || full[i] === seg);
      if (!inMachine) continue;
      const rel = full.length >= machinePrefix.length ? full.slice(machinePrefix.length) : [];
      if (rel[0] === 'services' && rel.length >= 2) units.add(`${rel[1]}.service`);
      if (rel[0] === 'systemd' && (rel[1] === 'services' || rel[1] === 'timers') && rel.length >= 3) {
        units.add(`${rel[2]}.${rel[1] === 'services' ? 'service' : 'timer'}`);
      }
      const expr = child.childForFieldName('expression');
      if (expr) stack.push([expr, full]);
    }
  }
  return [...units].sort();
}
