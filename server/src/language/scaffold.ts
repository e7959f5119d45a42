// Scaffolding code actions: hooks on a state, PostgreSQL dumps on a machine, a machine into backups (client,
// server), an external Storage Box destination. Every edit inserts into the attrsets the file already has, in its
// own indentation, and leaves valid Nix.
import type { Analysis } from '../analyze';
import type { Fix, TextEdit } from '../findings';
import { ClanModel, findRole, Instance, Machine, roleMembers, State } from '../model/clanModel';
import { insertAtPath, insertBindingsAtPath, nixAttrName } from '../model/nixEdits';
import { AttrsValue, asAttrs, getPath, NixValue } from '../model/nixValue';
import type { Range } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import type { Node } from '../parsing/parser';
import { cursorContext } from './cursor';
import { anchorsOf } from './context';

export interface Scaffold extends Fix {
  kind: 'refactor';
}

const STORAGEBOX_USER = 'u000000';

export function scaffoldActions(analysis: Analysis, file: SourceFile, range: Range): Scaffold[] {
  const ctx = cursorContext(file, range.start, anchorsOf(analysis, file.uri));
  if (!ctx) return [];
  // Anywhere on a state's key (any segment of `clan.core.state.x`), on its name or inside it: the state's actions.
  const path = ctx.key ? ctx.key.bindingPath : ctx.path;
  const machineName = machineOfPath(path);
  const { model } = analysis;
  const out: Scaffold[] = [];
  const machine = machineName ? model.machines.get(machineName) : undefined;
  if (machine) {
    const state = statesOfPath(machine, path);
    if (state) out.push(...stateActions(file, machine, state, ctx.node));
    out.push(...machineActions(model, file, machine));
  }
  return out;
}

/** The machine a path is about: machines.<m>..., inventory.machines.<m>..., roles.<r>.machines.<m>... */
function machineOfPath(path: string[]): string | undefined {
  if (path[0] === 'machines' && path.length >= 2) return path[1];
  if (path[0] === 'inventory' && path[1] === 'machines' && path.length >= 3) return path[2];
  if (
    path[0] === 'inventory' &&
    path[1] === 'instances' &&
    path[3] === 'roles' &&
    path[5] === 'machines' &&
    path.length >= 7
  )
    return path[6];
  return undefined;
}

function statesOfPath(m: Machine, path: string[]): State | undefined {
  if (path[0] !== 'machines' || path[2] !== 'clan' || path[3] !== 'core' || path[4] !== 'state' || path.length < 6)
    return undefined;
  return m.states.find((s) => s.name === path[5]);
}

/** The root attrset of `file` and the attribute path prefix of the machine's module in it. */
function moduleRoot(file: SourceFile, machine: string): { root: AttrsValue; prefix: string[] } | undefined {
  const root = asAttrs(file.root);
  if (!root) return undefined;
  if (file.kind === 'machine') return { root, prefix: [] };
  const m = getPath(root, ['machines', machine]);
  const body = asAttrs(m?.value);
  if (body && !body.implicit && body.uri === file.uri) return { root: body, prefix: [] };
  return { root, prefix: ['machines', machine] };
}

/** Names bound by the module function around `node` (`{ config, lib, pkgs, ... }:`). */
function boundNames(node: Node): Set<string> {
  const names = new Set<string>();
  for (let n: Node | null = node; n; n = n.parent) {
    if (n.type !== 'function_expression') continue;
    const formals = n.childForFieldName('formals');
    for (const f of formals?.namedChildren ?? []) {
      if (f?.type === 'formal') {
        const name = f.childForFieldName('name')?.text;
        if (name) names.add(name);
      }
    }
  }
  return names;
}

/** Units of services the machine enables: `services.<x>.enable = true` → `<x>.service`. */
function enabledServices(m: Machine): string[] {
  const units: string[] = [];
  for (const c of m.configs) {
    const services = asAttrs(getPath(c, ['services'])?.value);
    for (const [name, e] of services?.entries ?? []) {
      const enable = asAttrs(e.value)?.entries.get('enable')?.value;
      if (enable?.kind === 'bool' && enable.value && name !== 'openssh') units.push(`${name}.service`);
    }
  }
  return units;
}

function hookText(lines: string[], pathLine?: string): string {
  const body = pathLine ? [pathLine, ...lines] : lines;
  return `''\n${body.map((l) => `  ${l}`).join('\n')}\n''`;
}

function stateActions(file: SourceFile, m: Machine, s: State, node: Node): Scaffold[] {
  const out: Scaffold[] = [];
  const where = moduleRoot(file, m.name);
  if (!where || !s.attrs) return out;
  const bound = boundNames(node);
  const systemdPath =
    bound.has('lib') && bound.has('config') ? 'export PATH=${lib.makeBinPath [ config.systemd.package ]}' : undefined;
  const statePath = [...where.prefix, 'clan', 'core', 'state', s.name];
  const add = (title: string, hooks: Array<[string, string]>) => {
    const edit = insertBindingsAtPath(file, where.root, statePath, hooks);
    if (edit) out.push({ kind: 'refactor', title, edits: [edit] });
  };
  const units = enabledServices(m);
  const has = (h: string) => s.attrs!.entries.has(h);
  if (units.length && !has('preBackupScript') && !has('postBackupScript')) {
    add(`Add backup hooks that stop and start ${units.join(', ')}`, [
      [
        'preBackupScript',
        hookText(
          units.map((u) => `systemctl stop ${u}`),
          systemdPath,
        ),
      ],
      [
        'postBackupScript',
        hookText(
          units.map((u) => `systemctl start ${u}`),
          systemdPath,
        ),
      ],
    ]);
  }
  if (units.length && !has('preRestoreScript') && !has('postRestoreScript')) {
    add(`Add restore hooks that stop and start ${units.join(', ')}`, [
      [
        'preRestoreScript',
        hookText(
          units.map((u) => `systemctl stop ${u}`),
          systemdPath,
        ),
      ],
      [
        'postRestoreScript',
        hookText(
          units.map((u) => `systemctl start ${u}`),
          systemdPath,
        ),
      ],
    ]);
  }
  const folders = s.attrs.entries.get('folders')?.value;
  const docker =
    folders?.kind === 'list' &&
    folders.items.some((i) => i.kind === 'string' && i.value?.startsWith('/var/lib/docker'));
  if (docker && !has('preBackupScript') && !has('postBackupScript') && bound.has('lib') && bound.has('pkgs')) {
    const dockerPath = 'export PATH=${lib.makeBinPath [ pkgs.docker ]}:$PATH';
    add('Add Docker pause/unpause hooks', [
      ['preBackupScript', hookText(['docker pause $(docker ps -q)'], dockerPath)],
      ['postBackupScript', hookText(['docker unpause $(docker ps -q)'], dockerPath)],
    ]);
  }
  return out;
}

function borgInstances(model: ClanModel): Instance[] {
  return model.instances.filter((i) => i.isBorgbackup);
}

function clientEdit(model: ClanModel, m: Machine): TextEdit | undefined {
  const file = model.clanFile;
  const root = model.root;
  if (!file || !root) return undefined;
  const inst = borgInstances(model)[0];
  if (inst)
    return insertAtPath(
      file,
      root,
      ['inventory', 'instances', inst.name, 'roles', 'client', 'machines', m.name],
      '{ }',
    );
  // No instance yet: a client needs somewhere to back up to, so the new instance comes with a destination.
  return insertAtPath(
    file,
    root,
    ['inventory', 'instances', 'borgbackup'],
    [
      '{',
      `  roles.client.machines.${nixAttrName(m.name)}.settings.destinations.storagebox = ${storageBox(m.name).split('\n').join('\n  ')};`,
      '}',
    ].join('\n'),
  );
}

/**
 * A Hetzner Storage Box, its port in an ssh:// URL and no `rsh`: the default rsh then keeps the clan's key at the
 * path the clan-core version in use gives it (`config.clan.core.vars.generators.borgbackup.files."borgbackup.ssh"
 * .path` in clanServices/borgbackup/default.nix; the path changed in 2026-08) and accepts a new host key once.
 */
function storageBox(_machine: string): string {
  return ['{', `  repo = "ssh://${STORAGEBOX_USER}@${STORAGEBOX_USER}.your-storagebox.de:23/./borgbackup";`, '}'].join(
    '\n',
  );
}

function isClient(model: ClanModel, m: Machine): boolean {
  return borgInstances(model).some((i) => roleMembers(model, findRole(i, 'client')).members.has(m.name));
}

function machineActions(model: ClanModel, file: SourceFile, m: Machine): Scaffold[] {
  const out: Scaffold[] = [];
  const client = isClient(model, m);
  const isServer = borgInstances(model).some((i) => roleMembers(model, findRole(i, 'server')).members.has(m.name));
  if (!client && !isServer) {
    const edit = clientEdit(model, m);
    if (edit) out.push({ kind: 'refactor', title: `Back up ${m.name}: make it a borgbackup client`, edits: [edit] });
  }
  const inst = borgInstances(model)[0];
  if (inst && !isServer && !client && model.clanFile && model.root) {
    const edit = insertAtPath(
      model.clanFile,
      model.root,
      ['inventory', 'instances', inst.name, 'roles', 'server', 'machines', m.name],
      '{ }',
    );
    if (edit) out.push({ kind: 'refactor', title: `Make ${m.name} a borgbackup server`, edits: [edit] });
  }
  // A Storage Box for an explicit client entry.
  for (const i of borgInstances(model)) {
    const member = findRole(i, 'client')?.machines.find((x) => x.name === m.name);
    if (!member || !model.clanFile || !model.root) continue;
    const existing = getPath(member.entry?.value, ['settings', 'destinations', 'storagebox']);
    if (existing) continue;
    const edit = insertAtPath(
      model.clanFile,
      model.root,
      [
        'inventory',
        'instances',
        i.name,
        'roles',
        'client',
        'machines',
        m.name,
        'settings',
        'destinations',
        'storagebox',
      ],
      storageBox(m.name),
    );
    if (edit)
      out.push({ kind: 'refactor', title: `Add a Hetzner Storage Box destination to ${m.name}`, edits: [edit] });
  }
  out.push(...postgresActions(model, file, m));
  return out;
}

/** `services.postgresql.ensureDatabases = [ ... ]` without `clan.core.postgresql`: dump those databases. */
function postgresActions(model: ClanModel, file: SourceFile, m: Machine): Scaffold[] {
  if (m.postgresql.length > 0) return [];
  const config = m.configs.find((c) => c.uri === file.uri);
  const ensure = getPath(config, ['services', 'postgresql', 'ensureDatabases'])?.value;
  if (!ensure || ensure.kind !== 'list') return [];
  const dbs = ensure.items.flatMap((i: NixValue) => (i.kind === 'string' && i.value !== undefined ? [i.value] : []));
  if (dbs.length === 0) return [];
  const where = moduleRoot(file, m.name);
  if (!where) return [];
  // One insertion of the whole block keeps the edit simple; `create.enable = false` because ensureDatabases
  // already creates them (clan-core's own advice). A service of the database's name that the machine enables is
  // the one using it: it is stopped while the dump is restored.
  const enabled = new Set(enabledServices(m));
  const dbBlock = (d: string) => {
    const unit = `${d}.service`;
    // Without a unit to stop, clan-core's restore of the dump runs `systemctl stop` with none and fails
    // (postgresql-restore-stops-nothing says so until the user names one).
    if (!enabled.has(unit))
      return [
        `  # TODO: restore.stopOnRestore = [ "<the units using ${d}>" ];`,
        `  databases.${nixAttrName(d)}.create.enable = false;`,
      ];
    return [
      `  databases.${nixAttrName(d)} = {`,
      '    create.enable = false;',
      `    restore.stopOnRestore = [ "${unit}" ];`,
      '  };',
    ];
  };
  const block = ['{', '  enable = true;', ...dbs.flatMap(dbBlock), '}'].join('\n');
  const edit = insertAtPath(file, where.root, [...where.prefix, 'clan', 'core', 'postgresql'], block);
  if (!edit) return [];
  const edits = [edit];
  if (!isClient(model, m)) {
    const c = clientEdit(model, m);
    if (c) edits.push(c);
  }
  return [
    { kind: 'refactor', title: `Back up PostgreSQL databases ${dbs.join(', ')} with clan.core.postgresql`, edits },
  ];
}
