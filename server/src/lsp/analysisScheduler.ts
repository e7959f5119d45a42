// When and what the language server analyses: a change schedules its clan (debounced), an analysis publishes
// diagnostics for every file of the clan, then the deferred checks (ShellCheck) run and their findings are published
// only if nothing changed meanwhile. Requests ask for the current analysis, computed at once if one is pending.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { AnalysisMemo, analyzeClan, Analysis, deferredFindings, sortFindings } from '../analyze';
import type { Finding } from '../findings';
import type { ClanSources } from '../model/clanModel';
import { findClanDir, loadClanSources, loadSingleFile } from '../model/loadClan';
import type { Overlay, SourceCache } from '../model/sourceFile';
import type { WorkspaceIndex } from '../model/workspaceIndex';
import { toPath, toUri } from '../util/uris';
import { JobsChangedNotificationMethod, StatusNotificationMethod } from '../../../shared/protocol';
import { toDiagnostic } from './diagnostics';
import type { DocumentStore } from './documents';
import type { ServerSettings } from './settings';

/** One analysed clan: its directory (or single file) and the last analysis. */
interface ClanState {
  key: string;
  analysis: Analysis;
  published: Set<string>;
  /** Versions of the open documents the analysis read: diagnostics are published for exactly these versions. */
  versions: Map<string, number>;
}

export class AnalysisScheduler {
  private readonly clans = new Map<string, ClanState>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  /**
   * Clans whose last analysis failed (a bug of ours). Their last good analysis is older than the documents, and the
   * failed read may have moved some of its values to the new text's positions (incrementalRead.ts): its diagnostics
   * stay up, but requests get nothing until a change schedules the clan again (not a failing analysis per request).
   */
  private readonly failed = new Set<string>();
  /** What analyses keep for the next one, for the server's lifetime. */
  private readonly memo = new AnalysisMemo();
  /** Every .nix file of the workspace and the clans they define (flake.nix, flake-parts, fragments, clan.nix). */
  index?: WorkspaceIndex;

  constructor(
    private readonly connection: Connection,
    private readonly docs: DocumentStore,
    private readonly cache: SourceCache,
    private readonly settings: () => ServerSettings,
    private readonly debounceMs: number,
  ) {}

  /** The clan a document belongs to: a clan's key, or the file alone when it is in none. */
  clanKeyFor(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const path = toPath(uri);
    if (!path.endsWith('.nix') && !path.endsWith('inventory.json')) return undefined;
    if (this.index) return this.index.clanFor(uri)?.key ?? path;
    return findClanDir(path) ?? path;
  }

  /** The index has read every file: analyse every open file's clan in full, drop what no longer exists. */
  indexReady(): void {
    const keys = new Set(this.index?.clans().map((c) => c.key));
    for (const key of [...this.clans.keys()]) if (!keys.has(key) && !this.docs.get(toUri(key))) this.forget(key);
    for (const d of this.docs.all()) this.schedule(d.uri);
  }

  /** Analyses the document's clan soon, and the other clans a change concerns (`WorkspaceIndex.update`). */
  schedule(uri: string, alsoKeys: string[] = [], delayMs = this.debounceMs): void {
    const key = this.clanKeyFor(uri);
    for (const k of new Set([...(key ? [key] : []), ...alsoKeys])) this.scheduleKey(k, delayMs);
  }

  private scheduleKey(key: string, delayMs = this.debounceMs): void {
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing);
    // Coalesce bursts of keystrokes into one analysis; the analysis itself is a few milliseconds.
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.analyze(key);
      }, delayMs),
    );
  }

  reanalyzeAll(): void {
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
      analysis = analyzeClan(sources, { disabled: this.settings().disabled, memo: this.memo });
    } catch (e) {
      this.failed.add(key);
      // Never let one bad file take the server down: report it and keep serving the others.
      this.connection.console.error(
        `clan-backups: analysis of ${key} failed: ${e instanceof Error ? e.stack : String(e)}`,
      );
      void this.connection.sendNotification(StatusNotificationMethod, { health: 'error', message: String(e) });
      return undefined;
    }
    for (const err of analysis.internalErrors) this.connection.console.error(`clan-backups: internal error in ${err}`);
    const previous = this.clans.get(key);
    const versions = new Map(
      analysis.model.files.flatMap((f) => {
        const d = this.docs.get(f.uri);
        return d ? [[f.uri, d.version] as const] : [];
      }),
    );
    const state: ClanState = { key, analysis, published: new Set(), versions };
    this.clans.set(key, state);
    this.failed.delete(key);
    this.publish(state, previous?.published);
    void this.connection.sendNotification(JobsChangedNotificationMethod, { clanDir: analysis.model.dir });
    void this.connection.sendNotification(StatusNotificationMethod, { health: 'ok' });
    if (this.settings().shellcheck) void this.runShellcheck(state);
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
        uri,
        diagnostics: findings.map(toDiagnostic),
        ...(version !== undefined ? { version } : {}),
      });
      state.published.add(uri);
    }
    for (const uri of previouslyPublished ?? []) {
      if (!state.published.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    }
  }

  /** ShellCheck runs after the fast diagnostics are out; its results are published only if nothing changed since. */
  private async runShellcheck(state: ClanState): Promise<void> {
    const sc = await deferredFindings(state.analysis, { disabled: this.settings().disabled, memo: this.memo });
    for (const err of sc.internalErrors) this.connection.console.error(`clan-backups: internal error in ${err}`);
    if ('notice' in sc && sc.notice) this.connection.console.warn(`clan-backups: ${sc.notice}`);
    // Stale: the clan was re-analysed (or that failed), or a document changed and its analysis is still pending.
    const current = this.clans.get(state.key) === state && !this.failed.has(state.key);
    if (sc.findings.length === 0 || !current || this.pending.has(state.key)) return;
    state.analysis = { ...state.analysis, findings: sortFindings([...state.analysis.findings, ...sc.findings]) };
    this.publish(state);
  }

  private forget(key: string): void {
    const state = this.clans.get(key);
    for (const uri of state?.published ?? []) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.clans.delete(key);
    this.failed.delete(key);
  }

  /** The current analysis for a document, computed now if a change is still pending; none after a failed one. */
  analysisFor(uri: string): Analysis | undefined {
    const key = this.clanKeyFor(uri);
    if (!key) return undefined;
    const pending = this.pending.get(key);
    if (pending) {
      clearTimeout(pending);
      this.pending.delete(key);
      return this.analyze(key);
    }
    if (this.failed.has(key)) return undefined;
    return this.clans.get(key)?.analysis ?? this.analyze(key);
  }

  /** No analysis runs after this. */
  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
