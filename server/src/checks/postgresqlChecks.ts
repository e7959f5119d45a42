// clan.core.postgresql (clan-core nixosModules/clanCore/postgresql/default.nix).
import { finding, Finding } from '../findings';
import type { ClanModel, Machine, PostgresConfig } from '../model/clanModel';
import { NIXOS_SERVICES } from '../model/nixosServices';
import { indentUnit, insertBinding, lineIndent, nixString } from '../model/nixEdits';
import { AttrEntry, AttrsValue, asAttrs, getPath } from '../model/nixValue';
import type { SourceFile } from '../model/sourceFile';
import { borgClients, hasOwnProvider, otherBackupPossible } from './stateChecks';

const NAME = /^[a-zA-Z0-9_-]+$/;

export function checkPostgresql(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  const { clients, complete } = borgClients(model);
  for (const m of model.machines.values()) {
    for (const pg of m.postgresql) checkDatabases(model, pg, m.postgresql, out);
    checkStopOnRestore(model, m, out);
    checkEnabled(m, out);
    const enabled = m.postgresql.find((p) => p.enable?.kind === 'bool' && p.enable.value === true);
    if (
      enabled &&
      complete &&
      m.configComplete &&
      !hasOwnProvider(m) &&
      !clients.has(m.name) &&
      !otherBackupPossible(model)
    ) {
      const at = enabled.enable!;
      out.push(
        finding(
          'postgresql-not-backed-up',
          at.uri,
          at.range,
          `\`${m.name}\` dumps its PostgreSQL databases before each backup, but is a client of no borgbackup instance: the dumps are never backed up.`,
        ),
      );
    }
  }
  return out;
}

/** Databases without `enable = true` in the same configuration: only judged where the whole config is visible. */
function checkEnabled(m: Machine, out: Finding[]): void {
  if (!m.configComplete) return;
  const withDbs = m.postgresql.find((p) => {
    const dbs = asAttrs(p.databases?.value);
    return dbs && dbs.entries.size > 0;
  });
  if (!withDbs) return;
  const enables = m.postgresql.map((p) => p.enable).filter((e) => e !== undefined);
  if (enables.some((e) => e!.kind !== 'bool' || e!.value === true)) return;
  const at = withDbs.databases!;
  out.push(
    finding(
      'postgresql-not-enabled',
      at.value.uri,
      at.keyRange,
      `Databases are declared but \`clan.core.postgresql.enable\` is not \`true\`: no dump is made and nothing reaches the backup.`,
    ),
  );
}

function checkDatabases(model: ClanModel, pg: PostgresConfig, all: PostgresConfig[], out: Finding[]): void {
  const dbs = asAttrs(pg.databases?.value);
  if (!dbs) return;
  for (const [name, e] of dbs.entries) {
    // Each database becomes the state `clan.core.state.<service>` (`lib.nameValuePair db.service …` in clan-core
    // nixosModules/clanCore/postgresql/default.nix); `service` defaults to the key, and the database `name` is a
    // plain string. So the key is judged only when it is the service name.
    const db = asAttrs(e.value);
    const service = db?.entries.get('service')?.value;
    if (service) {
      if (service.kind === 'string' && service.value !== undefined && !NAME.test(service.value)) {
        out.push(
          finding(
            'postgresql-invalid-name',
            service.uri,
            service.range,
            `\`service = "${service.value}"\` names the \`clan.core.state\` this database's dump becomes, and state names must match \`^[a-zA-Z0-9_-]+$\`.`,
          ),
        );
      }
    } else if (!NAME.test(name) && !serviceSetElsewhere(all, name)) {
      const fixed = name.replace(/[^a-zA-Z0-9_-]+/g, '-');
      const file = model.files.find((f) => f.uri === e.value.uri);
      const edit = file && db ? insertBinding(file, db, `service = ${nixString(fixed)};`) : undefined;
      out.push(
        finding(
          'postgresql-invalid-name',
          e.value.uri,
          e.keyRange,
          `Database key \`${name}\` is also its \`service\` (the default), which names the \`clan.core.state\` of its dump and must match \`^[a-zA-Z0-9_-]+$\`. Set \`service = "${fixed}";\` (the database keeps its name) or rename the key.`,
          edit ? [{ title: `Set service = "${fixed}"`, isPreferred: true, edits: [edit] }] : undefined,
        ),
      );
    }
    const create = db?.entries.get('create');
    const createAttrs = create ? asAttrs(create.value) : undefined;
    if (!create || !createAttrs) continue;
    const stray = [...createAttrs.entries.values()].filter((x) => x.name !== 'enable' && x.name !== 'options');
    if (stray.length === 0) continue;
    const file = model.files.find((f) => f.uri === createAttrs.uri);
    const fix = file
      ? moveToOptions(
          file,
          createAttrs,
          stray.map((s) => s.name),
        )
      : undefined;
    out.push(
      finding(
        'postgresql-create-options',
        stray[0]!.value.uri,
        stray[0]!.keyRange,
        `\`create\` only has \`enable\` and \`options\`: ${stray.map((s) => `\`${s.name}\``).join(', ')} must go under \`create.options\` (evaluation fails with "The option … create.${stray[0]!.name}' does not exist").`,
        fix ? [{ title: 'Move under create.options', isPreferred: true, edits: [fix] }] : undefined,
      ),
    );
  }
}

/**
 * A database's post-restore script runs `systemctl stop <stopOnRestore…>` whenever a dump exists, also when the list
 * is empty (clan-core nixosModules/clanCore/postgresql/default.nix, createDatabaseState): `systemctl stop` with no
 * unit fails ("Too few arguments."), and under `set -eu` so does the restore of that state.
 */
function checkStopOnRestore(model: ClanModel, m: Machine, out: Finding[]): void {
  // A module not seen (imports, extraModules) may set stopOnRestore.
  if (!m.configComplete) return;
  if (!m.postgresql.some((p) => p.enable?.kind === 'bool' && p.enable.value === true)) return;
  const defs = new Map<string, Array<{ e: AttrEntry; pg: PostgresConfig }>>();
  for (const pg of m.postgresql) {
    const dbs = asAttrs(pg.databases?.value);
    if (!dbs) {
      if (pg.databases) return;
      continue;
    }
    if (dbs.dynamicKeys) return;
    for (const [name, e] of dbs.entries) defs.set(name, [...(defs.get(name) ?? []), { e, pg }]);
  }
  for (const [name, list] of defs) {
    const values = list.map((d) => asAttrs(d.e.value));
    if (values.some((v) => !v || v.dynamicKeys)) continue;
    const stops = values.map((v) => getPath(v, ['restore', 'stopOnRestore'])?.value);
    const restores = values.map((v) => v!.entries.get('restore')?.value);
    // Set anywhere to something that is not an empty list (or not readable): it may name a unit.
    if (stops.some((x) => x && !(x.kind === 'list' && x.items.length === 0))) continue;
    if (restores.some((r) => r && (!asAttrs(r) || asAttrs(r)!.dynamicKeys))) continue;
    const at = list[0]!.e;
    const units = unitsUsing(m, name, values);
    const file = model.files.find((f) => f.uri === at.value.uri);
    const body = values[0]!;
    const fixText = `[ ${units.map((u) => JSON.stringify(u)).join(' ')} ]`;
    const existing = stops.find((x) => x !== undefined);
    const edit =
      units.length === 0 || !file
        ? undefined
        : existing
          ? { uri: existing.uri, range: existing.range, newText: fixText }
          : insertBinding(file, body, `restore.stopOnRestore = ${fixText};`);
    out.push(
      finding(
        'postgresql-restore-stops-nothing',
        at.value.uri,
        at.keyRange,
        `Database \`${name}\` has \`restore.stopOnRestore = [ ]\` (the default): its post-restore script runs \`systemctl stop\` with no unit, which fails ("Too few arguments."), so restoring this database fails whenever a dump exists. Name the units that use the database${units.length ? ` (${units.map((u) => `\`${u}\``).join(', ')})` : ''}.`,
        edit ? [{ title: `Stop ${units.join(', ')} during the restore`, isPreferred: true, edits: [edit] }] : undefined,
      ),
    );
  }
}

/** The units of the service that uses database `name`: one the machine enables under that name, or a known one. */
function unitsUsing(m: Machine, name: string, dbs: Array<AttrsValue | undefined>): string[] {
  const dbName = dbs
    .map((d) => d?.entries.get('name')?.value)
    .find((v) => v?.kind === 'string' && v.value !== undefined);
  const actual = dbName?.kind === 'string' ? dbName.value! : name;
  const known = NIXOS_SERVICES.find((s) => s.database?.name === actual && s.units.length > 0);
  const enabled = (svc: string) =>
    m.configs.some((c) => {
      const e = getPath(c, ['services', svc, 'enable'])?.value;
      return e?.kind === 'bool' && e.value === true;
    });
  if (known && enabled(known.name)) return known.units;
  if (enabled(actual) && actual !== 'postgresql') return [`${actual}.service`];
  return [];
}

/** Whether any definition of database `name` on the machine may set `service` (or cannot be read). */
function serviceSetElsewhere(all: PostgresConfig[], name: string): boolean {
  return all.some((pg) => {
    const dbs = asAttrs(pg.databases?.value);
    if (!dbs) return pg.databases !== undefined;
    if (dbs.dynamicKeys) return true;
    const e = dbs.entries.get(name);
    if (!e) return false;
    const db = asAttrs(e.value);
    return !db || db.dynamicKeys || db.entries.has('service');
  });
}

/** Rewrites `create = { TEMPLATE = …; enable = …; }` as `create = { enable = …; options = { TEMPLATE = …; }; }`. */
function moveToOptions(file: SourceFile, create: AttrsValue, stray: string[]) {
  if (create.implicit) return undefined;
  const start = file.lines.offsetAt(create.range.start);
  const end = file.lines.offsetAt(create.range.end);
  const unit = indentUnit(file.text);
  const base = lineIndent(file.text, start);
  const inner = base + unit;
  const bindingText = (name: string) => {
    const e = create.entries.get(name)!;
    // The whole binding: from the key to the `;` that ends its value.
    const from = file.lines.offsetAt(e.keyRange.start);
    let to = file.lines.offsetAt(e.value.range.end);
    while (to < file.text.length && /\s/.test(file.text[to]!)) to++;
    if (file.text[to] === ';') to++;
    return file.text.slice(from, to).trim();
  };
  const keep = [...create.entries.keys()].filter((k) => !stray.includes(k) && k !== 'options');
  const existingOptions = asAttrs(create.entries.get('options')?.value);
  if (existingOptions) return undefined;
  const lines = [
    '{',
    ...keep.map((k) => `${inner}${bindingText(k)}`),
    `${inner}options = {`,
    ...stray.map((k) => `${inner}${unit}${bindingText(k)}`),
    `${inner}};`,
    `${base}}`,
  ];
  return { uri: file.uri, range: file.lines.rangeOf(start, end), newText: lines.join('\n') };
}
