// The language client: starts the server (`dist/cli.js lsp --node-ipc`), filters diagnostics the user disabled, keeps
// LSP request failures in the output channel, and exposes the custom clanBackups/* messages.
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  MessageSignature,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  JobsChangedNotificationMethod,
  JobsChangedParams,
  JobsModel,
  JobsParams,
  JobsRequestMethod,
  StatusNotificationMethod,
  StatusParams,
} from '../../shared/protocol';
import { CrashPolicy } from './crashPolicy';
import { filterDiagnostics } from './diagnosticFilter';
import { SECTION, Settings, serverSettings } from './settings';

export const CLIENT_ID = 'clanBackups';
export const DIAGNOSTIC_SOURCE = 'clan-backups';

/** The documents the server handles: all Nix files (machine configurations) and every clan.nix. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'nix' },
  { scheme: 'file', pattern: '**/clan.nix' },
];

// Failed requests go to the output channel; a toast only when the user asks for it: a request fails on every
// keystroke while a file is half-written, and a toast each time would bury the editor.
class ClanLanguageClient extends LanguageClient {
  constructor(
    serverOptions: ServerOptions,
    clientOptions: LanguageClientOptions,
    private readonly notifyFailures: () => boolean,
  ) {
    super(CLIENT_ID, 'Clan Backups', serverOptions, clientOptions);
  }

  override handleFailedRequest<T>(
    type: MessageSignature,
    token: vscode.CancellationToken | undefined,
    error: unknown,
    defaultValue: T,
    showNotification = true,
  ): T {
    try {
      return super.handleFailedRequest(type, token, error, defaultValue, false);
    } catch (e) {
      const isCancellation = e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'Canceled');
      if (showNotification && !isCancellation && this.notifyFailures()) {
        void vscode.window
          .showErrorMessage(`Clan Backups: request ${type.method} failed.`, 'Show Output')
          .then((choice) => (choice ? this.outputChannel.show(true) : undefined));
      }
      throw e;
    }
  }
}

export class ClientManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  private readonly jobsChangedEmitter = new vscode.EventEmitter<JobsChangedParams>();
  private readonly statusEmitter = new vscode.EventEmitter<StatusParams>();
  /** Diagnostics as the server sent them, so a change of `diagnostics.disabled` can re-filter without a round trip. */
  private readonly rawDiagnostics = new Map<string, vscode.Diagnostic[]>();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly crashPolicy = new CrashPolicy();
  /** Tells the user about a crash; replaceable so the end-to-end suite can count the messages a crash loop shows. */
  crashNotifier: (message: string) => void = (message) => {
    void vscode.window.showWarningMessage(message, 'Show Output').then((c) => (c ? this.output.show(true) : undefined));
  };
  private readyResolve!: () => void;
  /** Resolves once the server has started the first time. */
  readonly ready: Promise<void> = new Promise<void>((resolve) => (this.readyResolve = resolve));
  readonly onDidStart = this.readyEmitter.event;
  readonly onJobsChanged = this.jobsChangedEmitter.event;
  readonly onStatus = this.statusEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
    private readonly getSettings: () => Settings,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('clanBackups.status', vscode.StatusBarAlignment.Left, 0);
    this.statusItem.name = 'Clan Backups';
    this.statusItem.command = 'clanBackups.showOutput';
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  get state(): 'stopped' | 'starting' | 'running' {
    const state = this.client?.state;
    return state === State.Running ? 'running' : state === State.Starting ? 'starting' : 'stopped';
  }

  /** Starts the server if it is not running; concurrent callers share one start. */
  start(): Promise<void> {
    if (this.client && this.client.state !== State.Stopped) return this.starting ?? Promise.resolve();
    this.starting = this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const module = this.context.asAbsolutePath('dist/cli.js');
    const run = { module, transport: TransportKind.ipc, args: ['lsp'] };
    const serverOptions: ServerOptions = {
      run,
      debug: { ...run, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      // The server's workspace index follows Nix files, inventory.json and .gitignore changed outside the editor.
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.nix,inventory.json,flake.lock,.gitignore}'),
      },
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // The same shape as the answer to `workspace/configuration` for section `clanBackups`.
      initializationOptions: () => serverSettings(this.getSettings()),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          const d = this.crashPolicy.onClosed();
          if (d.message) this.crashNotifier(d.message);
          return { action: d.restart ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        handleDiagnostics: (uri, diagnostics, next) => {
          this.rawDiagnostics.set(uri.toString(), diagnostics);
          next(uri, filterDiagnostics(diagnostics, this.getSettings().diagnostics.disabled, DIAGNOSTIC_SOURCE));
        },
        provideDiagnostics: async (document, previousResultId, token, next) => {
          const report = await next(document, previousResultId, token);
          if (report && report.kind === 'full') {
            return {
              ...report,
              items: filterDiagnostics(report.items, this.getSettings().diagnostics.disabled, DIAGNOSTIC_SOURCE),
            };
          }
          return report;
        },
        workspace: {
          // Answer `workspace/configuration` for our section with the validated settings, not the raw JSON.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, i) =>
              item.section === SECTION ? serverSettings(this.getSettings()) : answers[i],
            );
          },
        },
      },
    };
    const client = new ClanLanguageClient(
      serverOptions,
      clientOptions,
      () => this.getSettings().showRequestFailedErrorNotification,
    );
    this.client = client;
    client.onNotification(JobsChangedNotificationMethod, (p: JobsChangedParams) => this.jobsChangedEmitter.fire(p));
    client.onNotification(StatusNotificationMethod, (p: StatusParams) => {
      this.showStatus(p);
      this.statusEmitter.fire(p);
    });
    try {
      await client.start();
    } catch (e) {
      // The client already logged it; no toast (users asked for fewer of those).
      this.output.appendLine(
        `[client] The language server failed to start: ${e instanceof Error ? e.message : String(e)}`,
      );
      this.showStatus({ health: 'error', message: 'The language server failed to start.' });
      throw e;
    }
    this.readyResolve();
    this.readyEmitter.fire();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.rawDiagnostics.clear();
    if (client && client.state !== State.Stopped) await client.stop();
  }

  async restart(): Promise<void> {
    // Stop and start anew (not client.restart()) so the server path and settings are read again.
    this.crashPolicy.reset();
    await this.stop();
    await this.start();
  }

  /** Call when `clanBackups.*` changed. */
  settingsChanged(): void {
    const client = this.client;
    if (!client) return;
    const disabled = this.getSettings().diagnostics.disabled;
    for (const [uri, diagnostics] of this.rawDiagnostics) {
      client.diagnostics?.set(vscode.Uri.parse(uri), filterDiagnostics(diagnostics, disabled, DIAGNOSTIC_SOURCE));
    }
    if (client.state === State.Running) {
      void client
        .sendNotification(DidChangeConfigurationNotification.type, {
          settings: { [SECTION]: serverSettings(this.getSettings()) },
        })
        .catch((e) => this.output.appendLine(`[client] didChangeConfiguration failed: ${String(e)}`));
    }
  }

  /** The jobs model of the clan holding `uri` (or of the first clan); undefined when the server is not running. */
  async requestJobs(uri?: vscode.Uri): Promise<JobsModel | undefined> {
    const client = this.client;
    if (!client || client.state !== State.Running) return undefined;
    const params: JobsParams = uri ? { uri: uri.toString() } : {};
    try {
      return await client.sendRequest<JobsModel | null>(JobsRequestMethod, params).then((m) => m ?? undefined);
    } catch (e) {
      this.output.appendLine(`[client] ${JobsRequestMethod} failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  private showStatus(p: StatusParams): void {
    const icon = p.health === 'ok' ? '$(archive)' : p.health === 'warning' ? '$(warning)' : '$(error)';
    this.statusItem.text = `${icon} Clan`;
    this.statusItem.tooltip = p.message ?? 'Clan Backups language server';
    this.statusItem.backgroundColor =
      p.health === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : p.health === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.statusItem.show();
  }

  dispose(): void {
    void this.stop();
    this.statusItem.dispose();
    this.readyEmitter.dispose();
    this.jobsChangedEmitter.dispose();
    this.statusEmitter.dispose();
  }
}
