// What a shell command in a hook does to services, containers or VMs: `systemctl stop`, `docker pause`,
// `podman-compose down`, `virsh suspend`, `kill -STOP` and the commands that undo them. Options are read the way each
// tool reads them (which take a value), so a target is never mistaken for an option's argument.
import { ShellCommand, ShellWord } from './shellScript';

/** What a pre hook does to what it acts on: stops it, pauses it, or takes a compose project down. */
export type StopMode = 'stop' | 'pause' | 'down';

export interface Target {
  /** Comparison key: the literal (units normalised to `x.service`) or the collapsed source of an opaque word. */
  key: string;
  /** What to write in a message. */
  label: string;
  /** Opaque or a glob: it may name anything. */
  wild: boolean;
  word?: ShellWord;
}

export interface Action {
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

export function shellJoin(words: ShellWord[]): string {
  return words.map((w) => w.shellText).join(' ');
}

/** What a command does to services, containers or VMs, if anything we know. */
export function classify(cmd: ShellCommand): Action | undefined {
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

// Tools classify() understands: their other subcommands (`systemctl is-active x`) are known not to start anything.
export const KNOWN_TOOLS = new Set(['systemctl', 'docker', 'podman', 'docker-compose', 'podman-compose', 'virsh']);
