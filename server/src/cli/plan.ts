// `clan-backups plan [--format text|json|markdown] [PATH]`: the editor's backup-jobs tree without the editor, for CI
// logs and pull-request comments. Everything here is pure except runPlan; the JSON shape is docs/plan-json.md.
import { existsSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { analyzeClan, Analysis } from '../analyze';
import { formatTimestamp, nextElapses, parseCalendar } from '../calendar';
import { buildJobsModel } from '../backupJobs';
import type { LspRange, MachineSummary, StateSummary } from '../../../shared/protocol';
import { ClanModel, findRole, Machine, roleMembers } from '../model/clanModel';
import { loadSingleFile, UnreadableInput } from '../model/loadClan';
import { loadWorkspaceClan } from '../model/workspaceIndex';
import { toPath } from '../util/uris';
import { asAttrs, NixValue } from '../model/nixValue';
import { layersForMember } from '../model/settingsLayers';
import { initParsing } from '../parsing/parser';
import type { CommandIO } from './check';

export const PLAN_USAGE = 'usage: clan-backups plan [--format text|json|markdown] [PATH]';
const FORMATS = ['text', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

export interface PlanOptions {
  /** The instant next runs are computed after: the CLI passes the current time, tests a fixed one. */
  now: Date;
  /** $TZ for schedules without a zone (undefined: the system zone), as the language server's nextRunOf. */
  tz?: string;
}

export interface PlanJob {
  unit: string;
  destination: string;
  kind: 'server' | 'external';
  provider: 'borgbackup';
  instance: string;
  repo: string | null;
  startAt: string | null;
  nextRun: string | null;
  scheduleError: string | null;
}
export interface PlanState {
  name: string;
  folders: string[];
  foldersComputed: boolean;
  hooks: string[];
  generatedBy: string | null;
  file: string;
  line: number;
}
export interface PlanDump {
  database: string;
  state: string;
  folder: string;
  enabled: boolean | null;
}
export interface PlanExclude {
  instance: string;
  patterns: string[];
  computed: boolean;
}
export interface PlanNotBackedUp {
  service: string;
  dirs: string[];
  database: string | null;
  file: string;
  line: number;
}
export interface PlanMachine {
  name: string;
  machineClass: 'nixos' | 'darwin';
  roles: string[];
  hasState: 'yes' | 'no' | 'unknown';
  providers: Array<{ name: string; certain: boolean; targets: string[] }>;
  jobs: PlanJob[];
  states: PlanState[];
  postgresql: PlanDump[];
  exclude: PlanExclude[];
  notBackedUp: PlanNotBackedUp[];
}
export interface PlanReport {
  version: 1;
  clanDir: string;
  now: string;
  machines: PlanMachine[];
}

export async function runPlan(args: string[], io: CommandIO): Promise<number> {
  const parsed = parseArgs(args);
  if ('help' in parsed) {
    io.stdout(`${PLAN_USAGE}\n`);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`clan-backups plan: ${parsed.error}\n${PLAN_USAGE}\n`);
    return 2;
  }
  const tz = process.env.TZ;
  let report: PlanReport;
  try {
    const abs = resolve(io.cwd, parsed.path);
    if (!existsSync(abs)) throw new UnreadableInput(`${parsed.path}: no such file or directory`);
    await initParsing();
    // The same discovery as `check`: a clan directory, a flake that defines a clan, or any file of one.
    const clan = loadWorkspaceClan(abs);
    if (!clan && statSync(abs).isDirectory())
      throw new UnreadableInput(`${parsed.path}: no clan.nix in this directory, nor a flake that defines a clan`);
    const analysis: Analysis = analyzeClan(clan ?? loadSingleFile(abs));
    report = planReport(analysis, tz === undefined ? { now: new Date() } : { now: new Date(), tz });
  } catch (e) {
    // A missing path or a directory without a clan is a usage error: say how to call plan, as for a bad option.
    io.stderr(`clan-backups plan: ${describeError(e)}\n${e instanceof UnreadableInput ? `${PLAN_USAGE}\n` : ''}`);
    return 2;
  }
  // As check names files: relative when below the working directory, else absolute.
  const rel = relative(io.cwd, report.clanDir);
  const label = rel === '' ? '.' : rel.startsWith('..') ? report.clanDir : rel;
  io.stdout(
    parsed.format === 'json'
      ? renderJson(report)
      : parsed.format === 'markdown'
        ? renderMarkdown(report, tz)
        : renderText(report, label, tz),
  );
  return 0;
}

/** One line for the user's CI log, never a stack trace. */
function describeError(e: unknown): string {
  if (e instanceof UnreadableInput) return e.message;
  if (e && typeof e === 'object' && 'code' in e && 'path' in e)
    return `${String((e as { path: unknown }).path)}: ${String((e as { code: unknown }).code)}`;
  return `internal error: ${e instanceof Error ? e.message : String(e)} (please report it)`;
}

function parseArgs(args: string[]): { format: Format; path: string } | { error: string } | { help: true } {
  let format: string = 'text';
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--format' || a.startsWith('--format=')) {
      format = a.includes('=') ? a.slice('--format='.length) : (args[++i] ?? '');
      if (!(FORMATS as readonly string[]).includes(format))
        return { error: `--format must be text, json or markdown, not '${format}'` };
    } else if (a === '-h' || a === '--help') return { help: true };
    else if (a.startsWith('-') && a !== '-') return { error: `unknown option '${a}'` };
    else paths.push(a);
  }
  // One clan per plan: a PR comment about two clans would be two comments.
  if (paths.length > 1) return { error: `one PATH at most, got ${paths.length}` };
  return { format: format as Format, path: paths[0] ?? '.' };
}

/** The plan of a clan: the jobs model, plus the dumps and excludes the tree does not show. */
export function planReport(analysis: Analysis, options: PlanOptions): PlanReport {
  const errors = new Map<string, string>();
  const nextRun = (startAt: string): string | undefined => {
    const parsed = parseCalendar(startAt, options.tz);
    if (!parsed.ok) {
      errors.set(startAt, parsed.message);
      return undefined;
    }
    const [next] = nextElapses(parsed.spec, options.now, 1, options.tz);
    return next === undefined ? undefined : new Date(Number(next / 1000n)).toISOString();
  };
  const jobsModel = buildJobsModel(analysis, nextRun);
  const { model } = analysis;
  const machines = jobsModel.machines.map((s) => planMachine(model, s, errors));
  // buildJobsModel sorts with localeCompare; the JSON promises a locale-independent order.
  machines.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { version: 1, clanDir: model.dir, now: options.now.toISOString(), machines };
}

function planMachine(model: ClanModel, s: MachineSummary, scheduleErrors: Map<string, string>): PlanMachine {
  const m = model.machines.get(s.name)!;
  const where = (uri: string, range: LspRange) => ({ file: relativeFile(model.dir, uri), line: range.start.line + 1 });
  const state = (st: StateSummary): PlanState => ({
    name: st.name,
    folders: st.folders,
    foldersComputed: st.foldersOpaque,
    hooks: st.hooks,
    generatedBy: st.generatedBy ?? null,
    ...where(st.uri, st.range),
  });
  return {
    name: s.name,
    machineClass: s.machineClass,
    roles: s.roles,
    hasState: s.hasState,
    providers: s.providers.map((p) => ({ name: p.name, certain: p.certain, targets: p.targets ?? [] })),
    jobs: s.jobs.map((j) => ({
      unit: j.unit,
      destination: j.destination,
      kind: j.kind,
      provider: 'borgbackup',
      instance: j.instance,
      repo: j.repo ?? null,
      startAt: j.startAt ?? null,
      nextRun: j.nextRun ?? null,
      scheduleError: j.startAt === undefined ? null : (scheduleErrors.get(j.startAt) ?? null),
    })),
    // Generated states (PostgreSQL dumps, the zerotier controller) are backed up like declared ones.
    states: [...s.states, ...s.generatedStates].map(state),
    postgresql: dumpsOf(m),
    exclude: excludesOf(model, m),
    notBackedUp: s.notBackedUp.map((n) => ({
      service: n.service,
      dirs: n.dirs,
      database: n.database ?? null,
      ...where(n.uri, n.range),
    })),
  };
}

/** Files relative to the clan, with `/`, so the JSON is the same on every checkout and runner. */
function relativeFile(dir: string, uri: string): string {
  return uri ? relative(dir, toPath(uri)).split(sep).join('/') : '';
}

function literalString(v: NixValue | undefined): string | undefined {
  return v?.kind === 'string' ? v.value : undefined;
}

/**
 * `clan.core.postgresql.databases` (nixosModules/clanCore/postgresql/default.nix): each database is dumped to
 * `/var/backup/postgres/<name>` by the state named by its `service` (default: the key), only when
 * `clan.core.postgresql.enable` is true. Entries whose key, name or service are computed are left out.
 */
function dumpsOf(m: Machine): PlanDump[] {
  const enables = m.postgresql.flatMap((p) => (p.enable ? [p.enable] : []));
  const literalBools = enables.flatMap((e) => (e.kind === 'bool' && e.value !== undefined ? [e.value] : []));
  // Differing literal definitions fail evaluation in Nix, so any literal true means dumps; unset or computed: null.
  const enabled = literalBools.includes(true)
    ? true
    : literalBools.length > 0 && literalBools.length === enables.length
      ? false
      : null;
  const out: PlanDump[] = [];
  for (const pg of m.postgresql) {
    const dbs = pg.databases ? asAttrs(pg.databases.value) : undefined;
    for (const [key, e] of dbs?.entries ?? []) {
      const attrs = asAttrs(e.value);
      const name = attrs?.entries.has('name') ? literalString(attrs.entries.get('name')!.value) : key;
      const service = attrs?.entries.has('service') ? literalString(attrs.entries.get('service')!.value) : key;
      if (!attrs || name === undefined || service === undefined) continue;
      out.push({ database: name, state: service, folder: `/var/backup/postgres/${name}`, enabled });
    }
  }
  return out;
}

/**
 * The client's `exclude` per borgbackup instance. It is a `listOf str` option, so the role, tag and machine layers
 * (equal priority) concatenate rather than override; duplicates are shown once. `computed` marks a layer whose list
 * (or whose settings) is not literal: the patterns shown are then a part of the real list.
 */
function excludesOf(model: ClanModel, m: Machine): PlanExclude[] {
  const out: PlanExclude[] = [];
  for (const inst of model.instances) {
    const client = inst.isBorgbackup ? findRole(inst, 'client') : undefined;
    if (!client || !roleMembers(model, client).members.has(m.name)) continue;
    const patterns = new Set<string>();
    let computed = false;
    for (const layer of layersForMember(model, inst, client, m.name)) {
      const settings = asAttrs(layer.value);
      const v = settings?.entries.get('exclude')?.value;
      if (!settings || settings.dynamicKeys || (v && v.kind !== 'list')) computed = true;
      for (const item of v?.kind === 'list' ? v.items : []) {
        const s = literalString(item);
        if (s === undefined) computed = true;
        else patterns.add(s);
      }
    }
    out.push({ instance: inst.name, patterns: [...patterns], computed });
  }
  return out;
}

export function renderJson(report: PlanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A next run as systemd prints it, in the zone it was computed in: "Thu 2026-01-01 04:00:00 UTC". */
function when(j: PlanJob, tz: string | undefined): string {
  if (j.nextRun) return formatTimestamp(new Date(j.nextRun), tz);
  if (j.startAt === null) return 'unknown (computed schedule)';
  return j.scheduleError ? `never: invalid schedule (${j.scheduleError})` : 'never';
}

function folderList(s: PlanState): string {
  const folders = s.folders.length ? s.folders.join(', ') : '(none)';
  return s.foldersComputed ? `${folders} (+ computed)` : folders;
}

function dumpStatus(d: PlanDump): string {
  return d.enabled === true
    ? ''
    : d.enabled === false
      ? ' (clan.core.postgresql.enable is false: no dump)'
      : ' (clan.core.postgresql.enable not literal true)';
}

/** Indented plain text: greppable in a CI log, one line per job, state, dump and uncovered service. */
export function renderText(report: PlanReport, clanLabel: string, tz?: string): string {
  const lines = [`Backup plan of ${clanLabel} (${report.machines.length} machine(s))`];
  for (const m of report.machines) {
    lines.push('', `${m.name}${m.roles.length ? `  roles: ${m.roles.join(', ')}` : ''}`);
    const section = (title: string, items: string[]) => {
      if (items.length) lines.push(`  ${title}:`, ...items.map((i) => `    ${i}`));
    };
    if (!m.jobs.length) lines.push('  jobs: none');
    section(
      'jobs',
      m.jobs.map(
        (j) =>
          `${j.unit}  repo ${j.repo ?? '(computed)'}  startAt ${j.startAt ?? '(computed)'}` +
          `  next ${when(j, tz)}  [${j.provider}, instance ${j.instance}]`,
      ),
    );
    section(
      'states',
      m.states.map(
        (s) =>
          `${s.name}: ${folderList(s)}${s.hooks.length ? `  hooks: ${s.hooks.join(', ')}` : ''}` +
          `${s.generatedBy ? `  (generated by ${s.generatedBy})` : ''}`,
      ),
    );
    section(
      'postgresql dumps',
      m.postgresql.map((d) => `${d.database} -> ${d.folder} (state ${d.state})${dumpStatus(d)}`),
    );
    section(
      'exclude',
      m.exclude.map(
        (e) =>
          `${e.instance}: ${e.patterns.length ? e.patterns.join(' ') : '(none)'}${e.computed ? ' (+ computed)' : ''}`,
      ),
    );
    section(
      'NOT backed up',
      m.notBackedUp.map((n) => `services.${n.service}: ${notCovered(n)}  (${n.file}:${n.line})`),
    );
  }
  return `${lines.join('\n')}\n`;
}

function notCovered(n: PlanNotBackedUp): string {
  return [...n.dirs, ...(n.database ? [`database ${n.database}`] : [])].join(', ');
}

/** A table cell: `|` would end the cell and a newline the row (GFM tables). */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

/** Blocks end in a table, a list or a blank line: keep one blank line between blocks, not two. */
function trimBlank(lines: string[]): void {
  while (lines[lines.length - 1] === '') lines.pop();
}

/** Markdown for a pull-request comment: the jobs in one table, then the details per machine, then the gaps. */
export function renderMarkdown(report: PlanReport, tz?: string): string {
  const out = ['## Backup plan', ''];
  const jobs = report.machines.flatMap((m) =>
    m.jobs.map((j) => [
      m.name,
      code(j.unit),
      j.repo ? code(j.repo) : '_computed_',
      j.startAt ? code(j.startAt) : '_computed_',
      when(j, tz),
    ]),
  );
  if (jobs.length) out.push(...table(['Machine', 'Job', 'Repository', 'Schedule', 'Next run'], jobs));
  else out.push('_No backup jobs._');
  for (const m of report.machines) {
    trimBlank(out);
    out.push('', `### ${m.name}`, '');
    if (m.roles.length) out.push(`Roles: ${m.roles.map(code).join(', ')}`, '');
    if (m.states.length) {
      out.push(
        ...table(
          ['State', 'Folders', 'Hooks'],
          m.states.map((s) => [
            code(s.name) + (s.generatedBy ? ` (${s.generatedBy})` : ''),
            s.folders.map(code).join(', ') + (s.foldersComputed ? ' _+ computed_' : ''),
            s.hooks.join(', '),
          ]),
        ),
        '',
      );
    } else out.push('_No states._', '');
    for (const d of m.postgresql)
      out.push(`- PostgreSQL dump: ${code(d.database)} → ${code(d.folder)} (state ${code(d.state)})${dumpStatus(d)}`);
    for (const e of m.exclude) {
      out.push(
        `- Excluded (${code(e.instance)}): ${e.patterns.length ? e.patterns.map(code).join(', ') : '_none_'}${e.computed ? ' _+ computed_' : ''}`,
      );
    }
  }
  trimBlank(out);
  const gaps = report.machines.flatMap((m) =>
    m.notBackedUp.map((n) => [
      m.name,
      code(`services.${n.service}`),
      [...n.dirs.map(code), ...(n.database ? [`database ${code(n.database)}`] : [])].join(', '),
      code(`${n.file}:${n.line}`),
    ]),
  );
  out.push('', '### Not backed up', '');
  if (gaps.length) out.push(...table(['Machine', 'Service', 'Data', 'Enabled at'], gaps));
  else out.push('_Every detected service is covered._');
  return `${out.join('\n')}\n`;
}
