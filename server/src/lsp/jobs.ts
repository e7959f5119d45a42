// The backup-jobs model for the client's tree view: per machine, the `borgbackup-job-<dest>` units Clan generates
// (clan-core-reference.md §1.3–1.4), its states and how many diagnostics concern it.
import type { Analysis } from '../analyze';
import { ClanModel, findRole, Machine, roleMembers } from '../model/clanModel';
import { asAttrs, NixValue } from '../model/nixValue';
import { containsPosition } from '../model/range';
import { layersForMember } from '../model/settingsLayers';
import { backupCoverage } from '../model/backupCoverage';
import type { BackupJob, JobsModel, MachineSummary, NotBackedUp, StateSummary } from './protocol';

export const DEFAULT_START_AT = '*-*-* 01:00:00';
const HOOKS = ['preBackupScript', 'postBackupScript', 'preRestoreScript', 'postRestoreScript'];

/** Next elapse of a schedule, provided by the calendar engine when it is wired in (ISO string or undefined). */
export type NextRun = (startAt: string) => string | undefined;

export function buildJobsModel(analysis: Analysis, nextRun: NextRun = () => undefined): JobsModel {
  const machines = [...analysis.model.machines.values()].sort((a, b) => a.name.localeCompare(b.name))
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
  return {
    name: m.name,
    tags: [...new Set(m.tags.map((t) => t.name))],
    machineClass: m.machineClass,
    uri: decl?.ref.uri ?? '',
    range: decl?.ref.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    roles: rolesOf(model, m.name),
    jobs: jobsOf(model, m, nextRun),
    states: statesOf(m),
    notBackedUp: backupCoverage(model).uncovered.filter((u) => u.machine === m.name).map((u) => {
      const item: NotBackedUp = { service: u.service.name, dirs: u.dirs, uri: u.enable.uri, range: u.enable.range };
      if (u.database !== undefined) item.database = u.database;
      // The diagnostic's own fix, so the tree applies exactly what the quick fix would.
      const fix = findings.find((f) => f.code === 'service-not-backed-up' && f.uri === u.enable.uri
        && f.range.start.line === u.enable.range.start.line && f.range.start.character === u.enable.range.start.character)?.fixes?.[0];
      if (fix) item.fix = { title: fix.title, edits: fix.edits };
      return item;
    }),
    errors: mine.filter((f) => f.severity === 'error').length,
    warnings: mine.filter((f) => f.severity === 'warning').length,
  };
}

function rolesOf(model: ClanModel, machine: string): string[] {
  const out: string[] = [];
  for (const inst of model.instances) {
    for (const role of inst.roles) if (roleMembers(model, role).members.has(machine)) out.push(`${inst.name}/${role.name}`);
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
      jobs.set(serverName, job(inst.name, serverName, 'server', address !== undefined ? `borg@${address}:.` : undefined, startAt, nextRun));
    }
    for (const l of layers) {
      const dests = asAttrs(asAttrs(l.value)?.entries.get('destinations')?.value);
      for (const [key, e] of dests?.entries ?? []) {
        jobs.set(key, job(inst.name, key, 'external', literal(asAttrs(e.value)?.entries.get('repo')?.value), startAt, nextRun));
      }
    }
  }
  return [...jobs.values()];
}

function job(instance: string, destination: string, kind: BackupJob['kind'], repo: string | undefined,
  startAt: string | undefined, nextRun: NextRun): BackupJob {
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
      foldersOpaque: !folders || folders.kind !== 'list' || items.some((i) => i.kind !== 'string' || i.value === undefined),
      hooks: HOOKS.filter((h) => s.attrs?.entries.has(h)),
      uri: s.keyRef.uri,
      range: s.keyRef.range,
    };
  });
}
