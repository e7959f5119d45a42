// Checks on the four hook scripts of one `clan.core.state.<name>`: stop/start balance between pre and post hooks,
// commands missing from the borgbackup job's PATH, and ShellCheck. Pure over text and trees except checkShellcheck,
// which runs the `shellcheck` binary. Whatever cannot be seen (opaque names, non-literal scripts) keeps them quiet.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Finding, Fix, TextEdit, finding } from '../findings';
import { literalOffset, NixValue, StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import { parseNix } from '../parsing/parser';
import type { Node, Tree } from '../parsing/parser';
import {
  ShellCommand, ShellScript, ShellSource, ShellWord, docOffsets, parseHookScript, pathSetBefore, restoreInterpolations,
} from './shellScript';

export type HookName = 'preBackupScript' | 'postBackupScript' | 'preRestoreScript' | 'postRestoreScript';

export const HOOK_NAMES: readonly HookName[] = ['preBackupScript', 'postBackupScript', 'preRestoreScript', 'postRestoreScript'];

export interface HookBinding {
  /** The bound value; only a `StringValue` is analysed, anything else (a call, a variable) is "unknown". */
  value: StringValue | NixValue;
  /** Document offsets of the whole binding node: from its attrpath (`preBackupScript` or `a.b.preBackupScript`) to after its `;`. */
  bindingStart: number;
  bindingEnd: number;
}

/** One state's hooks, as the model builder passes them. */
export interface HookStateInput {
  uri: string;
  /** The whole Nix document the bindings are in. */
  text: string;
  stateName: string;
  hooks: Partial<Record<HookName, HookBinding>>;
  /** The document's line index, when the caller has one (building it per state is the cost of a large clan). */
  lines?: LineIndex;
  /** The document's syntax tree, when the caller has one: a fix that edits the module's arguments looks there. */
  tree?: Tree;
  /**
   * The machine's NixOS modules in this document, as document offsets: the PATH fix gives the one around the hooks
   * the arguments it needs (`lib`, `pkgs`), and no other function (clan.nix's own, flake.nix's `outputs`). Without
   * it (a lone hook), the nearest function around the hook is taken.
   */
  modules?: Array<{ start: number; end: number; isFunction: boolean }>;
  /**
   * Commands the machine's configuration adds to the job units' PATH (`systemd.services."borgbackup-job-<dest>".path
   * = [ pkgs.docker ];`: hooks run as ExecStartPre/ExecStopPost of that unit and inherit it), or 'unknown' when that
   * list is not literal or names a package whose commands are not known: then no command can be called missing.
   */
  jobPath?: readonly string[] | 'unknown';
  /**
   * The machine is a client of a localbackup instance: `localbackup-create` runs its pre-backup commands with
   * `PATH=rsnapshot:coreutils:util-linux` (clan-core clanServices/localbackup/default.nix), so preBackupScript must
   * find its commands there too. Post-backup commands are not run by localbackup.
   */
  localbackup?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// unbalanced-hook

type Mode = 'stop' | 'pause' | 'down';

interface Target {
  /** Comparison key: the literal (units normalised to `x.service`) or the collapsed source of an opaque word. */
  key: string;
  /** What to write in a message. */
  label: string;
  /** Opaque or a glob: it may name anything. */
  wild: boolean;
  word?: ShellWord;
}

interface Action {
  kind: 'stop' | 'start';
  /** What the action acts on: 'systemd', 'systemd --user', 'docker', 'podman', 'podman pod', 'compose …', 'virsh …'. */
  family: string;
  /** For stops: what they do; for starts: which stops they undo. */
  modes: Mode[];
  targets: Target[];
  cmd: ShellCommand;
  /** Shell text of the resume command, minus its targets (`systemctl start`, `docker unpause`); stops only. */
  resumePrefix?: string;
  noun: string;
}

const SYSTEMCTL_VALUE_OPTIONS = new Set([
  '-s', '--signal', '-t', '--type', '-p', '--property', '-P', '-H', '--host', '-M', '--machine', '-n', '--lines', '-o',
  '--output', '--kill-whom', '--kill-value', '--job-mode', '--root', '--state', '--what', '--timestamp', '--message',
  '--when', '--image', '--drop-in', '--check-inhibitors', '--preset-mode', '--boot-loader-entry', '--boot-loader-menu',
  '--reboot-argument',
]);
const DOCKER_GLOBAL_VALUE_OPTIONS = new Set([
  '-H', '--host', '-c', '--context', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey',
  '--url', '--connection', '--root', '--runroot', '--cgroup-manager', '--storage-driver', '--identity',
]);
const CONTAINER_VALUE_OPTIONS = new Set(['-t', '--time', '--timeout', '-s', '--signal', '--detach-keys', '--filter', '-f']);
const COMPOSE_GLOBAL_VALUE_OPTIONS = new Set([
  '-f', '--file', '-p', '--project-name', '--project-directory', '--profile', '--env-file', '--ansi', '--progress', '--parallel',
]);
const COMPOSE_VALUE_OPTIONS = new Set([
  '-t', '--timeout', '-s', '--signal', '--scale', '--wait-timeout', '--pull', '--exit-code-from', '--attach', '--no-attach', '--rmi',
]);
const VIRSH_VALUE_OPTIONS = new Set(['-c', '--connect', '--mode', '--domain', '-k', '-K', '-l', '--log', '-d', '--debug', '-e', '--escape']);

const TERMINATING_SIGNALS = new Set(['TERM', 'KILL', 'INT', 'QUIT', 'ABRT', '15', '9', '2', '3', '6']);
const PAUSING_SIGNALS = new Set(['STOP', 'TSTP', '19', '20']);
const RESUMING_SIGNALS = new Set(['CONT', '18']);

/** Splits literal words into options (with their values) and positional words. Opaque option-looking words count as positional. */
function splitOptions(words: ShellWord[], valueOptions: Set<string>): { options: Map<string, ShellWord | undefined>; positional: ShellWord[]; optionWords: ShellWord[] } {
  const options = new Map<string, ShellWord | undefined>();
  const positional: ShellWord[] = [];
  const optionWords: ShellWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.literal && w.text === '--') {
      positional.push(...words.slice(i + 1));
      break;
    }
    if (w.literal && w.text.startsWith('-') && w.text.length > 1) {
      optionWords.push(w);
      const eq = w.text.indexOf('=');
      if (eq > 0) {
        options.set(w.text.slice(0, eq), { ...w, text: w.text.slice(eq + 1) });
      } else if (valueOptions.has(w.text)) {
        const v = words[i + 1];
        if (v) optionWords.push(v);
        options.set(w.text, v);
        i++;
      } else {
        options.set(w.text, undefined);
      }
      continue;
    }
    positional.push(w);
  }
  return { options, positional, optionWords };
}

function normalizeSignal(word: ShellWord | undefined): string | undefined {
  if (!word) return 'TERM';
  if (!word.literal) return undefined;
  return word.text.toUpperCase().replace(/^SIG/, '');
}

function unitKey(name: string): string {
  return /\.(service|socket|timer|target|path|mount|automount|swap|slice|scope|device)$/.test(name) ? name : `${name}.service`;
}

function targetOf(word: ShellWord, unit: boolean): Target {
  if (!word.literal) return { key: `?${word.text}`, label: word.text, wild: true, word };
  return { key: unit ? unitKey(word.text) : word.text, label: word.text, wild: /[*?[]/.test(word.text), word };
}

function shellJoin(words: ShellWord[]): string {
  return words.map((w) => w.shellText).join(' ');
}

/** What a command does to services, containers or VMs, if anything we know. */
function classify(cmd: ShellCommand): Action | undefined {
  const name = cmd.name;
  if (name === undefined) return undefined;
  const nameText = cmd.nameWord.shellText;
  if (name === 'systemctl') return classifySystemctl(cmd, nameText);
  if (name === 'docker' || name === 'podman') {
    const { positional, optionWords } = splitOptions(cmd.argWords, DOCKER_GLOBAL_VALUE_OPTIONS);
    const verb = positional[0];
    if (!verb || !verb.literal) return undefined;
    const globalPrefix = [nameText, ...optionWords.filter((w) => w.shellStart < verb.shellStart).map((w) => w.shellText)].join(' ');
    const rest = cmd.argWords.filter((w) => w.shellStart > verb.shellStart);
    if (verb.text === 'compose') return classifyCompose(cmd, `${globalPrefix} compose`, rest, name);
    if (verb.text === 'container') {
      const sub = rest[0];
      if (!sub || !sub.literal) return undefined;
      return classifyContainer(cmd, name, `${globalPrefix} container`, sub.text, rest.slice(1));
    }
    if (verb.text === 'pod' && name === 'podman') {
      const sub = rest[0];
      if (!sub || !sub.literal) return undefined;
      return classifyContainer(cmd, 'podman pod', `${globalPrefix} pod`, sub.text, rest.slice(1));
    }
    return classifyContainer(cmd, name, globalPrefix, verb.text, rest);
  }
  if (name === 'docker-compose' || name === 'podman-compose') return classifyCompose(cmd, nameText, cmd.argWords, name.replace('-compose', ''));
  if (name === 'virsh') return classifyVirsh(cmd, nameText);
  return undefined;
}

function classifySystemctl(cmd: ShellCommand, nameText: string): Action | undefined {
  const { options, positional } = splitOptions(cmd.argWords, SYSTEMCTL_VALUE_OPTIONS);
  const verb = positional[0];
  if (!verb || !verb.literal) return undefined;
  const user = options.has('--user');
  const family = user ? 'systemd --user' : 'systemd';
  const prefix = user ? `${nameText} --user` : nameText;
  const units = positional.slice(1).map((w) => targetOf(w, true));
  if (units.length === 0) return undefined;
  const now = options.has('--now');
  const base = { family, targets: units, cmd, noun: 'unit' };
  switch (verb.text) {
    case 'stop':
      return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
    case 'disable':
    case 'mask':
      return now ? { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` } : undefined;
    case 'kill': {
      const signal = normalizeSignal(options.get('-s') ?? options.get('--signal'));
      if (signal === undefined) return undefined;
      if (TERMINATING_SIGNALS.has(signal)) return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
      if (PAUSING_SIGNALS.has(signal)) return { ...base, kind: 'stop', modes: ['pause'], resumePrefix: `${prefix} kill --signal=CONT` };
      if (RESUMING_SIGNALS.has(signal)) return { ...base, kind: 'start', modes: ['pause'] };
      return undefined;
    }
    case 'start':
    case 'reload-or-restart':
    case 'force-reload':
      return { ...base, kind: 'start', modes: ['stop'] };
    case 'restart':
      return { ...base, kind: 'start', modes: ['stop', 'pause'] };
    case 'enable':
      return now ? { ...base, kind: 'start', modes: ['stop'] } : undefined;
    default:
      return undefined;
  }
}

function classifyContainer(cmd: ShellCommand, family: string, prefix: string, verb: string, rest: ShellWord[]): Action | undefined {
  const { options, positional } = splitOptions(rest, CONTAINER_VALUE_OPTIONS);
  let targets = positional.map((w) => targetOf(w, false));
  // `podman stop --all` / `--latest`: every (or the newest) container, whatever it is called.
  if (family.startsWith('podman') && (options.has('-a') || options.has('--all') || options.has('-l') || options.has('--latest'))) {
    targets = [{ key: '*', label: 'all containers', wild: true }];
  }
  if (targets.length === 0 && cmd.stdinFrom !== undefined) {
    targets = [{ key: `?xargs:${cmd.stdinFrom}`, label: `the output of \`${cmd.stdinFrom}\``, wild: true }];
  }
  if (targets.length === 0) return undefined;
  const noun = family === 'podman pod' ? 'pod' : 'container';
  const base = { family, targets, cmd, noun };
  switch (verb) {
    case 'stop':
      return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
    case 'kill': {
      const signal = normalizeSignal(options.get('-s') ?? options.get('--signal') ?? undefined);
      if (signal === undefined) return undefined;
      // docker kill defaults to KILL; only terminating signals stop the container.
      if (options.has('-s') || options.has('--signal') ? !TERMINATING_SIGNALS.has(signal) : false) return undefined;
      return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
    }
    case 'pause':
      return { ...base, kind: 'stop', modes: ['pause'], resumePrefix: `${prefix} unpause` };
    case 'start':
      return { ...base, kind: 'start', modes: ['stop'] };
    case 'restart':
      return { ...base, kind: 'start', modes: ['stop', 'pause'] };
    case 'unpause':
      return { ...base, kind: 'start', modes: ['pause'] };
    default:
      return undefined;
  }
}

function classifyCompose(cmd: ShellCommand, prefix: string, words: ShellWord[], tool: string): Action | undefined {
  // Global options (`-f file`, `-p name`) name the project: they are part of what is stopped.
  let i = 0;
  const globals: ShellWord[] = [];
  while (i < words.length && words[i]!.literal && words[i]!.text.startsWith('-')) {
    globals.push(words[i]!);
    if (COMPOSE_GLOBAL_VALUE_OPTIONS.has(words[i]!.text) && words[i + 1]) globals.push(words[++i]!);
    i++;
  }
  const verb = words[i];
  if (!verb || !verb.literal) return undefined;
  const family = `${tool} compose ${globals.map((w) => w.text).join(' ')}`.trim();
  const fullPrefix = [prefix, shellJoin(globals)].filter((s) => s !== '').join(' ');
  const { positional } = splitOptions(words.slice(i + 1), COMPOSE_VALUE_OPTIONS);
  const targets = positional.length > 0 ? positional.map((w) => targetOf(w, false)) : [{ key: '*', label: 'the compose project', wild: true }];
  const base = { family, targets, cmd, noun: 'service' };
  switch (verb.text) {
    case 'stop':
    case 'kill':
      return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${fullPrefix} start` };
    case 'down':
      return { ...base, kind: 'stop', modes: ['down'], resumePrefix: `${fullPrefix} up -d` };
    case 'pause':
      return { ...base, kind: 'stop', modes: ['pause'], resumePrefix: `${fullPrefix} unpause` };
    case 'start':
    case 'restart':
      return { ...base, kind: 'start', modes: ['stop'] };
    case 'up':
      return { ...base, kind: 'start', modes: ['stop', 'down'] };
    case 'unpause':
      return { ...base, kind: 'start', modes: ['pause'] };
    default:
      return undefined;
  }
}

function classifyVirsh(cmd: ShellCommand, nameText: string): Action | undefined {
  const { options, positional, optionWords } = splitOptions(cmd.argWords, VIRSH_VALUE_OPTIONS);
  const verb = positional[0];
  if (!verb || !verb.literal) return undefined;
  const connect = options.get('-c') ?? options.get('--connect');
  const family = `virsh ${connect?.text ?? ''}`.trim();
  const globalWords = optionWords.filter((w) => w.shellStart < verb.shellStart);
  const prefix = [nameText, shellJoin(globalWords)].filter((s) => s !== '').join(' ');
  const domainWord = options.get('--domain') ?? positional[1];
  if (!domainWord) return undefined;
  const base = { family, targets: [targetOf(domainWord, false)], cmd, noun: 'domain' };
  switch (verb.text) {
    case 'suspend':
      return { ...base, kind: 'stop', modes: ['pause'], resumePrefix: `${prefix} resume` };
    case 'shutdown':
    case 'destroy':
    case 'managedsave':
      return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
    case 'resume':
      return { ...base, kind: 'start', modes: ['pause'] };
    case 'start':
      return { ...base, kind: 'start', modes: ['stop'] };
    case 'reboot':
    case 'reset':
      return undefined;
    default:
      return undefined;
  }
}

/** Does some start undo `mode` for `target`? Opaque or glob targets on either side count as "maybe", which is enough. */
function undone(target: Target, family: string, mode: Mode, starts: Action[]): boolean {
  return starts.some((s) => s.family === family && s.modes.includes(mode)
    && (target.wild || s.targets.some((t) => t.wild || t.key === target.key)));
}

/** A script we cannot read fully: a command with an opaque name, `eval` or `source` may start anything. */
function hasUnseenCommands(script: ShellScript): boolean {
  return script.commands.some((c) => c.name === undefined || c.name === 'eval' || c.name === 'source' || c.name === '.');
}

/** Some unknown command mentions the target by name (`my-restart postgresql`): it may well start it. */
function mentioned(target: Target, commands: ShellCommand[]): boolean {
  if (target.wild) return false;
  const bare = target.label.replace(/\.service$/, '');
  return commands.some((c) => c.name !== undefined && !KNOWN_TOOLS.has(c.name) && c.args.some((a) => a === target.label || a === bare || a === target.key));
}

// Tools classify() understands: their other subcommands (`systemctl is-active x`) are known not to start anything.
const KNOWN_TOOLS = new Set(['systemctl', 'docker', 'podman', 'docker-compose', 'podman-compose', 'virsh']);

const PAIRS: Array<[HookName, HookName, string]> = [
  ['preBackupScript', 'postBackupScript', 'backup'],
  ['preRestoreScript', 'postRestoreScript', 'restore'],
];

/** `unbalanced-hook`: the pre hook stops or pauses something that neither it (later) nor the post hook starts again. */
export function checkUnbalancedHooks(state: HookStateInput): Finding[] {
  const out: Finding[] = [];
  const lines = state.lines ?? new LineIndex(state.text);
  for (const [preName, postName, what] of PAIRS) {
    const pre = state.hooks[preName];
    if (!pre || pre.value.kind !== 'string') continue;
    const preScript = parseHookScript(pre.value, state.text, lines);
    if (preScript.hasError) continue;
    const post = state.hooks[postName];
    let postScript: ShellScript | undefined;
    if (post) {
      if (post.value.kind !== 'string') continue;
      postScript = parseHookScript(post.value, state.text, lines);
      if (postScript.hasError || hasUnseenCommands(postScript)) continue;
    }
    const postActions = postScript ? postScript.commands.map(classify).filter((a): a is Action => a !== undefined) : [];
    const preActions = preScript.commands.map((c) => ({ c, a: classify(c) }));
    for (const { c, a } of preActions) {
      if (!a || a.kind !== 'stop') continue;
      const later = preScript.commands.filter((x) => x.order > c.order);
      if (later.some((x) => x.name === undefined || x.name === 'eval' || x.name === 'source' || x.name === '.')) continue;
      const laterStarts = later.map(classify).filter((s): s is Action => s !== undefined && s.kind === 'start');
      const starts = [...laterStarts, ...postActions.filter((s) => s.kind === 'start')];
      const mode = a.modes[0]!;
      const missing = a.targets.filter((t) => !undone(t, a.family, mode, starts)
        && !mentioned(t, later) && !(postScript && mentioned(t, postScript.commands)));
      if (missing.length === 0) continue;
      out.push(unbalancedFinding(state, lines, preName, postName, what, a, mode, missing, post, postScript, pre));
    }
  }
  return out;
}

const MODE_WORDS: Record<Mode, { did: string; undo: string; stays: string }> = {
  stop: { did: 'stops', undo: 'start', stays: 'stays down' },
  pause: { did: 'pauses', undo: 'resume', stays: 'stays paused' },
  down: { did: 'takes down', undo: 'bring up', stays: 'stays down' },
};

function unbalancedFinding(
  state: HookStateInput, lines: LineIndex, preName: HookName, postName: HookName, what: string, action: Action, mode: Mode,
  missing: Target[], post: HookBinding | undefined, postScript: ShellScript | undefined, pre: HookBinding,
): Finding {
  const words = MODE_WORDS[mode];
  const names = missing.map((t) => `\`${t.label}\``);
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const them = missing.length === 1 ? 'it' : 'them';
  const plural = missing.length === 1 ? '' : 's';
  const stays = missing.length === 1 ? words.stays : words.stays.replace('stays', 'stay');
  const where = post ? `${postName} does not ${words.undo} ${them} again` : `there is no ${postName} to ${words.undo} ${them} again`;
  const message = `${preName} of state "${state.stateName}" ${words.did} ${action.noun}${plural} ${list}, but ${where}: `
    + `${missing.length === 1 ? 'it' : 'they'} ${stays} after every ${what}.`;
  const fix = resumeFix(state, lines, action, missing, postName, post, postScript, pre);
  return finding('unbalanced-hook', state.uri, action.cmd.range, message, fix ? [fix] : undefined);
}

function resumeFix(
  state: HookStateInput, lines: LineIndex, action: Action, missing: Target[], postName: HookName,
  post: HookBinding | undefined, postScript: ShellScript | undefined, pre: HookBinding,
): Fix | undefined {
  if (!action.resumePrefix || pre.value.kind !== 'string') return undefined;
  const preSource = parseHookScript(pre.value, state.text, lines).source;
  // Targets without a word of their own (xargs input, `--all`) are resumed the way they were stopped.
  const wordTargets = missing.filter((t) => t.word !== undefined);
  let shellLine: string;
  if (wordTargets.length === missing.length) {
    shellLine = `${action.resumePrefix} ${wordTargets.map((t) => t.word!.shellText).join(' ')}`;
  } else if (action.cmd.stdinFrom !== undefined && action.cmd.wrapperPrefix !== undefined) {
    shellLine = `${action.cmd.wrapperPrefix}${action.resumePrefix}`;
  } else if (missing.every((t) => t.key === '*')) {
    shellLine = action.family.startsWith('podman') && !action.family.includes('compose') ? `${action.resumePrefix} --all` : action.resumePrefix;
  } else {
    return undefined;
  }
  if (action.cmd.wrapper !== undefined && action.cmd.stdinFrom === undefined && action.cmd.wrapperPrefix !== undefined) {
    shellLine = `${action.cmd.wrapperPrefix}${shellLine}`;
  }
  const title = `Add \`${restoreInterpolations(preSource, shellLine)}\` to ${postName}`;
  if (post && postScript && post.value.kind === 'string') {
    const edit = appendLine(state, lines, post.value, encodeShell(preSource, shellLine, post.value.indented));
    return edit ? { title, edits: [edit], isPreferred: true } : undefined;
  }
  // No post hook: a new binding right after the pre hook's, with the same indentation and attribute path prefix.
  const head = state.text.slice(pre.bindingStart, state.text.indexOf('=', pre.bindingStart)).trim();
  const preName = postName.startsWith('postBackup') ? 'preBackupScript' : 'preRestoreScript';
  const m = new RegExp(`(^|\\.)"?${preName}"?$`).exec(head);
  if (!m) return undefined;
  const attrpath = `${head.slice(0, m.index)}${m[1]}${postName}`;
  const lineStart = state.text.lastIndexOf('\n', pre.bindingStart - 1) + 1;
  const indent = state.text.slice(lineStart, pre.bindingStart);
  const body = encodeShell(preSource, shellLine, true);
  const newText = /^[ \t]*$/.test(indent)
    ? `\n${indent}${attrpath} = ''\n${indent}  ${body}\n${indent}'';`
    : ` ${attrpath} = "${encodeShell(preSource, `${shellLine}\n`, false)}";`;
  const at = lines.positionAt(pre.bindingEnd);
  return { title, edits: [{ uri: state.uri, range: { start: at, end: at }, newText }], isPreferred: true };
}


/** Writes shell text (with placeholders) as the source of a Nix string of the given kind. */
export function encodeShell(src: ShellSource, shellText: string, indented: boolean): string {
  let out = '';
  let rest = shellText;
  while (rest.length > 0) {
    let next: { at: number; i: (typeof src.interpolations)[number] } | undefined;
    for (const i of src.interpolations) {
      const at = rest.indexOf(i.placeholder);
      if (at !== -1 && (!next || at < next.at)) next = { at, i };
    }
    const literal = next ? rest.slice(0, next.at) : rest;
    out += indented
      ? literal.replace(/''/g, "'''").replace(/\$\{/g, "''${")
      : literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n');
    if (!next) break;
    out += next.i.source;
    rest = rest.slice(next.at + next.i.placeholder.length);
  }
  return out;
}

/** An edit appending one line at the end of a string's content, before its closing quote(s). */
function appendLine(state: HookStateInput, lines: LineIndex, value: StringValue, line: string): TextEdit | undefined {
  const start = literalOffset(value, lines);
  const end = lines.offsetAt(value.range.end);
  const text = state.text;
  if (!value.indented) {
    const close = end - 1;
    if (text[close] !== '"') return undefined;
    const decodedEndsWithNewline = value.pieces.length > 0 && (() => {
      const last = value.pieces[value.pieces.length - 1]!;
      return last.kind === 'text' && last.text.endsWith('\n');
    })();
    const newText = decodedEndsWithNewline ? `${line}\\n` : `\\n${line}`;
    return { uri: state.uri, range: lines.rangeOf(close, close), newText };
  }
  const close = end - 2;
  if (!text.startsWith("''", close)) return undefined;
  const indent = contentIndent(text, start + 2, close);
  let p = close;
  while (p > start + 2 && (text[p - 1] === ' ' || text[p - 1] === '\t')) p--;
  if (text[p - 1] === '\n') {
    // The closing '' sits on its own line: insert a whole line before it.
    return { uri: state.uri, range: lines.rangeOf(p, p), newText: `${indent ?? closingIndent(text, close)}${line}\n` };
  }
  return { uri: state.uri, range: lines.rangeOf(close, close), newText: `\n${indent ?? ''}${line}` };
}

/** The smallest indentation of the content lines of an indented string (its first line excluded when blank). */
function contentIndent(text: string, contentStart: number, close: number): string | undefined {
  const body = text.slice(contentStart, close).split('\n');
  let best: string | undefined;
  body.forEach((l, idx) => {
    if (idx === 0 || l.trim() === '') return;
    const ind = /^[ \t]*/.exec(l)![0];
    if (best === undefined || ind.length < best.length) best = ind;
  });
  return best;
}

function closingIndent(text: string, close: number): string {
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  return `${text.slice(lineStart, close)}  `;
}

// ---------------------------------------------------------------------------------------------------------------
// hook-missing-path

/** Bash builtins and keywords: never looked up on PATH. */
export const BASH_BUILTINS: ReadonlySet<string> = new Set([
  ':', '.', '[', 'alias', 'bg', 'bind', 'break', 'builtin', 'caller', 'cd', 'command', 'compgen', 'complete', 'compopt',
  'continue', 'declare', 'dirs', 'disown', 'echo', 'enable', 'eval', 'exec', 'exit', 'export', 'false', 'fc', 'fg',
  'getopts', 'hash', 'help', 'history', 'jobs', 'kill', 'let', 'local', 'logout', 'mapfile', 'popd', 'printf', 'pushd',
  'pwd', 'read', 'readarray', 'readonly', 'return', 'set', 'shift', 'shopt', 'source', 'suspend', 'test', 'times',
  'trap', 'true', 'type', 'typeset', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done', 'in',
  'function', 'time', '{', '}', '!', '[[', ']]', 'coproc',
]);

/** GNU coreutils as built by nixpkgs (`ls ${pkgs.coreutils}/bin`). */
export const COREUTILS: readonly string[] = [
  '[', 'arch', 'b2sum', 'base32', 'base64', 'basename', 'basenc', 'cat', 'chcon', 'chgrp', 'chmod', 'chown', 'chroot',
  'cksum', 'comm', 'cp', 'csplit', 'cut', 'date', 'dd', 'df', 'dir', 'dircolors', 'dirname', 'du', 'echo', 'env',
  'expand', 'expr', 'factor', 'false', 'fmt', 'fold', 'groups', 'head', 'hostid', 'id', 'install', 'join', 'kill',
  'link', 'ln', 'logname', 'ls', 'md5sum', 'mkdir', 'mkfifo', 'mknod', 'mktemp', 'mv', 'nice', 'nl', 'nohup', 'nproc',
  'numfmt', 'od', 'paste', 'pathchk', 'pinky', 'pr', 'printenv', 'printf', 'ptx', 'pwd', 'readlink', 'realpath', 'rm',
  'rmdir', 'runcon', 'seq', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'shred', 'shuf', 'sleep',
  'sort', 'split', 'stat', 'stdbuf', 'stty', 'sum', 'sync', 'tac', 'tail', 'tee', 'test', 'timeout', 'touch', 'tr',
  'true', 'truncate', 'tsort', 'tty', 'uname', 'unexpand', 'uniq', 'unlink', 'uptime', 'users', 'vdir', 'wc', 'who',
  'whoami', 'yes',
];
export const FINDUTILS: readonly string[] = ['find', 'xargs', 'locate', 'updatedb'];
export const GNUGREP: readonly string[] = ['grep', 'egrep', 'fgrep'];
export const GNUSED: readonly string[] = ['sed'];
/** systemd's bin/ and sbin/ (the unit PATH has both). */
export const SYSTEMD: readonly string[] = [
  'systemctl', 'journalctl', 'loginctl', 'machinectl', 'busctl', 'hostnamectl', 'localectl', 'timedatectl', 'networkctl',
  'resolvectl', 'coredumpctl', 'bootctl', 'homectl', 'userdbctl', 'oomctl', 'portablectl', 'udevadm', 'kernel-install',
  'systemd-run', 'systemd-analyze', 'systemd-ask-password', 'systemd-cat', 'systemd-cgls', 'systemd-cgtop',
  'systemd-creds', 'systemd-cryptenroll', 'systemd-delta', 'systemd-detect-virt', 'systemd-dissect', 'systemd-escape',
  'systemd-firstboot', 'systemd-id128', 'systemd-inhibit', 'systemd-machine-id-setup', 'systemd-mount', 'systemd-umount',
  'systemd-notify', 'systemd-nspawn', 'systemd-path', 'systemd-repart', 'systemd-socket-activate', 'systemd-stdio-bridge',
  'systemd-sysext', 'systemd-confext', 'systemd-sysusers', 'systemd-tmpfiles', 'systemd-tty-ask-password-agent',
  'systemd-ac-power', 'systemd-vmspawn', 'halt', 'poweroff', 'reboot', 'shutdown', 'telinit', 'runlevel', 'init',
];
export const BORGBACKUP: readonly string[] = ['borg', 'borgfs'];
export const OPENSSH: readonly string[] = ['ssh', 'scp', 'sftp', 'ssh-add', 'ssh-agent', 'ssh-keygen', 'ssh-keyscan', 'ssh-copy-id', 'sshd'];

/** What a backup hook finds on PATH without setting it: NixOS's default service path plus the borg job's additions. */
export const BACKUP_JOB_PATH: ReadonlySet<string> = new Set([
  ...COREUTILS, ...FINDUTILS, ...GNUGREP, ...GNUSED, ...SYSTEMD, ...BORGBACKUP, ...OPENSSH,
]);

/** util-linux's commands (`ls ${pkgs.util-linux}/bin`, the common ones). */
export const UTIL_LINUX: readonly string[] = [
  'mount', 'umount', 'mountpoint', 'findmnt', 'lsblk', 'blkid', 'runuser', 'su', 'flock', 'logger', 'ionice', 'setsid',
  'nsenter', 'unshare', 'fallocate', 'fstrim', 'losetup', 'wipefs', 'mkswap', 'swapon', 'swapoff', 'lscpu', 'dmesg',
  'getopt', 'hexdump', 'column', 'rev', 'script', 'taskset', 'chrt', 'renice', 'uuidgen', 'kill', 'more', 'whereis',
];

/** What localbackup's `localbackup-create` puts on PATH for the pre-backup commands. */
export const LOCALBACKUP_PATH: ReadonlySet<string> = new Set([...COREUTILS, ...UTIL_LINUX, 'rsnapshot', 'rsnapshot-diff']);

/** Commands whose package we know, as the Nix expression to put in `lib.makeBinPath [ … ]`. */
export const COMMAND_PACKAGES: Readonly<Record<string, string>> = {
  docker: 'pkgs.docker', 'docker-compose': 'pkgs.docker-compose', podman: 'pkgs.podman', 'podman-compose': 'pkgs.podman-compose',
  rsync: 'pkgs.rsync', virsh: 'pkgs.libvirt', curl: 'pkgs.curl', wget: 'pkgs.wget', jq: 'pkgs.jq', yq: 'pkgs.yq',
  sqlite3: 'pkgs.sqlite', mysqldump: 'pkgs.mariadb', mysql: 'pkgs.mariadb', mariadb: 'pkgs.mariadb', 'mariadb-dump': 'pkgs.mariadb',
  pg_dump: 'config.services.postgresql.package', pg_dumpall: 'config.services.postgresql.package',
  psql: 'config.services.postgresql.package', pg_restore: 'config.services.postgresql.package',
  pg_isready: 'config.services.postgresql.package', createdb: 'config.services.postgresql.package', dropdb: 'config.services.postgresql.package',
  runuser: 'pkgs.util-linux', su: 'pkgs.util-linux', flock: 'pkgs.util-linux', mount: 'pkgs.util-linux', umount: 'pkgs.util-linux',
  ionice: 'pkgs.util-linux', setsid: 'pkgs.util-linux', logger: 'pkgs.util-linux', lsblk: 'pkgs.util-linux', findmnt: 'pkgs.util-linux',
  tar: 'pkgs.gnutar', gzip: 'pkgs.gzip', gunzip: 'pkgs.gzip', zstd: 'pkgs.zstd', xz: 'pkgs.xz', bzip2: 'pkgs.bzip2',
  awk: 'pkgs.gawk', gawk: 'pkgs.gawk', diff: 'pkgs.diffutils', cmp: 'pkgs.diffutils', which: 'pkgs.which',
  ps: 'pkgs.procps', pgrep: 'pkgs.procps', pkill: 'pkgs.procps', hostname: 'pkgs.hostname', ip: 'pkgs.iproute2',
  git: 'pkgs.git', redis_cli: 'pkgs.redis', 'redis-cli': 'pkgs.redis', mongodump: 'pkgs.mongodb-tools', btrfs: 'pkgs.btrfs-progs',
  zfs: 'config.boot.zfs.package', zpool: 'config.boot.zfs.package', lvcreate: 'pkgs.lvm2', lvremove: 'pkgs.lvm2',
  nextcloud_occ: 'config.services.nextcloud.occ', 'nextcloud-occ': 'config.services.nextcloud.occ', occ: 'config.services.nextcloud.occ',
  'sqlite3-analyzer': 'pkgs.sqlite', 'influx': 'pkgs.influxdb2-cli', 'restic': 'pkgs.restic', openssl: 'pkgs.openssl',
  nc: 'pkgs.netcat', sudo: 'pkgs.sudo', bash: 'pkgs.bash', sh: 'pkgs.bash', python3: 'pkgs.python3', nix: 'config.nix.package',
  // On the borg job's PATH already; named for localbackup's, which lacks them.
  ...Object.fromEntries(SYSTEMD.filter((c) => !c.includes('-') || c.startsWith('systemd-')).map((c) => [c, 'config.systemd.package'])),
  ...Object.fromEntries(FINDUTILS.map((c) => [c, 'pkgs.findutils'])),
  ...Object.fromEntries(GNUGREP.map((c) => [c, 'pkgs.gnugrep'])), sed: 'pkgs.gnused',
  ...Object.fromEntries(BORGBACKUP.map((c) => [c, 'pkgs.borgbackup'])), ssh: 'pkgs.openssh', scp: 'pkgs.openssh',
};

export interface HookPathOptions {
  /** Extra commands known to be on the job's PATH (e.g. from `systemd.services."borgbackup-job-…".path`). */
  extraPath?: Iterable<string>;
}

/** `hook-missing-path`: a backup hook calls something the borgbackup job's PATH does not have. */
export function checkHookPath(state: HookStateInput, options: HookPathOptions = {}): Finding[] {
  const out: Finding[] = [];
  if (state.jobPath === 'unknown') return out;
  const extra = new Set([...options.extraPath ?? [], ...state.jobPath ?? []]);
  const lines = state.lines ?? new LineIndex(state.text);
  for (const hookName of ['preBackupScript', 'postBackupScript'] as const) {
    const hook = state.hooks[hookName];
    if (!hook || hook.value.kind !== 'string') continue;
    const script = parseHookScript(hook.value, state.text, lines);
    if (script.hasError) continue;
    const firstUse = new Map<string, { cmd: ShellCommand; where: 'borg' | 'localbackup' | 'both' }>();
    // A command must be on the PATH of every provider that runs the hook: borg's job unit always (a state of a
    // machine that is no borgbackup client is another rule's business), localbackup's script for pre-backup hooks.
    const inLocalbackup = state.localbackup === true && hookName === 'preBackupScript';
    for (const cmd of script.commands) {
      const name = cmd.name;
      if (name === undefined || name === '' || cmd.isPath) continue;
      if (BASH_BUILTINS.has(name) || script.functions.has(name)) continue;
      const onBorg = BACKUP_JOB_PATH.has(name) || extra.has(name);
      const onLocal = !inLocalbackup || LOCALBACKUP_PATH.has(name);
      if (onBorg && onLocal) continue;
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(name)) continue;
      if (pathSetBefore(script, cmd)) continue;
      if (!firstUse.has(name)) firstUse.set(name, { cmd, where: !onBorg && !onLocal ? 'both' : !onBorg ? 'borg' : 'localbackup' });
    }
    if (firstUse.size === 0) continue;
    const missing = [...firstUse.keys()];
    const fix = pathFix(state, lines, hookName, hook, missing);
    for (const [name, { cmd, where }] of firstUse) {
      const pkg = COMMAND_PACKAGES[name];
      const how = pkg
        ? `add it to PATH, e.g. \`export PATH=\${lib.makeBinPath [ ${pkg} ]}:$PATH\`, or call it by its store path`
        : 'add the package that provides it to PATH with `export PATH=${lib.makeBinPath [ … ]}:$PATH`, or call it by its store path';
      const borg = `${hookName} runs inside the borgbackup-job-* systemd unit, whose PATH has only coreutils, findutils, `
        + 'gnugrep, gnused, systemd, borg and openssh (extend it with `systemd.services."borgbackup-job-<dest>".path`)';
      const local = 'localbackup runs it inside `localbackup-create`, whose PATH has only rsnapshot, coreutils and util-linux';
      const why = where === 'borg' ? borg : where === 'localbackup' ? local : `${borg}; ${local}`;
      const message = `\`${name}\` is not on the PATH of backup hooks: ${why}, so the hook fails with "${name}: command not found". `
        + `Set PATH at the top of the script: ${how}.`;
      out.push(finding('hook-missing-path', state.uri, cmd.nameRange, message, fix ? [fix] : undefined));
    }
  }
  return out;
}

/** Inserts `export PATH=${lib.makeBinPath [ … ]}:$PATH` as the first line, and the module arguments it needs. */
function pathFix(state: HookStateInput, lines: LineIndex, hookName: HookName, hook: HookBinding, missing: string[]): Fix | undefined {
  if (hook.value.kind !== 'string') return undefined;
  const value = hook.value;
  const pkgs = [...new Set(missing.map((m) => COMMAND_PACKAGES[m]).filter((p): p is string => p !== undefined))];
  const unknown = missing.filter((m) => COMMAND_PACKAGES[m] === undefined);
  // Guessing an attribute for an unknown command would write a wrong fix; with nothing known there is none.
  if (pkgs.length === 0) return undefined;
  const newLines = [`export PATH=\${lib.makeBinPath [ ${pkgs.join(' ')} ]}:$PATH`];
  if (unknown.length > 0) {
    newLines.push(`# TODO: also add the package${unknown.length > 1 ? 's' : ''} providing ${unknown.join(', ')} to the list above`);
  }
  const insert = insertAtScriptStart(state.text, lines, value, newLines);
  if (!insert) return undefined;
  const edits: TextEdit[] = [{ uri: state.uri, ...insert }];
  const needed = ['lib'];
  if (pkgs.some((p) => p.startsWith('pkgs.'))) needed.push('pkgs');
  if (pkgs.some((p) => p.startsWith('config.'))) needed.push('config');
  const formals = formalsEdit(state, lines, hook.bindingStart, needed);
  // null: no module to give the arguments to (a hook outside any machine module); a fix would not evaluate.
  if (formals === null) return undefined;
  if (formals) edits.push(formals);
  return { title: `Set PATH in ${hookName}: export PATH=\${lib.makeBinPath [ ${pkgs.join(' ')} ]}:$PATH`, edits, isPreferred: true };
}

function insertAtScriptStart(text: string, lines: LineIndex, value: StringValue, newLines: string[]): { range: Range; newText: string } | undefined {
  const first = value.pieces[0];
  const stringStart = literalOffset(value, lines);
  if (!value.indented) {
    const at = stringStart + 1;
    const body = newLines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')).join('\\n');
    return { range: lines.rangeOf(at, at), newText: `${body}\\n` };
  }
  if (!first) {
    const at = stringStart + 2;
    return { range: lines.rangeOf(at, at), newText: `${newLines.join('\n')}\n` };
  }
  const at = stringStart + (first.kind === 'text' ? first.offsets[0]! : first.start);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const before = text.slice(lineStart, at);
  const indent = /^[ \t]*$/.test(before) && lineStart > stringStart ? before : '';
  return { range: lines.rangeOf(at, at), newText: newLines.map((l) => `${l}\n${indent}`).join('') };
}

/** Runs `fn` on the document's tree (the caller's, or a parse of its own); undefined when the text cannot be parsed. */
function withTree<T>(state: HookStateInput, fn: (tree: Tree) => T): T | undefined {
  // Parsing the whole document again, once per finding, made a clan with hundreds of such findings take seconds.
  let tree = state.tree;
  const own = !tree;
  if (!tree) {
    try {
      tree = parseNix(state.text);
    } catch {
      return undefined;
    }
  }
  try {
    return fn(tree);
  } finally {
    if (own) tree.delete();
  }
}

/** The arguments (`{ config, lib, ... }`) of the nearest function around offset `at` that has some. */
function formalsAround(tree: Tree, at: number): Node | null | undefined {
  let node: Node | null = tree.rootNode.descendantForIndex(at);
  while (node && !(node.type === 'function_expression' && node.childForFieldName('formals'))) node = node.parent;
  return node?.childForFieldName('formals');
}

/** Where the PATH fix of a hook binding starting at `at` gives the module its arguments. */
type ArgumentsPlace =
  | { kind: 'formals'; formals: Node }
  /** A module written as a plain attribute set: it becomes a function, `{ lib, ... }: { … }`. */
  | { kind: 'attrset'; start: number };

function argumentsPlace(state: HookStateInput, tree: Tree, at: number): ArgumentsPlace | undefined {
  const module = state.modules?.filter((m) => m.start <= at && at < m.end).sort((a, b) => b.start - a.start)[0];
  if (state.modules && !module) return undefined;
  if (module && !module.isFunction) return { kind: 'attrset', start: module.start };
  const formals = formalsAround(tree, at);
  if (!formals) return undefined;
  // The nearest function must lie inside the module (the module itself, perhaps as `lib.mkForce (…)`), never around
  // it like clan.nix's or flake.nix's own function; without modules (a lone hook), any function is taken.
  const fn = formals.parent;
  if (module && (!fn || fn.startIndex < module.start || fn.endIndex > module.end)) return undefined;
  return { kind: 'formals', formals };
}

/**
 * Document offsets of the text that decides the PATH fix's argument edit for a hook binding starting at `at` (the
 * module's arguments, or what precedes a module written as an attribute set); undefined when there is no such place.
 * Findings kept for unchanged hooks hold only while it reads the same.
 */
export function enclosingArguments(state: HookStateInput, at: number): { start: number; end: number } | undefined {
  return withTree(state, (tree) => {
    const place = argumentsPlace(state, tree, at);
    if (!place) return undefined;
    return place.kind === 'formals' ? { start: place.formals.startIndex, end: place.formals.endIndex }
      : { start: Math.max(0, place.start - 24), end: place.start + 1 };
  });
}

/** Adds missing names to the arguments of the module around the binding (`{ config, ... }:` → `{ config, lib, pkgs, ... }:`). */
function formalsEdit(state: HookStateInput, lines: LineIndex, at: number, needed: string[]): TextEdit | null | undefined {
  return withTree(state, (tree): TextEdit | null | undefined => {
    const place = argumentsPlace(state, tree, at);
    if (!place) return null;
    if (place.kind === 'attrset') {
      return { uri: state.uri, range: lines.rangeOf(place.start, place.start), newText: `{ ${needed.join(', ')}, ... }: ` };
    }
    const formals = place.formals;
    const have = new Set(formals.childrenForFieldName('formal').map((f) => f?.childForFieldName('name')?.text));
    const add = needed.filter((n) => !have.has(n));
    if (add.length === 0) return undefined;
    return addFormals(state, lines, formals, add);
  });
}

/**
 * The edit that adds `add` to `formals`, in the style they are written in: one line (`{ config, lib, ... }`), one
 * argument per line with trailing commas (nixfmt: `  lib,` before `}`), or one per line with leading commas
 * (`, lib`), so the result is valid Nix that reads as if the user had written it.
 */
function addFormals(state: HookStateInput, lines: LineIndex, formals: Node, add: string[]): TextEdit {
  const text = state.text;
  const at = (offset: number, newText: string): TextEdit => ({ uri: state.uri, range: lines.rangeOf(offset, offset), newText });
  const list = formals.childrenForFieldName('formal').filter((f): f is Node => f !== null);
  const ellipses = formals.childForFieldName('ellipses');
  const last = list[list.length - 1];
  const lineOf = (offset: number) => lines.positionAt(offset).line;
  const indentBefore = (offset: number) => {
    const start = text.lastIndexOf('\n', offset - 1) + 1;
    const lead = text.slice(start, offset);
    return /^[ \t]*$/.test(lead) ? lead : undefined;
  };
  const close = formals.endIndex - 1;
  const closeIndent = indentBefore(close);
  const multiline = last !== undefined && lineOf(last.startIndex) > lineOf(formals.startIndex);
  const eol = text.slice(formals.startIndex, formals.endIndex).includes('\r\n') ? '\r\n' : '\n';
  if (ellipses) {
    const indent = multiline ? indentBefore(ellipses.startIndex) : undefined;
    // `  ...` alone on its line: each new argument on a line of its own above it.
    if (indent !== undefined) return at(ellipses.startIndex, add.map((n) => `${n},${eol}${indent}`).join(''));
    return at(ellipses.startIndex, `${add.join(', ')}, `);
  }
  if (!last) return at(formals.startIndex + 1, ` ${add.join(', ')}`);
  if (multiline && closeIndent !== undefined) {
    const closeLine = text.lastIndexOf('\n', close - 1) + 1;
    const lastIndent = indentBefore(last.startIndex);
    const afterLast = text.slice(last.endIndex, close).replace(/#[^\n]*|\/\*[\s\S]*?\*\//g, '').trim();
    if (lastIndent !== undefined && afterLast === ',') {
      return at(closeLine, add.map((n) => `${lastIndent}${n},${eol}`).join(''));
    }
    const lastLineStart = text.lastIndexOf('\n', last.startIndex - 1) + 1;
    const leading = /^([ \t]*),[ \t]*$/.exec(text.slice(lastLineStart, last.startIndex));
    if (leading && afterLast === '') return at(closeLine, add.map((n) => `${leading[1]}, ${n}${eol}`).join(''));
  }
  return at(last.endIndex, `, ${add.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// hook-shell

// Imported here, not at the top of the file: this section is the only user of the ShellCheck cache.
import { availableParallelism } from 'node:os';
import {
  CachedComment, DiskCache, DiskCacheOptions, memoryGet, memorySet, scriptKeyer, shellcheckVersion,
} from './shellcheckCache';

export const SHELLCHECK_MISSING_MESSAGE = 'shellcheck not found; install it to get hook-shell diagnostics';

export interface ShellcheckOptions {
  /** Executable to run; default `shellcheck` from PATH. */
  shellcheckPath?: string;
  /** Per-script time limit; the process is killed after it. Default 3000 ms. */
  timeoutMs?: number;
  /** Lowest ShellCheck level reported: 'error' | 'warning' | 'info' | 'style'. Default 'info'. */
  severity?: 'error' | 'warning' | 'info' | 'style';
  /**
   * Keep results on disk across runs (the CLI: `$XDG_CACHE_HOME/clan-backups/shellcheck`); default none. Keyed by
   * ShellCheck's version, these options and the script text, like the in-memory cache.
   */
  diskCache?: DiskCacheOptions;
  /** Keep results in memory for the process (the language server, between edits). Default true. */
  memoryCache?: boolean;
  /** ShellCheck processes at a time; default os.availableParallelism(). */
  parallelism?: number;
}

export interface ShellcheckResult {
  findings: Finding[];
  /** True when the shellcheck executable could not be started. */
  shellcheckMissing: boolean;
  /** Set once per process, the first time shellcheck is found missing: a message the caller may show. */
  notice?: string;
  /** Scripts skipped because shellcheck timed out or failed (nothing reported for them). */
  failures: string[];
  /** Why the disk cache could not be written (then this run went without it). */
  cacheWarning?: string;
  /** For tests and the bench: distinct scripts, and how many of them ShellCheck was run on. */
  stats?: { scripts: number; distinct: number; checked: number };
}

// ShellCheck codes that are artefacts of checking a fragment: Clan writes the shebang and `set -eu -o pipefail`.
const EXCLUDED_CODES = [2148, 1008, 2096];
const SHELL = 'bash';
const MIN_CHUNK = 25;

let missingNoticeShown = false;

interface ShellcheckComment extends CachedComment {
  /** Set when several files are checked in one run. */
  file?: string;
}

/** `hook-shell`: ShellCheck findings of every hook, mapped into the Nix document. Never throws. */
export async function checkShellcheck(state: HookStateInput, options: ShellcheckOptions = {}): Promise<ShellcheckResult> {
  const result = await checkShellcheckMany([state], options);
  result.findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return result;
}

type RunResult = { kind: 'ok'; comments: ShellcheckComment[] } | { kind: 'missing' } | { kind: 'failed'; reason: string };


/** 1-based line/column (code points, tab = 1, as json1 counts) → offset into the shell text. */
function shellOffset(lineStarts: number[], text: string, line: number, column: number): number {
  const start = lineStarts[Math.min(Math.max(line - 1, 0), lineStarts.length - 1)]!;
  let off = start;
  for (let col = 1; col < column && off < text.length && text[off] !== '\n'; col++) {
    off += text.codePointAt(off)! > 0xffff ? 2 : 1;
  }
  return off;
}

function mapComment(state: HookStateInput, lines: LineIndex, hookName: HookName, src: ShellSource, c: ShellcheckComment): Finding | undefined {
  const lineStarts = [0];
  for (let i = src.text.indexOf('\n'); i !== -1; i = src.text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const s = shellOffset(lineStarts, src.text, c.line, c.column);
  const e = Math.max(s, shellOffset(lineStarts, src.text, c.endLine, c.endColumn));
  // Anything about a placeholder is about our substitution, not the user's script.
  if (src.interpolations.some((i) => s < i.shellEnd && (e > i.shellStart || s === i.shellStart))) return undefined;
  const { start, end } = docOffsets(src, s, e);
  const fixes: Fix[] = [];
  const fix = c.fix ? mapShellcheckFix(state, lines, src, lineStarts, c.fix.replacements) : undefined;
  if (fix) fixes.push({ title: `Apply ShellCheck's fix for SC${c.code}`, edits: fix });
  return finding('hook-shell', state.uri, lines.rangeOf(start, end), `SC${c.code}: ${c.message} (${c.level}, in ${hookName})`, fixes);
}

/** ShellCheck's replacements as document edits, when each lies in plain literal text (no escapes, no interpolation). */
function mapShellcheckFix(
  state: HookStateInput, lines: LineIndex, src: ShellSource, lineStarts: number[],
  replacements: NonNullable<ShellcheckComment['fix']>['replacements'],
): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  for (const r of replacements) {
    const s = shellOffset(lineStarts, src.text, r.line, r.column);
    const e = shellOffset(lineStarts, src.text, r.endLine, r.endColumn);
    if (src.interpolations.some((i) => s < i.shellEnd && e > i.shellStart)) return undefined;
    let docS: number;
    let docE: number;
    if (s === e) {
      // An insertion point: after the previous character, or before the next one.
      docS = s > 0 && r.insertionPoint === 'afterEnd' ? src.docEnd[s - 1]! : src.docStart[s]!;
      docE = docS;
    } else {
      docS = src.docStart[s]!;
      docE = src.docEnd[e - 1]!;
      // Only where the document holds exactly the shell text (no escapes in between).
      if (state.text.slice(docS, docE) !== src.text.slice(s, e)) return undefined;
    }
    if (/\$\{|''|["\\]/.test(r.replacement) && !(r.replacement === '"' && src.indented)) return undefined;
    edits.push({ uri: state.uri, range: lines.rangeOf(docS, docE), newText: r.replacement });
  }
  return edits.length > 0 ? edits : undefined;
}

/** For tests: makes the next missing-shellcheck result carry the notice again. */
export function resetShellcheckNotice(): void {
  missingNoticeShown = false;
}


/**
 * ShellCheck over many states at once. Each distinct script text is checked once (a hook is often the same text on
 * many machines; its comments are mapped to every occurrence with that occurrence's positions), only when no cache
 * has its result (in memory for the process; on disk with `diskCache`). The rest is written to a temporary directory
 * and checked in chunks, one process per chunk and as many processes at a time as the machine has cores. Same
 * findings and mapping as checkShellcheck; never throws.
 */
export async function checkShellcheckMany(states: HookStateInput[], options: ShellcheckOptions & { chunk?: number } = {}): Promise<ShellcheckResult> {
  const result: ShellcheckResult = { findings: [], shellcheckMissing: false, failures: [] };
  const executable = options.shellcheckPath ?? 'shellcheck';
  let dir: string | undefined;
  try {
    // Asked while the scripts are read below (once per process).
    const versionAnswer = shellcheckVersion(executable, options.timeoutMs ?? 3000);
    type Occurrence = { state: HookStateInput; lines: LineIndex; hookName: HookName; src: ShellSource };
    const byText = new Map<string, Occurrence[]>();
    let count = 0;
    for (const state of states) {
      const lines = state.lines ?? new LineIndex(state.text);
      for (const hookName of HOOK_NAMES) {
        const hook = state.hooks[hookName];
        if (!hook || hook.value.kind !== 'string') continue;
        const src = parseHookScript(hook.value, state.text, lines).source;
        if (src.text.trim() === '') continue;
        const same = byText.get(src.text);
        if (same) same.push({ state, lines, hookName, src });
        else byText.set(src.text, [{ state, lines, hookName, src }]);
        count++;
      }
    }
    if (byText.size === 0) return result;
    const version = await versionAnswer;
    if (version.kind === 'missing') {
      result.shellcheckMissing = true;
    } else {
      const keyOptions = { severity: options.severity ?? 'info', excluded: EXCLUDED_CODES, shell: SHELL };
      const memory = options.memoryCache !== false && version.kind === 'ok';
      const disk = options.diskCache && version.kind === 'ok' ? new DiskCache(options.diskCache) : undefined;
      const texts = [...byText.keys()];
      const keyOf = version.kind === 'ok' ? scriptKeyer(version.version, keyOptions) : undefined;
      const keys = keyOf ? texts.map(keyOf) : [];
      const comments: Array<CachedComment[] | undefined> = texts.map((_, i) => {
        if (!keys[i]) return undefined;
        const inMemory = memory ? memoryGet(keys[i]) : undefined;
        if (inMemory) return inMemory;
        const onDisk = disk?.get(keys[i]);
        if (onDisk && memory) memorySet(keys[i], onDisk);
        return onDisk;
      });
      const missing = texts.map((_, i) => i).filter((i) => comments[i] === undefined);
      result.stats = { scripts: count, distinct: texts.length, checked: missing.length };
      if (missing.length > 0) {
        const tmp = mkdtempSync(join(tmpdir(), 'clan-backups-shellcheck-'));
        dir = tmp;
        const cores = Math.max(1, options.parallelism ?? availableParallelism());
        // Spread over the cores, in chunks of at most 200 scripts; but starting a process costs as much as checking
        // a few dozen small scripts, so a handful of them stays in one.
        const size = Math.max(1, Math.min(options.chunk ?? 200, Math.max(MIN_CHUNK, Math.ceil(missing.length / cores))));
        const chunks: number[][] = [];
        for (let i = 0; i < missing.length; i += size) chunks.push(missing.slice(i, i + size));
        let next = 0;
        // Each process slot writes its chunk's scripts just before starting ShellCheck, into the same file names each
        // time: creating thousands of files costs far more than overwriting a few hundred (about 0.3 ms a file on
        // ext4 here), and the writing happens while the other slots' processes run.
        const worker = async (slot: number): Promise<void> => {
          while (next < chunks.length && !result.shellcheckMissing) {
            const chunk = chunks[next++]!;
            const fileOf = new Map<string, number>();
            const files = chunk.map((i, j) => {
              const f = join(tmp, `${slot}-${j}.sh`);
              writeFileSync(f, texts[i]!);
              fileOf.set(f, i);
              return f;
            });
            const r = await runShellcheckFiles(files, options);
            if (r.kind === 'missing') result.shellcheckMissing = true;
            else if (r.kind === 'failed') result.failures.push(r.reason);
            else {
              // Every file of a chunk that ran has its (possibly empty) list.
              const got = new Map<number, CachedComment[]>(files.map((f) => [fileOf.get(f)!, []]));
              for (const c of r.comments) {
                const i = fileOf.get(c.file ?? '');
                if (i === undefined) continue;
                const { file: _file, ...rest } = c;
                got.get(i)!.push(rest);
              }
              for (const [i, list] of got) {
                comments[i] = list;
                if (!keys[i]) continue;
                if (memory) memorySet(keys[i], list);
                disk?.set(keys[i], list);
              }
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(cores, chunks.length) }, (_, slot) => worker(slot)));
      }
      if (disk) {
        disk.prune();
        if (disk.warning) result.cacheWarning = disk.warning;
      }
      texts.forEach((text, i) => {
        for (const o of byText.get(text)!) {
          for (const c of comments[i] ?? []) {
            const f = mapComment(o.state, o.lines, o.hookName, o.src, c);
            if (f) result.findings.push(f);
          }
        }
      });
    }
  } catch (err) {
    result.failures.push(String(err));
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  if (result.shellcheckMissing) result.findings = [];
  if (result.shellcheckMissing && !missingNoticeShown) {
    missingNoticeShown = true;
    result.notice = SHELLCHECK_MISSING_MESSAGE;
  }
  return result;
}

function runShellcheckFiles(files: string[], options: ShellcheckOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: RunResult): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const args = ['--norc', '--format=json1', `--shell=${SHELL}`, `--severity=${options.severity ?? 'info'}`,
      `--exclude=${EXCLUDED_CODES.map((c) => `SC${c}`).join(',')}`, ...files];
    let child;
    try {
      child = spawn(options.shellcheckPath ?? 'shellcheck', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      done({ kind: 'failed', reason: String(err) });
      return;
    }
    // The limit grows with the chunk: it guards against a hang, not against a large clan.
    const limit = (options.timeoutMs ?? 3000) + files.length * 50;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ kind: 'failed', reason: `shellcheck timed out after ${limit} ms` });
    }, limit);
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { stdout += d; });
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(err.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed', reason: err.message });
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(stdout) as { comments?: ShellcheckComment[] };
        done({ kind: 'ok', comments: parsed.comments ?? [] });
      } catch {
        done({ kind: 'failed', reason: 'shellcheck printed no JSON' });
      }
    });
  });
}
