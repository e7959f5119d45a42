// Parsing of `clan backups list` output. Pure (no `vscode` import).
//
// borgbackup names are `<destination>::<repo>::<archive>` (clan-core-reference.md 1.4/6.2). The repository may itself
// contain `:` and even `::` (`borg@host:.`, `borg@[::1]:.`), while a destination matches `^[a-zA-Z0-9._-]+$` and an
// archive name `<host>-<destination>-<YYYY-MM-DDTHH:MM:SS>`; so the destination ends at the FIRST `::` and the archive
// starts after the LAST one.

export interface ArchiveName {
  /** The full name as printed by `clan backups list`; what `clan backups restore` expects. */
  name: string;
  destination: string;
  repo: string;
  archive: string;
  /** `YYYY-MM-DDTHH:MM:SS` from the archive name's tail, in the machine's local time (borg's `date` has no zone). */
  time?: string;
  /** The host name part of `<host>-<destination>-<time>`, when the archive follows that pattern. */
  host?: string;
}

const TIME_TAIL = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/;

/** Parses one name; undefined when it is not of the `<dest>::<repo>::<archive>` form. */
export function parseArchiveName(name: string): ArchiveName | undefined {
  const first = name.indexOf('::');
  const last = name.lastIndexOf('::');
  if (first <= 0 || last === first) return undefined;
  const destination = name.slice(0, first);
  const repo = name.slice(first + 2, last);
  const archive = name.slice(last + 2);
  if (repo.length === 0 || archive.length === 0) return undefined;
  const parsed: ArchiveName = { name, destination, repo, archive };
  const m = TIME_TAIL.exec(archive);
  if (m && isCalendarTime(m[1]!)) {
    parsed.time = m[1]!;
    const prefix = archive.slice(0, archive.length - m[1]!.length);
    const suffix = `-${destination}-`;
    if (prefix.endsWith(suffix) && prefix.length > suffix.length) parsed.host = prefix.slice(0, -suffix.length);
  }
  return parsed;
}

function isCalendarTime(t: string): boolean {
  const [date, clock] = t.split('T') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = clock.split(':').map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 60) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d >= 1 && d <= daysInMonth;
}

export interface ListOutput {
  /** Newest first. */
  archives: ArchiveName[];
  /** Non-empty lines that are not `<dest>::<repo>::<archive>` (e.g. localbackup's `<target>::<snapshot>`). */
  other: string[];
}

/** Parses the whole stdout of `clan backups list`: one name per line. */
export function parseListOutput(stdout: string): ListOutput {
  const archives: ArchiveName[] = [];
  const other: string[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const parsed = parseArchiveName(line);
    if (parsed) archives.push(parsed);
    else other.push(line);
  }
  return { archives: sortNewestFirst(archives), other };
}

/** Newest first; archives without a time go last, in reverse name order so the order is total and stable. */
export function sortNewestFirst(archives: readonly ArchiveName[]): ArchiveName[] {
  return [...archives].sort((a, b) => {
    if (a.time !== undefined && b.time !== undefined && a.time !== b.time) return a.time < b.time ? 1 : -1;
    if (a.time !== undefined && b.time === undefined) return -1;
    if (a.time === undefined && b.time !== undefined) return 1;
    return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
  });
}

/** Groups by destination, keeping each group newest first. */
export function groupByDestination(archives: readonly ArchiveName[]): Map<string, ArchiveName[]> {
  const groups = new Map<string, ArchiveName[]>();
  for (const a of sortNewestFirst(archives)) {
    const list = groups.get(a.destination) ?? [];
    list.push(a);
    groups.set(a.destination, list);
  }
  return groups;
}
