// Speaks the real LSP wire protocol to `clan-backups lsp --stdio` (the volar test-utils pattern): spawn the bundled
// server, JSON-RPC over its stdin/stdout, and wait on notifications with deadlines instead of sleeping.
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import {
  createProtocolConnection,
  InitializeRequest,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';

export const CLI = resolve(__dirname, '../../../dist/cli.js');

export interface LspTestClientOptions {
  /** Arguments after `dist/cli.js`; the default is how editors start the server. */
  args?: string[];
  /** The answer to `workspace/configuration`; null: the client does not announce that capability. */
  settings?: Record<string, unknown> | null;
}

export class LspTestClient {
  readonly connection: ProtocolConnection;
  readonly child: ChildProcess;
  /** Resolves once the server has asked for its settings (only clients that announce the capability are asked). */
  readonly configured: Promise<void>;
  private readonly settings: Record<string, unknown> | null;
  private readonly diagnostics: PublishDiagnosticsParams[] = [];
  private readonly waiters: Array<() => void> = [];
  stderr = '';

  constructor({ args = ['lsp', '--stdio'], settings = {} }: LspTestClientOptions = {}) {
    this.settings = settings;
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.connection = createProtocolConnection(
      new StreamMessageReader(this.child.stdout!),
      new StreamMessageWriter(this.child.stdin!),
    );
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.diagnostics.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    // One answer per requested item (the server asks for the section `clanBackups`).
    this.configured = new Promise((r) => {
      this.connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => {
        setImmediate(r);
        return p.items.map(() => this.settings);
      });
    });
    this.connection.listen();
  }

  async initialize(rootUri: string | null, initializationOptions?: unknown) {
    return this.connection
      .sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri,
        capabilities: { workspace: { configuration: this.settings !== null } },
        initializationOptions,
        workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
      })
      .then(async (r) => {
        await this.connection.sendNotification('initialized', {});
        return r;
      });
  }

  /** Resolves with the first diagnostics for `uri` published after `since` that satisfy `accept`. */
  waitForDiagnostics(
    uri: string,
    accept: (p: PublishDiagnosticsParams) => boolean = () => true,
    since = this.diagnostics.length,
    timeoutMs = 10000,
  ): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const found = this.diagnostics.slice(since).find((p) => p.uri === uri && accept(p));
        if (found) return resolvePromise(found);
        if (Date.now() > deadline) {
          const codes = this.diagnostics.filter((p) => p.uri === uri).map((p) => p.diagnostics.map((d) => d.code));
          return reject(
            new Error(
              `no matching diagnostics for ${uri} within ${timeoutMs} ms; got ${JSON.stringify(codes)}; stderr: ${this.stderr}`,
            ),
          );
        }
        this.waiters.push(check);
        setTimeout(check, Math.max(0, deadline - Date.now()) + 1).unref();
      };
      check();
    });
  }

  get published(): number {
    return this.diagnostics.length;
  }

  async shutdown(): Promise<number | null> {
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    const code = await new Promise<number | null>((r) => {
      if (this.child.exitCode !== null) r(this.child.exitCode);
      else this.child.once('exit', (c) => r(c));
    });
    this.connection.dispose();
    return code;
  }
}
