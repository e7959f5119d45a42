// The language server: wires LSP messages to the analysis core. Documents are kept with incremental trees; each
// change re-analyses the clan the document belongs to and publishes diagnostics for every file of that clan.
// The language server's wiring: LSP messages to the document store, the analysis scheduler and the language
// features. Documents are kept with incremental trees; each change re-analyses the clan the document belongs to
// (analysisScheduler.ts) and the features answer from the current analysis.
import {
  CodeAction,
  CodeActionKind,
  CodeActionParams,
  Connection,
  createConnection,
  InitializeParams,
  InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextEdit as LspTextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Analysis } from '../analyze';
import { buildJobsModel } from '../backupJobs';
import { nextElapses, parseCalendar } from '../calendar';
import { completionsAt } from '../language/completion';
import { fileOf } from '../language/context';
import { hoverAt } from '../language/hover';
import { scheduleHints } from '../language/inlayHints';
import { definitionsAt, prepareRenameAt, referencesAt, renameAt } from '../language/navigation';
import { foldingRanges, selectionRanges } from '../language/ranges';
import { scaffoldActions } from '../language/scaffold';
import { documentSymbols } from '../language/symbols';
import { findClanDir } from '../model/loadClan';
import { comparePositions } from '../model/range';
import type { SourceCache, SourceFile } from '../model/sourceFile';
import { WorkspaceIndex } from '../model/workspaceIndex';
import { initParsing } from '../parsing/parser';
import { toPath, toUri } from '../util/uris';
import { JobsParams, JobsRequestMethod } from '../../../shared/protocol';
import { AnalysisScheduler } from './analysisScheduler';
import { DocumentStore } from './documents';
import { applySettings, defaultSettings, ServerSettings } from './settings';

export class ClanLanguageServer {
  private readonly docs = new DocumentStore();
  private readonly cache: SourceCache = new Map();
  private settings: ServerSettings = defaultSettings();
  private readonly analyses: AnalysisScheduler;
  private hasConfigurationCapability = false;
  private workspaceFolders: string[] = [];

  constructor(
    private readonly connection: Connection,
    debounceMs = 30,
  ) {
    this.analyses = new AnalysisScheduler(connection, this.docs, this.cache, () => this.settings, debounceMs);
  }

  private get index(): WorkspaceIndex | undefined {
    return this.analyses.index;
  }

  private schedule(uri: string, alsoKeys?: string[], delayMs?: number): void {
    this.analyses.schedule(uri, alsoKeys, delayMs);
  }

  /** The current analysis for a document, computed now if a change is still pending. */
  analysisFor(uri: string): Analysis | undefined {
    return this.analyses.analysisFor(uri);
  }

  register(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => void this.refreshSettings());
    c.onDidChangeConfiguration((p) => {
      const settings = (p.settings as { clanBackups?: unknown } | null)?.clanBackups;
      if (settings) this.applySettings(settings);
      void this.refreshSettings().then(() => this.analyses.reanalyzeAll());
    });
    c.onDidOpenTextDocument((p) => {
      const doc = this.docs.open(
        p.textDocument.uri,
        p.textDocument.languageId,
        p.textDocument.version,
        p.textDocument.text,
      );
      // Opening is no burst of keystrokes: analyse on the next turn of the event loop, not after the debounce.
      this.schedule(p.textDocument.uri, this.index?.update(doc.uri, doc.text, doc.tree), 0);
    });
    c.onDidChangeTextDocument((p) => {
      const doc = this.docs.change(p.textDocument.uri, p.textDocument.version, p.contentChanges);
      this.schedule(p.textDocument.uri, doc ? this.index?.update(doc.uri, doc.text, doc.tree) : undefined);
    });
    c.onDidCloseTextDocument((p) => {
      this.docs.close(p.textDocument.uri);
      // The file's disk content takes over again.
      this.schedule(p.textDocument.uri, this.index?.update(p.textDocument.uri));
    });
    c.onDidChangeWatchedFiles((p) => {
      for (const ch of p.changes) this.schedule(ch.uri, this.docs.get(ch.uri) ? undefined : this.index?.update(ch.uri));
    });
    c.onCodeAction((p, token) => (token.isCancellationRequested ? [] : this.codeActions(p)));
    // A request cancelled before it was handled (the user typed on) is answered at once with an empty result.
    c.onHover((p, token) =>
      token.isCancellationRequested
        ? null
        : (this.withFile(p.textDocument.uri, (a, f) => hoverAt(a, f, p.position)) ?? null),
    );
    c.onCompletion((p, token) =>
      token.isCancellationRequested
        ? []
        : (this.withFile(p.textDocument.uri, (a, f) => completionsAt(a, f, p.position)) ?? []),
    );
    c.onDocumentSymbol((p) => this.withFile(p.textDocument.uri, (a) => documentSymbols(a, p.textDocument.uri)) ?? []);
    c.onDefinition(
      (p) => this.withFile(p.textDocument.uri, (a) => definitionsAt(a, p.textDocument.uri, p.position)) ?? [],
    );
    c.onReferences(
      (p) =>
        this.withFile(p.textDocument.uri, (a) =>
          referencesAt(a, p.textDocument.uri, p.position, p.context.includeDeclaration),
        ) ?? [],
    );
    c.onPrepareRename(
      (p) => this.withFile(p.textDocument.uri, (a) => prepareRenameAt(a, p.textDocument.uri, p.position)) ?? null,
    );
    c.onRenameRequest(
      (p) =>
        this.withFile(p.textDocument.uri, (a) =>
          renameAt(a, p.textDocument.uri, p.position, p.newName, (uri) => fileOf(a, uri)?.text),
        ) ?? null,
    );
    c.onFoldingRanges((p) => this.withFile(p.textDocument.uri, (_a, f) => foldingRanges(f)) ?? []);
    c.onSelectionRanges((p) => this.withFile(p.textDocument.uri, (_a, f) => selectionRanges(f, p.positions)) ?? []);
    c.languages.inlayHint.on(
      (p) => this.withFile(p.textDocument.uri, (a) => scheduleHints(a, p.textDocument.uri, p.range)) ?? [],
    );
    c.onRequest(JobsRequestMethod, (p: JobsParams) => this.jobs(p));
    c.onShutdown(() => this.analyses.dispose());
  }

  private async initialize(params: InitializeParams): Promise<InitializeResult> {
    await initParsing();
    this.hasConfigurationCapability = !!params.capabilities.workspace?.configuration;
    // Same shape as the `clanBackups` configuration section: { diagnostics: { disabled }, shellcheck: { enable } }.
    this.applySettings(params.initializationOptions);
    this.workspaceFolders = (params.workspaceFolders ?? []).map((f) => toPath(f.uri));
    if (this.workspaceFolders.length === 0 && params.rootUri) this.workspaceFolders.push(toPath(params.rootUri));
    if (this.workspaceFolders.length > 0) {
      const index = new WorkspaceIndex(this.workspaceFolders, this.cache);
      this.analyses.index = index;
      // In slices: open files get (partial, quiet) diagnostics meanwhile; then every clan is analysed in full.
      void index.scanAsync().then(
        () => this.analyses.indexReady(),
        (e) => this.connection.console.error(`clan-backups: indexing failed: ${String(e)}`),
      );
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.Refactor] },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', '"', ' '] },
        documentSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        foldingRangeProvider: true,
        selectionRangeProvider: true,
        inlayHintProvider: true,
      },
      serverInfo: { name: 'clan-backups' },
    };
  }

  private async refreshSettings(): Promise<void> {
    if (!this.hasConfigurationCapability) return;
    try {
      this.applySettings(await this.connection.workspace.getConfiguration('clanBackups'));
    } catch {
      // A client that announces the capability but fails the request keeps the initial settings.
    }
  }

  private applySettings(raw: unknown): void {
    this.settings = applySettings(this.settings, raw);
  }

  /** Runs a language feature on the current analysis and file; a failure is logged, never crashes the server. */
  private withFile<T>(uri: string, fn: (analysis: Analysis, file: SourceFile) => T): T | undefined {
    const analysis = this.analysisFor(uri);
    const file = analysis ? fileOf(analysis, uri) : undefined;
    if (!analysis || !file) return undefined;
    try {
      return fn(analysis, file);
    } catch (e) {
      this.connection.console.error(
        `clan-backups: request on ${uri} failed: ${e instanceof Error ? e.stack : String(e)}`,
      );
      return undefined;
    }
  }

  private codeActions(params: CodeActionParams): CodeAction[] {
    const analysis = this.analysisFor(params.textDocument.uri);
    if (!analysis) return [];
    const actions: CodeAction[] = [];
    const file = fileOf(analysis, params.textDocument.uri);
    const only = params.context.only;
    if (file && (!only || only.some((k) => k.startsWith('refactor')))) {
      for (const s of this.withFile(params.textDocument.uri, (a, f) => scaffoldActions(a, f, params.range)) ?? []) {
        const changes: WorkspaceEdit['changes'] = {};
        for (const e of s.edits) (changes[e.uri] ??= []).push(LspTextEdit.replace(e.range, e.newText));
        actions.push({ title: s.title, kind: CodeActionKind.Refactor, edit: { changes } });
      }
    }
    for (const f of analysis.findings) {
      if (f.uri !== params.textDocument.uri || !f.fixes) continue;
      if (
        comparePositions(f.range.end, params.range.start) < 0 ||
        comparePositions(params.range.end, f.range.start) < 0
      )
        continue;
      const diagnostic = params.context.diagnostics.find(
        (d) => d.code === f.code && comparePositions(d.range.start, f.range.start) === 0,
      );
      for (const fix of f.fixes) {
        const changes: WorkspaceEdit['changes'] = {};
        for (const e of fix.edits) (changes[e.uri] ??= []).push(LspTextEdit.replace(e.range, e.newText));
        const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, edit: { changes } };
        if (diagnostic) action.diagnostics = [diagnostic];
        if (fix.isPreferred) action.isPreferred = true;
        actions.push(action);
      }
    }
    return actions;
  }

  private jobs(params: JobsParams) {
    let uri = params.uri;
    if (!uri) {
      const first = this.index?.ready ? this.index.clans()[0]?.sources.clanFile : undefined;
      const dir = first
        ? undefined
        : this.workspaceFolders.map((w) => findClanDir(join(w, 'clan.nix')) ?? findClanDirBelow(w)).find(Boolean);
      if (!first && !dir) return { clanDir: '', machines: [] };
      uri = first?.uri ?? toUri(join(dir!, 'clan.nix'));
    }
    const analysis = this.analysisFor(uri);
    if (!analysis) return { clanDir: dirname(toPath(uri)), machines: [] };
    return buildJobsModel(analysis, nextRunOf);
  }
}

/** The next elapse of a schedule in the server's local zone, as an ISO string. */
export function nextRunOf(startAt: string): string | undefined {
  const parsed = parseCalendar(startAt);
  if (!parsed.ok) return undefined;
  const [next] = nextElapses(parsed.spec, new Date(), 1);
  return next === undefined ? undefined : new Date(Number(next / 1000n)).toISOString();
}

function findClanDirBelow(dir: string): string | undefined {
  return existsSync(join(dir, 'clan.nix')) ? dir : undefined;
}

export function startServer(): void {
  const connection = createConnection(ProposedFeatures.all);
  // A client that goes away mid-write must not kill the server with EPIPE.
  process.on('SIGPIPE', () => undefined);
  process.on('unhandledRejection', (e) => connection.console.error(`clan-backups: unhandled rejection: ${String(e)}`));
  new ClanLanguageServer(connection).register();
  connection.listen();
}
