// Parsing of `clan backups list` output. Pure (no `vscode` import).
//
// Each provider names its backups itself (clan_lib/backups/list.py prints the `name` of every entry the provider's
// `list` command returns), and `clan backups restore <m> <provider> <name>` hands the name back to it as $NAME:
// - borgbackup (clanServices/borgbackup/default.nix, `borgbackup-list`): `<destination>::<repo>::<archive>`;
//   `borgbackup-restore` takes the destination up to the FIRST `::` and gives the rest to `borg-job-<dest> extract`.
//   The repository may itself contain `:` and even `::` (`borg@host:.`, `borg@[::1]:.`), while a destination matches
//   `^[a-zA-Z0-9._-]+$` and an archive name `<host>-<destination>-<YYYY-MM-DDTHH:MM:SS>` (nixpkgs' default
//   archiveBaseName and dateFormat); so the destination ends at the first `::` and the archive starts after the last.
//   nixpkgs (nixos/modules/services/backup/borgbackup.nix, `appendFailedSuffix`, default true) creates every archive
//   as `<archive>.failed` and renames it when `borg create` succeeded: a name ending in `.failed` is a backup that
//   did not finish.
// - localbackup (clanServices/localbackup/default.nix, `localbackup-list`): `<target>::<directory>/snapshot.<N>`,
//   rsnapshot's snapshots (`snapshot.0` is the newest), without a date.

export const BORGBACKUP = 'borgbackup';
export const LOCALBACKUP = 'localbackup';

export interface ArchiveName {
  /** The full name as printed by `clan backups list`; what `clan backups restore` expects. */
  name: string;
  /** The provider that lists and restores it: `borgbackup`, `localbackup` (or another provider's key). */
  provider: string;
  /** borgbackup: the destination (the `borgbackup-job-<destination>` unit); localbackup: the target. */
  destination: string;
  /** borgbackup: the repository; localbackup: the directory holding the snapshots. */
  repo: string;
  /** borgbackup: the archive name; localbackup: the snapshot directory (a full path). */
  archive: string;
  /** `YYYY-MM-DDTHH:MM:SS` from the archive name's tail, in the machine's local time (borg's `date` has no zone). */
  time?: string;
  /** The host name part of `<host>-<destination>-<time>`, when the archive follows that pattern. */
  host?: string;
  /** borgbackup: the archive keeps nixpkgs' `.failed` suffix: `borg create` did not finish. */
  failed?: boolean;
  /** localbackup: N of `snapshot.N` (0 is the newest). */
  snapshot?: number;
}

const TIME_TAIL = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/;
const FAILED_SUFFIX = '.failed';
const JOB_RE = /^[a-zA-Z0-9._-]+$/;

/** A borgbackup name `<dest>::<repo>::<archive>`; undefined otherwise. */
function parseBorgName(name: string): ArchiveName | undefined {
  const first = name.indexOf('::');
  const last = name.lastIndexOf('::');
  if (first <= 0 || last === first) return undefined;
  const destination = name.slice(0, first);
  const repo = name.slice(first + 2, last);
  const archive = name.slice(last + 2);
  if (repo.length === 0 || archive.length === 0) return undefined;
  const parsed: ArchiveName = { name, provider: BORGBACKUP, destination, repo, archive };
  let base = archive;
  if (base.endsWith(FAILED_SUFFIX) && base.length > FAILED_SUFFIX.length) {
    parsed.failed = true;
    base = base.slice(0, -FAILED_SUFFIX.length);
  }
  const m = TIME_TAIL.exec(base);
  if (m && isCalendarTime(m[1]!)) {
    parsed.time = m[1]!;
    const prefix = base.slice(0, base.length - m[1]!.length);
    const suffix = `-${destination}-`;
    if (prefix.endsWith(suffix) && prefix.length > suffix.length) parsed.host = prefix.slice(0, -suffix.length);
  }
  return parsed;
}

/** `<target>::<directory>` of localbackup (or another provider that names backups `<job>::<rest>`). */
function parseJobName(name: string, provider: string): ArchiveName | undefined {
  const sep = name.indexOf('::');
  if (sep <= 0) return undefined;
  const destination = name.slice(0, sep);
  const rest = name.slice(sep + 2);
  if (rest.length === 0 || !JOB_RE.test(destination)) return undefined;
  const slash = rest.lastIndexOf('/');
  const parsed: ArchiveName = {
    name,
    provider,
    destination,
    repo: slash > 0 ? rest.slice(0, slash) : slash === 0 ? '/' : '',
    archive: rest,
  };
  if (provider === LOCALBACKUP) {
    const m = /(?:^|\/)snapshot\.(\d+)$/.exec(rest);
    if (m) parsed.snapshot = Number(m[1]);
  }
  return parsed;
}

/**
 * Parses one name as `provider` names them; without a provider, the form decides (three parts: borgbackup, two:
 * localbackup). Undefined when the name is not of the provider's form.
 */
export function parseArchiveName(name: string, provider?: string): ArchiveName | undefined {
  if (provider === BORGBACKUP) return parseBorgName(name);
  if (provider !== undefined) return parseJobName(name, provider);
  return parseBorgName(name) ?? parseJobName(name, LOCALBACKUP);
}

function isCalendarTime(t: string): boolean {
  const [date, clock] = t.split('T') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = clock.split(':').map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 60) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d >= 1 && d <= daysInMonth;
}

/** A provider whose `clan backups list --provider P` failed (the others' archives are still listed). */
export interface ListFailure {
  provider: string;
  /** The first meaningful line of the error (clanCli.errorSummary). */
  message: string;
}

export interface ListOutput {
  /** Newest first. */
  archives: ArchiveName[];
  /** Non-empty lines that are not a name of the provider's form. */
  other: string[];
  /** Providers whose listing failed. */
  failures?: ListFailure[];
}

/** Parses the whole stdout of `clan backups list [--provider P]`: one name per line. */
export function parseListOutput(stdout: string, provider?: string): ListOutput {
  const archives: ArchiveName[] = [];
  const other: string[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const parsed = parseArchiveName(line, provider);
    if (parsed) archives.push(parsed);
    else other.push(line);
  }
  return { archives: sortNewestFirst(archives), other };
}

/** The listings of several providers as one. */
export function mergeListOutputs(outputs: readonly ListOutput[]): ListOutput {
  const seen = new Set<string>();
  const archives: ArchiveName[] = [];
  for (const o of outputs) {
    for (const a of o.archives) {
      const key = `${a.provider}\0${a.name}`;
      if (!seen.has(key)) {
        seen.add(key);
        archives.push(a);
      }
    }
  }
  const failures = outputs.flatMap((o) => o.failures ?? []);
  const merged: ListOutput = { archives: sortNewestFirst(archives), other: outputs.flatMap((o) => o.other) };
  if (failures.length) merged.failures = failures;
  return merged;
}

/**
 * Newest first: dated archives (failed ones too) by their time; then undated ones: localbackup snapshots by their
 * number (snapshot.0 is the newest), then the rest in reverse name order, so the order is total and stable.
 */
export function sortNewestFirst(archives: readonly ArchiveName[]): ArchiveName[] {
  return [...archives].sort((a, b) => {
    if (a.time !== undefined && b.time !== undefined && a.time !== b.time) return a.time < b.time ? 1 : -1;
    if (a.time !== undefined && b.time === undefined) return -1;
    if (a.time === undefined && b.time !== undefined) return 1;
    if (a.snapshot !== undefined && b.snapshot !== undefined && a.snapshot !== b.snapshot)
      return a.snapshot - b.snapshot;
    if (a.snapshot !== undefined && b.snapshot === undefined) return -1;
    if (a.snapshot === undefined && b.snapshot !== undefined) return 1;
    // A finished archive before a failed one of the same time.
    if (!!a.failed !== !!b.failed) return a.failed ? 1 : -1;
    return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
}

/** Groups by destination (borgbackup) or target (localbackup), each group newest first; `provider` filters. */
export function groupByDestination(archives: readonly ArchiveName[], provider?: string): Map<string, ArchiveName[]> {
  const groups = new Map<string, ArchiveName[]>();
  for (const a of sortNewestFirst(archives)) {
    if (provider !== undefined && a.provider !== provider) continue;
    const list = groups.get(a.destination) ?? [];
    list.push(a);
    groups.set(a.destination, list);
  }
  return groups;
}

/** A short label: the time (borgbackup) or `target: snapshot.N` (localbackup), "(failed)" for failed archives. */
export function archiveLabel(a: ArchiveName): string {
  const base = a.time
    ? a.time.replace('T', ' ')
    : a.provider === BORGBACKUP
      ? a.archive
      : `${a.destination}: ${a.archive.split('/').pop()}`;
  return a.failed ? `${base} (failed)` : base;
}
