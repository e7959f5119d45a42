// Unbalanced hooks: a pre hook that stops or pauses services, containers or VMs (systemctl, docker, podman, compose,
// virsh) which neither it (later) nor the post hook starts again, and the line that would. Pure over the hooks' text;
// whatever cannot be seen (opaque names, non-literal scripts, `eval`) keeps it quiet.
import type { TextEdit } from '../model/nixEdits';
import { literalOffset, StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import type { HookBinding, HookName, HookStateInput } from './hookInput';
import {
  ShellCommand,
  ShellScript,
  ShellSource,
  ShellWord,
  parseHookScript,
  restoreInterpolations,
} from './shellScript';

/** What a pre hook does to what it acts on: stops it, pauses it, or takes a compose project down. */
export type StopMode = 'stop' | 'pause' | 'down';

/** Something a pre hook stops that nothing starts again. */
export interface UnbalancedHook {
  preName: HookName;
  postName: HookName;
  /** What the two hooks surround: 'backup' or 'restore'. */
  what: string;
  mode: StopMode;
  /** What the targets are: 'unit', 'container', 'pod', 'service' (of a compose project) or 'domain'. */
  noun: string;
  /** The targets left stopped, as written. */
  targets: string[];
  /** The state has the post hook (which does not start them). */
  hasPost: boolean;
  /** The stopping command. */
  range: Range;
  /** The line that starts them again (as Nix source, interpolations as written) and the edits that add it. */
  fix?: { line: string; edits: TextEdit[] };
}

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
  modes: StopMode[];
  targets: Target[];
  cmd: ShellCommand;
  /** Shell text of the resume command, minus its targets (`systemctl start`, `docker unpause`); stops only. */
  resumePrefix?: string;
  noun: string;
}

const SYSTEMCTL_VALUE_OPTIONS = new Set([
  '-s',
  '--signal',
  '-t',
  '--type',
  '-p',
  '--property',
  '-P',
  '-H',
  '--host',
  '-M',
  '--machine',
  '-n',
  '--lines',
  '-o',
  '--output',
  '--kill-whom',
  '--kill-value',
  '--job-mode',
  '--root',
  '--state',
  '--what',
  '--timestamp',
  '--message',
  '--when',
  '--image',
  '--drop-in',
  '--check-inhibitors',
  '--preset-mode',
  '--boot-loader-entry',
  '--boot-loader-menu',
  '--reboot-argument',
]);
const DOCKER_GLOBAL_VALUE_OPTIONS = new Set([
  '-H',
  '--host',
  '-c',
  '--context',
  '--config',
  '-l',
  '--log-level',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
  '--url',
  '--connection',
  '--root',
  '--runroot',
  '--cgroup-manager',
  '--storage-driver',
  '--identity',
]);
const CONTAINER_VALUE_OPTIONS = new Set([
  '-t',
  '--time',
  '--timeout',
  '-s',
  '--signal',
  '--detach-keys',
  '--filter',
  '-f',
]);
const COMPOSE_GLOBAL_VALUE_OPTIONS = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--project-directory',
  '--profile',
  '--env-file',
  '--ansi',
  '--progress',
  '--parallel',
]);
const COMPOSE_VALUE_OPTIONS = new Set([
  '-t',
  '--timeout',
  '-s',
  '--signal',
  '--scale',
  '--wait-timeout',
  '--pull',
  '--exit-code-from',
  '--attach',
  '--no-attach',
  '--rmi',
]);
const VIRSH_VALUE_OPTIONS = new Set([
  '-c',
  '--connect',
  '--mode',
  '--domain',
  '-k',
  '-K',
  '-l',
  '--log',
  '-d',
  '--debug',
  '-e',
  '--escape',
]);

const TERMINATING_SIGNALS = new Set(['TERM', 'KILL', 'INT', 'QUIT', 'ABRT', '15', '9', '2', '3', '6']);
const PAUSING_SIGNALS = new Set(['STOP', 'TSTP', '19', '20']);
const RESUMING_SIGNALS = new Set(['CONT', '18']);

/** Splits literal words into options (with their values) and positional words. Opaque option-looking words count as positional. */
function splitOptions(
  words: ShellWord[],
  valueOptions: Set<string>,
): { options: Map<string, ShellWord | undefined>; positional: ShellWord[]; optionWords: ShellWord[] } {
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
  return /\.(service|socket|timer|target|path|mount|automount|swap|slice|scope|device)$/.test(name)
    ? name
    : `${name}.service`;
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
    const globalPrefix = [
      nameText,
      ...optionWords.filter((w) => w.shellStart < verb.shellStart).map((w) => w.shellText),
    ].join(' ');
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
  if (name === 'docker-compose' || name === 'podman-compose')
    return classifyCompose(cmd, nameText, cmd.argWords, name.replace('-compose', ''));
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
      if (TERMINATING_SIGNALS.has(signal))
        return { ...base, kind: 'stop', modes: ['stop'], resumePrefix: `${prefix} start` };
      if (PAUSING_SIGNALS.has(signal))
        return { ...base, kind: 'stop', modes: ['pause'], resumePrefix: `${prefix} kill --signal=CONT` };
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

function classifyContainer(
  cmd: ShellCommand,
  family: string,
  prefix: string,
  verb: string,
  rest: ShellWord[],
): Action | undefined {
  const { options, positional } = splitOptions(rest, CONTAINER_VALUE_OPTIONS);
  let targets = positional.map((w) => targetOf(w, false));
  // `podman stop --all` / `--latest`: every (or the newest) container, whatever it is called.
  if (
    family.startsWith('podman') &&
    (options.has('-a') || options.has('--all') || options.has('-l') || options.has('--latest'))
  ) {
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
  const targets =
    positional.length > 0
      ? positional.map((w) => targetOf(w, false))
      : [{ key: '*', label: 'the compose project', wild: true }];
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
function undone(target: Target, family: string, mode: StopMode, starts: Action[]): boolean {
  return starts.some(
    (s) =>
      s.family === family &&
      s.modes.includes(mode) &&
      (target.wild || s.targets.some((t) => t.wild || t.key === target.key)),
  );
}

/** A script we cannot read fully: a command with an opaque name, `eval` or `source` may start anything. */
function hasUnseenCommands(script: ShellScript): boolean {
  return script.commands.some(
    (c) => c.name === undefined || c.name === 'eval' || c.name === 'source' || c.name === '.',
  );
}

/** Some unknown command mentions the target by name (`my-restart postgresql`): it may well start it. */
function mentioned(target: Target, commands: ShellCommand[]): boolean {
  if (target.wild) return false;
  const bare = target.label.replace(/\.service$/, '');
  return commands.some(
    (c) =>
      c.name !== undefined &&
      !KNOWN_TOOLS.has(c.name) &&
      c.args.some((a) => a === target.label || a === bare || a === target.key),
  );
}

// Tools classify() understands: their other subcommands (`systemctl is-active x`) are known not to start anything.
const KNOWN_TOOLS = new Set(['systemctl', 'docker', 'podman', 'docker-compose', 'podman-compose', 'virsh']);

const PAIRS: Array<[HookName, HookName, string]> = [
  ['preBackupScript', 'postBackupScript', 'backup'],
  ['preRestoreScript', 'postRestoreScript', 'restore'],
];

/** The pre hooks' stops and pauses that neither the pre hook (later) nor the post hook undoes. */
export function unbalancedHooks(state: HookStateInput): UnbalancedHook[] {
  const out: UnbalancedHook[] = [];
  const lines = state.lines ?? new LineIndex(state.text);
  const parse = (value: StringValue) => parseHookScript(value, state.text, lines, state.bashTrees);
  for (const [preName, postName, what] of PAIRS) {
    const pre = state.hooks[preName];
    if (!pre || pre.value.kind !== 'string') continue;
    const preScript = parse(pre.value);
    if (preScript.hasError) continue;
    const post = state.hooks[postName];
    let postScript: ShellScript | undefined;
    if (post) {
      if (post.value.kind !== 'string') continue;
      postScript = parse(post.value);
      if (postScript.hasError || hasUnseenCommands(postScript)) continue;
    }
    const postActions = postScript ? postScript.commands.map(classify).filter((a): a is Action => a !== undefined) : [];
    const preActions = preScript.commands.map((c) => ({ c, a: classify(c) }));
    for (const { c, a } of preActions) {
      if (!a || a.kind !== 'stop') continue;
      const later = preScript.commands.filter((x) => x.order > c.order);
      if (later.some((x) => x.name === undefined || x.name === 'eval' || x.name === 'source' || x.name === '.'))
        continue;
      const laterStarts = later.map(classify).filter((s): s is Action => s !== undefined && s.kind === 'start');
      const starts = [...laterStarts, ...postActions.filter((s) => s.kind === 'start')];
      const mode = a.modes[0]!;
      const missing = a.targets.filter(
        (t) =>
          !undone(t, a.family, mode, starts) &&
          !mentioned(t, later) &&
          !(postScript && mentioned(t, postScript.commands)),
      );
      if (missing.length === 0) continue;
      const problem: UnbalancedHook = {
        preName,
        postName,
        what,
        mode,
        noun: a.noun,
        targets: missing.map((t) => t.label),
        hasPost: post !== undefined,
        range: a.cmd.range,
      };
      const fix = resumeFix(state, lines, preScript.source, a, missing, postName, post, postScript, pre);
      if (fix) problem.fix = fix;
      out.push(problem);
    }
  }
  return out;
}

function resumeFix(
  state: HookStateInput,
  lines: LineIndex,
  preSource: ShellSource,
  action: Action,
  missing: Target[],
  postName: HookName,
  post: HookBinding | undefined,
  postScript: ShellScript | undefined,
  pre: HookBinding,
): UnbalancedHook['fix'] {
  if (!action.resumePrefix || pre.value.kind !== 'string') return undefined;
  // Targets without a word of their own (xargs input, `--all`) are resumed the way they were stopped.
  const wordTargets = missing.filter((t) => t.word !== undefined);
  let shellLine: string;
  if (wordTargets.length === missing.length) {
    shellLine = `${action.resumePrefix} ${wordTargets.map((t) => t.word!.shellText).join(' ')}`;
  } else if (action.cmd.stdinFrom !== undefined && action.cmd.wrapperPrefix !== undefined) {
    shellLine = `${action.cmd.wrapperPrefix}${action.resumePrefix}`;
  } else if (missing.every((t) => t.key === '*')) {
    shellLine =
      action.family.startsWith('podman') && !action.family.includes('compose')
        ? `${action.resumePrefix} --all`
        : action.resumePrefix;
  } else {
    return undefined;
  }
  if (
    action.cmd.wrapper !== undefined &&
    action.cmd.stdinFrom === undefined &&
    action.cmd.wrapperPrefix !== undefined
  ) {
    shellLine = `${action.cmd.wrapperPrefix}${shellLine}`;
  }
  const line = restoreInterpolations(preSource, shellLine);
  if (post && postScript && post.value.kind === 'string') {
    const edit = appendLine(state, lines, post.value, encodeShell(preSource, shellLine, post.value.indented));
    return edit ? { line, edits: [edit] } : undefined;
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
  return { line, edits: [{ uri: state.uri, range: { start: at, end: at }, newText }] };
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
    const decodedEndsWithNewline =
      value.pieces.length > 0 &&
      (() => {
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
