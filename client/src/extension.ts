// Entry point. Activation stays cheap: it registers commands, the tree and the output channel, and starts the
// language server only once the workspace has a clan.nix or a Nix document is open, so a workspace without a clan
// pays nothing for the extension.
import * as vscode from 'vscode';
import type { JobsModel } from '../../shared/protocol';
import { COMMAND_IDS, CommandArgs, CommandOutcome } from './commandArgs';
import { Commands, RestorePlan } from './commands';
import { ClientManager } from './languageClient';
import { SECTION, SettingKey, Settings, readSettings } from './settings';
import { ClanTreeProvider, VIEW_ID } from './treeView';

/** What `activate` returns: used by the e2e suite (and available to other extensions). */
export interface ClanBackupsApi {
  /** Resolves once the language server has started (the first time). */
  readonly ready: Promise<void>;
  /** Starts the language server now, whether or not a clan.nix was seen. */
  startServer(): Promise<void>;
  readonly treeProvider: ClanTreeProvider;
  /** The jobs models currently shown in the tree. */
  getModels(): readonly JobsModel[];
  /** Reloads the jobs models from the server and resolves when the tree has them. */
  refresh(): Promise<void>;
  /** The same functions the commands run, returning the outcome (exit kind, argv, parsed listing). */
  runBackup(args: CommandArgs): Promise<CommandOutcome>;
  listBackups(args: CommandArgs): Promise<CommandOutcome>;
  restoreBackup(args: CommandArgs): Promise<CommandOutcome>;
  /** Replaces the modal restore confirmation (tests cannot click a modal); returns the previous handler. */
  setRestoreConfirmation(confirm: (plan: RestorePlan) => Promise<boolean>): (plan: RestorePlan) => Promise<boolean>;
  /** Replaces how a server crash is told to the user (tests count the messages); returns the previous handler. */
  setCrashNotifier(notify: (message: string) => void): (message: string) => void;
  /** The language client's state: 'starting' and 'running' while a server process is (being) started. */
  serverState(): 'stopped' | 'starting' | 'running';
  /** The validated settings. */
  getSettings(): Settings;
  readonly commandIds: typeof COMMAND_IDS;
}

let cleanup: (() => Promise<void>) | undefined;

function loadSettings(output: vscode.OutputChannel): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const { settings, problems } = readSettings((key: SettingKey) => config.get(key));
  for (const p of problems) output.appendLine(`[settings] ${p}`);
  return settings;
}

function isNixDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && (doc.languageId === 'nix' || /(^|[\\/])clan\.nix$/.test(doc.uri.fsPath));
}

export function activate(context: vscode.ExtensionContext): ClanBackupsApi {
  const output = vscode.window.createOutputChannel('Clan Backups');
  let settings = loadSettings(output);
  const getSettings = (): Settings => settings;

  const manager = new ClientManager(context, output, getSettings);
  const tree = new ClanTreeProvider(manager, output);
  const commands = new Commands(manager, tree, output, getSettings);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });

  context.subscriptions.push(
    output,
    manager,
    tree,
    view,
    ...commands.register(),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      settings = loadSettings(output);
      manager.settingsChanged();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void tree.refresh()),
  );

  // Lazy start: now if something already qualifies, otherwise on the first Nix document or clan.nix.
  const startServer = (): Promise<void> =>
    manager
      .start()
      .catch((e) => output.appendLine(`[client] start failed: ${e instanceof Error ? e.message : String(e)}`));
  const lazy: vscode.Disposable[] = [];
  const startOnce = (): void => {
    for (const d of lazy.splice(0)) d.dispose();
    void startServer();
  };
  if (vscode.workspace.textDocuments.some(isNixDocument)) {
    startOnce();
  } else {
    lazy.push(
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (isNixDocument(doc)) startOnce();
      }),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/clan.nix', false, true, true);
    lazy.push(
      watcher,
      watcher.onDidCreate(() => startOnce()),
    );
    // Off the activation path: findFiles walks the workspace.
    void vscode.workspace.findFiles('**/clan.nix', '**/{node_modules,.git,result}/**', 1).then((found) => {
      if (found.length > 0 && lazy.length > 0) startOnce();
    });
    // Opening the view means the user wants it filled.
    lazy.push(
      view.onDidChangeVisibility((e) => {
        if (e.visible) startOnce();
      }),
    );
  }
  context.subscriptions.push({ dispose: () => lazy.splice(0).forEach((d) => d.dispose()) });

  cleanup = async () => {
    commands.cancelAll();
    await manager.stop();
  };

  return {
    ready: manager.ready,
    startServer: () => manager.start(),
    treeProvider: tree,
    getModels: () => tree.getModels(),
    refresh: () => tree.refresh(),
    runBackup: (a) => commands.runBackup(a),
    listBackups: (a) => commands.listBackups(a),
    restoreBackup: (a) => commands.restoreBackup(a),
    setRestoreConfirmation: (confirm) => {
      const previous = commands.confirmRestore;
      commands.confirmRestore = confirm;
      return previous;
    },
    setCrashNotifier: (notify) => {
      const previous = manager.crashNotifier;
      manager.crashNotifier = notify;
      return previous;
    },
    serverState: () => manager.state,
    getSettings,
    commandIds: COMMAND_IDS,
  };
}

export async function deactivate(): Promise<void> {
  const c = cleanup;
  cleanup = undefined;
  if (c) await c();
}
