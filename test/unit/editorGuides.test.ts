// The editor set-up guides (docs/editors/*.md) tell users how to start the server. Each test takes the command line
// from a guide's code block, starts the server exactly so (`node dist/cli.js` standing in for `clan-backups`), speaks
// LSP over its stdio and expects diagnostics for the bundled example clan.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { LspTestClient } from '../helpers/lspClient';
import { skipUnlessTool } from '../helpers/tools';

const ROOT = resolve(__dirname, '../../..');
const GUIDES = join(ROOT, 'docs', 'editors');
const DEMO = join(ROOT, 'examples', 'demo-clan');
const DEMO_CLAN = join(DEMO, 'clan.nix');

function guide(name: string): string {
  return readFileSync(join(GUIDES, name), 'utf8');
}

/** The bodies of the ```lang blocks of a guide. */
function blocks(text: string, lang: string): string[] {
  const re = new RegExp('^```' + lang + '[ \\t]*\\n([\\s\\S]*?)^```[ \\t]*$', 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!);
}

function quoted(list: string): string[] {
  return [...list.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]!);
}

/** Every `cmd = { … }` of the Lua blocks of the Neovim guide. */
export function neovimCommands(text: string): string[][] {
  return blocks(text, 'lua').flatMap((b) => [...b.matchAll(/\bcmd\s*=\s*\{([^}]*)\}/g)].map((m) => quoted(m[1]!)));
}

/** `command` and `args` of `[language-server.clan-backups]`, and the nix language's `language-servers`. */
export function helixConfig(text: string): { argv: string[]; languageServers: string[] } {
  const toml = blocks(text, 'toml').join('\n');
  const table = /^\[language-server\.clan-backups\]\n([\s\S]*?)(?=^\[)/m.exec(toml)?.[1] ?? '';
  const command = /^command\s*=\s*"([^"]*)"/m.exec(table)?.[1];
  const args = /^args\s*=\s*\[([^\]]*)\]/m.exec(table)?.[1];
  assert.ok(command, 'no `command` in [language-server.clan-backups]');
  const nix = /^\[\[language\]\]\nname\s*=\s*"nix"\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const servers = /^language-servers\s*=\s*\[([^\]]*)\]/m.exec(nix)?.[1] ?? '';
  return { argv: [command, ...quoted(args ?? '')], languageServers: quoted(servers) };
}

/** The first line of the generic guide's first ```sh block, split into words. */
export function genericCommand(text: string): string[] {
  const line = blocks(text, 'sh')[0]?.split('\n')[0] ?? '';
  return line.trim().split(/\s+/);
}

/** The generic guide's settings object (its ```json block). */
function genericSettings(text: string): Record<string, unknown> {
  const json = blocks(text, 'json')[0];
  assert.ok(json, 'the generic guide has no ```json settings block');
  return JSON.parse(json) as Record<string, unknown>;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Codes the demo clan is known to produce without ShellCheck (README and examples/demo-clan). */
const DEMO_CODES = [
  'unknown-setting',
  'invalid-calendar',
  'undefined-machine',
  'unexpanded-folder',
  'exclude-root-only',
];
const hasDemoCodes = (codes: string[]) => (d: Diagnostic[]) => codes.every((c) => d.some((x) => x.code === c));

const clients: LspTestClient[] = [];
after(() => {
  for (const c of clients) if (c.child.exitCode === null) c.child.kill();
});

/** Starts the server the way a guide says (`node dist/cli.js` standing in for `clan-backups`) and opens the demo. */
async function diagnoseDemo(
  argv: string[],
  settings: Record<string, unknown> | null,
  init: unknown,
  expect: string[],
): Promise<Diagnostic[]> {
  assert.equal(argv[0], 'clan-backups', `the guide starts ${argv[0]}, not clan-backups`);
  const client = new LspTestClient({ args: argv.slice(1), settings });
  clients.push(client);
  const r = await client.initialize(pathToFileURL(DEMO).href, init);
  assert.ok(r.capabilities.textDocumentSync, 'the server announces no text document sync');
  // The server asks for its settings right after `initialized`; open documents once it has them, as editors do.
  if (settings !== null)
    await withDeadline(client.configured, 10000, 'the server never asked for workspace/configuration');
  const uri = pathToFileURL(DEMO_CLAN).href;
  await client.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'nix', version: 1, text: readFileSync(DEMO_CLAN, 'utf8') },
  });
  const accept = hasDemoCodes(expect);
  const { diagnostics: diags } = await client.waitForDiagnostics(uri, (p) => accept(p.diagnostics), 0, 15000);
  for (const d of diags) {
    assert.equal(d.source, 'clan-backups');
    assert.ok(
      typeof d.code === 'string' && d.codeDescription?.href.includes(d.code),
      `diagnostic ${String(d.code)} links to its rule`,
    );
  }
  assert.equal(await client.shutdown(), 0);
  return diags;
}

describe(
  'editor guides start a working server',
  { skip: skipUnlessTool('cli', "the editor guides' server start") },
  () => {
    test('Neovim: every cmd of the guide', async () => {
      const cmds = neovimCommands(guide('neovim.md'));
      assert.ok(cmds.length >= 2, 'the Neovim guide shows vim.lsp.config and nvim-lspconfig');
      for (const argv of cmds) assert.deepEqual(argv, cmds[0], 'both Neovim set-ups start the server the same way');
      assert.match(guide('neovim.md'), /filetypes = \{ 'nix' \}/);
      assert.match(guide('neovim.md'), /root_pattern\('clan\.nix'\)/);
      const settings = { diagnostics: { disabled: [] }, shellcheck: { enable: true } };
      await diagnoseDemo(cmds[0]!, settings, settings, DEMO_CODES);
    });

    test('Helix: [language-server.clan-backups] command and args, next to the Nix server', async () => {
      const { argv, languageServers } = helixConfig(guide('helix.md'));
      assert.deepEqual(argv, ['clan-backups', 'lsp', '--stdio']);
      assert.ok(
        languageServers.includes('clan-backups') && languageServers.length >= 2,
        `the nix language keeps its Nix server and adds clan-backups: ${languageServers.join(', ')}`,
      );
      // Helix sends `config` as initializationOptions.
      await diagnoseDemo(argv, null, { diagnostics: { disabled: [] }, shellcheck: { enable: true } }, DEMO_CODES);
    });

    test('generic: the documented command, settings through workspace/configuration', async () => {
      const text = guide('generic-lsp.md');
      const argv = genericCommand(text);
      assert.deepEqual(argv, ['clan-backups', 'lsp', '--stdio']);
      const settings = genericSettings(text);
      const disabled = (settings.diagnostics as { disabled: string[] }).disabled;
      assert.ok(disabled.length > 0, 'the example settings disable a rule');
      const diags = await diagnoseDemo(
        argv,
        settings,
        null,
        DEMO_CODES.filter((c) => !disabled.includes(c)),
      );
      for (const code of disabled)
        assert.ok(!diags.some((d) => d.code === code), `${code} is disabled by the guide's settings`);
    });

    test('generic: the same settings object as initializationOptions', async () => {
      const settings = genericSettings(guide('generic-lsp.md'));
      const disabled = (settings.diagnostics as { disabled: string[] }).disabled;
      const diags = await diagnoseDemo(
        genericCommand(guide('generic-lsp.md')),
        null,
        settings,
        DEMO_CODES.filter((c) => !disabled.includes(c)),
      );
      for (const code of disabled)
        assert.ok(!diags.some((d) => d.code === code), `${code} is disabled by initializationOptions`);
    });
  },
);
