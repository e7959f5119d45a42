// The language server: wires LSP messages to the analysis core. Documents are kept with incremental trees; each
// change re-analyses the clan the document belongs to and publishes diagnostics for every file of that clan.
import {
  CodeAction, CodeActionKind, CodeActionParams, Connection, createConnection, Diagnostic, DiagnosticSeverity,
  InitializeParams, InitializeResult, ProposedFeatures, TextDocumentSyncKind, TextEdit as LspTextEdit, WorkspaceEdit,
} from 'vscode-languageserver/node';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AnalysisMemo, analyzeClan, Analysis, deferredFindings, sortFindings } from '../analyze';
import type { Finding } from '../findings';
import { ClanSources } from '../model/clanModel';
import type { SourceFile } from '../model/sourceFile';
import { findClanDir, loadClanSources, loadSingleFile, Overlay, SourceCache, toPath, toUri } from '../model/loadClan';
import { WorkspaceIndex } from '../model/workspaceIndex';
import { initParsing } from '../parsing/parser';
import { comparePositions } from '../model/range';
import { DocumentStore } from './documents';
import { nextElapses, parseCalendar } from '../calendar';
import { buildJobsModel } from './jobs';
import { completionsAt } from '../language/completion';
import { fileOf } from '../language/context';
import { hoverAt } from '../language/hover';
import { scheduleHints } from '../language/inlayHints';
import { definitionsAt, prepareRenameAt, referencesAt, renameAt } from '../language/navigation';
import { foldingRanges, selectionRanges } from '../language/ranges';
import { scaffoldActions } from '../language/scaffold';
import { documentSymbols } from '../language/symbols';
import { JobsChangedNotificationMethod, JobsParams, JobsRequestMethod, StatusNotificationMethod } from './protocol';

const SOURCE = 'clan-backups';

/**
 * Each diagnostic links to its rule page, shipped with the extension (docs/rules/<code>.md next to dist/), so the
 * link works offline. Bundled server: dist/ → ../docs; compiled tests: out/server/src/lsp → ../../../../docs.
 */
const RULE_DOCS = [resolve(__dirname, '../docs/rules'), resolve(__dirname, '../../../../docs/rules')]
  .find((d) => existsSync(d));

export interface ServerSettings {
  disabled: string[];
  shellcheck: boolean;
}

/** One analysed clan: its directory (or single file) and the last analysis. */
interface ClanState {
  key: string;
  analysis: Analysis;
  published: Set<string>;
  /** Versions of the open documents the analysis read: diagnostics are published for exactly these versions. */
  versions: Map<string, number>;
}

export class ClanLanguageServer {
  private readonly docs = new DocumentStore();
  private readonly cache: SourceCache = new Map();
  /** What analyses keep for the next one, for the server's lifetime. */
  private readonly memo = new AnalysisMemo();
  private readonly clans = new Map<string, ClanState>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private settings: ServerSettings = { disabled: [], shellcheck: true };
  private hasConfigurationCapability = false;
  private workspaceFolders: string[] = [];
  /** Every .nix file of the workspace and the clans they define (flake.nix, flake-parts, fragments, clan.nix). */
  private index?: WorkspaceIndex;

  constructor(private readonly connection: Connection, private readonly debounceMs = 30) {}

  register(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => void this.refreshSettings());
    c.onDidChangeConfiguration((p) => {
      const settings = (p.settings as { clanBackups?: unknown } | null)?.clanBackups;
      if (settings) this.applySettings(settings);
      void this.refreshSettings().then(() => this.reanalyzeAll());
    });
    c.onDidOpenTextDocument((p) => {
      const doc = this.docs.open(p.textDocument.uri, p.textDocument.languageId, p.textDocument.version, p.textDocument.text);
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
    c.onHover((p, token) => (token.isCancellationRequested ? null : this.withFile(p.textDocument.uri, (a, f) => hoverAt(a, f, p.position)) ?? null));
    c.onCompletion((p, token) => (token.isCancellationRequested ? [] : this.withFile(p.textDocument.uri, (a, f) => completionsAt(a, f, p.position)) ?? []));
    c.onDocumentSymbol((p) => this.withFile(p.textDocument.uri, (a) => documentSymbols(a, p.textDocument.uri)) ?? []);
    c.onDefinition((p) => this.withFile(p.textDocument.uri, (a) => definitionsAt(a, p.textDocument.uri, p.position)) ?? []);
    c.onReferences((p) => this.withFile(p.textDocument.uri, (a) => referencesAt(a, p.textDocument.uri, p.position, p.context.includeDeclaration)) ?? []);
    c.onPrepareRename((p) => this.withFile(p.textDocument.uri, (a) => prepareRenameAt(a, p.textDocument.uri, p.position)) ?? null);
    c.onRenameRequest((p) => this.withFile(p.textDocument.uri, (a) => renameAt(a, p.textDocument.uri, p.position, p.newName,
      (uri) => fileOf(a, uri)?.text)) ?? null);
    c.onFoldingRanges((p) => this.withFile(p.textDocument.uri, (_a, f) => foldingRanges(f)) ?? []);
    c.onSelectionRanges((p) => this.withFile(p.textDocument.uri, (_a, f) => selectionRanges(f, p.positions)) ?? []);
    c.languages.inlayHint.on((p) => this.withFile(p.textDocument.uri, (a) => scheduleHints(a, p.textDocument.uri, p.range)) ?? []);
    c.onRequest(JobsRequestMethod, (p: JobsParams) => this.jobs(p));
    c.onShutdown(() => {
      for (const t of this.pending.values()) clearTimeout(t);
      this.pending.clear();
    });
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
      this.index = index;
      // In slices: open files get (partial, quiet) diagnostics meanwhile; then every clan is analysed in full.
      void index.scanAsync().then(() => this.indexReady(), (e) => this.connection.console.error(`clan-backups: indexing failed: ${String(e)}`));
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
    const cfg = raw as { diagnostics?: { disabled?: unknown }; shellcheck?: { enable?: unknown } } | null | undefined;
    const disabled = cfg?.diagnostics?.disabled;
    if (Array.isArray(disabled)) this.settings.disabled = disabled.map(String);
    if (typeof cfg?.shellcheck?.enable === 'boolean') this.settings.shellcheck = cfg.shellcheck.enable;
  }

  /** The clan a document belongs to: a clan's key, or the file alone when it is in none. */
  private clanKeyFor(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const path = toPath(uri);
    if (!path.endsWith('.nix') && !path.endsWith('inventory.json')) return undefined;
    if (this.index) return this.index.clanFor(uri)?.key ?? path;
    return findClanDir(path) ?? path;
  }

  /** The index has read every file: analyse every open file's clan in full, drop what no longer exists. */
  private indexReady(): void {
    const keys = new Set(this.index?.clans().map((c) => c.key));
    for (const key of [...this.clans.keys()]) if (!keys.has(key) && !this.docs.get(toUri(key))) this.forget(key);
    for (const d of this.docs.all()) this.schedule(d.uri);
  }

  /** Analyses the document's clan soon, and the other clans a change concerns (`WorkspaceIndex.update`). */
  private schedule(uri: string, alsoKeys: string[] = [], delayMs = this.debounceMs): void {
    const key = this.clanKeyFor(uri);
    for (const k of new Set([...(key ? [key] : []), ...alsoKeys])) this.scheduleKey(k, delayMs);
  }

  private scheduleKey(key: string, delayMs = this.debounceMs): void {
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing);
    // Coalesce bursts of keystrokes into one analysis; the analysis itself is a few milliseconds.
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      this.analyze(key);
    }, delayMs));
  }

  private reanalyzeAll(): void {
    for (const key of this.clans.keys()) this.analyze(key);
  }

  private overlay(): Overlay {
    const o: Overlay = new Map();
    for (const d of this.docs.all()) o.set(d.uri, d.tree ? { text: d.text, tree: d.tree } : { text: d.text });
    return o;
  }

  private loadSources(key: string): ClanSources | undefined {
    const overlay = this.overlay();
    if (this.index) {
      const clan = this.index.clan(key);
      if (clan) return clan;
      // Not a clan (any more): a file analysed on its own, or nothing.
      if (!key.endsWith('.nix') && !key.endsWith('inventory.json')) return undefined;
    } else if (existsSync(join(key, 'clan.nix')) || this.docs.get(toUri(join(key, 'clan.nix')))) {
      return loadClanSources(key, overlay, this.cache);
    }
    if (!this.docs.get(toUri(key)) && !existsSync(key)) return undefined;
    return loadSingleFile(key, overlay);
  }

  analyze(key: string): Analysis | undefined {
    let analysis: Analysis;
    try {
      const sources = this.loadSources(key);
      if (!sources) {
        this.forget(key);
        return undefined;
      }
      analysis = analyzeClan(sources, { disabled: this.settings.disabled, memo: this.memo });
    } catch (e) {
      // Never let one bad file take the server down: report it and keep serving the others.
      this.connection.console.error(`clan-backups: analysis of ${key} failed: ${e instanceof Error ? e.stack : String(e)}`);
      void this.connection.sendNotification(StatusNotificationMethod, { health: 'error', message: String(e) });
      return undefined;
    }
    for (const err of analysis.internalErrors) this.connection.console.error(`clan-backups: internal error in ${err}`);
    const previous = this.clans.get(key);
    const versions = new Map(analysis.model.files.flatMap((f) => {
      const d = this.docs.get(f.uri);
      return d ? [[f.uri, d.version] as const] : [];
    }));
    const state: ClanState = { key, analysis, published: new Set(), versions };
    this.clans.set(key, state);
    this.publish(state, previous?.published);
    void this.connection.sendNotification(JobsChangedNotificationMethod, { clanDir: analysis.model.dir });
    void this.connection.sendNotification(StatusNotificationMethod, { health: 'ok' });
    if (this.settings.shellcheck) void this.runShellcheck(state);
    return analysis;
  }

  private publish(state: ClanState, previouslyPublished?: Set<string>): void {
    const byUri = new Map<string, Finding[]>();
    for (const f of state.analysis.findings) byUri.set(f.uri, [...(byUri.get(f.uri) ?? []), f]);
    // Every file of the clan gets a (possibly empty) list, so fixed problems disappear.
    for (const file of state.analysis.model.files) if (!byUri.has(file.uri)) byUri.set(file.uri, []);
    for (const [uri, findings] of byUri) {
      const version = state.versions.get(uri);
      void this.connection.sendDiagnostics({
        uri, diagnostics: findings.map(toDiagnostic), ...(version !== undefined ? { version } : {}),
      });
      state.published.add(uri);
    }
    for (const uri of previouslyPublished ?? []) {
      if (!state.published.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    }
  }

  /** ShellCheck runs after the fast diagnostics are out; its results are published only if nothing changed since. */
  private async runShellcheck(state: ClanState): Promise<void> {
    const sc = await deferredFindings(state.analysis, { disabled: this.settings.disabled, memo: this.memo });
    for (const err of sc.internalErrors) this.connection.console.error(`clan-backups: internal error in ${err}`);
    if ('notice' in sc && sc.notice) this.connection.console.warn(`clan-backups: ${sc.notice}`);
    // Stale: the clan was re-analysed, or a document changed and its analysis is still pending.
    if (sc.findings.length === 0 || this.clans.get(state.key) !== state || this.pending.has(state.key)) return;
    state.analysis = { ...state.analysis, findings: sortFindings([...state.analysis.findings, ...sc.findings]) };
    this.publish(state);
  }

  private forget(key: string): void {
    const state = this.clans.get(key);
    for (const uri of state?.published ?? []) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.clans.delete(key);
  }

  /** The current analysis for a document, computed now if a change is still pending. */
  analysisFor(uri: string): Analysis | undefined {
    const key = this.clanKeyFor(uri);
    if (!key) return undefined;
    const pending = this.pending.get(key);
    if (pending || !this.clans.has(key)) {
      if (pending) clearTimeout(pending);
      this.pending.delete(key);
      return this.analyze(key);
    }
    return this.clans.get(key)?.analysis;
  }

  /** Runs a language feature on the current analysis and file; a failure is logged, never crashes the server. */
  private withFile<T>(uri: string, fn: (analysis: Analysis, file: SourceFile) => T): T | undefined {
    const analysis = this.analysisFor(uri);
    const file = analysis ? fileOf(analysis, uri) : undefined;
    if (!analysis || !file) return undefined;
    try {
      return fn(analysis, file);
    } catch (e) {
      this.connection.console.error(`clan-backups: request on ${uri} failed: ${e instanceof Error ? e.stack : String(e)}`);
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
      if (comparePositions(f.range.end, params.range.start) < 0 || comparePositions(params.range.end, f.range.start) < 0) continue;
      const diagnostic = params.context.diagnostics.find((d) => d.code === f.code
        && comparePositions(d.range.start, f.range.start) === 0);
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
      const dir = first ? undefined : this.workspaceFolders.map((w) => findClanDir(join(w, 'clan.nix')) ?? findClanDirBelow(w)).find(Boolean);
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

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.code,
    ...(RULE_DOCS ? { codeDescription: { href: pathToFileURL(join(RULE_DOCS, `${f.code}.md`)).href } } : {}),
    source: SOURCE,
    message: f.message,
  };
}

export function startServer(): void {
  const connection = createConnection(ProposedFeatures.all);
  // A client that goes away mid-write must not kill the server with EPIPE.
  process.on('SIGPIPE', () => undefined);
  process.on('unhandledRejection', (e) => connection.console.error(`clan-backups: unhandled rejection: ${String(e)}`));
  new ClanLanguageServer(connection).register();
  connection.listen();
}
