// The PATH a backup hook runs with: what the borgbackup job unit and localbackup's script put there (the command
// tables), the commands a hook calls that are on neither, and the fix that sets PATH at the top of the hook with the
// packages that provide them. Pure over the hooks' text.
import type { TextEdit } from '../model/nixEdits';
import { literalOffset, StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import type { HookBinding, HookName, HookStateInput } from './hookInput';
import { formalsEdit } from './moduleArguments';
import { ShellCommand, parseHookScript, pathSetBefore } from './shellScript';
/** Bash builtins and keywords: never looked up on PATH. */
export const BASH_BUILTINS: ReadonlySet<string> = new Set([
  ':',
  '.',
  '[',
  'alias',
  'bg',
  'bind',
  'break',
  'builtin',
  'caller',
  'cd',
  'command',
  'compgen',
  'complete',
  'compopt',
  'continue',
  'declare',
  'dirs',
  'disown',
  'echo',
  'enable',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'fc',
  'fg',
  'getopts',
  'hash',
  'help',
  'history',
  'jobs',
  'kill',
  'let',
  'local',
  'logout',
  'mapfile',
  'popd',
  'printf',
  'pushd',
  'pwd',
  'read',
  'readarray',
  'readonly',
  'return',
  'set',
  'shift',
  'shopt',
  'source',
  'suspend',
  'test',
  'times',
  'trap',
  'true',
  'type',
  'typeset',
  'ulimit',
  'umask',
  'unalias',
  'unset',
  'wait',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'case',
  'esac',
  'for',
  'select',
  'while',
  'until',
  'do',
  'done',
  'in',
  'function',
  'time',
  '{',
  '}',
  '!',
  '[[',
  ']]',
  'coproc',
]);

/** GNU coreutils as built by nixpkgs (`ls ${pkgs.coreutils}/bin`). */
export const COREUTILS: readonly string[] = [
  '[',
  'arch',
  'b2sum',
  'base32',
  'base64',
  'basename',
  'basenc',
  'cat',
  'chcon',
  'chgrp',
  'chmod',
  'chown',
  'chroot',
  'cksum',
  'comm',
  'cp',
  'csplit',
  'cut',
  'date',
  'dd',
  'df',
  'dir',
  'dircolors',
  'dirname',
  'du',
  'echo',
  'env',
  'expand',
  'expr',
  'factor',
  'false',
  'fmt',
  'fold',
  'groups',
  'head',
  'hostid',
  'id',
  'install',
  'join',
  'kill',
  'link',
  'ln',
  'logname',
  'ls',
  'md5sum',
  'mkdir',
  'mkfifo',
  'mknod',
  'mktemp',
  'mv',
  'nice',
  'nl',
  'nohup',
  'nproc',
  'numfmt',
  'od',
  'paste',
  'pathchk',
  'pinky',
  'pr',
  'printenv',
  'printf',
  'ptx',
  'pwd',
  'readlink',
  'realpath',
  'rm',
  'rmdir',
  'runcon',
  'seq',
  'sha1sum',
  'sha224sum',
  'sha256sum',
  'sha384sum',
  'sha512sum',
  'shred',
  'shuf',
  'sleep',
  'sort',
  'split',
  'stat',
  'stdbuf',
  'stty',
  'sum',
  'sync',
  'tac',
  'tail',
  'tee',
  'test',
  'timeout',
  'touch',
  'tr',
  'true',
  'truncate',
  'tsort',
  'tty',
  'uname',
  'unexpand',
  'uniq',
  'unlink',
  'uptime',
  'users',
  'vdir',
  'wc',
  'who',
  'whoami',
  'yes',
];
export const FINDUTILS: readonly string[] = ['find', 'xargs', 'locate', 'updatedb'];
export const GNUGREP: readonly string[] = ['grep', 'egrep', 'fgrep'];
export const GNUSED: readonly string[] = ['sed'];
/** systemd's bin/ and sbin/ (the unit PATH has both). */
export const SYSTEMD: readonly string[] = [
  'systemctl',
  'journalctl',
  'loginctl',
  'machinectl',
  'busctl',
  'hostnamectl',
  'localectl',
  'timedatectl',
  'networkctl',
  'resolvectl',
  'coredumpctl',
  'bootctl',
  'homectl',
  'userdbctl',
  'oomctl',
  'portablectl',
  'udevadm',
  'kernel-install',
  'systemd-run',
  'systemd-analyze',
  'systemd-ask-password',
  'systemd-cat',
  'systemd-cgls',
  'systemd-cgtop',
  'systemd-creds',
  'systemd-cryptenroll',
  'systemd-delta',
  'systemd-detect-virt',
  'systemd-dissect',
  'systemd-escape',
  'systemd-firstboot',
  'systemd-id128',
  'systemd-inhibit',
  'systemd-machine-id-setup',
  'systemd-mount',
  'systemd-umount',
  'systemd-notify',
  'systemd-nspawn',
  'systemd-path',
  'systemd-repart',
  'systemd-socket-activate',
  'systemd-stdio-bridge',
  'systemd-sysext',
  'systemd-confext',
  'systemd-sysusers',
  'systemd-tmpfiles',
  'systemd-tty-ask-password-agent',
  'systemd-ac-power',
  'systemd-vmspawn',
  'halt',
  'poweroff',
  'reboot',
  'shutdown',
  'telinit',
  'runlevel',
  'init',
];
export const BORGBACKUP: readonly string[] = ['borg', 'borgfs'];
export const OPENSSH: readonly string[] = [
  'ssh',
  'scp',
  'sftp',
  'ssh-add',
  'ssh-agent',
  'ssh-keygen',
  'ssh-keyscan',
  'ssh-copy-id',
  'sshd',
];

/** What a backup hook finds on PATH without setting it: NixOS's default service path plus the borg job's additions. */
export const BACKUP_JOB_PATH: ReadonlySet<string> = new Set([
  ...COREUTILS,
  ...FINDUTILS,
  ...GNUGREP,
  ...GNUSED,
  ...SYSTEMD,
  ...BORGBACKUP,
  ...OPENSSH,
]);

/** util-linux's commands (`ls ${pkgs.util-linux}/bin`, the common ones). */
export const UTIL_LINUX: readonly string[] = [
  'mount',
  'umount',
  'mountpoint',
  'findmnt',
  'lsblk',
  'blkid',
  'runuser',
  'su',
  'flock',
  'logger',
  'ionice',
  'setsid',
  'nsenter',
  'unshare',
  'fallocate',
  'fstrim',
  'losetup',
  'wipefs',
  'mkswap',
  'swapon',
  'swapoff',
  'lscpu',
  'dmesg',
  'getopt',
  'hexdump',
  'column',
  'rev',
  'script',
  'taskset',
  'chrt',
  'renice',
  'uuidgen',
  'kill',
  'more',
  'whereis',
];

/** What localbackup's `localbackup-create` puts on PATH for the pre-backup commands. */
export const LOCALBACKUP_PATH: ReadonlySet<string> = new Set([
  ...COREUTILS,
  ...UTIL_LINUX,
  'rsnapshot',
  'rsnapshot-diff',
]);

/** Commands whose package we know, as the Nix expression to put in `lib.makeBinPath [ … ]`. */
export const COMMAND_PACKAGES: Readonly<Record<string, string>> = {
  docker: 'pkgs.docker',
  'docker-compose': 'pkgs.docker-compose',
  podman: 'pkgs.podman',
  'podman-compose': 'pkgs.podman-compose',
  rsync: 'pkgs.rsync',
  virsh: 'pkgs.libvirt',
  curl: 'pkgs.curl',
  wget: 'pkgs.wget',
  jq: 'pkgs.jq',
  yq: 'pkgs.yq',
  sqlite3: 'pkgs.sqlite',
  mysqldump: 'pkgs.mariadb',
  mysql: 'pkgs.mariadb',
  mariadb: 'pkgs.mariadb',
  'mariadb-dump': 'pkgs.mariadb',
  pg_dump: 'config.services.postgresql.package',
  pg_dumpall: 'config.services.postgresql.package',
  psql: 'config.services.postgresql.package',
  pg_restore: 'config.services.postgresql.package',
  pg_isready: 'config.services.postgresql.package',
  createdb: 'config.services.postgresql.package',
  dropdb: 'config.services.postgresql.package',
  runuser: 'pkgs.util-linux',
  su: 'pkgs.util-linux',
  flock: 'pkgs.util-linux',
  mount: 'pkgs.util-linux',
  umount: 'pkgs.util-linux',
  ionice: 'pkgs.util-linux',
  setsid: 'pkgs.util-linux',
  logger: 'pkgs.util-linux',
  lsblk: 'pkgs.util-linux',
  findmnt: 'pkgs.util-linux',
  tar: 'pkgs.gnutar',
  gzip: 'pkgs.gzip',
  gunzip: 'pkgs.gzip',
  zstd: 'pkgs.zstd',
  xz: 'pkgs.xz',
  bzip2: 'pkgs.bzip2',
  awk: 'pkgs.gawk',
  gawk: 'pkgs.gawk',
  diff: 'pkgs.diffutils',
  cmp: 'pkgs.diffutils',
  which: 'pkgs.which',
  ps: 'pkgs.procps',
  pgrep: 'pkgs.procps',
  pkill: 'pkgs.procps',
  hostname: 'pkgs.hostname',
  ip: 'pkgs.iproute2',
  git: 'pkgs.git',
  redis_cli: 'pkgs.redis',
  'redis-cli': 'pkgs.redis',
  mongodump: 'pkgs.mongodb-tools',
  btrfs: 'pkgs.btrfs-progs',
  zfs: 'config.boot.zfs.package',
  zpool: 'config.boot.zfs.package',
  lvcreate: 'pkgs.lvm2',
  lvremove: 'pkgs.lvm2',
  nextcloud_occ: 'config.services.nextcloud.occ',
  'nextcloud-occ': 'config.services.nextcloud.occ',
  occ: 'config.services.nextcloud.occ',
  'sqlite3-analyzer': 'pkgs.sqlite',
  influx: 'pkgs.influxdb2-cli',
  restic: 'pkgs.restic',
  openssl: 'pkgs.openssl',
  nc: 'pkgs.netcat',
  sudo: 'pkgs.sudo',
  bash: 'pkgs.bash',
  sh: 'pkgs.bash',
  python3: 'pkgs.python3',
  nix: 'config.nix.package',
  // On the borg job's PATH already; named for localbackup's, which lacks them.
  ...Object.fromEntries(
    SYSTEMD.filter((c) => !c.includes('-') || c.startsWith('systemd-')).map((c) => [c, 'config.systemd.package']),
  ),
  ...Object.fromEntries(FINDUTILS.map((c) => [c, 'pkgs.findutils'])),
  ...Object.fromEntries(GNUGREP.map((c) => [c, 'pkgs.gnugrep'])),
  sed: 'pkgs.gnused',
  ...Object.fromEntries(BORGBACKUP.map((c) => [c, 'pkgs.borgbackup'])),
  ssh: 'pkgs.openssh',
  scp: 'pkgs.openssh',
};

/** The commands of each package the PATH fix knows (COMMAND_PACKAGES), by the package's Nix expression. */
export const PACKAGE_COMMANDS: ReadonlyMap<string, readonly string[]> = (() => {
  const byPackage = new Map<string, string[]>();
  for (const [command, pkg] of Object.entries(COMMAND_PACKAGES))
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), command]);
  return byPackage;
})();

export interface HookPathOptions {
  /** Extra commands known to be on the job's PATH (e.g. from `systemd.services."borgbackup-job-…".path`). */
  extraPath?: Iterable<string>;
}

/** A command a backup hook calls that the PATH of a provider running the hook does not have. */
export interface MissingCommand {
  hookName: HookName;
  command: string;
  /** The command's name at its first call in the hook. */
  range: Range;
  /** Whose PATH lacks it: the borgbackup job unit's, localbackup-create's, or both. */
  where: 'borg' | 'localbackup' | 'both';
  /** The package that provides it (COMMAND_PACKAGES), when known. */
  package?: string;
  /** Setting PATH at the top of the hook (one fix for all the hook's missing commands). */
  fix?: PathFix;
}

export interface PathFix {
  /** The packages put on PATH, as Nix expressions. */
  packages: string[];
  edits: TextEdit[];
}

/** The commands the backup hooks call before setting PATH that the job's PATH does not have, once per hook. */
export function missingCommands(state: HookStateInput, options: HookPathOptions = {}): MissingCommand[] {
  const out: MissingCommand[] = [];
  if (state.jobPath === 'unknown') return out;
  const extra = new Set([...(options.extraPath ?? []), ...(state.jobPath ?? [])]);
  const lines = state.lines ?? new LineIndex(state.text);
  for (const hookName of ['preBackupScript', 'postBackupScript'] as const) {
    const hook = state.hooks[hookName];
    if (!hook || hook.value.kind !== 'string') continue;
    const script = parseHookScript(hook.value, state.text, lines, state.bashTrees);
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
      if (!firstUse.has(name))
        firstUse.set(name, { cmd, where: !onBorg && !onLocal ? 'both' : !onBorg ? 'borg' : 'localbackup' });
    }
    if (firstUse.size === 0) continue;
    const missing = [...firstUse.keys()];
    const fix = pathFix(state, lines, hook, missing);
    for (const [name, { cmd, where }] of firstUse) {
      const problem: MissingCommand = { hookName, command: name, range: cmd.nameRange, where };
      const pkg = COMMAND_PACKAGES[name];
      if (pkg) problem.package = pkg;
      if (fix) problem.fix = fix;
      out.push(problem);
    }
  }
  return out;
}

/** Inserts `export PATH=${lib.makeBinPath [ … ]}:$PATH` as the first line, and the module arguments it needs. */
function pathFix(state: HookStateInput, lines: LineIndex, hook: HookBinding, missing: string[]): PathFix | undefined {
  if (hook.value.kind !== 'string') return undefined;
  const value = hook.value;
  const pkgs = [...new Set(missing.map((m) => COMMAND_PACKAGES[m]).filter((p): p is string => p !== undefined))];
  const unknown = missing.filter((m) => COMMAND_PACKAGES[m] === undefined);
  // Guessing an attribute for an unknown command would write a wrong fix; with nothing known there is none.
  if (pkgs.length === 0) return undefined;
  const newLines = [`export PATH=\${lib.makeBinPath [ ${pkgs.join(' ')} ]}:$PATH`];
  if (unknown.length > 0) {
    newLines.push(
      `# TODO: also add the package${unknown.length > 1 ? 's' : ''} providing ${unknown.join(', ')} to the list above`,
    );
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
  return { packages: pkgs, edits };
}

function insertAtScriptStart(
  text: string,
  lines: LineIndex,
  value: StringValue,
  newLines: string[],
): { range: Range; newText: string } | undefined {
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
