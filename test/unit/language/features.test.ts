// Editor intelligence over the real LSP protocol: completion at marked cursors, hover, symbols, navigation, rename,
// folding/selection ranges, inlay hints and every scaffolding code action (its exact edit, valid Nix afterwards,
// and no new diagnostic).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CodeAction,
  CompletionItem,
  CompletionList,
  DocumentSymbol,
  Hover,
  InlayHint,
  Location,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { toUri } from '../../../server/src/util/uris';
import { LineIndex } from '../../../server/src/model/range';
import { analyzeFiles, writeClan } from '../../helpers/clanFixture';
import { LspTestClient } from '../../helpers/lspClient';
import { applyEdits } from '../../helpers/applyEdits';

const CLAN = `{ config, lib, ... }:
{
  meta.name = "lang";
  inventory.machines = {
    laptop = { tags = [ "work" ]; };
    web = { };
    db = { };
    nas = { };
  };
  inventory.instances = {
    borgbackup = {
      roles.client.tags = [ "work" ];
      roles.client.machines.web = {
        settings.startAt = "*-*-* 04:00:00";
      };
      roles.server.machines.nas.settings.directory = "/srv/borg";
    };
  };
  machines = {
    laptop = { clan.core.state.docs.folders = [ "/home/docs" ]; };
    web = { config, lib, pkgs, ... }: {
      services.nginx.enable = true;
      clan.core.state.www = {
        folders = [ "/var/www" ];
      };
    };
  };
}
`;
const DB = `{ config, lib, pkgs, ... }:
{
  services.postgresql.enable = true;
  services.postgresql.ensureDatabases = [ "shop" "stats" ];
  services.shop.enable = true;
  clan.core.state.uploads.folders = [ "/var/lib/shop" ];
}
`;

/** Offset of a marker string in `text` (the position just after `after`, searched from `from`). */
function posOf(text: string, needle: string, delta = 0) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `fixture lacks ${needle}`);
  return new LineIndex(text).positionAt(i + delta);
}

function nixParses(text: string): boolean {
  const f = join(mkdtempSync(join(tmpdir(), 'clan-lang-')), 'x.nix');
  writeFileSync(f, text);
  const r = spawnSync('nix-instantiate', ['--parse', f], { encoding: 'utf8' });
  if (r.error) return true; // nix-instantiate missing: the tree-sitter check below still runs
  return r.status === 0 || /undefined variable/.test(r.stderr);
}

describe('editor intelligence over LSP', () => {
  let client: LspTestClient;
  let dir: string;
  let clanUri: string;
  let dbUri: string;

  before(async () => {
    dir = writeClan({ 'clan.nix': CLAN, 'machines/db/configuration.nix': DB });
    clanUri = toUri(join(dir, 'clan.nix'));
    dbUri = toUri(join(dir, 'machines/db/configuration.nix'));
    client = new LspTestClient();
    await client.initialize(toUri(dir));
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: clanUri, languageId: 'nix', version: 1, text: CLAN },
    });
    await client.waitForDiagnostics(clanUri, (p) => p.version === 1, 0);
  });
  after(async () => {
    await client.shutdown();
  });

  async function complete(uri: string, text: string, version: number) {
    const marker = text.indexOf('|');
    const clean = text.slice(0, marker) + text.slice(marker + 1);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text: clean }],
    });
    const r = await client.connection.sendRequest<CompletionItem[] | CompletionList | null>('textDocument/completion', {
      textDocument: { uri },
      position: new LineIndex(clean).positionAt(marker),
    });
    const items = Array.isArray(r) ? r : (r?.items ?? []);
    return items;
  }

  it('completes role settings keys with their docs', async () => {
    const items = await complete(
      clanUri,
      CLAN.replace('settings.startAt = "*-*-* 04:00:00";', 'settings.startAt = "*-*-* 04:00:00";\n        settings.|'),
      2,
    );
    const labels = items.map((i) => i.label);
    for (const k of ['startAt', 'destinations', 'exclude']) assert.ok(labels.includes(k), labels.join());
    assert.ok(!labels.includes('directory'), 'server settings are not offered on a client');
    const startAt = items.find((i) => i.label === 'startAt')!;
    assert.match(JSON.stringify(startAt.documentation), /\*-\*-\* 01:00:00/);
  });

  it('completes machine names under roles.<r>.machines and tags in a tags list', async () => {
    const machines = await complete(
      clanUri,
      CLAN.replace('roles.client.machines.web = {', 'roles.server.machines.| \n      roles.client.machines.web = {'),
      3,
    );
    for (const m of ['laptop', 'web', 'db', 'nas'])
      assert.ok(
        machines.some((i) => i.label === m),
        m,
      );
    const tags = await complete(
      clanUri,
      CLAN.replace('roles.client.tags = [ "work" ];', 'roles.client.tags = [ "work" "|" ];'),
      4,
    );
    assert.deepEqual(tags.map((i) => i.label).sort(), ['all', 'darwin', 'nixos', 'work']);
  });

  it('completes schedules inside startAt and units after systemctl in a hook', async () => {
    const schedules = await complete(
      clanUri,
      CLAN.replace('settings.startAt = "*-*-* 04:00:00";', 'settings.startAt = "|";'),
      5,
    );
    assert.ok(schedules.some((i) => i.label === 'daily'));
    const units = await complete(
      clanUri,
      CLAN.replace(
        'folders = [ "/var/www" ];',
        "folders = [ \"/var/www\" ];\n        preBackupScript = ''\n          systemctl stop |\n        '';",
      ),
      6,
    );
    assert.deepEqual(
      units.map((i) => i.label),
      ['nginx.service'],
    );
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: clanUri, version: 7 },
      contentChanges: [{ text: CLAN }],
    });
  });

  it('hovers option docs, schedules and role members', async () => {
    const hover = (pos: { line: number; character: number }) =>
      client.connection.sendRequest<Hover | null>('textDocument/hover', {
        textDocument: { uri: clanUri },
        position: pos,
      });
    const key = await hover(posOf(CLAN, 'startAt', 2));
    assert.match(JSON.stringify(key?.contents), /systemd calendar event/);
    const value = await hover(posOf(CLAN, '"*-*-* 04:00:00"', 3));
    assert.match(JSON.stringify(value?.contents), /Normalized form: `\*-\*-\* 04:00:00`/);
    assert.match(JSON.stringify(value?.contents), /Next elapse: \w{3} \d{4}-\d\d-\d\d 04:00:00/);
    const role = await hover(posOf(CLAN, 'client.tags', 2));
    assert.match(
      JSON.stringify(role?.contents),
      /Members of `borgbackup`\/`client` after tag resolution: `laptop`, `web`/,
    );
  });

  it('hover and completion work inside a module whose arguments end in a trailing comma (nixfmt)', async () => {
    // A machine module as nixfmt writes it; before the parser read these commas, the whole tree was an error.
    const uri = toUri(join(dir, 'machines/laptop/configuration.nix'));
    const text = '{\n  config,\n  lib,\n}:\n{\n  clan.core.state.docs = {\n    folders = [ "/home/docs" ];\n  };\n}\n';
    mkdirSync(join(dir, 'machines/laptop'), { recursive: true });
    writeFileSync(join(dir, 'machines/laptop/configuration.nix'), text);
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nix', version: 1, text },
    });
    const diags = await client.waitForDiagnostics(uri, (p) => p.version === 1, 0);
    assert.deepEqual(
      diags.diagnostics.filter((d) => d.code === 'syntax-error'),
      [],
    );
    const hover = await client.connection.sendRequest<Hover | null>('textDocument/hover', {
      textDocument: { uri },
      position: posOf(text, 'folders', 2),
    });
    assert.match(JSON.stringify(hover?.contents), /folders/);
    const items = await complete(
      uri,
      text.replace('folders = [ "/home/docs" ];', 'folders = [ "/home/docs" ];\n    pre|'),
      2,
    );
    assert.ok(
      items.some((i) => i.label === 'preBackupScript'),
      items.map((i) => i.label).join(', '),
    );
  });

  it('lists machines, instances, roles and members as symbols', async () => {
    const symbols = await client.connection.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', {
      textDocument: { uri: clanUri },
    });
    const names = symbols.map((s) => s.name);
    for (const n of ['laptop', 'web', 'db', 'nas', 'borgbackup']) assert.ok(names.includes(n), names.join());
    const borg = symbols.find((s) => s.name === 'borgbackup')!;
    assert.deepEqual(
      borg.children?.map((r) => r.name),
      ['client', 'server'],
    );
    assert.deepEqual(borg.children?.[0]?.children?.map((m) => m.name).sort(), ['web', 'work']);
    const laptop = symbols.find((s) => s.name === 'laptop')!;
    assert.deepEqual(
      laptop.children?.map((c) => c.name),
      ['docs'],
    );
  });

  it('goes to a machine definition, finds references and renames a tag', async () => {
    const defs = await client.connection.sendRequest<Location[]>('textDocument/definition', {
      textDocument: { uri: clanUri },
      position: posOf(CLAN, 'machines.nas', 10),
    });
    assert.deepEqual(
      defs.map((d) => d.range.start.line),
      [7],
    );
    const refs = await client.connection.sendRequest<Location[]>('textDocument/references', {
      textDocument: { uri: clanUri },
      position: posOf(CLAN, '"work" ]; };', 2),
      context: { includeDeclaration: true },
    });
    assert.equal(refs.length, 2);
    const edit = await client.connection.sendRequest<WorkspaceEdit>('textDocument/rename', {
      textDocument: { uri: clanUri },
      position: posOf(CLAN, '"work" ]; };', 2),
      newName: 'office',
    });
    const renamed = applyEdits(CLAN, edit.changes![clanUri]!);
    assert.equal((renamed.match(/"office"/g) ?? []).length, 2);
    assert.ok(!renamed.includes('"work"'));
  });

  it('provides folding ranges, selection ranges and a next-run inlay hint', async () => {
    const folds = await client.connection.sendRequest<Array<{ startLine: number }>>('textDocument/foldingRange', {
      textDocument: { uri: clanUri },
    });
    assert.ok(
      folds.some((f) => f.startLine === 3),
      'inventory.machines folds',
    );
    const sel = await client.connection.sendRequest<Array<{ range: unknown; parent?: unknown }>>(
      'textDocument/selectionRange',
      { textDocument: { uri: clanUri }, positions: [posOf(CLAN, '/srv/borg')] },
    );
    assert.ok(sel[0]?.parent, 'a chain of enclosing ranges');
    const hints = await client.connection.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri: clanUri },
      range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } },
    });
    assert.equal(hints.length, 1);
    assert.match(String(hints[0]!.label), /^next: \w{3} \d{4}-\d\d-\d\d 04:00:00/);
  });

  async function scaffolds(uri: string, pos: { line: number; character: number }): Promise<CodeAction[]> {
    const r = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: pos, end: pos },
      context: { diagnostics: [], only: ['refactor'] },
    });
    return r.filter((a) => a.kind === 'refactor');
  }

  /** Applies the action, then the result must parse (Nix and tree-sitter) and bring no new diagnostic. */
  async function check(
    action: CodeAction,
    files: Record<string, string>,
    expectInserted: RegExp[],
    allowNew: string[] = [],
  ) {
    const before = (await analyzeFiles(files)).findings.map((f) => f.code);
    const after: Record<string, string> = { ...files };
    for (const [uri, edits] of Object.entries(action.edit!.changes!)) {
      const rel = uri === clanUri ? 'clan.nix' : 'machines/db/configuration.nix';
      after[rel] = applyEdits(after[rel]!, edits);
      assert.ok(nixParses(after[rel]!), `${action.title}: ${rel} must parse:\n${after[rel]}`);
    }
    const all = Object.values(after).join('\n');
    for (const re of expectInserted) assert.match(all, re, action.title);
    const res = await analyzeFiles(after);
    assert.ok(!res.findings.some((f) => f.code === 'syntax-error'), `${action.title}: ${JSON.stringify(res.findings)}`);
    const added = res.findings.map((f) => f.code).filter((c) => !before.includes(c));
    assert.deepEqual(added, allowNew, `${action.title} brought new diagnostics`);
    return after;
  }

  it('scaffolds backup and restore hooks for a state from the enabled services', async () => {
    const actions = await scaffolds(clanUri, posOf(CLAN, 'folders = [ "/var/www" ]'));
    const hooks = actions.find((a) => a.title === 'Add backup hooks that stop and start nginx.service')!;
    assert.ok(hooks, actions.map((a) => a.title).join('\n'));
    const after = await check(hooks, { 'clan.nix': CLAN, 'machines/db/configuration.nix': DB }, []);
    assert.ok(
      after['clan.nix']!.includes(`        folders = [ "/var/www" ];
        preBackupScript = ''
          export PATH=\${lib.makeBinPath [ config.systemd.package ]}
          systemctl stop nginx.service
        '';
        postBackupScript = ''
          export PATH=\${lib.makeBinPath [ config.systemd.package ]}
          systemctl start nginx.service
        '';
      };`),
      after['clan.nix'],
    );
    const restore = actions.find((a) => a.title.startsWith('Add restore hooks'))!;
    await check(restore, { 'clan.nix': CLAN, 'machines/db/configuration.nix': DB }, [
      /preRestoreScript = ''/,
      /postRestoreScript = ''/,
    ]);
  });

  it('offers the hooks scaffold anywhere on a state: each segment of its dotted key, its name, inside it', async () => {
    // machines/db/configuration.nix: `clan.core.state.uploads.folders = [ "/var/lib/shop" ];`, shop.service enabled.
    const dbUri = clanUri.replace(/clan\.nix$/, 'machines/db/configuration.nix');
    const line = 'clan.core.state.uploads.folders';
    const title = 'Add backup hooks that stop and start postgresql.service, shop.service';
    for (const [where, delta] of [
      ['clan', 1],
      ['core', 6],
      ['state', 11],
      ['uploads (the name)', 18],
      ['folders', 26],
      ['the value', 37],
    ] as const) {
      const actions = await scaffolds(dbUri, posOf(DB, line, delta));
      assert.ok(
        actions.some((a) => a.title === title),
        `on ${where}: ${actions.map((a) => a.title).join(' | ')}`,
      );
    }
    // And inside a state written as an attribute set, on its key in clan.nix.
    for (const needle of ['clan.core.state.www', 'state.www', 'www = {', 'folders = [ "/var/www" ]']) {
      const actions = await scaffolds(clanUri, posOf(CLAN, needle, 1));
      assert.ok(
        actions.some((a) => a.title === 'Add backup hooks that stop and start nginx.service'),
        `on ${needle}`,
      );
    }
  });

  it('makes a machine a client, a server, and adds a Storage Box destination', async () => {
    const files = { 'clan.nix': CLAN, 'machines/db/configuration.nix': DB };
    const onNas = await scaffolds(clanUri, posOf(CLAN, 'nas = { };', 1));
    const asClient = onNas.find((a) => a.title === 'Back up nas: make it a borgbackup client');
    assert.equal(asClient, undefined, 'nas is a server: offering it as client would create client-is-server');
    const onDb = await scaffolds(clanUri, posOf(CLAN, 'db = { };', 1));
    const client = onDb.find((a) => a.title === 'Back up db: make it a borgbackup client')!;
    assert.ok(client, onDb.map((a) => a.title).join('\n'));
    await check(client, files, [/roles\.client\.machines\.db = \{ \};/]);
    const server = onDb.find((a) => a.title === 'Make db a borgbackup server')!;
    await check(server, files, [/roles\.server\.machines\.db = \{ \};/]);
    const onWeb = await scaffolds(clanUri, posOf(CLAN, 'roles.client.machines.web', 23));
    const box = onWeb.find((a) => a.title === 'Add a Hetzner Storage Box destination to web')!;
    assert.ok(box, onWeb.map((a) => a.title).join('\n'));
    // The port goes in the URL and there is no rsh: Clan's default rsh keeps the key path of every clan-core version.
    const after = await check(box, files, [
      /settings\.destinations\.storagebox = \{\n\s+repo = "ssh:\/\/u000000@u000000\.your-storagebox\.de:23\/\.\/borgbackup";\n\s+\};/,
    ]);
    assert.doesNotMatch(after['clan.nix']!, /rsh =/);
  });

  it('scaffolds clan.core.postgresql from ensureDatabases and makes the machine a client', async () => {
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: dbUri, languageId: 'nix', version: 1, text: DB },
    });
    const actions = await scaffolds(dbUri, posOf(DB, 'ensureDatabases'));
    const pg = actions.find((a) => a.title === 'Back up PostgreSQL databases shop, stats with clan.core.postgresql')!;
    assert.ok(pg, actions.map((a) => a.title).join('\n'));
    assert.equal(Object.keys(pg.edit!.changes!).length, 2, 'the machine file and clan.nix');
    // `stats` has no service to stop during its restore: the TODO and the warning say so, as they should.
    const after = await check(
      pg,
      { 'clan.nix': CLAN, 'machines/db/configuration.nix': DB },
      [/roles\.client\.machines\.db = \{ \};/],
      ['postgresql-restore-stops-nothing'],
    );
    assert.ok(
      after['machines/db/configuration.nix']!.includes(`  clan.core.postgresql = {
    enable = true;
    databases.shop = {
      create.enable = false;
      restore.stopOnRestore = [ "shop.service" ];
    };
    # TODO: restore.stopOnRestore = [ "<the units using stats>" ];
    databases.stats.create.enable = false;
  };`),
      after['machines/db/configuration.nix'],
    );
  });
});
