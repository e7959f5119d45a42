// The backup-jobs model for the client's tree view: per machine, the `borgbackup-job-<dest>` units Clan generates
// (clan-core clanServices/borgbackup/default.nix), its states and how many diagnostics concern it.
import type { Analysis } from './analyze';
import { ClanModel, findRole, Machine, mayGetStateFromServices, roleMembers } from './model/clanModel';
import { asAttrs, NixValue } from './model/nixValue';
import { containsPosition } from './model/range';
import { layersForMember } from './model/settingsLayers';
import { DEFAULT_START_AT } from './model/roleSettings';
import { backupCoverage } from './model/backupCoverage';
import type {
  BackupJob,
  JobsModel,
  LspRange,
  MachineSummary,
  NotBackedUp,
  ProviderSummary,
  StateSummary,
} from '../../shared/protocol';

const HOOKS = ['preBackupScript', 'postBackupScript', 'preRestoreScript', 'postRestoreScript'];

/** Next elapse of a schedule, provided by the calendar engine when it is wired in (ISO string or undefined). */
export type NextRun = (startAt: string) => string | undefined;

export function buildJobsModel(analysis: Analysis, nextRun: NextRun = () => undefined): JobsModel {
  const machines = [...analysis.model.machines.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => machineSummary(analysis, m, nextRun));
  return { clanDir: analysis.model.dir, machines };
}

/** One machine of the jobs model (hover asks for a single one). */
export function machineSummary(analysis: Analysis, m: Machine, nextRun: NextRun = () => undefined): MachineSummary {
  const { model, findings } = analysis;
  const decl = m.decls.find((d) => d.source !== 'directory') ?? m.decls[0];
  // The machine's diagnostics: those inside its modules or at its declarations.
  const areas = [...m.configs.map((c) => ({ uri: c.uri, range: c.range })), ...m.decls.map((d) => d.ref)];
  const mine = findings.filter((f) => areas.some((a) => a.uri === f.uri && containsPosition(a.range, f.range.start)));
  const generated = generatedStatesOf(model, m);
  const hasState = stateGate(model, m, generated);
  const { providers, opaque } = providersOf(model, m, hasState);
  return {
    name: m.name,
    tags: [...new Set(m.tags.map((t) => t.name))],
    machineClass: m.machineClass,
    uri: decl?.ref.uri ?? '',
    range: decl?.ref.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    roles: rolesOf(model, m.name),
    // clanServices/borgbackup/default.nix: `services.borgbackup.jobs = lib.mkIf (config.clan.core.state != { })`.
    jobs: hasState === 'no' ? [] : jobsOf(model, m, nextRun),
    states: statesOf(m),
    notBackedUp: backupCoverage(model)
      .uncovered.filter((u) => u.machine === m.name)
      .map((u) => {
        const item: NotBackedUp = { service: u.service.name, dirs: u.dirs, uri: u.enable.uri, range: u.enable.range };
        if (u.database !== undefined) item.database = u.database;
        // The diagnostic's own fix, so the tree applies exactly what the quick fix would.
        const fix = findings.find(
          (f) =>
            f.code === 'service-not-backed-up' &&
            f.uri === u.enable.uri &&
            f.range.start.line === u.enable.range.start.line &&
            f.range.start.character === u.enable.range.start.character,
        )?.fixes?.[0];
        if (fix) item.fix = { title: fix.title, edits: fix.edits };
        return item;
      }),
    errors: mine.filter((f) => f.severity === 'error').length,
    warnings: mine.filter((f) => f.severity === 'warning').length,
    hasState,
    generatedStates: generated.states,
    providers,
    providersOpaque: opaque,
  };
}

interface Generated {
  states: StateSummary[];
  /** Some state clan-core may generate cannot be judged (a computed enable, computed databases, roles). */
  unknown: boolean;
}

const ZERO_RANGE: LspRange = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * States clan-core adds on its own. nixosModules/clanCore/postgresql/default.nix: with `clan.core.postgresql.enable`,
 * one state per database, named by its `service` (default the key), folder `/var/backup/postgres/<name>`, a
 * preBackupScript that runs pg_dump and a postRestoreScript that stops `restore.stopOnRestore`, drops the database
 * and restores it with `pg_restore -C`. clanServices/zerotier/default.nix: the controller gets
 * `clan.core.state.zerotier.folders = [ "/var/lib/zerotier-one" ]`, no hooks.
 */
function generatedStatesOf(model: ClanModel, m: Machine): Generated {
  const out: Generated = { states: [], unknown: false };
  if (m.machineClass !== 'nixos') return out;
  const enables = m.postgresql.flatMap((p) => (p.enable ? [p.enable] : []));
  const enabled = enables.some((e) => e.kind === 'bool' && e.value === true);
  if (!enabled && enables.some((e) => e.kind !== 'bool' || e.value === undefined)) out.unknown = true;
  if (enabled) {
    for (const pg of m.postgresql) {
      if (!pg.databases) continue;
      const dbs = asAttrs(pg.databases.value);
      if (!dbs || dbs.dynamicKeys) {
        out.unknown = true;
        continue;
      }
      for (const [key, e] of dbs.entries) {
        const attrs = asAttrs(e.value);
        const name = attrs ? attrs.entries.get('name')?.value : undefined;
        const service = attrs ? attrs.entries.get('service')?.value : undefined;
        const dbName = name ? literal(name) : key;
        const stateName = service ? literal(service) : key;
        if (!attrs || dbName === undefined || stateName === undefined) {
          out.unknown = true;
          continue;
        }
        const stop = asAttrs(attrs.entries.get('restore')?.value)?.entries.get('stopOnRestore')?.value;
        // restore.stopOnRestore defaults to [ ].
        const units =
          stop === undefined
            ? []
            : stop.kind === 'list' && stop.items.every((i) => i.kind === 'string' && i.value !== undefined)
              ? stop.items.map((i) => (i.kind === 'string' ? i.value! : ''))
              : undefined;
        const folder = `/var/backup/postgres/${dbName}`;
        const stopText =
          units === undefined
            ? 'stops the units of restore.stopOnRestore (computed)'
            : units.length === 0
              ? 'runs `systemctl stop` with no unit (restore.stopOnRestore is empty), which fails'
              : `stops ${units.join(', ')}`;
        out.states.push({
          name: stateName,
          folders: [folder],
          foldersOpaque: false,
          hooks: ['preBackupScript', 'postRestoreScript'],
          uri: e.value.uri,
          range: e.keyRange,
          generatedBy: 'clan.core.postgresql',
          hookEffects: [
            `pre-backup-${stateName}: pg_dump of database ${dbName} to ${folder}/pg-dump`,
            `post-restore-${stateName}: ${stopText}, DROPS database ${dbName} and restores it from ${folder}/pg-dump ` +
              `(pg_restore -C)${units && units.length ? `, starts ${units.join(', ')} again` : ''}; without the dump file it skips the restore`,
          ],
        });
      }
    }
  }
  for (const inst of model.instances) {
    if (!inst.isBuiltin || inst.resolvedModule !== 'zerotier') continue;
    if (inst.rolesOpaque) {
      out.unknown = true;
      continue;
    }
    const controller = findRole(inst, 'controller');
    const { members, complete } = roleMembers(model, controller);
    if (members.has(m.name)) {
      if (!out.states.some((s) => s.name === 'zerotier')) {
        out.states.push({
          name: 'zerotier',
          folders: ['/var/lib/zerotier-one'],
          foldersOpaque: false,
          hooks: [],
          uri: controller!.ref.uri,
          range: controller?.ref.range ?? ZERO_RANGE,
          generatedBy: 'zerotier',
          hookEffects: ['no hooks: zerotierone keeps running while /var/lib/zerotier-one is overwritten'],
        });
      }
    } else if (!complete) out.unknown = true;
  }
  return out;
}

/** Whether clan-core sees any `clan.core.state` on the machine: 'no' only when nothing can add one unseen. */
function stateGate(model: ClanModel, m: Machine, generated: Generated): MachineSummary['hasState'] {
  if (m.states.some((s) => s.attrs) || generated.states.length > 0) return 'yes';
  // statesOpaque covers modules that cannot be read (imports, computed attrsets); a machine declared only in the
  // inventory has no module of its own, so its states are all seen (clanModel readMachineConfig).
  if (m.states.length > 0 || generated.unknown || m.statesOpaque) return 'unknown';
  if (mayGetStateFromServices(model, m.name)) return 'unknown';
  return 'no';
}

/**
 * `clan.core.backups.providers` of the machine. clanServices/borgbackup/default.nix defines `borgbackup` on clients
 * only `lib.mkIf (config.clan.core.state != { })`; clanServices/localbackup/default.nix defines `localbackup` on every
 * member of its `default` role, unconditionally.
 */
function providersOf(
  model: ClanModel,
  m: Machine,
  hasState: MachineSummary['hasState'],
): { providers: ProviderSummary[]; opaque: boolean } {
  const providers = new Map<string, ProviderSummary>();
  let opaque = !model.instancesComplete || m.statesOpaque;
  if (m.machineClass !== 'nixos') return { providers: [], opaque };
  const add = (name: string, certain: boolean, targets?: string[]): void => {
    const had = providers.get(name);
    const p: ProviderSummary = { name, certain: certain || (had?.certain ?? false) };
    const all = [...(had?.targets ?? []), ...(targets ?? [])];
    if (had?.targets || targets) p.targets = [...new Set(all)].sort();
    providers.set(name, p);
  };
  for (const inst of model.instances) {
    const kind = inst.isBorgbackup ? 'borgbackup' : inst.isLocalbackup ? 'localbackup' : undefined;
    if (!kind) {
      // A service of unknown kind may define a provider of its own.
      if (!inst.isBuiltin || inst.resolvedModule === undefined) {
        if (
          inst.rolesOpaque ||
          inst.roles.some((r) => {
            const x = roleMembers(model, r);
            return !x.complete || x.members.has(m.name);
          })
        )
          opaque = true;
      }
      continue;
    }
    const role = findRole(inst, kind === 'borgbackup' ? 'client' : 'default');
    const { members, complete } = roleMembers(model, role);
    const member = members.has(m.name) ? 'yes' : inst.rolesOpaque || !complete ? 'maybe' : 'no';
    if (member === 'no') continue;
    if (kind === 'borgbackup') {
      if (hasState === 'no') continue;
      add('borgbackup', member === 'yes' && hasState === 'yes');
    } else {
      const targets = new Set<string>();
      for (const l of role && member === 'yes' ? layersForMember(model, inst, role, m.name) : []) {
        for (const key of asAttrs(asAttrs(l.value)?.entries.get('targets')?.value)?.entries.keys() ?? [])
          targets.add(key);
      }
      add('localbackup', member === 'yes', targets.size ? [...targets] : undefined);
    }
  }
  return { providers: [...providers.values()].sort((a, b) => a.name.localeCompare(b.name)), opaque };
}

function rolesOf(model: ClanModel, machine: string): string[] {
  const out: string[] = [];
  for (const inst of model.instances) {
    for (const role of inst.roles)
      if (roleMembers(model, role).members.has(machine)) out.push(`${inst.name}/${role.name}`);
  }
  return out;
}

function literal(v: NixValue | undefined): string | undefined {
  return v?.kind === 'string' ? v.value : undefined;
}

function jobsOf(model: ClanModel, m: Machine, nextRun: NextRun): BackupJob[] {
  const jobs = new Map<string, BackupJob>();
  for (const inst of model.instances) {
    if (!inst.isBorgbackup) continue;
    const client = findRole(inst, 'client');
    if (!client || !roleMembers(model, client).members.has(m.name)) continue;
    const layers = layersForMember(model, inst, client, m.name);
    // The most specific literal startAt wins for display; conflicts are reported as diagnostics elsewhere.
    let startAt: string | undefined = DEFAULT_START_AT;
    for (const l of layers) {
      const v = asAttrs(l.value)?.entries.get('startAt')?.value;
      if (v) startAt = literal(v);
    }
    const server = findRole(inst, 'server');
    for (const serverName of roleMembers(model, server).members.keys()) {
      const serverLayers = server ? layersForMember(model, inst, server, serverName) : [];
      let address: string | undefined = serverName;
      for (const l of serverLayers) {
        const v = asAttrs(l.value)?.entries.get('address')?.value;
        if (v) address = v.kind === 'null' ? serverName : literal(v);
      }
      jobs.set(
        serverName,
        job(inst.name, serverName, 'server', address !== undefined ? `borg@${address}:.` : undefined, startAt, nextRun),
      );
    }
    for (const l of layers) {
      const dests = asAttrs(asAttrs(l.value)?.entries.get('destinations')?.value);
      for (const [key, e] of dests?.entries ?? []) {
        jobs.set(
          key,
          job(inst.name, key, 'external', literal(asAttrs(e.value)?.entries.get('repo')?.value), startAt, nextRun),
        );
      }
    }
  }
  return [...jobs.values()];
}

function job(
  instance: string,
  destination: string,
  kind: BackupJob['kind'],
  repo: string | undefined,
  startAt: string | undefined,
  nextRun: NextRun,
): BackupJob {
  const j: BackupJob = { destination, unit: `borgbackup-job-${destination}`, kind, instance };
  if (repo !== undefined) j.repo = repo;
  if (startAt !== undefined) {
    j.startAt = startAt;
    const next = nextRun(startAt);
    if (next) j.nextRun = next;
  }
  return j;
}

function statesOf(m: Machine): StateSummary[] {
  return m.states.map((s) => {
    const folders = s.attrs?.entries.get('folders')?.value;
    const items = folders?.kind === 'list' ? folders.items : [];
    return {
      name: s.name,
      folders: items.flatMap((i) => (i.kind === 'string' && i.value !== undefined ? [i.value] : [])),
      foldersOpaque:
        !folders || folders.kind !== 'list' || items.some((i) => i.kind !== 'string' || i.value === undefined),
      hooks: HOOKS.filter((h) => s.attrs?.entries.has(h)),
      uri: s.keyRef.uri,
      range: s.keyRef.range,
    };
  });
}
