// clan.core.state (clan-core nixosModules/clanCore/state.nix) and whether a machine's state is backed up at all.
import { finding, Finding } from '../findings';
import {
  ClanModel,
  findRole,
  Machine,
  mayGetStateFromServices,
  Membership,
  roleMembers,
  State,
} from '../model/clanModel';
import { nixString } from '../model/nixEdits';
import { getPath, NixValue } from '../model/nixValue';

const STATE_NAME = /^[a-zA-Z0-9_-]+$/;
const READONLY_COMMANDS = ['preBackupCommand', 'postBackupCommand', 'preRestoreCommand', 'postRestoreCommand'];

export function checkStates(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  // A client with nothing to archive gets that one finding, not one `empty-folders` per state besides.
  const { clients } = borgClients(model);
  const nothing = checkNothingToArchive(model, clients, out);
  for (const m of model.machines.values()) {
    for (const s of m.states) checkState(s, m.states, out, nothing.has(m.name));
    checkFolderOverlaps(m, out);
  }
  checkBackedUp(model, out);
  return out;
}

function checkState(s: State, all: State[], out: Finding[], nothingArchived = false): void {
  checkStateName(s, all, out);
  const attrs = s.attrs;
  if (!attrs) return;
  for (const cmd of READONLY_COMMANDS) {
    const e = attrs.entries.get(cmd);
    if (!e) continue;
    const script = cmd.replace('Command', 'Script');
    out.push(
      finding(
        'readonly-command',
        e.value.uri,
        e.keyRange,
        `\`${cmd}\` is read-only (Clan sets it to \`${cmd.replace(/[A-Z].*/, '')}-…-${s.name}\` from the script); set \`${script}\` instead.`,
        [
          {
            title: `Rename to ${script}`,
            isPreferred: true,
            edits: [{ uri: e.value.uri, range: e.keyRange, newText: script }],
          },
        ],
      ),
    );
  }
  const folders = attrs.entries.get('folders');
  if (!folders) {
    if (!attrs.dynamicKeys) {
      out.push(
        finding(
          'missing-folders',
          s.keyRef.uri,
          s.keyRef.range,
          `State \`${s.name}\` has no \`folders\`: the option is required (use \`folders = [ ];\` for a state that only runs hooks).`,
        ),
      );
    }
    return;
  }
  if (folders.value.kind !== 'list') return;
  if (folders.value.items.length === 0 && !nothingArchived) {
    out.push(
      finding(
        'empty-folders',
        folders.value.uri,
        folders.value.range,
        `\`folders = [ ]\`: nothing of \`${s.name}\` is archived, and \`clan backups restore\` without \`--service\` then extracts the whole archive for this state.`,
      ),
    );
  }
  const seen = new Map<string, NixValue>();
  for (const item of folders.value.items) {
    if (item.kind !== 'string' || item.value === undefined) continue;
    const folder = item.value;
    if (/^[~$]|\$\{?[A-Za-z_]/.test(folder)) {
      out.push(
        finding(
          'unexpanded-folder',
          item.uri,
          item.range,
          `State folder "${folder}" is passed to borg as written: \`~\` and \`$VARIABLES\` are not expanded (borg runs in the system unit borgbackup-job-<dest>, with no shell and no home), so this path never exists and every backup of it fails. Write the absolute path.`,
        ),
      );
    } else if (!folder.startsWith('/')) {
      out.push(
        finding(
          'relative-folder',
          item.uri,
          item.range,
          `State folder "${folder}" is relative: borg runs with \`/\` as its working directory, so it means "/${folder.replace(/^\.\//, '')}", but the localbackup provider needs an absolute path and Clan's documentation asks for one. Write "/${folder.replace(/^\.\//, '')}".`,
          [
            {
              title: `Use "/${folder.replace(/^\.\//, '')}"`,
              isPreferred: true,
              edits: [{ uri: item.uri, range: item.literal, newText: nixString(`/${folder.replace(/^\.\//, '')}`) }],
            },
          ],
        ),
      );
    }
    const norm = normalizeFolder(folder);
    if (seen.has(norm)) {
      out.push(finding('duplicate-folder', item.uri, item.range, `"${folder}" is listed twice in \`${s.name}\`.`));
    }
    seen.set(norm, item);
  }
}

/**
 * The regex is the type of the state's `name` option, which defaults to the attribute key
 * (clan-core nixosModules/clanCore/state.nix): with `name` set, the key may be anything (`"my.documents"`).
 */
function checkStateName(s: State, all: State[], out: Finding[]): void {
  const name = s.attrs?.entries.get('name');
  if (name) {
    const v = name.value;
    if (v.kind !== 'string' || v.value === undefined || STATE_NAME.test(v.value)) return;
    out.push(
      finding(
        'invalid-state-name',
        v.uri,
        v.range,
        `State \`name = "${v.value}"\` must match \`^[a-zA-Z0-9_-]+$\` (no dots or spaces): the option's type rejects it and evaluation fails.`,
        [
          {
            title: `Use "${safeName(v.value)}"`,
            edits: [{ uri: v.uri, range: v.literal, newText: nixString(safeName(v.value)) }],
          },
        ],
      ),
    );
    return;
  }
  if (STATE_NAME.test(s.name)) return;
  // The key's default holds only where no definition of this state (another module, an opaque value) may set `name`.
  const defs = all.filter((d) => d.name === s.name);
  if (defs.some((d) => !d.attrs || d.attrs.dynamicKeys || d.attrs.entries.has('name'))) return;
  if (defs[0] !== s) return;
  out.push(
    finding(
      'invalid-state-name',
      s.keyRef.uri,
      s.keyRef.range,
      `State name \`${s.name}\` must match \`^[a-zA-Z0-9_-]+$\` (no dots or spaces): the state's \`name\` defaults to its key and its type rejects this one. Rename the key, or set \`name = "${safeName(s.name)}";\` in the state.`,
      [
        {
          title: `Rename to "${safeName(s.name)}"`,
          edits: [{ uri: s.keyRef.uri, range: s.keyRef.range, newText: nixString(safeName(s.name)) }],
        },
      ],
    ),
  );
}

function safeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]+/g, '-');
}

function normalizeFolder(f: string): string {
  if (!f.includes('//') && (f.length < 2 || !f.endsWith('/'))) return f;
  return f.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}

function literalFolders(s: State): Array<{ folder: string; value: NixValue }> {
  const f = s.attrs?.entries.get('folders')?.value;
  if (!f || f.kind !== 'list') return [];
  return f.items.flatMap((i) =>
    i.kind === 'string' && i.value !== undefined && i.value.startsWith('/')
      ? [{ folder: normalizeFolder(i.value), value: i }]
      : [],
  );
}

/** A folder inside another state's folder on the same machine is archived twice and restored twice. */
function checkFolderOverlaps(m: Machine, out: Finding[]): void {
  // Only folders of two different states can overlap.
  if (m.states.length < 2) return;
  const all = m.states.flatMap((s) => literalFolders(s).map((f) => ({ ...f, state: s.name })));
  for (const a of all) {
    const parent = all.find(
      (b) => b.state !== a.state && b.folder !== a.folder && (b.folder === '/' || a.folder.startsWith(`${b.folder}/`)),
    );
    const same = all.find((b) => b.state !== a.state && b.folder === a.folder);
    if (parent) {
      out.push(
        finding(
          'duplicate-folder',
          a.value.uri,
          a.value.range,
          `"${a.folder}" is inside "${parent.folder}" of state \`${parent.state}\`: it is archived twice and a full restore writes it twice.`,
        ),
      );
    } else if (same && all.indexOf(same) < all.indexOf(a)) {
      out.push(
        finding(
          'duplicate-folder',
          a.value.uri,
          a.value.range,
          `"${a.folder}" is also a folder of state \`${same.state}\` on this machine.`,
        ),
      );
    }
  }
}

/** Client machines of each borgbackup instance, with where the membership is written. */
export function borgClients(model: ClanModel): { clients: Map<string, Membership[]>; complete: boolean } {
  const clients = new Map<string, Membership[]>();
  let complete = model.instancesComplete;
  for (const inst of model.instances) {
    if (inst.resolvedModule === undefined || inst.rolesOpaque) complete = false;
    if (!inst.isBorgbackup) continue;
    const r = roleMembers(model, findRole(inst, 'client'));
    if (!r.complete) complete = false;
    for (const [name, vias] of r.members) clients.set(name, [...(clients.get(name) ?? []), ...vias]);
  }
  return { clients, complete };
}

/**
 * A client whose every state has `folders = [ ]` gets jobs that run `borg create` with no path (the job's `paths` are
 * the states' folders): borg refuses with "Need at least one PATH argument" (exit 2), so every backup fails.
 */
function checkNothingToArchive(model: ClanModel, clients: Map<string, Membership[]>, out: Finding[]): Set<string> {
  const reported = new Set<string>();
  for (const [name, vias] of clients) {
    const m = model.machines.get(name);
    if (!m || !m.configComplete || m.statesOpaque || m.states.length === 0) continue;
    // clan.core.postgresql adds a state with a folder per database; other services may add states too.
    if (m.postgresql.some((p) => p.databases) || mayGetStateFromServices(model, name)) continue;
    const empty = m.states.every((s) => {
      const f = s.attrs?.entries.get('folders')?.value;
      return s.attrs && !s.attrs.dynamicKeys && f?.kind === 'list' && f.items.length === 0;
    });
    if (!empty) continue;
    const at = vias[0]!.ref;
    out.push(
      finding(
        'client-without-folders',
        at.uri,
        at.range,
        `Every state of \`${name}\` has \`folders = [ ]\`: its backup jobs run \`borg create\` with no path, which borg refuses ("Need at least one PATH argument"), so every backup fails. Add a folder to one of its states.`,
      ),
    );
    reported.add(name);
  }
  return reported;
}

/** A machine that declares a backup provider of its own (`clan.core.backups.providers.<p>`): it backs itself up. */
export function hasOwnProvider(m: Machine): boolean {
  return m.configs.some((c) => getPath(c, ['clan', 'core', 'backups', 'providers']) !== undefined);
}

/** Instances of another backup provider (localbackup, or anything not known) may back the state up too. */
export function otherBackupPossible(model: ClanModel): boolean {
  return model.instances.some((i) => !i.isBuiltin || i.isLocalbackup);
}

function checkBackedUp(model: ClanModel, out: Finding[]): void {
  const { clients, complete } = borgClients(model);
  for (const [name, vias] of clients) {
    const m = model.machines.get(name);
    if (!m || !m.configComplete || m.statesOpaque || m.states.length > 0) continue;
    if (m.postgresql.some((p) => p.databases)) continue;
    if (mayGetStateFromServices(model, name)) continue;
    const at = vias[0]!.ref;
    out.push(
      finding(
        'client-without-state',
        at.uri,
        at.range,
        `\`${name}\` is a borgbackup client but defines no \`clan.core.state\`: no backup job is generated and \`clan backups create ${name}\` fails with "No providers specified". Add \`clan.core.state.<name>.folders = [ … ];\` to its configuration.`,
      ),
    );
  }
  if (!complete || otherBackupPossible(model)) return;
  for (const m of model.machines.values()) {
    if (clients.has(m.name) || !m.configComplete || hasOwnProvider(m)) continue;
    for (const s of m.states) {
      out.push(
        finding(
          'state-not-backed-up',
          s.keyRef.uri,
          s.keyRef.range,
          `\`${m.name}\` defines state \`${s.name}\` but is a client of no borgbackup instance: it is never backed up. Add it to \`roles.client\` of a borgbackup instance.`,
        ),
      );
    }
  }
}
