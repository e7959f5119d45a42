// Inventory, instances and roles (clan-core modules/inventoryClass/; docs/rules/).
import { finding, Finding, Fix } from '../findings';
import {
  BUILTIN_MODULES,
  BUILTIN_TAGS,
  ClanModel,
  findRole,
  Instance,
  Membership,
  roleMembers,
} from '../model/clanModel';
import { insertBinding, nixAttrName } from '../model/nixEdits';
import { nearest } from '../util/nearest';
import { TEMPLATE_PLACEHOLDER } from './metaChecks';

const MACHINE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i;
const BORG_ROLES = ['client', 'server'];

export function checkInventory(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  for (const s of model.legacyServices) {
    out.push(
      finding(
        'legacy-inventory-services',
        s.value.uri,
        s.keyRange,
        '`inventory.services` has been removed; declare service instances under `inventory.instances` (see Clan\'s "migrate-inventory-services" guide).',
      ),
    );
  }
  checkMachineNames(model, out);
  let knownTags: Set<string> | undefined;
  const tags = () =>
    (knownTags ??= new Set([
      ...BUILTIN_TAGS,
      ...[...model.machines.values()].flatMap((m) => m.tags.map((t) => t.name)),
    ]));
  for (const inst of model.instances) {
    checkInstanceShape(inst, out);
    checkModule(inst, out);
    checkReferences(model, inst, tags, out);
  }
  checkBorgMemberships(model, out);
  return out;
}

function checkMachineNames(model: ClanModel, out: Finding[]): void {
  const seen = new Set<string>();
  const report = (name: string, uri: string, range: Finding['range']) => {
    if (isValidMachineName(name)) return;
    const key = `${uri}:${range.start.line}:${range.start.character}`;
    if (seen.has(key)) return;
    seen.add(key);
    const why =
      name.length > 63
        ? `is ${name.length} characters long (at most 63)`
        : 'may only hold letters, digits and `-`, and must start and end with a letter or digit';
    // NixOS's hostName type allows an inner `_` (nixos/modules/tasks/network-interfaces.nix); Clan's name check does not.
    const hostNameOk = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/.test(name);
    out.push(
      finding(
        'invalid-machine-name',
        uri,
        range,
        `Machine name \`${name}\` ${why}: ${hostNameOk ? "Clan's machine name check (clan_lib/machines/machine_name.py) rejects it; NixOS would accept it as a host name" : "Clan's machine name check and NixOS's hostName reject it"}.`,
      ),
    );
  };
  for (const m of model.machines.values()) {
    for (const d of m.decls) if (d.source !== 'directory') report(m.name, d.ref.uri, d.ref.range);
  }
  for (const inst of model.instances) {
    for (const role of inst.roles) for (const mem of role.machines) report(mem.name, mem.ref.uri, mem.ref.range);
  }
}

export function isValidMachineName(name: string): boolean {
  return (name.length <= 63 && MACHINE_NAME.test(name)) || TEMPLATE_PLACEHOLDER.test(name);
}

function checkInstanceShape(inst: Instance, out: Finding[]): void {
  for (const role of inst.roles) {
    if (role.machinesForm === 'list' && role.machinesValue?.kind === 'list') {
      const list = role.machinesValue;
      const names = list.items.map((i) => (i.kind === 'string' && i.value !== undefined ? i.value : undefined));
      const fixes: Fix[] = [];
      if (names.every((n): n is string => n !== undefined)) {
        const body = names.length ? `{ ${names.map((n) => `${nixAttrName(n)} = { };`).join(' ')} }` : '{ }';
        fixes.push({
          title: 'Rewrite as an attribute set of machines',
          isPreferred: true,
          edits: [{ uri: list.uri, range: list.range, newText: body }],
        });
      }
      out.push(
        finding(
          'legacy-machines-list',
          list.uri,
          list.range,
          `\`roles.${role.name}.machines\` must be an attribute set (\`machines.<name> = { };\`); the list form belongs to the removed \`inventory.services\` API.`,
          fixes,
        ),
      );
    }
    if (role.legacyConfig) {
      out.push(
        finding(
          'legacy-role-config',
          role.legacyConfig.value.uri,
          role.legacyConfig.keyRange,
          `\`roles.${role.name}.config\` was removed: role settings go in \`roles.${role.name}.settings\`.`,
        ),
      );
    }
  }
}

function checkModule(inst: Instance, out: Finding[]): void {
  if (inst.resolvedModule === undefined) return;
  const input = inst.moduleInput?.value ?? null;
  if (input !== null) return;
  if (BUILTIN_MODULES.includes(inst.resolvedModule)) return;
  const where = inst.moduleName?.ref ?? inst.ref;
  const guess = nearest(inst.resolvedModule, BUILTIN_MODULES);
  const how = inst.moduleName
    ? `\`module.name = "${inst.resolvedModule}"\``
    : `the instance name \`${inst.name}\` (the default module name)`;
  out.push(
    finding(
      'unknown-module',
      where.uri,
      where.range,
      `${how} is not a clan-core service${guess ? `; did you mean \`${guess}\`?` : ''}. For a service of your own set \`module.input = "self"\` (or the flake input that provides it).`,
      guess && inst.moduleName
        ? [{ title: `Change to "${guess}"`, edits: [{ uri: where.uri, range: where.range, newText: `"${guess}"` }] }]
        : undefined,
    ),
  );
}

function checkReferences(model: ClanModel, inst: Instance, knownTags: () => Set<string>, out: Finding[]): void {
  for (const role of inst.roles) {
    if (inst.isBorgbackup && !BORG_ROLES.includes(role.name)) {
      const guess = nearest(role.name, BORG_ROLES);
      out.push(
        finding(
          'unknown-role',
          role.ref.uri,
          role.ref.range,
          `borgbackup has the roles \`client\` and \`server\` only; \`${role.name}\` fails evaluation${guess ? ` (did you mean \`${guess}\`?)` : ''}.`,
          guess
            ? [
                {
                  title: `Rename to \`${guess}\``,
                  isPreferred: true,
                  edits: [{ uri: role.ref.uri, range: role.ref.range, newText: guess }],
                },
              ]
            : undefined,
        ),
      );
    }
    // localbackup has one role (clanServices/localbackup/default.nix: roles.default).
    if (inst.isLocalbackup && role.name !== 'default') {
      out.push(
        finding(
          'unknown-role',
          role.ref.uri,
          role.ref.range,
          `localbackup has the role \`default\` only; \`${role.name}\` fails evaluation.`,
          [
            {
              title: 'Rename to `default`',
              isPreferred: true,
              edits: [{ uri: role.ref.uri, range: role.ref.range, newText: 'default' }],
            },
          ],
        ),
      );
    }
    if (model.machinesComplete) {
      for (const mem of role.machines) {
        if (model.machines.has(mem.name)) continue;
        const fixes: Fix[] = [];
        const edit =
          model.clanFile && model.inventoryMachines && model.inventoryMachines.uri === model.clanFile.uri
            ? insertBinding(model.clanFile, model.inventoryMachines, `${nixAttrName(mem.name)} = { };`)
            : undefined;
        if (edit) fixes.push({ title: `Add \`${mem.name}\` to inventory.machines`, isPreferred: true, edits: [edit] });
        const guess = nearest(mem.name, [...model.machines.keys()]);
        const where = `it is in neither \`inventory.machines\`, the top-level \`machines\`, a \`machines/${mem.name}/\` directory nor inventory.json${guess ? ` (did you mean \`${guess}\`?)` : ''}`;
        // clan-core gives an undefined member nothing; borgbackup's other role reads its vars and fails evaluation.
        if (inst.isBorgbackup) {
          out.push(
            finding(
              'undefined-machine',
              mem.ref.uri,
              mem.ref.range,
              `Machine \`${mem.name}\` is not defined: ${where}. ${
                role.name === 'server'
                  ? `Every client then gets a job to \`borg@${mem.name}\` that no machine serves.`
                  : "The server reads each client's public key from its vars, so evaluating the server fails."
              }`,
              fixes,
            ),
          );
        } else {
          out.push(
            finding(
              'undefined-member',
              mem.ref.uri,
              mem.ref.range,
              `Machine \`${mem.name}\` is not defined: ${where}. clan-core accepts the member but gives it nothing, so \`${inst.name}\` runs on no machine of that name.`,
              fixes,
            ),
          );
        }
      }
    }
    if (model.tagsComplete && model.machinesComplete) {
      const known = knownTags();
      for (const t of role.tags) {
        if (known.has(t.name)) continue;
        const guess = nearest(t.name, [...known]);
        out.push(
          finding(
            'unknown-tag',
            t.ref.uri,
            t.ref.range,
            `No machine carries the tag \`${t.name}\`, so it adds no member to \`roles.${role.name}\`${guess ? ` (did you mean \`${guess}\`?)` : ''}.`,
          ),
        );
      }
    }
  }
}

/** Client/server overlaps, clients of several instances, darwin members: borgbackup instances only. */
function checkBorgMemberships(model: ClanModel, out: Finding[]): void {
  const clientOf = new Map<string, Array<{ inst: Instance; via: Membership }>>();
  for (const inst of model.instances) {
    if (!inst.isBorgbackup) continue;
    const clients = roleMembers(model, findRole(inst, 'client')).members;
    const servers = roleMembers(model, findRole(inst, 'server')).members;
    for (const [name, vias] of clients) {
      const list = clientOf.get(name) ?? [];
      list.push({ inst, via: vias[0]! });
      clientOf.set(name, list);
      if (servers.has(name)) {
        const at = vias[0]!.ref;
        out.push(
          finding(
            'client-is-server',
            at.uri,
            at.range,
            `\`${name}\` is both client and server of \`${inst.name}\`: it backs up to itself, which protects nothing if the machine is lost.`,
          ),
        );
      }
    }
    for (const [name, vias] of new Map([...clients, ...servers])) {
      const m = model.machines.get(name);
      if (m?.machineClass !== 'darwin') continue;
      const at = vias[0]!.ref;
      out.push(
        finding(
          'darwin-machine',
          at.uri,
          at.range,
          `\`${name}\` is a darwin machine: the borgbackup service has only a NixOS module, so it gets no backup configuration.`,
        ),
      );
    }
  }
  for (const [name, list] of clientOf) {
    for (const { via } of list.slice(1)) {
      out.push(
        finding(
          'client-in-multiple-instances',
          via.ref.uri,
          via.ref.range,
          `\`${name}\` is already a client of borgbackup instance \`${list[0]!.inst.name}\`; a client in two instances is unsupported (their \`borgbackup-*\` scripts collide). Put all destinations in one instance.`,
        ),
      );
    }
  }
}
