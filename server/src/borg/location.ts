// BorgBackup 1.x repository locations (BORG_REPO / `repo`), read the way borg 1.2/1.4 reads them.
// The regexes mirror `class Location` in src/borg/helpers/parseformat.py (identical in 1.2-maint and 1.4-maint):
// ssh_re, then file_re, then scp_re (which also covers local paths). Borg 2.x reads locations differently.

import { show } from './patternText';

export type LocationKind = 'ssh-url' | 'file-url' | 'scp-remote' | 'local-path';

export interface ParsedLocation {
  ok: true;
  kind: LocationKind;
  user?: string;
  /** Host without IPv6 brackets, as borg's `Location.host` reports it. */
  host?: string;
  /** Borg turns port 0 into "no port", so this is never 0. */
  port?: number;
  /** The path as matched, before borg's normpath. */
  path: string;
  archive?: string;
}

export interface LocationError {
  ok: false;
  message: string;
}

export type LocationResult = ParsedLocation | LocationError;

export interface Span {
  start: number;
  end: number;
}

/**
 * What is wrong with a repository location, in borg's terms; checks/ decides which rule reports it.
 * - `placeholder`: replace_placeholders fails on a `{…}` field or a stray brace.
 * - `unparsable`: no Location regex matches ("Invalid location format").
 * - `unbracketed-ipv6`: an IPv6 host without `[…]`, which the regexes split at its colons.
 * - `empty-remote-path`: `host:` with nothing after the colon, which scp_re reads as a local folder.
 * - `url-as-local-path`: a `scheme://` borg 1.x does not know, read as a local path.
 * - `scheme-as-host`: `sftp:/x`-like, where the scheme becomes an scp host.
 * - `device-as-host`: `usb:/mnt/x`-like, where a disk label becomes an scp host.
 * - `archive-in-repo`: `::name`, which borg takes as an archive, not part of the repository.
 */
export type RepoProblemKind =
  | 'placeholder'
  | 'unparsable'
  | 'unbracketed-ipv6'
  | 'empty-remote-path'
  | 'url-as-local-path'
  | 'scheme-as-host'
  | 'device-as-host'
  | 'archive-in-repo';

export interface RepoProblem {
  kind: RepoProblemKind;
  message: string;
  start: number;
  end: number;
  /** Replacement texts for the whole repo string, best first. */
  fixes?: string[];
}

/**
 * What is wrong with the server `address` once Clan splices it into `borg@${address}:.`:
 * - `has-port`: `host:port`, whose port scp_re reads as the start of the path.
 * - `unbracketed-ipv6`: an IPv6 address (alone or with more after it) without `[…]`.
 */
export type AddressProblemKind = 'has-port' | 'unbracketed-ipv6';

export interface AddressProblem {
  kind: AddressProblemKind;
  message: string;
  start: number;
  end: number;
  fixes?: string[];
}

export interface PlaceholderProblem {
  message: string;
  start: number;
  end: number;
}

/** Placeholders accepted by borg's replace_placeholders (1.2 and 1.4). */
export const BORG_PLACEHOLDERS: readonly string[] = [
  'pid',
  'fqdn',
  'reverse-fqdn',
  'hostname',
  'now',
  'utcnow',
  'user',
  'uuid4',
  'borgversion',
  'borgmajor',
  'borgminor',
  'borgpatch',
];

// Longer strings are not realistic repo values; skipping them keeps every call cheap.
const MAX_JUDGED_LENGTH = 8192;

// Python's `$` (no MULTILINE) also matches before one final "\n"; JS needs it spelled out.
const PY_END = '(?=\\n?$)';
const USER = '(?:(?<user>[^@:/]+)@)?';
const HOST = '(?<host>(?!\\[)[^:/]+(?<!\\])|\\[[0-9a-fA-F:.]+\\])';
const NO_DOUBLE_COLON = '(?:[^:]|:(?!:))+';
const ARCHIVE = '(?:::(?<archive>[^/]+))?' + PY_END;
// `u`: Python matches code points, and `\d` in a Python str pattern is any Unicode decimal digit.
// `d`: group offsets, so findings can point inside the string.
const SSH_RE = new RegExp(
  '^(?<proto>ssh)://' + USER + HOST + '(?::(?<port>\\p{Nd}+))?' + '(?<path>/' + NO_DOUBLE_COLON + ')' + ARCHIVE,
  'ud',
);
const FILE_RE = new RegExp('^(?<proto>file)://(?<path>[^/]*/' + NO_DOUBLE_COLON + ')' + ARCHIVE, 'ud');
const SCP_RE = new RegExp(
  '^(?:' + USER + HOST + ':)?' + '(?!:|//|ssh://)(?<path>' + NO_DOUBLE_COLON + ')' + ARCHIVE,
  'ud',
);

interface Spans {
  user?: Span;
  host?: Span;
  port?: Span;
  path: Span;
  archive?: Span;
}

interface Detailed {
  loc: ParsedLocation;
  spans: Spans;
}

function spanOf(m: RegExpExecArray, name: string): Span | undefined {
  const idx = m.indices?.groups?.[name];
  return idx ? { start: idx[0], end: idx[1] } : undefined;
}

function safeExec(re: RegExp, s: string): RegExpExecArray | null {
  try {
    return re.exec(s);
  } catch {
    // V8 can run out of backtracking stack on pathological input; treat as "no match".
    return null;
  }
}

// Python's int() accepts any Unicode decimal digit; Unicode guarantees Nd digits come in runs of ten starting at 0.
function unicodeDigitsToNumber(digits: string): number {
  let n = 0;
  for (const ch of digits) {
    let cp = ch.codePointAt(0)!;
    let zero = cp;
    while (zero > 0 && /\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
    cp = (cp - zero) % 10;
    n = n * 10 + cp;
  }
  return n;
}

function parseDetailed(s: string): Detailed | undefined {
  let m = safeExec(SSH_RE, s);
  if (m) {
    const g = m.groups!;
    const loc: ParsedLocation = { ok: true, kind: 'ssh-url', path: g.path! };
    if (g.user !== undefined) loc.user = g.user;
    loc.host = stripBrackets(g.host!);
    if (g.port !== undefined) {
      const port = unicodeDigitsToNumber(g.port);
      if (port !== 0) loc.port = port;
    }
    if (g.archive !== undefined) loc.archive = g.archive;
    return { loc, spans: collectSpans(m) };
  }
  m = safeExec(FILE_RE, s);
  if (m) {
    const g = m.groups!;
    const loc: ParsedLocation = { ok: true, kind: 'file-url', path: g.path! };
    if (g.archive !== undefined) loc.archive = g.archive;
    return { loc, spans: collectSpans(m) };
  }
  m = safeExec(SCP_RE, s);
  if (m) {
    const g = m.groups!;
    const loc: ParsedLocation = { ok: true, kind: g.host !== undefined ? 'scp-remote' : 'local-path', path: g.path! };
    if (g.user !== undefined) loc.user = g.user;
    if (g.host !== undefined) loc.host = stripBrackets(g.host);
    if (g.archive !== undefined) loc.archive = g.archive;
    return { loc, spans: collectSpans(m) };
  }
  return undefined;
}

function collectSpans(m: RegExpExecArray): Spans {
  const spans: Spans = { path: spanOf(m, 'path')! };
  for (const k of ['user', 'host', 'port', 'archive'] as const) {
    const sp = spanOf(m, k);
    if (sp) spans[k] = sp;
  }
  return spans;
}

function stripBrackets(host: string): string {
  // Location.host does lstrip('[').rstrip(']').
  return host.replace(/^\[+/, '').replace(/\]+$/, '');
}

/**
 * Problems borg's replace_placeholders would raise: unknown `{x}`, conversions like `{x!r}`,
 * positional `{}`, and stray `{` / `}` (literal braces must be doubled).
 * Format specs (`{now:%Y-%m-%d}`) are accepted without being judged.
 */
export function placeholderProblems(s: string): PlaceholderProblem[] {
  const out: PlaceholderProblem[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s[i];
    if (c === '}') {
      if (s[i + 1] === '}') {
        i += 2;
        continue;
      }
      out.push({
        message: 'stray `}`: borg fails with "Single \'}\' encountered"; write `}}` for a literal brace',
        start: i,
        end: i + 1,
      });
      return out; // Python stops at the first formatting error.
    }
    if (c !== '{') {
      i++;
      continue;
    }
    if (s[i + 1] === '{') {
      i += 2;
      continue;
    }
    // A replacement field ends at the matching `}`; nested braces belong to the format spec.
    let depth = 1;
    let j = i + 1;
    while (j < n && depth > 0) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}') depth--;
      j++;
    }
    if (depth > 0) {
      out.push({
        message: 'stray `{`: borg fails with "expected \'}\' before end of string"; write `{{` for a literal brace',
        start: i,
        end: i + 1,
      });
      return out;
    }
    const field = s.slice(i + 1, j - 1);
    const nameEnd = field.search(/[!:]/);
    const name = nameEnd < 0 ? field : field.slice(0, nameEnd);
    const hasConversion = nameEnd >= 0 && field[nameEnd] === '!';
    if (name === '') {
      out.push({
        message: 'empty placeholder `{}`: borg fails ("positional fields"); write `{{}}` for literal braces',
        start: i,
        end: j,
      });
    } else if (!BORG_PLACEHOLDERS.includes(name)) {
      out.push({
        message: `unknown placeholder ${show('{' + name + '}')}: borg fails with InvalidPlaceholder; known: ${BORG_PLACEHOLDERS.map((p) => '{' + p + '}').join(', ')} (write \`{{\` \`}}\` for literal braces)`,
        start: i,
        end: j,
      });
    } else if (hasConversion) {
      out.push({
        message: `borg rejects conversions in placeholders (${show('{' + field + '}')}); use ${show('{' + name + '}')}`,
        start: i,
        end: j,
      });
    }
    i = j;
  }
  return out;
}

function explainFailure(s: string): string {
  if (s === '') return 'empty repository location: borg fails with "Invalid location format"';
  if (/^::/.test(s))
    return '`::archive` without a repository: borg fails with "Invalid location format" (BORG_REPO itself cannot start with `::`)';
  if (s.startsWith('ssh://')) {
    const rest = s.slice(6);
    const authEnd = rest.indexOf('/');
    const authority = authEnd < 0 ? rest : rest.slice(0, authEnd);
    if (authEnd < 0)
      return `${show(s)}: an ssh:// URL needs an absolute path after the host (\`ssh://host/path\`, \`/./rel\` for a relative one); borg fails with "Invalid location format"`;
    const hostPort = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
    if (/^[^[]*:$/.test(hostPort) || /\]:$/.test(hostPort))
      return `${show(s)}: a \`:\` after the host must be followed by a port number; borg fails with "Invalid location format" (drop the \`:\`)`;
    const portMatch = /^(?:\[[^\]]*\]|[^:[\]]*):(.*)$/.exec(hostPort);
    if (portMatch && !/^\p{Nd}+$/u.test(portMatch[1]!))
      return `${show(s)}: the port ${show(portMatch[1]!)} is not a number; borg fails with "Invalid location format"`;
    if ((authority.match(/@/g) ?? []).length > 1)
      return `${show(s)}: the user part cannot contain \`@\`; borg fails with "Invalid location format"`;
    if (rest.slice(authEnd).includes('::') && /::[^/]*\//.test(rest.slice(authEnd)))
      return `${show(s)}: \`::\` starts an archive name and archive names cannot contain \`/\`; borg fails with "Invalid location format"`;
    if (rest[authEnd + 1] === undefined)
      return `${show(s)}: an ssh:// URL needs a path after \`/\`; borg fails with "Invalid location format"`;
    return `${show(s)} is not a valid ssh:// location for borg ("Invalid location format")`;
  }
  if (s.startsWith('file://'))
    return `${show(s)}: a file:// URL needs a path with \`/\` (\`file:///abs/path\`); borg fails with "Invalid location format"`;
  if (/::[^/]*\//.test(s) || (/::[^/]*$/.test(s) === false && s.includes('::'))) {
    return `${show(s)}: \`::\` starts an archive name and archive names cannot contain \`/\`; borg fails with "Invalid location format"`;
  }
  if (s.startsWith('//') || /^(?:[^@:/]+@)?[^:/]+:\/\//.test(s))
    return `${show(s)}: borg does not accept a path starting with \`//\` here; borg fails with "Invalid location format"`;
  if (s.startsWith(':'))
    return `${show(s)}: a location cannot start with \`:\`; borg fails with "Invalid location format"`;
  if (s.endsWith('::'))
    return `${show(s)}: \`::\` must be followed by an archive name; borg fails with "Invalid location format"`;
  return `${show(s)} is not a location borg accepts ("Invalid location format")`;
}

/**
 * Reads `s` as borg 1.x reads a repository location (placeholders are checked, then treated as plain text:
 * borg substitutes them first, which only matters for `{now}`/`{utcnow}` in the host part).
 */
export function parseBorgLocation(s: string): LocationResult {
  if (typeof s !== 'string') return { ok: false, message: 'not a string' };
  const ph = placeholderProblems(s);
  if (ph.length > 0) return { ok: false, message: ph[0]!.message };
  const d = parseDetailed(s);
  if (!d) return { ok: false, message: explainFailure(s) };
  return d.loc;
}

// ---------------------------------------------------------------- IPv6

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 text forms (no zone id). */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const groupsOf = (part: string): number | undefined => {
    if (part === '') return 0;
    const gs = part.split(':');
    let count = 0;
    for (let k = 0; k < gs.length; k++) {
      const g = gs[k]!;
      if (k === gs.length - 1 && g.includes('.')) {
        if (!isIPv4(g)) return undefined;
        count += 2;
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
        count += 1;
      } else {
        return undefined;
      }
    }
    return count;
  };
  if (dbl < 0) return groupsOf(s) === 8;
  const left = s.slice(0, dbl);
  const right = s.slice(dbl + 2);
  if (left.includes('.')) return false;
  const l = groupsOf(left);
  const r = groupsOf(right);
  return l !== undefined && r !== undefined && l + r <= 7;
}

/** Longest prefix of `s` that is an IPv6 address and is followed by `:` or the end. */
function leadingIPv6(s: string, alsoBefore = ''): string | undefined {
  const run = /^[0-9A-Fa-f:.]*/.exec(s)![0];
  for (let len = Math.min(run.length, 45); len >= 2; len--) {
    const cand = run.slice(0, len);
    const next = s[len];
    // `::` alone is borg's archive separator far more often than the unspecified address.
    if (
      (next === undefined || next === ':' || alsoBefore.includes(next)) &&
      /[0-9A-Fa-f]/.test(cand) &&
      cand.split(':').length >= 3 &&
      isIPv6(cand)
    )
      return cand;
  }
  return undefined;
}

function describeParse(loc: ParsedLocation): string {
  const parts: string[] = [];
  if (loc.user !== undefined) parts.push(`user ${show(loc.user)}`);
  if (loc.host !== undefined) parts.push(`host ${show(loc.host)}`);
  if (loc.port !== undefined) parts.push(`port ${loc.port}`);
  parts.push(`${loc.kind === 'local-path' ? 'local path' : 'path'} ${show(loc.path)}`);
  if (loc.archive !== undefined) parts.push(`archive ${show(loc.archive)}`);
  return parts.join(', ');
}

// Hosts that are really URL schemes or borg-2 prefixes: `sftp:/x` or `s3:bucket` read as host `sftp`/`s3`.
const SCHEME_HOSTS = new Set([
  'ssh',
  'file',
  'sftp',
  'rest',
  'http',
  'https',
  's3',
  'b2',
  'rclone',
  'ftp',
  'scp',
  'rsync',
]);
// Local mount points that people write with a device-ish prefix (`usb:/mnt/x`).
const MOUNT_PREFIX = /^\/(?:mnt|media|run\/media|Volumes|srv\/usb)(?:\/|$)/;
const DEVICE_HOST =
  /^(?:usb|disk|drive|external|extern|ext|hdd|ssd|local|localdisk|sd|sdcard|backupdisk|backup-disk)[0-9]*$/i;

function unbracketedIPv6InRepo(repo: string): RepoProblem | undefined {
  let hostStart = 0;
  const scheme = /^ssh:\/\//.exec(repo);
  if (scheme) hostStart = scheme[0].length;
  const userMatch = /^[^@:/[]+@/.exec(repo.slice(hostStart));
  if (userMatch) hostStart += userMatch[0].length;
  const addr = leadingIPv6(repo.slice(hostStart), scheme ? '/' : '');
  if (!addr) return undefined;
  const before = repo.slice(0, hostStart);
  const after = repo.slice(hostStart + addr.length);
  const fixed = before + '[' + addr + ']' + after;
  const d = parseDetailed(repo);
  const reading = d ? `borg parses ${describeParse(d.loc)}` : 'borg rejects the location';
  return {
    kind: 'unbracketed-ipv6',
    message: `unbracketed IPv6 address ${show(addr)}: ${reading}; write ${show('[' + addr + ']')}`,
    start: hostStart,
    end: hostStart + addr.length,
    fixes: [fixed],
  };
}

/**
 * Problems of a literal `repo` string. Offsets are into `repo`.
 * Nothing is reported for the forms Clan documents (`user@host:/./x`, `ssh://user@host:23/./x`, `borg@host:.`).
 */
export function analyzeRepo(repo: string): RepoProblem[] {
  if (typeof repo !== 'string' || repo.length > MAX_JUDGED_LENGTH) return [];
  const ph = placeholderProblems(repo);
  if (ph.length > 0)
    return ph.map((p) => ({ kind: 'placeholder' as const, message: p.message, start: p.start, end: p.end }));

  const v6 = unbracketedIPv6InRepo(repo);
  if (v6) return [v6];

  const d = parseDetailed(repo);
  if (!d) return [{ kind: 'unparsable', message: explainFailure(repo), start: 0, end: repo.length }];
  const { loc, spans } = d;
  const out: RepoProblem[] = [];

  if (loc.kind === 'local-path') {
    const emptyRemote = /^([^@:/]+@)?([^:/]+|\[[0-9a-fA-F:.]+\]):$/.exec(repo.slice(0, spans.path.end));
    if (emptyRemote && loc.archive === undefined) {
      out.push({
        kind: 'empty-remote-path',
        message: `borg reads ${show(repo)} as a local folder named ${show(loc.path)} (the path after \`:\` is empty); write ${show(repo + '.')} for the login directory`,
        start: 0,
        end: repo.length,
        fixes: [repo + '.'],
      });
    } else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(loc.path)) {
      out.push({
        kind: 'url-as-local-path',
        message: `${show(loc.path)} looks like a URL, but borg 1.x only knows \`ssh://\` and \`file://\`; it is read as a local path`,
        start: spans.path.start,
        end: spans.path.end,
      });
    }
  }

  if (loc.kind === 'scp-remote' && loc.host !== undefined && spans.host) {
    const host = loc.host;
    if (loc.user === undefined && SCHEME_HOSTS.has(host.toLowerCase())) {
      out.push({
        kind: 'scheme-as-host',
        message: `${show(repo.slice(0, spans.path.end))} is read as host ${show(host)}, path ${show(loc.path)} (scp syntax), not as a URL; use \`ssh://host/path\` or a local path`,
        start: spans.host.start,
        end: spans.path.end,
      });
    } else if (
      loc.user === undefined &&
      (host.length === 1 || DEVICE_HOST.test(host) || (MOUNT_PREFIX.test(loc.path) && !host.includes('.')))
    ) {
      out.push({
        kind: 'device-as-host',
        message: `${show(repo.slice(0, spans.path.end))} is read as host ${show(host)}, path ${show(loc.path)} (scp syntax for ssh); for a local disk write only the path ${show(loc.path)}`,
        start: spans.host.start,
        end: spans.path.end,
        fixes: [repo.slice(spans.path.start)],
      });
    }
  }

  if (loc.archive !== undefined && spans.archive) {
    const repoPart = repo.slice(0, spans.archive.start - 2);
    out.push({
      kind: 'archive-in-repo',
      message: `\`::\` starts an archive name: borg uses ${show(repoPart)} as the repository and ${show(loc.archive)} as an archive name (BORG_REPO must not contain \`::\`)`,
      start: spans.archive.start - 2,
      end: spans.archive.end,
      fixes: [repoPart],
    });
  }
  return out;
}

/**
 * Problems of the server role's `address`, which Clan splices into `borg@${address}:.`.
 * Offsets are into `address`.
 */
export function analyzeAddress(address: string): AddressProblem[] {
  if (typeof address !== 'string' || address.length > MAX_JUDGED_LENGTH) return [];
  // A bare IPv6 address is itself `a:b::c`; it must be recognised before trying host:port.
  if (isIPv6(address)) {
    return [
      {
        kind: 'unbracketed-ipv6',
        message: `unbracketed IPv6 address: Clan writes ${show('borg@' + address + ':.')}, which ${describeSplice(address)}; write ${show('[' + address + ']')}`,
        start: 0,
        end: address.length,
        fixes: ['[' + address + ']'],
      },
    ];
  }
  const bracketPort = /^(\[[0-9A-Fa-f:.]+\]):([0-9]+)$/.exec(address);
  const hostPort = /^([^:[\]/@\s]+):([0-9]+)$/.exec(address);
  const m = bracketPort ?? hostPort;
  if (m) {
    const host = m[1]!;
    return [
      {
        kind: 'has-port',
        message: `\`address\` cannot carry a port: Clan writes ${show('borg@' + address + ':.')}, which ${describeSplice(address)}; set \`address = "${host}"\` and, for port ${m[2]}, use a destination with \`rsh = "ssh -p ${m[2]} …"\``,
        start: host.length,
        end: address.length,
        fixes: [host],
      },
    ];
  }
  const v6 = leadingIPv6(address);
  if (v6 && !address.startsWith('[')) {
    return [
      {
        kind: 'unbracketed-ipv6',
        message: `unbracketed IPv6 address ${show(v6)}: Clan writes ${show('borg@' + address + ':.')}, which ${describeSplice(address)}; write ${show('[' + v6 + ']')}`,
        start: 0,
        end: v6.length,
        fixes: ['[' + v6 + ']' + address.slice(v6.length)],
      },
    ];
  }
  return [];
}

function describeSplice(address: string): string {
  const d = parseDetailed('borg@' + address + ':.');
  return d ? `borg reads as ${describeParse(d.loc)}` : 'borg rejects';
}
