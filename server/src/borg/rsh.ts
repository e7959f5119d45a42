// BORG_RSH / Clan `rsh`: borg runs shlex.split(rsh) + ["-p", port]? + ["user@host", "borg", "serve", ...]
// (src/borg/remote.py ssh_cmd). No shell is involved, so shell syntax reaches ssh literally.
import type { ParsedLocation } from './location';

export interface RshToken {
  value: string;
  /** Offsets into the rsh string, from the first to past the last character that produced the token. */
  start: number;
  end: number;
  /** Per character of `value`: how it was written (for telling `$X` apart from `'$X'`). */
  quoting: Array<'none' | 'single' | 'double' | 'escaped'>;
  /** Offset in the rsh string of each character of `value`. */
  offsets: number[];
}

export type SplitResult =
  { ok: true; tokens: RshToken[] } | { ok: false; message: string; offset: number; tokens: RshToken[] };

/**
 * What is wrong with an rsh, in terms of what borg and ssh do with it; checks/ decides which rule reports it.
 * - `unsplittable`: shlex.split raises (unbalanced quote, trailing `\`), so borg fails before running anything.
 * - `empty`: no words, so borg runs `user@host` as the program.
 * - `shell-expansion`: `$X`, `$(…)` or backticks, which no shell expands here.
 * - `shell-operator`: `;`, `|`, `&&`, a redirection or a `#` comment, which reach ssh as arguments.
 * - `host-key-unchecked`: StrictHostKeyChecking=no/off/false.
 * - `host-keys-forgotten`: UserKnownHostsFile=/dev/null.
 * - `no-key`: ssh without `-i`/IdentityFile (or `-F`), so Clan's generated key is not offered.
 * - `duplicate-port`: a port in rsh and in the ssh:// URL, which borg appends again.
 */
export type RshProblemKind =
  | 'unsplittable'
  | 'empty'
  | 'shell-expansion'
  | 'shell-operator'
  | 'host-key-unchecked'
  | 'host-keys-forgotten'
  | 'no-key'
  | 'duplicate-port';

export interface RshProblem {
  kind: RshProblemKind;
  message: string;
  start: number;
  end: number;
}

const WHITESPACE = ' \t\r\n';

/**
 * Python `shlex.split(s)` (POSIX mode, no comments): whitespace separates words, `'…'` is literal,
 * `"…"` keeps `\` except before `"` or `\`, and a bare `\` escapes the next character.
 * On an unterminated quote or a trailing `\` it reports what Python raises and where.
 */
export function splitRsh(rsh: string): SplitResult {
  const tokens: RshToken[] = [];
  let cur: RshToken | undefined;
  const startToken = (at: number): RshToken => ({ value: '', start: at, end: at, quoting: [], offsets: [] });
  const add = (t: RshToken, ch: string, at: number, q: RshToken['quoting'][number]) => {
    t.value += ch;
    t.quoting.push(q);
    t.offsets.push(at);
  };
  let i = 0;
  const n = rsh.length;
  while (i < n) {
    const c = rsh[i]!;
    if (WHITESPACE.includes(c)) {
      if (cur) {
        tokens.push(cur);
        cur = undefined;
      }
      i++;
      continue;
    }
    cur ??= startToken(i);
    if (c === '\\') {
      if (i + 1 >= n)
        return { ok: false, message: 'trailing `\\`: borg fails with "No escaped character"', offset: i, tokens };
      add(cur, rsh[i + 1]!, i + 1, 'escaped');
      i += 2;
      cur.end = i;
      continue;
    }
    if (c === "'" || c === '"') {
      const open = i;
      i++;
      let closed = false;
      while (i < n) {
        const d = rsh[i]!;
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        if (c === '"' && d === '\\' && i + 1 < n && (rsh[i + 1] === '"' || rsh[i + 1] === '\\')) {
          add(cur, rsh[i + 1]!, i + 1, 'escaped');
          i += 2;
          continue;
        }
        if (c === '"' && d === '\\' && i + 1 >= n) {
          return {
            ok: false,
            message: 'trailing `\\` inside double quotes: borg fails with "No escaped character"',
            offset: i,
            tokens,
          };
        }
        add(cur, d, i, c === "'" ? 'single' : 'double');
        i++;
      }
      if (!closed) {
        return {
          ok: false,
          message: `unbalanced ${c === "'" ? 'single' : 'double'} quote: borg fails with "No closing quotation"`,
          offset: open,
          tokens,
        };
      }
      cur.end = i;
      continue;
    }
    add(cur, c, i, 'none');
    i++;
    cur.end = i;
  }
  if (cur) tokens.push(cur);
  return { ok: true, tokens };
}

// ssh(1) options that take an argument (OpenSSH getopt string "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy").
const SSH_ARG_OPTS = new Set('bceilmopBDEFIJLOPQRSwW'.split(''));
const SSH_FLAG_OPTS = new Set('1246afgknqstvxACGKMNTVXYy'.split(''));
// ssh -o options whose value ssh itself runs through a shell, so shell syntax there is fine.
const SHELL_VALUED_OPTIONS = new Set([
  'proxycommand',
  'localcommand',
  'knownhostscommand',
  'remotecommand',
  'permitlocalcommand',
]);

interface SshOption {
  letter: string;
  value?: string;
  valueToken?: RshToken;
  start: number;
  end: number;
}

function parseSshOptions(tokens: RshToken[]): SshOption[] {
  const out: SshOption[] = [];
  for (let k = 1; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.value === '--') break;
    if (!t.value.startsWith('-') || t.value === '-') continue; // ssh accepts options after the host too
    for (let p = 1; p < t.value.length; p++) {
      const letter = t.value[p]!;
      if (SSH_ARG_OPTS.has(letter)) {
        if (p + 1 < t.value.length) {
          out.push({ letter, value: t.value.slice(p + 1), valueToken: t, start: t.start, end: t.end });
        } else if (k + 1 < tokens.length) {
          const v = tokens[k + 1]!;
          out.push({ letter, value: v.value, valueToken: v, start: t.start, end: v.end });
          k++;
        } else {
          out.push({ letter, start: t.start, end: t.end });
        }
        break;
      }
      if (!SSH_FLAG_OPTS.has(letter)) break; // unknown letter: ssh would complain; not our rule
      out.push({ letter, start: t.start, end: t.end });
    }
  }
  return out;
}

/** ssh_config "Keyword value" / "Keyword=value" as given to -o. */
function splitConfigOption(v: string): { key: string; value: string } {
  const m = /^\s*([^\s=]+)\s*(?:=\s*|\s+)(.*)$/s.exec(v);
  if (!m) return { key: v.trim().toLowerCase(), value: '' };
  return { key: m[1]!.toLowerCase(), value: m[2]!.trim().replace(/^"(.*)"$/s, '$1') };
}

function programIsSsh(program: string): boolean {
  const base = program.slice(program.lastIndexOf('/') + 1);
  return base === 'ssh';
}

function shellSyntaxProblems(tokens: RshToken[], shellValued: Set<RshToken>): RshProblem[] {
  const out: RshProblem[] = [];
  for (const t of tokens) {
    if (shellValued.has(t)) continue;
    const v = t.value;
    for (let p = 0; p < v.length; p++) {
      const q = t.quoting[p]!;
      const at = t.offsets[p]!;
      const ch = v[p]!;
      // `$` and backticks would be expanded by a shell outside single quotes; borg passes them on literally.
      if ((q === 'none' || q === 'double') && ch === '$' && /^[A-Za-z_{(]/.test(v[p + 1] ?? '')) {
        const what =
          v[p + 1] === '('
            ? 'command substitution `$(…)`'
            : 'variable `' + (/^\$(\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*)/.exec(v.slice(p))?.[0] ?? '$') + '`';
        out.push({
          kind: 'shell-expansion',
          message: `${what} is not expanded: borg runs rsh without a shell and passes it to ssh literally; write the value itself`,
          start: at,
          end: at + 1,
        });
        return out;
      }
      if ((q === 'none' || q === 'double') && ch === '`') {
        out.push({
          kind: 'shell-expansion',
          message: 'backticks are not expanded: borg runs rsh without a shell and passes them to ssh literally',
          start: at,
          end: at + 1,
        });
        return out;
      }
      if (q !== 'none') continue;
      const two = v.slice(p, p + 2);
      let op: string | undefined;
      if (two === '&&' || two === '||' || two === '>>' || two === '<<') op = two;
      else if (';|&<>'.includes(ch)) op = ch;
      else if (ch === '#' && p === 0) op = '#';
      if (op) {
        const what =
          op === '#'
            ? 'a `#` comment'
            : op.includes('>') || op.includes('<')
              ? `redirection \`${op}\``
              : `shell operator \`${op}\``;
        out.push({
          kind: 'shell-operator',
          message: `${what} does not work: borg runs rsh without a shell, so ssh receives \`${v}\` as an argument`,
          start: at,
          end: at + op.length,
        });
        return out;
      }
    }
  }
  return out;
}

/**
 * Problems of a literal rsh. Offsets are into `rsh`. ssh options are judged only when the program is `ssh`
 * (or a path ending in `/ssh`). `repo` (parsed) enables the duplicate-port check.
 */
export function analyzeRsh(rsh: string, repo?: ParsedLocation): RshProblem[] {
  if (typeof rsh !== 'string' || rsh.length > 8192) return [];
  const split = splitRsh(rsh);
  if (!split.ok) return [{ kind: 'unsplittable', message: split.message, start: split.offset, end: split.offset + 1 }];
  const tokens = split.tokens;
  if (tokens.length === 0) {
    return [
      {
        kind: 'empty',
        message: 'empty rsh: borg would run `user@host` as the program; use e.g. `ssh -i <key>`',
        start: 0,
        end: rsh.length,
      },
    ];
  }
  const program = tokens[0]!;
  const isSsh = programIsSsh(program.value);
  const options = isSsh ? parseSshOptions(tokens) : [];

  const shellValued = new Set<RshToken>();
  for (const o of options) {
    if (
      o.letter === 'o' &&
      o.valueToken &&
      o.value !== undefined &&
      SHELL_VALUED_OPTIONS.has(splitConfigOption(o.value).key)
    ) {
      shellValued.add(o.valueToken);
    }
  }
  const out: RshProblem[] = shellSyntaxProblems(tokens, shellValued);
  if (!isSsh) return out;

  let hasKey = false;
  let customConfig = false;
  let portOption: SshOption | undefined;
  for (const o of options) {
    if (o.letter === 'i' && o.value !== undefined) hasKey = true;
    if (o.letter === 'F') customConfig = true;
    if (o.letter === 'p' && o.value !== undefined) portOption ??= o;
    if (o.letter !== 'o' || o.value === undefined) continue;
    const { key, value } = splitConfigOption(o.value);
    if (key === 'identityfile' && value !== '') hasKey = true;
    if (key === 'port' && value !== '') portOption ??= o;
    if (key === 'stricthostkeychecking' && /^(no|off|false)$/i.test(value)) {
      out.push({
        kind: 'host-key-unchecked',
        message: `StrictHostKeyChecking=${value} accepts any host key, so a changed or spoofed server is not noticed; Clan's default is \`accept-new\``,
        start: o.start,
        end: o.end,
      });
    }
    if (key === 'userknownhostsfile' && value.split(/\s+/).every((f) => f === '/dev/null')) {
      out.push({
        kind: 'host-keys-forgotten',
        message:
          'UserKnownHostsFile=/dev/null forgets every host key, so the server is never verified; drop it (Clan uses `StrictHostKeyChecking=accept-new`)',
        start: o.start,
        end: o.end,
      });
    }
  }
  if (!hasKey && !customConfig) {
    out.push({
      kind: 'no-key',
      message:
        "this rsh replaces Clan's default and has no `-i <key>`, so the generated borgbackup key (`borgbackup/borgbackup.ssh`) is not used; add `-i /run/secrets/vars/…/borgbackup/borgbackup.ssh` (the path depends on the clan-core version)",
      start: program.start,
      end: program.end,
    });
  }
  if (portOption && repo && repo.kind === 'ssh-url' && repo.port !== undefined) {
    out.push({
      kind: 'duplicate-port',
      message: `the repo URL already has port ${repo.port}; borg appends \`-p ${repo.port}\` after rsh, so ssh gets the port twice (the first one given wins in ssh). Keep one`,
      start: portOption.start,
      end: portOption.end,
    });
  }
  return out;
}
