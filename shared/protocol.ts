// Custom protocol messages between the language server and the VS Code client, declared once and imported by both
// sides, so a renamed field breaks the build of both. Only plain JSON types and method names live here.

/** A backup job the client machine runs: one `borgbackup-job-<destination>` systemd unit per destination. */
export interface BackupJob {
  /** Destination key: a server machine name (internal) or a `settings.destinations` key (external). */
  destination: string;
  /** systemd unit, `borgbackup-job-<destination>`. */
  unit: string;
  kind: 'server' | 'external';
  /** Repository location, when it is a literal (`borg@<address>:.` for servers). */
  repo?: string;
  /** The effective `startAt` (default `*-*-* 01:00:00`), undefined when it is not a literal. */
  startAt?: string;
  /** Next elapse of `startAt` as an ISO 8601 string, when computable. */
  nextRun?: string;
  /** Instance the job comes from. */
  instance: string;
}

export interface StateSummary {
  name: string;
  /** Literal folders; `foldersOpaque` is set when some are computed. */
  folders: string[];
  foldersOpaque: boolean;
  /** Which of the four hooks are set: preBackupScript, postBackupScript, preRestoreScript, postRestoreScript. */
  hooks: string[];
  uri: string;
  range: LspRange;
  /**
   * Set on states clan-core adds by itself (they are in `generatedStates`, never in `states`): one per database of
   * `clan.core.postgresql` (nixosModules/clanCore/postgresql/default.nix) and `zerotier` on a zerotier controller
   * (clanServices/zerotier/default.nix).
   */
  generatedBy?: 'clan.core.postgresql' | 'zerotier';
  /** Generated states: what their hooks do on the machine, one line per hook, for the restore confirmation. */
  hookEffects?: string[];
}

/** One `clan.core.backups.providers.<name>` of a machine. */
export interface ProviderSummary {
  /** `borgbackup` or `localbackup`: the argument of `--provider` and of `clan backups restore <m> <provider>`. */
  name: string;
  /**
   * false: the machine may lack it: its role membership or its states cannot all be seen (clan-core's borgbackup
   * defines its provider only `lib.mkIf (config.clan.core.state != { })`).
   */
  certain: boolean;
  /** localbackup: the literal `settings.targets` names (the `<target>` of its backup names). */
  targets?: string[];
}

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Data of a service the machine enables that no state folder or dump covers (rule `service-not-backed-up`). */
export interface NotBackedUp {
  /** `services.<service>`. */
  service: string;
  /** Data directories no state folder covers. */
  dirs: string[];
  /** The service's PostgreSQL database, when no `clan.core.postgresql` dump covers it. */
  database?: string;
  /** The `services.<service>.enable` binding: where the diagnostic and its quick fix are. */
  uri: string;
  range: LspRange;
  /** The diagnostic's quick fix (adds the state and dump), for the tree's inline action. */
  fix?: { title: string; edits: Array<{ uri: string; range: LspRange; newText: string }> };
}

export interface MachineSummary {
  name: string;
  tags: string[];
  machineClass: 'nixos' | 'darwin';
  /** Where the machine is declared (first declaration). */
  uri: string;
  range: LspRange;
  /** Roles the machine holds, as `<instance>/<role>`. */
  roles: string[];
  jobs: BackupJob[];
  states: StateSummary[];
  /** Data the machine's backups leave out (empty when there is none or it cannot be judged). */
  notBackedUp: NotBackedUp[];
  /**
   * Whether the machine has any `clan.core.state` (its own or generated): 'no' only when every module and service of
   * the machine is visible. clan-core's borgbackup creates no jobs and no provider without state.
   */
  hasState: 'yes' | 'no' | 'unknown';
  /** States clan-core generates on the machine (PostgreSQL dumps, the zerotier controller), see `generatedBy`. */
  generatedStates: StateSummary[];
  /** The machine's backup providers as far as the model sees them, sorted by name. */
  providers: ProviderSummary[];
  /** Providers the model cannot see may exist (a service of unknown kind, computed roles or imports). */
  providersOpaque: boolean;
  errors: number;
  warnings: number;
}

export interface JobsModel {
  /** The clan directory (a file system path) the model was built from; `--flake` for the clan CLI. */
  clanDir: string;
  machines: MachineSummary[];
}

export interface JobsParams {
  /** Any document of the clan (clan.nix or a machine file); the server finds its clan directory. */
  uri?: string;
}

/** Request: the backup jobs model of the clan that holds `uri` (or of the first workspace clan). */
export const JobsRequestMethod = 'clanBackups/jobs';
/** Notification, server → client: the jobs model of a clan changed; the client asks for it again. */
export const JobsChangedNotificationMethod = 'clanBackups/jobsChanged';
export interface JobsChangedParams {
  clanDir: string;
}

/** Notification, server → client: overall health, shown in the status bar (a missing tool or a broken clan is seen
 * without opening the output channel). */
export const StatusNotificationMethod = 'clanBackups/status';
export interface StatusParams {
  health: 'ok' | 'warning' | 'error';
  message?: string;
}
