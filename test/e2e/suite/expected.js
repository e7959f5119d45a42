// What examples/demo-clan is known to contain, pinned for the e2e suites (extension host and UI smoke).
// Update together with the example. Lines and columns are 1-based, end exclusive, as `clan-backups check
// --format json` prints them. An entry without columns pins code, severity and line only (for rules whose exact
// range is the implementer's choice); every diagnostic the editor shows must match one entry, and every entry
// must be shown, except `optional` ones (findings of external tools such as ShellCheck, present only where installed).
'use strict';

/** @type {{code: string, severity: string, line: number, column?: number, endLine?: number, endColumn?: number, optional?: boolean}[]} */
const EXPECTED_CLAN_NIX = [
  // roles.client.settings.exclude = [ "*.pyc" "__pycache__" ];  fm: bare name matches only at the archive root
  { code: 'exclude-root-only', severity: 'warning', line: 23, column: 50, endLine: 23, endColumn: 61 },
  // settings.start_at: the client role has `startAt`
  { code: 'unknown-setting', severity: 'error', line: 25, column: 18, endLine: 25, endColumn: 26 },
  // rsh = "ssh -p 23 -oStrictHostKeyChecking=no ..."
  { code: 'rsh-insecure-host-key', severity: 'warning', line: 28, column: 28, endLine: 28, endColumn: 54 },
  // startAt = "daily at 4": not a systemd calendar expression
  { code: 'invalid-calendar', severity: 'error', line: 31, column: 56, endLine: 31, endColumn: 61 },
  // roles.server.machines.offsite: in no inventory.machines / machines / machines/<name>/
  { code: 'undefined-machine', severity: 'error', line: 36, column: 29, endLine: 36, endColumn: 36 },
  // folders = [ ... "~/pictures" ]
  { code: 'unexpanded-folder', severity: 'error', line: 44, column: 69, endLine: 44, endColumn: 81 },
];

/** machines/web/configuration.nix */
const EXPECTED_WEB_CONFIGURATION = [
  // create = { OWNER = ...; ENCODING = ...; }: only enable and options
  { code: 'postgresql-create-options', severity: 'error', line: 8, column: 7, endLine: 8, endColumn: 12 },
  // preBackupScript: docker pause ... runs in the borgbackup job unit, whose PATH has no docker
  { code: 'hook-missing-path', severity: 'warning', line: 17, column: 7, endLine: 17, endColumn: 13 },
  // ... and no postBackupScript unpauses the containers
  { code: 'unbalanced-hook', severity: 'warning', line: 17, column: 7, endLine: 17, endColumn: 35 },
  // SC2046 on $(docker ps -q): only where shellcheck is installed
  { code: 'hook-shell', severity: 'warning', line: 17, column: 20, endLine: 17, endColumn: 35, optional: true },
  // services.gitea.enable = true: /var/lib/gitea is in no state's folders
  { code: 'service-not-backed-up', severity: 'information', line: 22, column: 27, endLine: 22, endColumn: 31 },
];

/**
 * The machines the sidebar shows, and the destinations of the backup jobs below each borgbackup client (one
 * systemd unit `borgbackup-job-<destination>` each: every server of the instance, `offsite` included although it is
 * an undefined machine, plus the client's own `destinations`).
 */
const DEMO_MACHINES = [
  { name: 'laptop', jobs: ['nas', 'offsite'] },
  { name: 'desktop', jobs: ['nas', 'offsite'] },
  { name: 'web', jobs: ['nas', 'offsite', 'storagebox'], notBackedUp: ['gitea'] },
  { name: 'nas', jobs: [] },
];

/** The tree label of a job: its systemd unit. */
const jobUnit = (destination) => `borgbackup-job-${destination}`;

/** The quick fix the suite applies through executeCodeActionProvider. */
const QUICK_FIX = {
  code: 'undefined-machine',
  line: 36,
  title: /^Add `?offsite`? to inventory\.machines$/,
  // The machine is now declared: `offsite = { };` inside inventory.machines or `inventory.machines.offsite = { };`.
  textAfter: [/(^|[\s{;])(inventory\.machines\.)?offsite\s*=\s*\{\s*\}\s*;/m],
};

const REPOS = { nas: 'borg@192.168.1.50:.', storagebox: 'u123456@u123456.your-storagebox.de:/./borgbackup' };

/** The one archive each job already has in the fake clan's state: `<dest>::<repo>::<host>-<dest>-<time>`. */
function archiveNameFor(machine, dest) {
  return `${dest}::${REPOS[dest] || `borg@${dest}:.`}::${machine}-${dest}-2026-01-02T01:00:00`;
}

/** The fake clan's state ($FAKE_CLAN_STATE; see test/fixtures/fake-clan): providers and archives per machine. */
function fakeClanState() {
  const machines = {};
  for (const m of DEMO_MACHINES) {
    const destinations = Object.fromEntries(m.jobs.map((d) => [d, REPOS[d] || `borg@${d}:.`]));
    machines[m.name] = {
      providers: m.jobs.length
        ? { borgbackup: { destinations, archives: m.jobs.map((d) => archiveNameFor(m.name, d)) } }
        : {},
      states: {},
    };
  }
  machines.laptop.states = { documents: { folders: ['/home/alice/documents', '~/pictures'] } };
  machines.desktop.states = { home: { folders: ['/home'] } };
  machines.web.states = { uploads: { folders: ['/var/lib/shop/uploads'] } };
  return { machines };
}

module.exports = {
  jobUnit,
  EXPECTED_CLAN_NIX,
  EXPECTED_WEB_CONFIGURATION,
  DEMO_MACHINES,
  QUICK_FIX,
  archiveNameFor,
  fakeClanState,
};
