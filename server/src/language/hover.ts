// Hover: option docs (type, default, description) and what the value under the cursor resolves to — a schedule's
// next elapses, an exclude pattern's meaning, a role's members after tag resolution, a client's destinations.
import type { Hover } from 'vscode-languageserver-types';
import type { Analysis } from '../analyze';
import { describeExclude } from '../borg';
import { formatTimestamp, nextElapses, parseCalendar } from '../calendar';
import { borgKeyPath, describeClanCore } from '../model/clanCoreVersion';
import { findRole, machinesWithTag, roleMembers } from '../model/clanModel';
import { readValue } from '../model/valueReader';
import { rangeOfNode, Position } from '../model/range';
import type { SourceFile } from '../model/sourceFile';
import { machineSummary } from '../backupJobs';
import { anchorsOf, instanceOfPath, isBorgPath, serviceOfPath } from './context';
import { cursorContext } from './cursor';
import { formatOptionDoc, lookupOption } from './optionDocs';

export interface HoverOptions {
  now?: Date;
  /** Time zone for schedules (systemd's TZ semantics); undefined = the host's. */
  tz?: string;
}

export function hoverAt(
  analysis: Analysis,
  file: SourceFile,
  pos: Position,
  options: HoverOptions = {},
): Hover | undefined {
  const ctx = cursorContext(file, pos, anchorsOf(analysis, file.uri));
  if (!ctx) return undefined;
  const { model } = analysis;
  const borg = isBorgPath(model, ctx.path);

  if (ctx.string && !ctx.key) {
    const value = readValue(ctx.string, file.uri, file.text);
    const literal = value.kind === 'string' ? value.value : undefined;
    const last = ctx.path[ctx.path.length - 1];
    const range = rangeOfNode(ctx.string);
    if (literal !== undefined && last === 'startAt' && borg) {
      return { range, contents: { kind: 'markdown', value: scheduleHover(literal, options) } };
    }
    if (literal !== undefined && last === 'exclude' && borg) {
      return {
        range,
        contents: { kind: 'markdown', value: `**exclude pattern** \`${literal}\`\n\n${describeExclude(literal)}` },
      };
    }
    const tagRole = ctx.path.length >= 6 && ctx.path[3] === 'roles' && last === 'tags';
    if (literal !== undefined && tagRole) {
      const members = machinesWithTag(model, literal).map((m) => `\`${m.name}\``);
      return {
        range,
        contents: {
          kind: 'markdown',
          value: `**tag** \`${literal}\`: ${members.length ? members.join(', ') : 'no machine carries it'}`,
        },
      };
    }
    return undefined;
  }

  if (!ctx.key) return undefined;
  const fullPath = ctx.key.fullPath;
  const name = ctx.key.name ?? '';
  const parts: string[] = [];
  const match = lookupOption(fullPath, serviceOfPath(model, fullPath));
  if (match?.node.doc)
    parts.push(formatOptionDoc(match.pattern.replace(/^inventory\.instances\.<instance>\./, ''), match.node.doc));

  // What the value resolves to.
  const inst = instanceOfPath(model, fullPath);
  if (inst && fullPath.length === 5 && fullPath[3] === 'roles') {
    const role = findRole(inst, name);
    const { members, complete } = roleMembers(model, role);
    const list =
      [...members.keys()]
        .sort()
        .map((m) => `\`${m}\``)
        .join(', ') || 'none';
    parts.push(
      `Members of \`${inst.name}\`/\`${name}\` after tag resolution: ${list}${complete ? '' : ' (and possibly more: some members are computed)'}`,
    );
  }
  const machineKey =
    (fullPath.length === 3 && fullPath[0] === 'inventory' && fullPath[1] === 'machines') ||
    (fullPath.length === 2 && fullPath[0] === 'machines') ||
    (fullPath.length === 7 && fullPath[3] === 'roles' && fullPath[5] === 'machines');
  if (machineKey && model.machines.has(name)) {
    const summary = machineSummary(analysis, model.machines.get(name)!);
    const jobs = summary.jobs.map(
      (j) => `- \`${j.unit}\` → \`${j.repo ?? '(computed)'}\` at \`${j.startAt ?? '(computed)'}\``,
    );
    parts.push(
      `**machine** \`${name}\`${summary.tags.length ? ` — tags: ${summary.tags.map((t) => `\`${t}\``).join(', ')}` : ''}` +
        `${summary.roles.length ? `\n\nRoles: ${summary.roles.join(', ')}` : ''}` +
        `${jobs.length ? `\n\nBackup jobs:\n${jobs.join('\n')}` : ''}` +
        `${summary.states.length ? `\n\nStates: ${summary.states.map((s) => `\`${s.name}\``).join(', ')}` : ''}`,
    );
  } else if (machineKey && !model.machines.has(name) && model.machinesComplete) {
    parts.push(`Machine \`${name}\` is not defined in this clan.`);
  }
  // A client or a destination: what clan-core sets on every job and the inventory cannot change.
  const destIdx = fullPath.indexOf('destinations');
  const isClient = borg && inst && fullPath.length === 5 && fullPath[3] === 'roles' && name === 'client';
  const isDest = borg && destIdx > 0 && fullPath.length === destIdx + 2 && fullPath.includes('client');
  if (isClient || isDest) parts.push(fixedJobSettings(isDest ? name : '<destination>'));
  // meta.name: which clan-core the clan is locked to (some facts, such as where vars secrets live, depend on it).
  if (fullPath.length === 2 && fullPath[0] === 'meta' && fullPath[1] === 'name') {
    const v = model.clanCore;
    parts.push(
      v
        ? `Locked to **${describeClanCore(v)}** (flake.lock input \`${v.input}\`${v.url ? `, ${v.url}` : ''})${
            v.varsLayout ? `. Its borgbackup key: \`${borgKeyPath(v.varsLayout, '<machine>')}\`` : ''
          }.`
        : 'No flake.lock with a clan-core input next to this clan.',
    );
  }
  if (parts.length === 0) return undefined;
  return { range: rangeOfNode(ctx.key.node), contents: { kind: 'markdown', value: parts.join('\n\n---\n\n') } };
}

/**
 * The settings of `services.borgbackup.jobs.<dest>` that clanServices/borgbackup/default.nix fixes: not settings of
 * the role, but NixOS options a machine's configuration can override.
 */
function fixedJobSettings(dest: string): string {
  return [
    '**Set by Clan on every job** (`services.borgbackup.jobs.' + dest + '`; the inventory cannot change them):',
    '- `prune.keep = { within = "1d"; daily = 7; weekly = 4; monthly = 0; }`',
    '- `compression = "auto,zstd"`',
    '- `encryption.mode = "repokey"`, the passphrase from the clan\'s `borgbackup` vars',
    '- `persistentTimer = true`, `startAt` from the settings',
    '',
    `To change one, set it in the machine's configuration, e.g. \`services.borgbackup.jobs.${dest}.prune.keep.daily = lib.mkForce 14;\`.`,
  ].join('\n');
}

export function scheduleHover(expr: string, options: HoverOptions = {}): string {
  const parsed = parseCalendar(expr, options.tz);
  if (!parsed.ok) return `**startAt** \`${expr}\`: not a valid systemd calendar event — ${parsed.message}.`;
  const next = nextElapses(parsed.spec, options.now ?? new Date(), 3, options.tz);
  const lines = [`**startAt** \`${expr}\``, '', `Normalized form: \`${parsed.normalized}\``];
  if (next.length === 0) lines.push('', 'Next elapse: never');
  else
    next.forEach((t, i) =>
      lines.push('', `${i === 0 ? 'Next elapse' : `Iter. #${i + 1}`}: ${formatTimestamp(t, options.tz)}`),
    );
  return lines.join('\n');
}
