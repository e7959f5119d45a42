// The palette / tree commands that run the clan CLI: Run backup now, List backups, Restore backup; plus Restart
// language server, Show output and Refresh. Each command returns an outcome object so the e2e suite can assert on
// `vscode.commands.executeCommand(...)` without reading notifications.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobsModel, MachineSummary, NotBackedUp, StateSummary } from '../../shared/protocol';
import {
  ArchiveName,
  BORGBACKUP,
  ListFailure,
  ListOutput,
  archiveLabel,
  mergeListOutputs,
  parseArchiveName,
  parseListOutput,
} from './archives';
import {
  InvalidArgumentError,
  RunResult,
  buildCreateArgs,
  buildListArgs,
  buildRestoreArgs,
  clanEnv,
  formatCommandLine,
  isMissingProvider,
  knownProviders,
  runClan,
} from './clanCli';
import type { ClientManager } from './languageClient';
import { RestorePlan, allStates, restorePlan } from './restorePlan';
import type { Settings } from './settings';
import type { ClanTreeProvider } from './treeView';
import { COMMAND_IDS, CommandArgs, CommandOutcome, toArgs } from './commandArgs';
import { describeFolders, describeResult, failureMessage } from './runMessages';

export const CLAN_INSTALL_DOCS = 'https://docs.clan.lol';
export const BORG_PROVIDER = BORGBACKUP;
export { isMissingProvider, knownProviders };
export type { RestorePlan };

interface Target {
  model: JobsModel;
  machine: MachineSummary;
}

export class Commands {
  /** Replaceable in tests: the modal confirmation of a restore. */
  confirmRestore: (plan: RestorePlan) => Promise<boolean> = async (plan) => {
    const choice = await vscode.window.showWarningMessage(
      plan.message,
      { modal: true, detail: plan.detail },
      'Restore',
    );
    return choice === 'Restore';
  };
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly manager: ClientManager,
    private readonly tree: ClanTreeProvider,
    private readonly output: vscode.OutputChannel,
    private readonly getSettings: () => Settings,
  ) {}

  register(): vscode.Disposable[] {
    const reg = (id: string, fn: (arg: unknown) => unknown) => vscode.commands.registerCommand(id, fn);
    return [
      reg(COMMAND_IDS.runBackup, (a) => this.runBackup(toArgs(a))),
      reg(COMMAND_IDS.listBackups, (a) => this.listBackups(toArgs(a))),
      reg(COMMAND_IDS.restoreBackup, (a) => this.restoreBackup(toArgs(a))),
      reg(COMMAND_IDS.restartServer, () => this.restartServer()),
      reg(COMMAND_IDS.showOutput, () => this.output.show(true)),
      reg(COMMAND_IDS.refresh, () => this.tree.refresh()),
      reg(COMMAND_IDS.backUpService, (a) => this.backUpService(a)),
    ];
  }

  /**
   * The tree's inline action on data that is not backed up: applies the `service-not-backed-up` quick fix the server
   * computed for it (the same edit the light bulb offers). Returns whether an edit was applied.
   */
  async backUpService(arg: unknown): Promise<boolean> {
    const node = arg as { kind?: string; clanDir?: string; machine?: string; item?: NotBackedUp } | undefined;
    const items =
      node?.kind === 'uncovered' && node.item
        ? [node.item]
        : node?.kind === 'notBackedUp' && node.machine
          ? (this.tree.findMachine(node.machine, node.clanDir)?.machine.notBackedUp ?? [])
          : [];
    const fix = items.find((u) => u.fix)?.fix;
    if (!fix) return false;
    const edit = new vscode.WorkspaceEdit();
    for (const e of fix.edits) {
      edit.replace(
        vscode.Uri.parse(e.uri),
        new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character),
        e.newText,
      );
    }
    const applied = await vscode.workspace.applyEdit(edit);
    this.output.appendLine(`[client] ${fix.title}: ${applied ? 'applied' : 'not applied'}`);
    return applied;
  }

  /** Kills every CLI process still running (on deactivate: no orphaned ssh/nix processes). */
  cancelAll(): void {
    for (const c of this.running) c.abort();
  }

  async restartServer(): Promise<void> {
    this.output.appendLine('[client] Restarting the language server');
    try {
      await this.manager.restart();
    } catch (e) {
      void vscode.window
        .showErrorMessage(
          `Clan Backups: the language server did not start: ${e instanceof Error ? e.message : String(e)}`,
          'Show Output',
        )
        .then((c) => (c ? this.output.show(true) : undefined));
    }
    await this.tree.refresh();
  }

  // ---- Run backup now -------------------------------------------------------------------------------------------

  async runBackup(a: CommandArgs): Promise<CommandOutcome> {
    if (!this.checkTrust('run a backup')) return { status: 'cancelled', reason: 'untrusted' };
    const target = await this.pickMachine(a, 'Run a backup of which machine?');
    if (!target) return { status: 'cancelled', reason: 'noMachine' };
    let provider = a.provider;
    if (provider === undefined) {
      const providers = knownProviders(target.machine);
      if (providers.length > 1) {
        const all = {
          label: 'All providers',
          description: 'clan backups create without --provider',
          provider: undefined,
        };
        const picked = await vscode.window.showQuickPick(
          [all, ...providers.map((p) => ({ label: p, description: '', provider: p as string | undefined }))],
          { title: `Backup providers of ${target.machine.name}` },
        );
        if (!picked) return { status: 'cancelled', reason: 'user' };
        provider = picked.provider;
      }
    }
    const built = this.build(() =>
      buildCreateArgs({ machine: target.machine.name, provider, flake: this.flakeFor(target.model) }),
    );
    if (!Array.isArray(built)) return built;
    const result = await this.run(`Starting the backup of ${target.machine.name}`, built, target.model);
    if (result.kind !== 'ok') return this.failed(built, result, 'clan backups create');
    const units = target.machine.jobs.map((j) => j.unit);
    const jobs = units.length ? units.join(', ') : 'the systemd backup jobs';
    void vscode.window
      .showInformationMessage(
        `Started ${jobs} on ${target.machine.name}. "clan backups create" only starts the jobs; the backups run in the background on the machine.`,
        'Refresh archives',
      )
      .then((c) => (c ? this.listBackups({ machine: target.machine.name, clanDir: target.model.clanDir }) : undefined));
    return { status: 'ok', args: built, result };
  }

  // ---- List backups ---------------------------------------------------------------------------------------------

  async listBackups(a: CommandArgs): Promise<CommandOutcome> {
    if (!this.checkTrust('list backups')) return { status: 'cancelled', reason: 'untrusted' };
    const target = await this.pickMachine(a, 'List the backups of which machine?');
    if (!target) return { status: 'cancelled', reason: 'noMachine' };
    const listed = await this.list(target, a.provider);
    if ('status' in listed) return listed;
    const { args, result, listing, calls } = listed;
    this.tree.setArchives(target.model.clanDir, target.machine.name, listing);
    const n = listing.archives.length;
    this.output.appendLine(`[list] ${n} backup(s) of ${target.machine.name}`);
    if (n === 0 && listing.other.length === 0 && !listing.failures?.length) {
      void vscode.window.showInformationMessage(`No backups of ${target.machine.name} yet.`);
    }
    return { status: 'ok', args, result, listing, calls };
  }

  /**
   * `clan backups list <m> --provider P` once per provider of the machine: without `--provider`, clan lists every
   * provider and raises on the first that fails (clan_lib/backups/list.py), so one unmounted localbackup disk would
   * hide every borg archive. A provider the model is not sure of that the machine lacks (a KeyError) is skipped.
   * Without any provider in the model, one call without `--provider` lets clan decide.
   */
  private async list(
    target: Target,
    provider?: string,
  ): Promise<{ args: string[]; result: RunResult; listing: ListOutput; calls: string[][] } | CommandOutcome> {
    const m = target.machine;
    const uncertain = new Set((m.providers ?? []).filter((p) => !p.certain).map((p) => p.name));
    const providers: Array<string | undefined> = provider !== undefined ? [provider] : knownProviders(m);
    if (providers.length === 0) providers.push(undefined);
    else if (provider === undefined && m.providersOpaque) {
      this.output.appendLine(
        `[list] ${m.name} may have providers the model cannot see; "clan backups list ${m.name}" without --provider lists them all`,
      );
    }
    const builtAll: string[][] = [];
    for (const p of providers) {
      const built = this.build(() =>
        buildListArgs({ machine: m.name, provider: p, flake: this.flakeFor(target.model) }),
      );
      if (!Array.isArray(built)) return built;
      builtAll.push(built);
    }
    const outputs: ListOutput[] = [];
    const failures: Array<{ provider: string | undefined; args: string[]; result: RunResult }> = [];
    let last: { args: string[]; result: RunResult } | undefined;
    for (let i = 0; i < providers.length; i++) {
      const p = providers[i];
      const args = builtAll[i]!;
      const result = await this.run(
        p ? `Listing the ${p} backups of ${m.name}` : `Listing the backups of ${m.name}`,
        args,
        target.model,
      );
      if (result.kind === 'cancelled') return this.failed(args, result, 'clan backups list');
      if (result.kind === 'ok') {
        outputs.push(parseListOutput(result.stdout, p));
        last = { args, result };
        continue;
      }
      if (p !== undefined && uncertain.has(p) && result.kind === 'clanError' && isMissingProvider(result.stderr, p)) {
        this.output.appendLine(`[list] ${m.name} has no provider ${p}`);
        continue;
      }
      failures.push({ provider: p, args, result });
    }
    if (!last && failures.length > 0) return this.failed(failures[0]!.args, failures[0]!.result, 'clan backups list');
    for (const f of failures) {
      this.notifyFailure(f.result, `clan backups list --provider ${f.provider}`);
    }
    const listing = mergeListOutputs(outputs);
    const listFailures: ListFailure[] = failures.map((f) => ({
      provider: f.provider ?? '',
      message: failureMessage(f.result),
    }));
    if (listFailures.length) listing.failures = listFailures;
    const done = last ?? {
      args: builtAll[builtAll.length - 1]!,
      result: { kind: 'ok' as const, stdout: '', stderr: '' },
    };
    return { args: done.args, result: done.result, listing, calls: builtAll };
  }

  // ---- Restore backup -------------------------------------------------------------------------------------------

  async restoreBackup(a: CommandArgs): Promise<CommandOutcome> {
    if (!this.checkTrust('restore a backup')) return { status: 'cancelled', reason: 'untrusted' };
    const target = await this.pickMachine(a, 'Restore a backup of which machine?');
    if (!target) return { status: 'cancelled', reason: 'noMachine' };
    const machine = target.machine;

    // 1. The archive.
    let archive: ArchiveName | undefined;
    if (a.archive !== undefined) {
      archive = parseArchiveName(a.archive, a.provider);
      if (!archive) {
        return this.invalid(
          `"${a.archive}" is not a backup name: borgbackup names are <destination>::<repo>::<archive>, localbackup names <target>::<directory>.`,
        );
      }
    } else {
      const listed = await this.list(target, a.provider);
      if ('status' in listed) return listed;
      this.tree.setArchives(target.model.clanDir, machine.name, listed.listing);
      const archives = listed.listing.archives;
      if (archives.length === 0) {
        void vscode.window.showInformationMessage(`${machine.name} has no backups to restore.`);
        return { status: 'cancelled', reason: 'noArchive' };
      }
      const picked = await vscode.window.showQuickPick(
        archives.map((x) => ({
          label: archiveLabel(x),
          description: `${x.provider} · ${x.destination}${x.failed ? ' · failed: borg create did not finish' : ''}`,
          detail: x.name,
          archive: x,
        })),
        {
          title: `Restore which backup of ${machine.name}? (newest first)`,
          matchOnDescription: true,
          matchOnDetail: true,
        },
      );
      if (!picked) return { status: 'cancelled', reason: 'user' };
      archive = picked.archive;
    }

    // 2. All states or one.
    let service: string | undefined = a.service;
    const states = allStates(machine);
    if (service === undefined && !a.allStates) {
      const all = { label: 'All states', description: states.map((s) => s.name).join(', '), state: undefined };
      const picked = await vscode.window.showQuickPick(
        [
          all,
          ...states.map((s) => ({
            label: s.name,
            description: describeFolders(s) + (s.generatedBy ? ` · generated by ${s.generatedBy}` : ''),
            state: s as StateSummary | undefined,
          })),
        ],
        { title: `Restore which state of ${machine.name}?` },
      );
      if (!picked) return { status: 'cancelled', reason: 'user' };
      service = picked.state?.name;
    }
    if (service !== undefined && states.length > 0 && !states.some((s) => s.name === service)) {
      // Not fatal: the model may lag behind an edit; the CLI reports unknown services itself.
      this.output.appendLine(`[restore] state ${service} is not in the model of ${machine.name}`);
    }

    const built = this.build(() =>
      buildRestoreArgs({
        machine: machine.name,
        provider: archive!.provider,
        name: archive!.name,
        service,
        flake: this.flakeFor(target.model),
      }),
    );
    if (!Array.isArray(built)) return built;

    // 3. Modal confirmation naming what will be overwritten and which hooks run.
    const plan = restorePlan(machine, archive, service);
    if (!(await this.confirmRestore(plan))) return { status: 'cancelled', reason: 'notConfirmed', args: built };

    const result = await this.run(`Restoring ${archive.archive} on ${machine.name}`, built, target.model);
    if (result.kind !== 'ok') return this.failed(built, result, 'clan backups restore');
    void vscode.window.showInformationMessage(
      `Restored ${service ? `state ${service}` : 'all states'} of ${machine.name} from ${archive.provider} backup ${archive.archive}.`,
    );
    return { status: 'ok', args: built, result };
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private checkTrust(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(
        `Clan Backups runs the clan CLI to ${what}; that needs a trusted workspace.`,
        'Manage Workspace Trust',
      )
      .then((c) => (c ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
    return false;
  }

  private async pickMachine(a: CommandArgs, title: string): Promise<Target | undefined> {
    if (!this.manager.isRunning) {
      try {
        await this.manager.start();
      } catch {
        // Reported by the manager; below we tell the user there is no clan.
      }
    }
    await this.tree.ensureLoaded();
    let models = this.tree.getModels();
    const missing =
      a.machine !== undefined
        ? !this.tree.findMachine(a.machine, a.clanDir)
        : models.every((m) => m.machines.length === 0);
    if (missing) {
      // The model may be stale (a machine was just added, or the server was still starting): ask once more.
      await this.tree.refresh();
      models = this.tree.getModels();
    }
    if (a.machine !== undefined) {
      const found = this.tree.findMachine(a.machine, a.clanDir);
      if (found) return found;
      void vscode.window.showErrorMessage(
        `Clan Backups: no machine "${a.machine}" in ${a.clanDir ?? 'the clans of this workspace'}.`,
      );
      return undefined;
    }
    const candidates: Target[] = models
      .filter((m) => a.clanDir === undefined || m.clanDir === a.clanDir)
      .flatMap((model) => model.machines.map((machine) => ({ model, machine })));
    if (candidates.length === 0) {
      void vscode.window.showErrorMessage('Clan Backups: no clan with machines found in this workspace (clan.nix).');
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const multiClan = new Set(candidates.map((c) => c.model.clanDir)).size > 1;
    const picked = await vscode.window.showQuickPick(
      candidates.map((c) => ({
        label: c.machine.name,
        description: [c.machine.tags.join(', '), multiClan ? c.model.clanDir : ''].filter(Boolean).join(' · '),
        detail: c.machine.jobs.length ? c.machine.jobs.map((j) => j.unit).join(', ') : 'no backup jobs',
        target: c,
      })),
      { title, matchOnDescription: true },
    );
    return picked?.target;
  }

  /** `clanBackups.flake` when set (relative to the clan's workspace folder), else the clan directory of the model. */
  private flakeFor(model: JobsModel): string {
    const configured = this.getSettings().flake;
    if (!configured) return model.clanDir;
    if (path.isAbsolute(configured) || /^[a-z][a-z0-9+.-]*:/i.test(configured)) return configured;
    const folder =
      vscode.workspace.getWorkspaceFolder(vscode.Uri.file(model.clanDir)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder ? path.join(folder.uri.fsPath, configured) : configured;
  }

  private build(f: () => string[]): string[] | CommandOutcome {
    try {
      return f();
    } catch (e) {
      if (e instanceof InvalidArgumentError) return this.invalid(e.message);
      throw e;
    }
  }

  private invalid(message: string): CommandOutcome {
    this.output.appendLine(`[client] ${message}`);
    void vscode.window.showErrorMessage(`Clan Backups: ${message}`);
    return { status: 'invalid', message };
  }

  private run(title: string, args: string[], model: JobsModel): Promise<RunResult> {
    const executable = this.getSettings().clanPath;
    const cwd = isDirectory(model.clanDir) ? model.clanDir : undefined;
    this.output.appendLine(`$ ${formatCommandLine(executable, args)}${cwd ? `   (in ${cwd})` : ''}`);
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (_progress, token) => {
          const controller = new AbortController();
          this.running.add(controller);
          const sub = token.onCancellationRequested(() => controller.abort());
          try {
            const result = await runClan({
              executable,
              args,
              cwd,
              env: clanEnv(process.env, os.homedir()),
              signal: controller.signal,
              onStdout: (chunk) => this.output.append(chunk),
              onStderr: (chunk) => this.output.append(chunk),
            });
            this.output.appendLine(`[exit] ${describeResult(result)}`);
            return result;
          } finally {
            sub.dispose();
            this.running.delete(controller);
          }
        },
      ),
    );
  }

  private failed(args: string[], result: RunResult, what: string): CommandOutcome {
    if (result.kind === 'cancelled') {
      void vscode.window.showInformationMessage(`Clan Backups: ${what} was cancelled.`);
      return { status: 'cancelled', reason: 'user', args };
    }
    this.notifyFailure(result, what);
    return { status: 'failed', args, result };
  }

  /** The error notification of a failed CLI call: its first meaningful line; "Show Output" opens all of it. */
  private notifyFailure(result: RunResult, what: string): void {
    const showOutput = (c: string | undefined) => (c === 'Show Output' ? this.output.show(true) : undefined);
    switch (result.kind) {
      case 'notFound':
        void vscode.window
          .showErrorMessage(
            `Clan Backups: the clan CLI "${result.executable}" was not found. Install Clan, or set "clanBackups.clanPath" to the clan executable.`,
            'Open Setting',
            'Install Clan',
          )
          .then((c) => {
            if (c === 'Open Setting')
              return vscode.commands.executeCommand('workbench.action.openSettings', 'clanBackups.clanPath');
            if (c === 'Install Clan') return vscode.env.openExternal(vscode.Uri.parse(CLAN_INSTALL_DOCS));
            return undefined;
          });
        break;
      case 'spawnError':
        void vscode.window
          .showErrorMessage(`Clan Backups: cannot run "${result.executable}": ${result.error.message}`, 'Show Output')
          .then(showOutput);
        break;
      case 'clanError':
        void vscode.window
          .showErrorMessage(`${what} failed: ${result.message || 'see the output'}`, 'Show Output')
          .then(showOutput);
        break;
      case 'usageError':
        void vscode.window
          .showErrorMessage(
            `Clan Backups built arguments the clan CLI rejects (a bug in the extension, please report it): ${result.message}`,
            'Show Output',
          )
          .then(showOutput);
        break;
      case 'failed':
        void vscode.window.showErrorMessage(`${what} failed: ${result.message}`, 'Show Output').then(showOutput);
        break;
      case 'ok':
      case 'cancelled':
        break;
    }
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
