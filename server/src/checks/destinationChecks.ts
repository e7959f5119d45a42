// Literal strings of destinations and the server address, judged with borg's own reading of them
// (borg's src/borg/helpers/parseformat.py Location, src/borg/remote.py ssh_cmd, src/borg/patterns.py): `repo`, `rsh`, `exclude` entries, server `address`.
import { analyzeAddress, analyzeExclude, analyzeRepo, analyzeRsh, parseBorgLocation } from '../borg';
import type { AddressProblemKind, ExcludeProblemKind, RepoProblemKind, RshProblemKind } from '../borg';
import { finding, Finding, Fix } from '../findings';
import type { RuleCode } from '../rules';
import type { ClanModel } from '../model/clanModel';
import { asAttrs, AttrsValue, NixValue, StringValue } from '../model/nixValue';
import { SettingsLayer, settingsLayers } from '../model/settingsLayers';
import { roleMembers } from '../model/clanModel';
import { borgKeyPath, describeClanCore } from '../model/clanCoreVersion';
import type { Range } from '../model/range';
import { splitRsh } from '../borg/rsh';
import { memoizeString } from '../util/memo';
import { nixStringLiteral, rangeInString } from './valueRanges';

const repoProblems = memoizeString(analyzeRepo);
const addressProblems = memoizeString(analyzeAddress);
const excludeProblems = memoizeString(analyzeExclude);
const location = memoizeString(parseBorgLocation);
// rsh is judged together with its repo (the port and user must agree): remembered per rsh, then per repo.
const rshProblems = memoizeString((rsh: string) =>
  memoizeString((repo: string) => {
    const parsed = repo ? location(repo) : undefined;
    return analyzeRsh(rsh, parsed?.ok ? parsed : undefined);
  }),
);

// borg/ says what is wrong; the rules group those kinds by what the user has to do about them (docs/rules/).
// Records, so a new kind does not compile until it has a rule.
const REPO_RULES: Readonly<Record<RepoProblemKind, RuleCode>> = {
  placeholder: 'invalid-repo',
  unparsable: 'invalid-repo',
  'unbracketed-ipv6': 'unbracketed-ipv6',
  'empty-remote-path': 'suspicious-repo',
  'url-as-local-path': 'suspicious-repo',
  'scheme-as-host': 'suspicious-repo',
  'device-as-host': 'suspicious-repo',
  'archive-in-repo': 'suspicious-repo',
};
const ADDRESS_RULES: Readonly<Record<AddressProblemKind, RuleCode>> = {
  'has-port': 'address-with-port',
  'unbracketed-ipv6': 'unbracketed-ipv6',
};
const RSH_RULES: Readonly<Record<RshProblemKind, RuleCode>> = {
  unsplittable: 'rsh-invalid',
  empty: 'rsh-invalid',
  'shell-expansion': 'rsh-invalid',
  'shell-operator': 'rsh-invalid',
  'host-key-unchecked': 'rsh-insecure-host-key',
  'host-keys-forgotten': 'rsh-insecure-host-key',
  'no-key': 'rsh-without-key',
  'duplicate-port': 'rsh-duplicate-port',
};
const EXCLUDE_RULES: Readonly<Record<ExcludeProblemKind, RuleCode>> = {
  'unknown-style': 'invalid-exclude',
  'invalid-regex': 'invalid-exclude',
  'invalid-shell-pattern': 'invalid-exclude',
  'comment-line': 'exclude-unsupported-syntax',
  'brace-alternatives': 'exclude-unsupported-syntax',
  tilde: 'exclude-unsupported-syntax',
  'shell-variable': 'exclude-unsupported-syntax',
  'relative-path': 'exclude-unsupported-syntax',
  'patterns-command': 'exclude-unsupported-syntax',
  'root-only-name': 'exclude-root-only',
};

interface Problem<K extends string> {
  kind: K;
  message: string;
  start: number;
  end: number;
  fixes?: string[];
}

function literal(v: NixValue | undefined): StringValue | undefined {
  return v?.kind === 'string' && v.value !== undefined ? v : undefined;
}

function report<K extends string>(
  model: ClanModel,
  v: StringValue,
  problems: ReadonlyArray<Problem<K>>,
  rules: Readonly<Record<K, RuleCode>>,
  out: Finding[],
): void {
  for (const p of problems) {
    const fixes: Fix[] = (p.fixes ?? []).map((text, i) => ({
      title: `Use "${text}"`,
      isPreferred: i === 0,
      edits: [{ uri: v.uri, range: v.literal, newText: nixStringLiteral(text) }],
    }));
    out.push(finding(rules[p.kind], v.uri, rangeInString(model, v, p.start, p.end), p.message, fixes));
  }
}

/**
 * `rsh-key-path`: an rsh whose `-i` names the clan key under /run/secrets/vars/ in the layout of another clan-core
 * version than flake.lock's (model/clanCoreVersion.ts): ssh then finds no key, and every backup fails to log in.
 */
function checkKeyPath(
  model: ClanModel,
  layer: SettingsLayer,
  dest: AttrsValue,
  rsh: StringValue,
  repo: StringValue | undefined,
  out: Finding[],
): void {
  const layout = model.clanCore?.varsLayout;
  if (!layout) return;
  const split = splitRsh(rsh.value!);
  if (!split.ok) return;
  const i = split.tokens.findIndex((t) => t.value === '-i' || (t.value.startsWith('-i') && t.value.length > 2));
  if (i < 0) return;
  const token =
    split.tokens[i]!.value === '-i'
      ? split.tokens[i + 1]
      : { ...split.tokens[i]!, value: split.tokens[i]!.value.slice(2), start: split.tokens[i]!.start + 2 };
  if (!token || !token.value.startsWith('/run/secrets/vars/')) return;
  const perMachine = /^\/run\/secrets\/vars\/per-machine\/([^/]+)\/borgbackup\/borgbackup\.ssh$/.exec(token.value);
  const flat = token.value === '/run/secrets/vars/borgbackup/borgbackup.ssh';
  if (!(layout === 'flat' ? perMachine : flat)) return;
  // The machine the key belongs to: the machine layer's, or the only member of the role.
  const members = [...roleMembers(model, layer.role).members.keys()];
  const machine = layer.layer === 'machine' ? layer.owner : members.length === 1 ? members[0] : perMachine?.[1];
  const expected = machine !== undefined ? borgKeyPath(layout, machine) : undefined;
  const version = describeClanCore(model.clanCore!);
  const fixes: Fix[] = [];
  if (expected) {
    fixes.push({
      title: `Use ${expected}`,
      isPreferred: true,
      edits: [{ uri: rsh.uri, range: rangeInString(model, rsh, token.start, token.end), newText: expected }],
    });
  }
  const url = repo && sshUrl(repo.value!, split.tokens);
  const rshEntry = dest.entries.get('rsh');
  if (url && repo && rshEntry?.binding && !dest.implicit) {
    fixes.push({
      title: `Use repo "${url}" and Clan's default rsh`,
      edits: [
        { uri: repo.uri, range: repo.literal, newText: nixStringLiteral(url) },
        { uri: rsh.uri, range: bindingWithIndent(model, rsh.uri, rshEntry.binding), newText: '' },
      ],
    });
  }
  out.push(
    finding(
      'rsh-key-path',
      rsh.uri,
      rangeInString(model, rsh, token.start, token.end),
      `The key "${token.value}" is where clan-core ${layout === 'flat' ? 'after 2026-08 (main)' : 'up to 26.05'} puts it; this clan is locked to ${version}, which keeps it at "${expected ?? borgKeyPath(layout, '<machine>')}", so ssh finds no key and every backup fails to log in. Use that path, or drop \`rsh\` and put the port in an \`ssh://\` repo: Clan's default rsh always has the right key.`,
      fixes,
    ),
  );
}

/** `user@host:path` with `-p N` in the rsh as `ssh://user@host:N/path` (borg's ssh URL form); undefined otherwise. */
function sshUrl(repo: string, tokens: Array<{ value: string }>): string | undefined {
  const loc = location(repo);
  if (!loc.ok || loc.kind !== 'scp-remote' || !loc.host) return undefined;
  const p = tokens.findIndex((t) => t.value === '-p');
  const port = p >= 0 ? tokens[p + 1]?.value : undefined;
  if (port !== undefined && !/^\d+$/.test(port)) return undefined;
  const path = loc.path.startsWith('/') ? loc.path : `/${loc.path}`;
  return `ssh://${loc.user ? `${loc.user}@` : ''}${loc.host}${port ? `:${port}` : ''}${path}`;
}

/** A binding's range widened to its whole line when it stands alone on it (removing it leaves no blank line). */
function bindingWithIndent(model: ClanModel, uri: string, r: Range): Range {
  const file = model.files.find((f) => f.uri === uri);
  if (!file) return r;
  const start = file.lines.offsetAt(r.start);
  const end = file.lines.offsetAt(r.end);
  const lineStart = file.text.lastIndexOf('\n', start - 1) + 1;
  const eol = file.text.indexOf('\n', end);
  const lineEnd = eol < 0 ? file.text.length : eol + 1;
  const alone =
    /^[ \t]*$/.test(file.text.slice(lineStart, start)) && /^[ \t]*\r?\n?$/.test(file.text.slice(end, lineEnd));
  return alone ? file.lines.rangeOf(lineStart, lineEnd) : r;
}

export function checkDestinations(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  for (const inst of model.instances) {
    if (!inst.isBorgbackup) continue;
    for (const layer of settingsLayers(inst)) {
      const settings = asAttrs(layer.value);
      if (!settings) continue;
      if (layer.role.name === 'server') {
        const address = literal(settings.entries.get('address')?.value);
        if (address) report(model, address, addressProblems(address.value!), ADDRESS_RULES, out);
        continue;
      }
      if (layer.role.name !== 'client') continue;
      for (const d of asAttrs(settings.entries.get('destinations')?.value)?.entries.values() ?? []) {
        const dest = asAttrs(d.value);
        const repo = literal(dest?.entries.get('repo')?.value);
        const rsh = literal(dest?.entries.get('rsh')?.value);
        if (repo) report(model, repo, repoProblems(repo.value!), REPO_RULES, out);
        if (rsh) report(model, rsh, rshProblems(rsh.value!)(repo?.value ?? ''), RSH_RULES, out);
        if (rsh && dest) checkKeyPath(model, layer, dest, rsh, repo, out);
      }
      const exclude = settings.entries.get('exclude')?.value;
      if (exclude?.kind === 'list') {
        for (const item of exclude.items) {
          const s = literal(item);
          if (s) report(model, s, excludeProblems(s.value!), EXCLUDE_RULES, out);
        }
      }
    }
  }
  return out;
}
