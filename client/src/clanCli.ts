// Running the `clan` CLI (clan-core pkgs/clan-cli/clan_cli/backups/, clan_lib/backups/). Pure Node, no `vscode` import, so the unit tests drive it
// against the fake `clan` in test/fixtures/fake-clan.
//
// Contract: `--flake` is accepted only after the leaf subcommand; exit 1 = ClanError (message on stderr),
// 2 = argparse usage error (here: a bug in the arguments we built). No shell: every value is one argv element, and
// each name is validated first so nothing reaches the CLI that argparse or the remote shell could misread.
import { spawn } from 'node:child_process';
import type { MachineSummary } from '../../shared/protocol';
import { BORGBACKUP, LOCALBACKUP, parseArchiveName } from './archives';

// clan_lib/validator/hostname.py: a host name label.
const MACHINE_RE = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// clan.core.backups.providers.<name> and destination names (`strMatching "^[a-zA-Z0-9._-]+$"`).
const PROVIDER_RE = /^[a-zA-Z0-9._-]+$/;
// clan.core.state.<name>.name (`strMatching "^[a-zA-Z0-9_-]+$"`).
const SERVICE_RE = /^[a-zA-Z0-9_-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}

/** argparse reads any argument that starts with `-` as an option, so such a value would never reach the command. */
function rejectLeadingDash(what: string, value: string): void {
  if (value.startsWith('-')) {
    throw new InvalidArgumentError(`${what} "${value}" starts with "-", which the clan CLI would read as an option.`);
  }
}

export function validateMachine(machine: string): void {
  if (machine.length > 63) throw new InvalidArgumentError(`Machine name "${machine}" is longer than 63 characters.`);
  if (!MACHINE_RE.test(machine)) {
    throw new InvalidArgumentError(
      `Invalid machine name "${machine}": use letters, digits and "-", not at the start or end.`,
    );
  }
}

export function validateProvider(provider: string): void {
  if (!PROVIDER_RE.test(provider)) {
    throw new InvalidArgumentError(`Invalid provider name "${provider}": use letters, digits, ".", "_" and "-".`);
  }
  rejectLeadingDash('Provider', provider);
}

export function validateService(service: string): void {
  if (!SERVICE_RE.test(service)) {
    throw new InvalidArgumentError(`Invalid state name "${service}": use letters, digits, "_" and "-".`);
  }
  rejectLeadingDash('State', service);
}

/**
 * A backup name as `provider` prints it: borgbackup `<destination>::<repo>::<archive>`, localbackup
 * `<target>::<directory>` (both restore scripts take the job up to the first `::`). Another provider's name is passed
 * as it is, after the checks every argument gets.
 */
export function validateArchiveName(name: string, provider: string = BORGBACKUP): void {
  if (CONTROL_RE.test(name)) throw new InvalidArgumentError('The backup name contains control characters.');
  if (name.length === 0) throw new InvalidArgumentError('The backup name is empty.');
  rejectLeadingDash('Backup name', name);
  if (provider !== BORGBACKUP && provider !== LOCALBACKUP) return;
  const parsed = parseArchiveName(name, provider);
  if (!parsed) {
    const form = provider === BORGBACKUP ? '<destination>::<repo>::<archive>' : '<target>::<directory>';
    throw new InvalidArgumentError(`"${name}" is not a ${provider} backup name of the form ${form}.`);
  }
  if (!PROVIDER_RE.test(parsed.destination)) {
    throw new InvalidArgumentError(
      `Invalid ${provider === BORGBACKUP ? 'destination' : 'target'} "${parsed.destination}" in backup name "${name}".`,
    );
  }
}

export function validateFlake(flake: string): void {
  if (flake.trim().length === 0) throw new InvalidArgumentError('No clan directory (--flake) given.');
  if (CONTROL_RE.test(flake)) throw new InvalidArgumentError('The clan directory contains control characters.');
  rejectLeadingDash('Clan directory', flake);
}

export interface CreateArgs {
  machine: string;
  /** Omitted: every provider of the machine. */
  provider?: string;
  flake: string;
}

export interface ListArgs {
  machine: string;
  provider?: string;
  flake: string;
}

export interface RestoreArgs {
  machine: string;
  /** The provider key (`borgbackup`), not the destination. */
  provider: string;
  /** A full name as printed by `clan backups list`. */
  name: string;
  /** One state (`--service`); omitted: every state in turn. */
  service?: string;
  flake: string;
}

/** `clan backups create <machine> [--provider P] --flake DIR` */
export function buildCreateArgs(a: CreateArgs): string[] {
  return machineCommand('create', a);
}

/** `clan backups list <machine> [--provider P] --flake DIR` */
export function buildListArgs(a: ListArgs): string[] {
  return machineCommand('list', a);
}

function machineCommand(verb: 'create' | 'list', a: CreateArgs | ListArgs): string[] {
  validateMachine(a.machine);
  validateFlake(a.flake);
  const args = ['backups', verb, a.machine];
  if (a.provider !== undefined) {
    validateProvider(a.provider);
    args.push('--provider', a.provider);
  }
  args.push('--flake', a.flake);
  return args;
}

/** `clan backups restore <machine> <provider> <name> [--service S] --flake DIR` */
export function buildRestoreArgs(a: RestoreArgs): string[] {
  validateMachine(a.machine);
  validateProvider(a.provider);
  validateArchiveName(a.name, a.provider);
  validateFlake(a.flake);
  const args = ['backups', 'restore', a.machine, a.provider, a.name];
  if (a.service !== undefined) {
    validateService(a.service);
    args.push('--service', a.service);
  }
  args.push('--flake', a.flake);
  return args;
}

export interface RunOptions {
  /** The clan executable (`clanBackups.clanPath`): a name looked up in PATH, or a path. */
  executable: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Aborting kills the whole process group (the CLI's ssh and nix children too). */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL on cancellation. */
  killGraceMs?: number;
}

interface Outputs {
  stdout: string;
  stderr: string;
}

export type RunResult =
  | ({ kind: 'ok' } & Outputs)
  /** Exit 1: a ClanError (or an uncaught exception); `message` is its first meaningful line (errorSummary). */
  | ({ kind: 'clanError'; message: string } & Outputs)
  /** Exit 2: argparse rejected the arguments we built. */
  | ({ kind: 'usageError'; message: string } & Outputs)
  /** Any other exit status, or killed by a signal we did not send. */
  | ({ kind: 'failed'; exitCode: number | null; signal: NodeJS.Signals | null; message: string } & Outputs)
  | ({ kind: 'cancelled' } & Outputs)
  /** ENOENT: the executable does not exist (clan not installed, or a wrong `clanBackups.clanPath`). */
  | { kind: 'notFound'; executable: string }
  /** Any other spawn failure (EACCES, ...). */
  | { kind: 'spawnError'; executable: string; error: Error };

export function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.length > 0 ? lines[lines.length - 1]! : '';
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
/** clan_lib/custom_logger: output of a command clan runs is logged as `[<prefix>] <line>` (the machine, or nix). */
const PREFIXED_RE = /^\[[^\]\s]+\] /;
/** clan_lib/errors text_heading: `==== Stderr ====` in the text of a ClanCmdError. */
const HEADING_RE = /^=+ (.+?) =+$/;

/**
 * The first meaningful line of what clan printed on stderr before failing, for a notification (the output channel
 * has all of it). clan logs a ClanError last (`log.error(e)`, clan_cli/cli.py) and its text has several lines:
 * `Restore failed for the following services:` then `<service>: <error>` per state (clan_lib/backups/restore.py);
 * a failing remote command is a ClanCmdError whose text is `==== Command ====`, `==== Stdout ====`,
 * `==== Stderr ====` sections and `Return Code: N` (clan_lib/errors). So: the error is the block after the last line
 * of command output (`[machine] …`); its first line, continued while it ends with ":" (a heading of a list), and the
 * first line of a Stderr section (else of Stdout) when the block has one. An uncaught exception is its last line
 * (`KeyError: 'localbackup'`). `(+N more)` counts the further entries of a `…following services:` list.
 */
export function errorSummary(stderr: string): string {
  const lines = stderr
    .replace(ANSI_RE, '')
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+$/, ''));
  const nonEmpty = lines.filter((l) => l.trim().length > 0);
  if (nonEmpty.length === 0) return '';
  const tb = lines.findIndex((l) => l.startsWith('Traceback (most recent call last):'));
  if (tb >= 0) {
    const after = lines.slice(tb + 1).filter((l) => l.trim().length > 0 && !/^\s/.test(l));
    return (after[0] ?? lastLine(stderr)).trim();
  }
  let start = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (PREFIXED_RE.test(lines[i]!)) {
      start = i + 1;
      break;
    }
  }
  const block = lines.slice(start).filter((l) => l.trim().length > 0);
  if (block.length === 0) return lastLine(stderr.replace(ANSI_RE, '')).replace(PREFIXED_RE, '');
  // The block's sections: text before the first heading, then `==== X ====` sections.
  const sections = new Map<string, string[]>();
  let current = '';
  const head: string[] = [];
  for (const l of block) {
    const h = HEADING_RE.exec(l.trim());
    if (h) {
      current = h[1]!;
      if (!sections.has(current)) sections.set(current, []);
      continue;
    }
    if (current === '') head.push(l.trim());
    else if (/^Return Code:/.test(l.trim()))
      current = ''; // the end of a ClanCmdError's text
    else sections.get(current)!.push(l.trim());
  }
  let summary = head[0] ?? '';
  let used = 1;
  if (summary.endsWith(':') && used < head.length) summary += ` ${head[used++]}`;
  const detail = sections.get('Stderr')?.[0] ?? sections.get('Stdout')?.[0];
  if (detail) summary = summary ? `${summary.replace(/:?$/, ':')} ${detail}` : detail;
  else if (!summary)
    summary = block.find((l) => /^(Return Code|Error Msg):/.test(l.trim()))?.trim() ?? block[0]!.trim();
  if (/following services:/.test(head[0] ?? '')) {
    // One `<service>: …` line per failed state follows; lines of a state's own multi-line error do not start so.
    const more = head.slice(used).filter((l) => /^[a-zA-Z0-9_-]+: /.test(l) || /^[a-zA-Z0-9_-]+:$/.test(l)).length;
    if (more > 0) summary += ` (+${more} more)`;
  }
  return summary;
}

/** Runs the CLI to completion. Never rejects: every outcome is a `RunResult`. */
export function runClan(opts: RunOptions): Promise<RunResult> {
  const out: Outputs = { stdout: '', stderr: '' };
  if (opts.signal?.aborted) return Promise.resolve({ kind: 'cancelled', ...out });
  return new Promise<RunResult>((resolve) => {
    let settled = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (r: RunResult): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };

    // detached: the child leads a new process group, so cancellation reaches its ssh/nix children as well.
    const child = spawn(opts.executable, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    function onAbort(): void {
      cancelled = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 3000);
      killTimer.unref();
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out.stdout += chunk;
      opts.onStdout?.(chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      out.stderr += chunk;
      opts.onStderr?.(chunk);
    });

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') finish({ kind: 'notFound', executable: opts.executable });
      else finish({ kind: 'spawnError', executable: opts.executable, error });
    });
    child.on('close', (code, signal) => {
      if (cancelled) {
        // The group may hold processes that outlived the leader; make sure they go too.
        killGroup('SIGKILL');
        return finish({ kind: 'cancelled', ...out });
      }
      if (code === 0) return finish({ kind: 'ok', ...out });
      const message = errorSummary(out.stderr);
      if (code === 1) return finish({ kind: 'clanError', message, ...out });
      // argparse prints the usage, then `<prog>: error: <message>` as the last line.
      if (code === 2) return finish({ kind: 'usageError', message: lastLine(out.stderr), ...out });
      finish({
        kind: 'failed',
        exitCode: code,
        signal,
        message: message || (signal ? `terminated by ${signal}` : `exited with status ${code}`),
        ...out,
      });
    });
  });
}

/**
 * The environment for the CLI: PATH gains the usual Nix profile directories at the end, because an editor started
 * from a desktop session often lacks them and `clan` is typically installed through Nix.
 */
export function clanEnv(base: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const user = base.USER ?? base.LOGNAME;
  const extra = [
    `${home}/.nix-profile/bin`,
    ...(user ? [`/etc/profiles/per-user/${user}/bin`] : []),
    '/run/current-system/sw/bin',
    '/nix/var/nix/profiles/default/bin',
  ];
  const dirs = (base.PATH ?? '').split(':').filter((d) => d.length > 0);
  for (const d of extra) if (!dirs.includes(d)) dirs.push(d);
  return { ...base, PATH: dirs.join(':') };
}

/** A readable command line for logs (never executed). */
export function formatCommandLine(executable: string, args: readonly string[]): string {
  return [executable, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The providers of the machine in the model (those it may have too): `clan.core.backups.providers`, which
 * clan-core's borgbackup sets only when the machine has state. A model without `providers` (an older server): a
 * machine with borgbackup jobs has the `borgbackup` provider.
 */
export function knownProviders(m: MachineSummary): string[] {
  if (m.providers) return m.providers.map((p) => p.name);
  return m.jobs.length > 0 ? [BORGBACKUP] : [];
}

/** clan_lib/backups/list.py reads `providers[provider]`: a provider the machine lacks is an uncaught KeyError. */
export function isMissingProvider(stderr: string, provider: string): boolean {
  return /^Traceback \(most recent call last\):/m.test(stderr) && stderr.includes(`KeyError: '${provider}'`);
}
