// Settings of the borgbackup roles: schema (unknown keys, types, required repo), conflicts between layers, clients
// with nowhere to back up to, server directory, destination names (docs/rules/).
import { finding, Finding } from '../findings';
import { ClanModel, findRole, Instance, Role, roleMembers } from '../model/clanModel';
import { AttrEntry, AttrsValue, asAttrs, describeKind, NixValue } from '../model/nixValue';
import {
  isLiteral,
  layersForMember,
  literalJson,
  SettingsLayer,
  settingsLayers,
  valueAt,
} from '../model/settingsLayers';
import { nearest } from '../util/nearest';
import {
  DESTINATION_FIELDS,
  EQUAL_SETTINGS,
  JOB_NAME_PATTERN,
  ROLE_COLLECTION,
  ROLE_SCHEMAS,
  ROLE_SETTINGS,
  roleKindOf,
  RoleKind,
  TARGET_FIELDS,
} from '../model/roleSettings';

export function checkSettings(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  checkDefinedTwice(model, out);
  for (const inst of model.instances) {
    if (!inst.isBorgbackup && !inst.isLocalbackup) continue;
    const layers = settingsLayers(inst);
    for (const layer of layers) validateLayer(layer, out);
    checkConflicts(model, inst, out);
    checkMissingRequired(model, inst, out);
    if (inst.isBorgbackup) checkClientDestinations(model, inst, out);
    for (const layer of layers) checkLayerValues(model, layer, out);
  }
  return out;
}

/**
 * A settings slot takes one definition (clan-core's uniqueDeferredSerializableModule: "The option … is defined
 * multiple times while it's expected to be unique"): two fragments, or clan.nix and inventory.json, defining the same
 * `roles.<r>.settings` (or a machine's or tag's) fail evaluation. Reported at every definition.
 */
function checkDefinedTwice(model: ClanModel, out: Finding[]): void {
  const slots = model.duplicateSettings;
  for (const slot of slots) {
    const where = slot.path.slice(2).join('.');
    const files = [...new Set(slot.refs.map((r) => r.uri.replace(/^.*\//, '')))].join(' and ');
    for (const r of slot.refs) {
      out.push(
        finding(
          'settings-defined-twice',
          r.uri,
          r.range,
          `\`${where}\` is defined ${slot.refs.length} times (${files}): a role's settings take one definition, and evaluation fails with "The option … is defined multiple times while it's expected to be unique". Merge them into one.`,
        ),
      );
    }
  }
}

function roleKind(inst: Instance, name: string): RoleKind | undefined {
  return roleKindOf(inst.isBorgbackup ? 'borgbackup' : inst.isLocalbackup ? 'localbackup' : undefined, name);
}

// A settings value that is the same object as in the last analysis (the reader shares unchanged values between
// versions of a document) has the same schema findings while it starts where it did: a value an edit above moved
// keeps its object (model/incrementalRead.ts) but not the findings' positions. Kept for the value's lifetime (a
// WeakMap on the value, the findings a function of it, its start and the role kind): nothing outlives the value.
const validated = new WeakMap<NixValue, { kind: RoleKind; line: number; character: number; findings: Finding[] }>();

function validateLayer(layer: SettingsLayer, out: Finding[]): void {
  const kind = roleKind(layer.inst, layer.role.name);
  const settings = layer.value;
  if (!kind || !asAttrs(settings)) return;
  const known = validated.get(settings);
  const { line, character } = settings.range.start;
  if (known?.kind === kind && known.line === line && known.character === character) {
    out.push(...known.findings);
    return;
  }
  const findings: Finding[] = [];
  schemaFindings(kind, settings, findings);
  validated.set(settings, { kind, line, character, findings });
  out.push(...findings);
}

/** zod over the literal projection; each issue is mapped back to the Nix value it is about. */
function schemaFindings(kind: RoleKind, settings: NixValue, out: Finding[]): void {
  const result = ROLE_SCHEMAS[kind].safeParse(literalJson(settings));
  if (result.success) return;
  for (const issue of result.error.issues) {
    const path = issue.path as PropertyKey[];
    const at = valueAt(settings, path);
    // literalJson leaves non-literal values out, so zod may call them missing: they are unknown, not wrong.
    if (at !== undefined && !isLiteral(at)) continue;
    if (issue.code === 'unrecognized_keys') {
      const parent = asAttrs(at);
      for (const key of issue.keys) {
        const entry = parent?.entries.get(key);
        if (!entry) continue;
        out.push(unknownKey(kind, path, key, entry.keyRange, entry.value.uri));
      }
    } else if (issue.code === 'invalid_type' && at !== undefined) {
      out.push(
        finding(
          'setting-type',
          at.uri,
          at.range,
          `\`${path.map(String).join('.')}\` must be ${expectedText(issue.expected)}, not ${describeKind(at)}.`,
        ),
      );
    }
  }
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'array':
      return 'a list of strings';
    case 'object':
    case 'record':
      return 'an attribute set';
    case 'int':
    case 'number':
      return 'an integer';
    default:
      return expected;
  }
}

function unknownKey(kind: RoleKind, path: PropertyKey[], key: string, range: Finding['range'], uri: string): Finding {
  // A field of a borgbackup destination or of a localbackup target.
  const collection =
    kind === 'localbackup'
      ? { key: 'targets', what: 'localbackup targets', fields: TARGET_FIELDS }
      : { key: 'destinations', what: 'Destinations', fields: DESTINATION_FIELDS };
  if (path.length === 2 && path[0] === collection.key) {
    const guess = nearest(key, collection.fields);
    const names = collection.fields.map((f) => `\`${f}\``);
    return finding(
      'unknown-setting',
      uri,
      range,
      `${collection.what} have the fields ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}; \`${key}\` does not exist${guess ? ` (did you mean \`${guess}\`?)` : ''}.`,
      guess
        ? [{ title: `Rename to \`${guess}\``, isPreferred: true, edits: [{ uri, range, newText: guess }] }]
        : undefined,
    );
  }
  const other = kind === 'client' ? 'server' : kind === 'server' ? 'client' : undefined;
  if (other && ROLE_SETTINGS[other].includes(key)) {
    return finding(
      'unknown-setting',
      uri,
      range,
      `\`${key}\` is a setting of the ${other} role, not of the ${kind} role: "The option … settings.${key}' does not exist".`,
    );
  }
  const guess = nearest(key, ROLE_SETTINGS[kind]);
  const known = ROLE_SETTINGS[kind].map((k) => `\`${k}\``).join(', ');
  return finding(
    'unknown-setting',
    uri,
    range,
    `The ${kind === 'localbackup' ? 'localbackup default' : kind} role has no setting \`${key}\` (its settings: ${known})${guess ? `; did you mean \`${guess}\`?` : '.'}`,
    guess
      ? [{ title: `Rename to \`${guess}\``, isPreferred: true, edits: [{ uri, range, newText: guess }] }]
      : undefined,
  );
}

const PRIORITY = { force: 50, none: 100, default: 1000 } as const;

/** The module-system priority of a definition (lower wins); `lib.mkOverride n` is not read, callers skip it. */
function prio(v: NixValue): number {
  return PRIORITY[v.priority === 'force' ? 'force' : v.priority === 'default' ? 'default' : 'none'];
}

/**
 * Whether `value`, defined in `layer`, is what some member of the role ends up with: no definition of the same
 * setting at another visible layer outranks it (`lib.mkForce` elsewhere, or `lib.mkDefault` here). A member whose
 * layers cannot all be seen says nothing, nor does a definition whose priority is unknown: a `lib.mkOverride`, an
 * opaque value (`if … then lib.mkForce … else …`, a helper of the user's), or a whole layer wrapped in a priority.
 */
function takesEffect(
  model: ClanModel,
  layer: SettingsLayer,
  value: NixValue,
  get: (attrs: AttrsValue) => NixValue | undefined,
): boolean {
  for (const member of roleMembers(model, layer.role).members.keys()) {
    const layers = visibleLayers(model, layer.inst, layer.role, member);
    if (!layers || layers.some((l) => l.value.priority !== undefined)) continue;
    const defs = layers.flatMap((l) => get(asAttrs(l.value)!) ?? []);
    const unknown = (d: NixValue) => d.priority === 'override' || (d.kind === 'opaque' && d.priority === undefined);
    if (!defs.includes(value) || defs.some(unknown)) continue;
    if (prio(value) === Math.min(...defs.map(prio))) return true;
  }
  return false;
}

/**
 * The layers a member's settings are merged from, when all of them can be read: role, each tag the machine carries,
 * the machine (clan-core evaluates them as one module; lib/inventory/distributed-service/service-module.nix).
 * Undefined when a layer may be missing from view (computed tags) or a settings value is not an attribute set.
 */
// Conflicts and required fields ask for the same member's layers: computed once per role object and member (a
// model is built anew per analysis, so its roles are too, and this memo lives as long as the analysis's model).
const layerMemo = new WeakMap<Role, Map<string, SettingsLayer[] | undefined>>();

function visibleLayers(model: ClanModel, inst: Instance, role: Role, member: string): SettingsLayer[] | undefined {
  let memo = layerMemo.get(role);
  if (!memo) layerMemo.set(role, (memo = new Map()));
  if (memo.has(member)) return memo.get(member);
  const layers = readVisibleLayers(model, inst, role, member);
  memo.set(member, layers);
  return layers;
}

function readVisibleLayers(model: ClanModel, inst: Instance, role: Role, member: string): SettingsLayer[] | undefined {
  const machine = model.machines.get(member);
  if (machine?.tagsOpaque && role.tags.length > 0) return undefined;
  const layers = layersForMember(model, inst, role, member);
  return layers.every((l) => asAttrs(l.value) && !asAttrs(l.value)!.dynamicKeys) ? layers : undefined;
}

/**
 * Each destination (borgbackup) or target (localbackup) of a member's merged settings, with its definitions;
 * undefined when some cannot be read.
 */
function mergedDestinations(
  layers: SettingsLayer[],
  key = 'destinations',
): Map<string, Array<{ layer: SettingsLayer; entry: AttrEntry }>> | undefined {
  const out = new Map<string, Array<{ layer: SettingsLayer; entry: AttrEntry }>>();
  for (const layer of layers) {
    const d = asAttrs(layer.value)!.entries.get(key);
    if (!d) continue;
    const dests = asAttrs(d.value);
    if (!dests || dests.dynamicKeys) return undefined;
    for (const [name, entry] of dests.entries) out.set(name, [...(out.get(name) ?? []), { layer, entry }]);
  }
  return out;
}

/** The scalar settings of a member that must not be defined twice: `startAt` or server ones, destination fields. */
function scalarDefinitions(
  kind: RoleKind,
  layers: SettingsLayer[],
): Array<{ key: string; defs: Array<{ layer: SettingsLayer; value: NixValue }> }> | undefined {
  const out: Array<{ key: string; defs: Array<{ layer: SettingsLayer; value: NixValue }> }> = [];
  const collect = (key: string, get: (l: SettingsLayer) => NixValue | undefined) => {
    const defs = layers.flatMap((layer) => {
      const value = get(layer);
      return value ? [{ layer, value }] : [];
    });
    if (defs.length >= 2) out.push({ key, defs });
  };
  for (const key of EQUAL_SETTINGS[kind]) {
    collect(key, (l) => asAttrs(l.value)!.entries.get(key)?.value);
  }
  const collection = ROLE_COLLECTION[kind];
  if (collection) {
    const dests = mergedDestinations(layers, collection.key);
    if (!dests) return undefined;
    for (const [name, defs] of dests) {
      if (defs.length < 2) continue;
      if (
        defs.some((d) => {
          const a = asAttrs(d.entry.value);
          return !a || a.dynamicKeys;
        })
      )
        continue;
      const bodyAt = new Map(defs.map((d) => [d.layer, asAttrs(d.entry.value)!]));
      for (const field of collection.equalFields) {
        collect(`${collection.key}.${name}.${field}`, (l) => bodyAt.get(l)?.entries.get(field)?.value);
      }
    }
  }
  return out;
}

/** Scalars defined at two layers with different values and the same (highest) priority fail evaluation. */
function checkConflicts(model: ClanModel, inst: Instance, out: Finding[]): void {
  const reported = new Set<string>();
  for (const role of inst.roles) {
    const kind = roleKind(inst, role.name);
    if (!kind) continue;
    for (const member of roleMembers(model, role).members.keys()) {
      const layers = visibleLayers(model, inst, role, member);
      if (!layers) continue;
      for (const { key, defs } of scalarDefinitions(kind, layers) ?? []) {
        if (defs.some((d) => d.value.priority === 'override')) continue;
        const top = Math.min(...defs.map((d) => prio(d.value)));
        const winners = defs.filter((d) => prio(d.value) === top);
        if (winners.length < 2 || winners.some((d) => !isComparable(d.value))) continue;
        const first = winners[0]!;
        for (const d of winners.slice(1)) {
          if (sameLiteral(first.value, d.value)) continue;
          const id = `${d.value.uri}:${d.value.range.start.line}:${d.value.range.start.character}`;
          if (reported.has(id)) continue;
          reported.add(id);
          out.push(
            finding(
              'conflicting-setting',
              d.value.uri,
              d.value.range,
              `\`${key}\` of \`${member}\` is set at the ${describeLayer(first.layer)} (${show(first.value)}) and here at the ${describeLayer(d.layer)} (${show(d.value)}): Nix fails with "conflicting definition values". Set it at one layer, or wrap the override in \`lib.mkForce\`.`,
              [
                {
                  title: 'Wrap in lib.mkForce',
                  edits: [
                    { uri: d.value.uri, range: d.value.range, newText: `lib.mkForce ${sourceText(model, d.value)}` },
                  ],
                },
              ],
            ),
          );
        }
      }
    }
  }
}

/**
 * Required of each destination (`repo`) or localbackup target (`directory`) of a member's merged settings: one whose
 * definitions at every layer lack it fails evaluation ("… was accessed but has no value defined"). Reported at each
 * definition.
 */
function checkMissingRequired(model: ClanModel, inst: Instance, out: Finding[]): void {
  const local = !inst.isBorgbackup;
  const role = findRole(inst, local ? 'default' : 'client');
  if (!role) return;
  const { key: collection, required: field } = ROLE_COLLECTION[local ? 'localbackup' : 'client']!;
  const reported = new Set<AttrEntry>();
  const report = (name: string, entry: AttrEntry, member: string | undefined) => {
    if (reported.has(entry)) return;
    reported.add(entry);
    const whose = member ? ` for \`${member}\` (no layer of its settings sets it)` : '';
    out.push(
      local
        ? finding(
            'target-missing-directory',
            entry.value.uri,
            entry.keyRange,
            `localbackup target \`${name}\` has no \`directory\`${whose}: evaluation fails with "directory was accessed but has no value defined". Set \`directory = "/mnt/backup";\`.`,
          )
        : finding(
            'destination-missing-repo',
            entry.value.uri,
            entry.keyRange,
            `Destination \`${name}\` has no \`repo\`${whose}: evaluation fails with "repo was accessed but has no value defined". Set \`repo = "user@host:/./borgbackup";\`.`,
          ),
    );
  };
  for (const member of roleMembers(model, role).members.keys()) {
    const layers = visibleLayers(model, inst, role, member);
    const dests = layers && mergedDestinations(layers, collection);
    if (!dests) continue;
    for (const [name, defs] of dests) {
      const bodies = defs.map((d) => asAttrs(d.entry.value));
      if (bodies.some((b) => !b || b.dynamicKeys || b.entries.has(field))) continue;
      for (const d of defs) report(name, d.entry, defs.length > 1 || d.layer.layer !== 'machine' ? member : undefined);
    }
  }
}

function sourceText(model: ClanModel, v: NixValue): string {
  const f = model.files.find((x) => x.uri === v.uri);
  if (!f) return show(v);
  return f.text.slice(f.lines.offsetAt(v.range.start), f.lines.offsetAt(v.range.end));
}

function describeLayer(l: SettingsLayer): string {
  if (l.layer === 'role') return `role level (\`roles.${l.role.name}.settings\`)`;
  if (l.layer === 'tag') return `tag level (\`roles.${l.role.name}.tags.${l.owner}.settings\`)`;
  return `machine level (\`roles.${l.role.name}.machines.${l.owner}.settings\`)`;
}

function isComparable(v: NixValue): boolean {
  return (
    (v.kind === 'string' && v.value !== undefined) ||
    v.kind === 'int' ||
    v.kind === 'float' ||
    v.kind === 'bool' ||
    v.kind === 'null'
  );
}

function sameLiteral(a: NixValue, b: NixValue): boolean {
  return a.kind === b.kind && JSON.stringify(literalJson(a)) === JSON.stringify(literalJson(b));
}

function show(v: NixValue): string {
  return v.kind === 'string' ? `"${v.value}"` : JSON.stringify(literalJson(v));
}

/** Whether the layers give the client at least one destination: true / false / undefined (cannot tell). */
function hasDestinations(layers: SettingsLayer[]): boolean | undefined {
  let unknown = false;
  for (const l of layers) {
    const attrs = asAttrs(l.value);
    if (!attrs || attrs.dynamicKeys) {
      unknown = true;
      continue;
    }
    const d = attrs.entries.get('destinations');
    if (!d) continue;
    const dests = asAttrs(d.value);
    if (!dests || dests.dynamicKeys) unknown = true;
    else if (dests.entries.size > 0) return true;
  }
  return unknown ? undefined : false;
}

function checkClientDestinations(model: ClanModel, inst: Instance, out: Finding[]): void {
  const client = findRole(inst, 'client');
  // A server may come from a file or import the model cannot see.
  if (!client || !model.instancesComplete) return;
  const servers = roleMembers(model, findRole(inst, 'server'));
  if (!servers.complete || servers.members.size > 0 || inst.rolesOpaque) return;
  for (const [machine, vias] of roleMembers(model, client).members) {
    if (hasDestinations(layersForMember(model, inst, client, machine)) !== false) continue;
    const at = vias[0]!.ref;
    out.push(
      finding(
        'client-without-destination',
        at.uri,
        at.range,
        `\`${machine}\` is a client of \`${inst.name}\`, but the instance has no server and \`${machine}\` has no \`destinations\`: no backup job is generated. Add a \`roles.server\` machine or \`settings.destinations.<name>.repo\`.`,
      ),
    );
  }
}

/** Literal values of single settings: server directory, destination names. */
function checkLayerValues(model: ClanModel, layer: SettingsLayer, out: Finding[]): void {
  const attrs = asAttrs(layer.value);
  if (!attrs) return;
  if (layer.inst.isBorgbackup && layer.role.name === 'server') {
    const dir = attrs.entries.get('directory')?.value;
    const directoryOf = (a: AttrsValue) => a.entries.get('directory')?.value;
    if (
      dir?.kind === 'string' &&
      dir.value !== undefined &&
      !dir.value.startsWith('/') &&
      takesEffect(model, layer, dir, directoryOf)
    ) {
      out.push(
        finding(
          'relative-directory',
          dir.uri,
          dir.range,
          `The server \`directory\` must be an absolute path: it becomes \`services.borgbackup.repos.<client>.path\`, of type path, and "${dir.value}" fails NixOS evaluation.`,
          [
            {
              title: `Use "/${dir.value.replace(/^\.?\/*/, '')}"`,
              edits: [{ uri: dir.uri, range: dir.literal, newText: `"/${dir.value.replace(/^\.?\/*/, '')}"` }],
            },
          ],
        ),
      );
    }
  }
  if (layer.inst.isBorgbackup && layer.role.name === 'client') {
    const dests = asAttrs(attrs.entries.get('destinations')?.value);
    if (dests) checkDestinationNames(model, layer.inst, dests, out);
  }
  if (roleKind(layer.inst, layer.role.name) === 'localbackup') {
    for (const [key, e] of asAttrs(attrs.entries.get('targets')?.value)?.entries ?? []) {
      checkTargetDirectory(model, layer, key, asAttrs(e.value)?.entries.get('directory')?.value, out);
      const name = asAttrs(e.value)?.entries.get('name')?.value;
      const shown = name?.kind === 'string' && name.value !== undefined ? name : undefined;
      if (name && !shown) continue;
      const value = shown ? shown.value! : key;
      if (JOB_NAME_PATTERN.test(value)) continue;
      out.push(
        finding(
          'invalid-destination-name',
          shown?.uri ?? e.value.uri,
          shown?.range ?? e.keyRange,
          `localbackup target name \`${value}\` must match \`^[a-zA-Z0-9._-]+$\` (the type of \`name\`, which defaults to the key): it names the \`localbackup-mount-<name>\` commands and the archives.`,
        ),
      );
    }
  }
}

function checkDestinationNames(model: ClanModel, inst: Instance, dests: AttrsValue, out: Finding[]): void {
  const servers = roleMembers(model, findRole(inst, 'server')).members;
  for (const [key, e] of dests.entries) {
    if (!JOB_NAME_PATTERN.test(key)) {
      out.push(
        finding(
          'invalid-destination-name',
          e.value.uri,
          e.keyRange,
          `Destination name \`${key}\` must match \`^[a-zA-Z0-9._-]+$\`: it names the \`borgbackup-job-${key}\` unit and the backup job.`,
        ),
      );
    }
    if (servers.has(key)) {
      out.push(
        finding(
          'destination-shadows-server',
          e.value.uri,
          e.keyRange,
          `Destination \`${key}\` has the name of a server of \`${inst.name}\`: it silently replaces the backup to that server ("You are overwriting an internalDestinations…"). Rename it unless that is intended.`,
        ),
      );
    }
    const name = asAttrs(e.value)?.entries.get('name')?.value;
    if (name?.kind === 'string' && name.value !== undefined) {
      if (!JOB_NAME_PATTERN.test(name.value)) {
        out.push(
          finding(
            'invalid-destination-name',
            name.uri,
            name.range,
            `Destination \`name\` "${name.value}" must match \`^[a-zA-Z0-9._-]+$\`.`,
          ),
        );
      } else if (name.value !== key) {
        out.push(
          finding(
            'destination-name-mismatch',
            name.uri,
            name.range,
            `\`name = "${name.value}"\` differs from the key \`${key}\`: the job is \`borgbackup-job-${key}\`, but \`clan backups list\` and \`restore\` look for \`borg-job-${name.value}\`, which does not exist.`,
            [
              {
                title: `Use "${key}"`,
                isPreferred: true,
                edits: [{ uri: name.uri, range: name.literal, newText: `"${key}"` }],
              },
            ],
          ),
        );
      }
    }
  }
}

/**
 * localbackup writes a target's `directory` into rsnapshot's configuration as `snapshot_root`
 * (clan-core clanServices/localbackup/default.nix), and rsnapshot refuses any value that does not start with `/`
 * ("snapshot_root must be a full path"), so the backup fails at its first run although the machine evaluates.
 */
function checkTargetDirectory(
  model: ClanModel,
  layer: SettingsLayer,
  target: string,
  dir: NixValue | undefined,
  out: Finding[],
): void {
  if (dir?.kind !== 'string' || dir.value === undefined || dir.value.startsWith('/')) return;
  const targetDirectory = (a: AttrsValue) =>
    asAttrs(asAttrs(a.entries.get('targets')?.value)?.entries.get(target)?.value)?.entries.get('directory')?.value;
  if (!takesEffect(model, layer, dir, targetDirectory)) return;
  out.push(
    finding(
      'relative-target-directory',
      dir.uri,
      dir.range,
      `The \`directory\` of localbackup target \`${target}\` must be an absolute path: it becomes rsnapshot's \`snapshot_root\`, and rsnapshot refuses "${dir.value}" ("snapshot_root must be a full path"), so every backup to this target fails.`,
    ),
  );
}
