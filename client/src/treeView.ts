// The "Clan Backups" sidebar: Clan → machines → backup jobs → archives, plus a "States" node per machine.
// The jobs model comes from the server (clanBackups/jobs); archives come from `clan backups list`, only when the user
// asks (running the CLI means Nix evaluation and ssh to the machine, so the tree never does it on its own).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackupJob, JobsModel, LspRange, MachineSummary, NotBackedUp, StateSummary } from '../../shared/protocol';
import { ArchiveName, BORGBACKUP, LOCALBACKUP, ListOutput, archiveLabel, groupByDestination } from './archives';
import { allStates } from './restorePlan';
import type { ClientManager } from './languageClient';

export const VIEW_ID = 'clanBackups.machines';
const MACHINE_SCHEME = 'clan-backups-machine';

interface Base {
  clanDir: string;
}
export interface ClanNode extends Base {
  kind: 'clan';
}
export interface MachineNode extends Base {
  kind: 'machine';
  machine: string;
}
export interface JobNode extends Base {
  kind: 'job';
  machine: string;
  job: BackupJob;
}
/**
 * A localbackup target, or archives of a borgbackup destination the model has no job for (e.g. after a destination
 * was removed).
 */
export interface DestinationNode extends Base {
  kind: 'destination';
  machine: string;
  destination: string;
  /** `borgbackup` or `localbackup` (or another provider whose names start with `<job>::`). */
  provider: string;
}
export interface ArchiveNode extends Base {
  kind: 'archive';
  machine: string;
  archive: ArchiveName;
}
export interface StatesNode extends Base {
  kind: 'states';
  machine: string;
}
export interface StateNode extends Base {
  kind: 'state';
  machine: string;
  state: StateSummary;
}
/** Data of enabled services that no state covers (rule service-not-backed-up), one child per service. */
export interface NotBackedUpNode extends Base {
  kind: 'notBackedUp';
  machine: string;
}
export interface UncoveredNode extends Base {
  kind: 'uncovered';
  machine: string;
  item: NotBackedUp;
}
export interface MessageNode {
  kind: 'message';
  id: string;
  label: string;
  icon?: string;
  command?: vscode.Command;
  tooltip?: string;
}
export type TreeNode =
  | ClanNode
  | MachineNode
  | JobNode
  | DestinationNode
  | ArchiveNode
  | StatesNode
  | StateNode
  | NotBackedUpNode
  | UncoveredNode
  | MessageNode;

export interface ArchiveListing extends ListOutput {
  /** When the listing was made (ms since epoch). */
  listedAt: number;
}

function machineUri(clanDir: string, machine: string): vscode.Uri {
  return vscode.Uri.from({ scheme: MACHINE_SCHEME, path: '/' + machine, query: clanDir });
}

function openLocation(uri: string, range: LspRange): vscode.Command {
  const r = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
  return { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.parse(uri), { selection: r }] };
}

function formatNextRun(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function jobDescription(job: BackupJob): string {
  const parts = [job.repo ?? '(computed repo)', job.startAt ?? '(computed schedule)'];
  const next = formatNextRun(job.nextRun);
  if (next) parts.push(`next ${next}`);
  return parts.join(' · ');
}

export function stateDescription(s: StateSummary): string {
  if (s.folders.length === 0 && !s.foldersOpaque) return 'folders = [ ]';
  const shown = s.folders.join(', ');
  return s.foldersOpaque ? (shown ? `${shown}, …` : '(computed folders)') : shown;
}

export function uncoveredDescription(u: NotBackedUp): string {
  return [...u.dirs, ...(u.database ? [`database ${u.database}`] : [])].join(', ');
}

export class ClanTreeProvider
  implements vscode.TreeDataProvider<TreeNode>, vscode.FileDecorationProvider, vscode.Disposable
{
  private models: JobsModel[] = [];
  private loaded = false;
  /** Whether the last load could ask the server (a load before the server ran is redone once it runs). */
  private loadedFromServer = false;
  private loading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly archives = new Map<string, ArchiveListing>();
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  private readonly decorationEmitter = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly onDidChangeFileDecorations = this.decorationEmitter.event;
  private readonly modelsEmitter = new vscode.EventEmitter<readonly JobsModel[]>();
  /** Fires after every reload of the jobs models (tests wait on it instead of sleeping). */
  readonly onDidLoadModels = this.modelsEmitter.event;

  constructor(
    private readonly manager: ClientManager,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      manager.onJobsChanged(() => void this.refresh()),
      manager.onDidStart(() => void this.refresh()),
      vscode.window.registerFileDecorationProvider(this),
    );
  }

  /** The last loaded models (one per clan directory). */
  getModels(): readonly JobsModel[] {
    return this.models;
  }

  /** Loads the models unless they are loaded already (from a running server). */
  ensureLoaded(): Promise<void> {
    if (this.loading) return this.loading;
    if (this.loaded && (this.loadedFromServer || !this.manager.isRunning)) return Promise.resolve();
    return this.refresh();
  }

  /** Asks the server again for the jobs model of every clan in the workspace. */
  refresh(): Promise<void> {
    if (this.loading) {
      // A load is under way but may predate the change that asked for this one: queue exactly one more.
      this.queued ??= this.loading.then(() => {
        this.queued = undefined;
        return this.refresh();
      });
      return this.queued;
    }
    this.loading = this.load()
      .catch((e) =>
        this.output.appendLine(`[tree] loading the jobs model failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    const models = new Map<string, JobsModel>();
    const fromServer = this.manager.isRunning;
    if (fromServer) {
      const files = await vscode.workspace.findFiles('**/clan.nix', '**/{node_modules,.git,result}/**', 50);
      const requests = files.length > 0 ? files.map((f) => this.manager.requestJobs(f)) : [this.manager.requestJobs()];
      for (const m of await Promise.all(requests)) {
        if (m && !models.has(m.clanDir)) models.set(m.clanDir, m);
      }
    }
    this.models = [...models.values()].sort((a, b) => a.clanDir.localeCompare(b.clanDir));
    this.output.appendLine(
      `[tree] ${this.models.length} clan(s): ${this.models.map((m) => m.clanDir).join(', ') || 'none'}`,
    );
    this.loaded = true;
    this.loadedFromServer = fromServer;
    this.changeEmitter.fire(undefined);
    this.decorationEmitter.fire(undefined);
    this.modelsEmitter.fire(this.models);
  }

  findMachine(name: string, clanDir?: string): { model: JobsModel; machine: MachineSummary } | undefined {
    for (const model of this.models) {
      if (clanDir !== undefined && model.clanDir !== clanDir) continue;
      const machine = model.machines.find((m) => m.name === name);
      if (machine) return { model, machine };
    }
    return undefined;
  }

  getArchives(clanDir: string, machine: string): ArchiveListing | undefined {
    return this.archives.get(`${clanDir}\0${machine}`);
  }

  setArchives(clanDir: string, machine: string, listing: ListOutput): void {
    this.archives.set(`${clanDir}\0${machine}`, { ...listing, listedAt: Date.now() });
    this.changeEmitter.fire({ kind: 'machine', clanDir, machine });
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== MACHINE_SCHEME) return undefined;
    const found = this.findMachine(uri.path.slice(1), uri.query);
    if (!found) return undefined;
    const { errors, warnings } = found.machine;
    const tooltip = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
    if (errors > 0) {
      return new vscode.FileDecoration(
        errors > 99 ? '9+' : String(errors),
        tooltip,
        new vscode.ThemeColor('list.errorForeground'),
      );
    }
    if (warnings > 0) {
      return new vscode.FileDecoration(
        warnings > 99 ? '9+' : String(warnings),
        tooltip,
        new vscode.ThemeColor('list.warningForeground'),
      );
    }
    return undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'clan': {
        const item = new vscode.TreeItem(
          path.basename(node.clanDir) || node.clanDir,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = `clan:${node.clanDir}`;
        item.description = node.clanDir;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.contextValue = 'clan';
        item.tooltip = `Clan at ${node.clanDir}`;
        return item;
      }
      case 'machine': {
        const m = this.findMachine(node.machine, node.clanDir)?.machine;
        const item = new vscode.TreeItem(node.machine, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `machine:${node.clanDir}:${node.machine}`;
        item.resourceUri = machineUri(node.clanDir, node.machine);
        item.contextValue = 'machine';
        if (m) {
          item.description = m.tags.join(', ');
          const color =
            m.errors > 0
              ? new vscode.ThemeColor('list.errorForeground')
              : m.warnings > 0
                ? new vscode.ThemeColor('list.warningForeground')
                : undefined;
          item.iconPath = new vscode.ThemeIcon(m.machineClass === 'darwin' ? 'device-desktop' : 'vm', color);
          const md = new vscode.MarkdownString();
          md.appendMarkdown(`**${m.name}** (${m.machineClass})\n\n`);
          if (m.tags.length) md.appendMarkdown(`Tags: ${m.tags.join(', ')}\n\n`);
          if (m.roles.length) md.appendMarkdown(`Roles: ${m.roles.join(', ')}\n\n`);
          const providers = (m.providers ?? []).map((p) => (p.certain ? p.name : `${p.name} (if the machine has it)`));
          md.appendMarkdown(
            `Backup providers: ${providers.join(', ') || 'none'}${m.providersOpaque ? ' (and possibly others)' : ''}\n\n`,
          );
          md.appendMarkdown(
            `${m.jobs.length} backup job(s), ${allStates(m).length} state(s); ${m.errors} error(s), ${m.warnings} warning(s)`,
          );
          item.tooltip = md;
          item.command = openLocation(m.uri, m.range);
        }
        return item;
      }
      case 'job': {
        const item = new vscode.TreeItem(node.job.unit, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `job:${node.clanDir}:${node.machine}:${node.job.destination}`;
        item.description = jobDescription(node.job);
        item.iconPath = new vscode.ThemeIcon(node.job.kind === 'server' ? 'server' : 'cloud-upload');
        item.contextValue = 'job';
        const j = node.job;
        item.tooltip = new vscode.MarkdownString(
          [
            `**${j.unit}** (${j.kind === 'server' ? 'server of the instance' : 'external destination'} \`${j.destination}\`, instance \`${j.instance}\`)`,
            `Repository: ${j.repo ? '`' + j.repo + '`' : 'computed'}`,
            `Schedule: ${j.startAt ? '`' + j.startAt + '`' : 'computed'}`,
            `Next run: ${formatNextRun(j.nextRun) ?? 'unknown'}`,
          ].join('\n\n'),
        );
        return item;
      }
      case 'destination': {
        const item = new vscode.TreeItem(node.destination, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `destination:${node.clanDir}:${node.machine}:${node.provider}:${node.destination}`;
        const target =
          node.provider === LOCALBACKUP
            ? this.findMachine(node.machine, node.clanDir)
                ?.machine.providers?.find((p) => p.name === LOCALBACKUP)
                ?.targets?.includes(node.destination)
            : false;
        item.description =
          node.provider === BORGBACKUP
            ? 'archives of a destination not in clan.nix'
            : node.provider === LOCALBACKUP
              ? target
                ? 'localbackup target'
                : 'localbackup target not in clan.nix'
              : `${node.provider} backups`;
        item.iconPath = new vscode.ThemeIcon(node.provider === BORGBACKUP ? 'question' : 'folder-library');
        item.contextValue = 'destination';
        return item;
      }
      case 'archive': {
        const a = node.archive;
        const item = new vscode.TreeItem(archiveLabel(a), vscode.TreeItemCollapsibleState.None);
        item.id = `archive:${node.clanDir}:${node.machine}:${a.provider}:${a.name}`;
        item.description = a.time
          ? a.archive
          : a.provider === BORGBACKUP
            ? a.repo
            : a.snapshot === 0
              ? 'newest snapshot'
              : a.archive;
        item.iconPath = a.failed
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
          : new vscode.ThemeIcon('archive');
        // package.json's menus match `viewItem == archive`: a failed archive can be restored too (the confirmation warns).
        item.contextValue = 'archive';
        item.tooltip = a.failed
          ? `${a.name}\n\nFailed: the archive keeps the ".failed" suffix nixpkgs' borgbackup job gives it until borg create succeeds, so this backup did not finish.`
          : `${a.name}\n\n${a.provider}`;
        return item;
      }
      case 'states': {
        const item = new vscode.TreeItem('States', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `states:${node.clanDir}:${node.machine}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'states';
        return item;
      }
      case 'state': {
        const s = node.state;
        const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
        item.id = `state:${node.clanDir}:${node.machine}:${s.name}`;
        item.description = stateDescription(s) + (s.generatedBy ? ` · generated by ${s.generatedBy}` : '');
        item.iconPath = new vscode.ThemeIcon(s.generatedBy ? 'gear' : 'folder');
        item.contextValue = 'state';
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**clan.core.state.${s.name}**\n\n`);
        md.appendMarkdown(
          s.folders.length
            ? `Folders:\n\n${s.folders.map((f) => `- \`${f}\``).join('\n')}\n\n`
            : 'No literal folders.\n\n',
        );
        if (s.foldersOpaque) md.appendMarkdown('Some folders are computed and not shown.\n\n');
        md.appendMarkdown(s.hooks.length ? `Hooks: ${s.hooks.join(', ')}` : 'No hooks.');
        if (s.generatedBy)
          md.appendMarkdown(
            `\n\nGenerated by \`${s.generatedBy}\`:\n\n${(s.hookEffects ?? []).map((e) => `- ${e}`).join('\n')}`,
          );
        item.tooltip = md;
        item.command = openLocation(s.uri, s.range);
        return item;
      }
      case 'notBackedUp': {
        const m = this.findMachine(node.machine, node.clanDir)?.machine;
        const items = m?.notBackedUp ?? [];
        const item = new vscode.TreeItem('Not backed up', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `notBackedUp:${node.clanDir}:${node.machine}`;
        item.description = items.map((u) => u.service).join(', ');
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        // The inline action applies the one fix there is; with several, each service's own item has it.
        item.contextValue = items.length === 1 && items[0]!.fix ? 'notBackedUp.fixable' : 'notBackedUp';
        item.tooltip = new vscode.MarkdownString(
          `Data of services **${node.machine}** enables that no \`clan.core.state\` folder (or PostgreSQL dump) covers: ` +
            'every backup succeeds without it.',
        );
        return item;
      }
      case 'uncovered': {
        const u = node.item;
        const item = new vscode.TreeItem(`services.${u.service}`, vscode.TreeItemCollapsibleState.None);
        item.id = `uncovered:${node.clanDir}:${node.machine}:${u.service}`;
        item.description = uncoveredDescription(u);
        item.iconPath = new vscode.ThemeIcon('circle-slash');
        item.contextValue = u.fix ? 'uncovered.fixable' : 'uncovered';
        item.tooltip = u.fix ? `${u.fix.title} (inline action)` : 'Not backed up';
        item.command = openLocation(u.uri, u.range);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.icon ?? 'info');
        item.contextValue = 'message';
        if (node.command) item.command = node.command;
        if (node.tooltip) item.tooltip = node.tooltip;
        return item;
      }
    }
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      await this.ensureLoaded();
      // An empty array lets the view show its welcome content (viewsWelcome).
      return this.models.map((m) => ({ kind: 'clan', clanDir: m.clanDir }));
    }
    switch (node.kind) {
      case 'clan': {
        const model = this.models.find((m) => m.clanDir === node.clanDir);
        if (!model || model.machines.length === 0) {
          return [{ kind: 'message', id: `empty:${node.clanDir}`, label: 'No machines in this clan' }];
        }
        return model.machines.map((m) => ({ kind: 'machine', clanDir: node.clanDir, machine: m.name }));
      }
      case 'machine':
        return this.machineChildren(node);
      case 'job':
        return this.archiveChildren(node, BORGBACKUP, node.job.destination);
      case 'destination':
        return this.archiveChildren(node, node.provider, node.destination);
      case 'states': {
        const m = this.findMachine(node.machine, node.clanDir)?.machine;
        return (m ? allStates(m) : []).map((s) => ({
          kind: 'state',
          clanDir: node.clanDir,
          machine: node.machine,
          state: s,
        }));
      }
      case 'notBackedUp': {
        const m = this.findMachine(node.machine, node.clanDir)?.machine;
        return (m?.notBackedUp ?? []).map((item) => ({
          kind: 'uncovered',
          clanDir: node.clanDir,
          machine: node.machine,
          item,
        }));
      }
      default:
        return [];
    }
  }

  private machineChildren(node: MachineNode): TreeNode[] {
    const m = this.findMachine(node.machine, node.clanDir)?.machine;
    if (!m) return [];
    const children: TreeNode[] = m.jobs.map((job) => ({ kind: 'job', clanDir: node.clanDir, machine: m.name, job }));
    const listing = this.getArchives(node.clanDir, m.name);
    const extra = new Map<string, { provider: string; destination: string }>();
    for (const p of m.providers ?? []) {
      for (const t of p.targets ?? []) extra.set(`${p.name}\0${t}`, { provider: p.name, destination: t });
    }
    if (listing) {
      const known = new Set(m.jobs.map((j) => j.destination));
      for (const a of listing.archives) {
        if (a.provider === BORGBACKUP && known.has(a.destination)) continue;
        extra.set(`${a.provider}\0${a.destination}`, { provider: a.provider, destination: a.destination });
      }
    }
    for (const e of [...extra.values()].sort(
      (a, b) => a.provider.localeCompare(b.provider) || a.destination.localeCompare(b.destination),
    )) {
      children.push({ kind: 'destination', clanDir: node.clanDir, machine: m.name, ...e });
    }
    for (const f of listing?.failures ?? []) {
      children.push({
        kind: 'message',
        id: `listfailed:${node.clanDir}:${m.name}:${f.provider}`,
        label: `${f.provider || 'clan backups list'}: listing failed`,
        icon: 'error',
        tooltip: f.message,
        command: { command: 'clanBackups.showOutput', title: 'Show output' },
      });
    }
    const borgClient = m.roles.some((r) => r.endsWith('/client'));
    if (m.jobs.length === 0) {
      children.push({
        kind: 'message',
        id: `nojobs:${node.clanDir}:${m.name}`,
        label: !borgClient
          ? 'Not a borgbackup client'
          : m.hasState === 'no'
            ? 'No backup job: the machine has no clan.core.state'
            : 'No backup job: no destinations (no server in the instance, no settings.destinations)',
        tooltip:
          borgClient && m.hasState === 'no'
            ? "clan-core's borgbackup creates its jobs and the borgbackup provider only when clan.core.state is not empty " +
              '(lib.mkIf (config.clan.core.state != { }) in clanServices/borgbackup/default.nix): add a state with the folders to back up.'
            : undefined,
        icon: 'circle-slash',
      });
    }
    if (allStates(m).length > 0) children.push({ kind: 'states', clanDir: node.clanDir, machine: m.name });
    if (m.notBackedUp.length > 0) children.push({ kind: 'notBackedUp', clanDir: node.clanDir, machine: m.name });
    return children;
  }

  private archiveChildren(node: JobNode | DestinationNode, provider: string, destination: string): TreeNode[] {
    const listing = this.getArchives(node.clanDir, node.machine);
    if (!listing) {
      return [
        {
          kind: 'message',
          id: `load:${node.clanDir}:${node.machine}:${provider}:${destination}`,
          label: 'List archives…',
          icon: 'refresh',
          tooltip: `Runs clan backups list ${node.machine} --provider ${provider}`,
          command: {
            command: 'clanBackups.listBackups',
            title: 'List backups',
            arguments: [{ machine: node.machine, clanDir: node.clanDir }],
          },
        },
      ];
    }
    const archives = groupByDestination(listing.archives, provider).get(destination) ?? [];
    if (archives.length === 0) {
      const failed = listing.failures?.find((f) => f.provider === provider);
      return [
        {
          kind: 'message',
          id: `noarchives:${node.clanDir}:${node.machine}:${provider}:${destination}`,
          label: failed ? `Listing failed: ${failed.message}` : 'No archives',
          icon: failed ? 'error' : 'circle-slash',
        },
      ];
    }
    return archives.map((a) => ({ kind: 'archive', clanDir: node.clanDir, machine: node.machine, archive: a }));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
    this.decorationEmitter.dispose();
    this.modelsEmitter.dispose();
  }
}
