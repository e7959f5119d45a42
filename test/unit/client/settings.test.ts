// Settings schema (client/src/settings.ts), the diagnostic filter, and the manifest contributions that must agree
// with them (package.json `contributes`, `capabilities`).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { diagnosticCode, filterDiagnostics } from '../../../client/src/diagnosticFilter';
import { SettingKey, readSettings, serverSettings, settingSchemas } from '../../../client/src/settings';
import { RULES } from '../../../server/src/rules';

const root = path.resolve(__dirname, '../../../..');

function read(values: Partial<Record<SettingKey, unknown>>) {
  return readSettings((key) => values[key]);
}

describe('client: settings schema', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, problems } = read({});
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      clanPath: 'clan',
      flake: '',
      diagnostics: { disabled: [] },
      shellcheck: { enable: true },
      showRequestFailedErrorNotification: false,
      trace: { server: 'off' },
    });
  });

  it('takes valid values, trimmed, and expands ~ in paths', () => {
    const { settings, problems } = read({
      clanPath: ' ~/bin/clan ',
      flake: '~/clan',
      'diagnostics.disabled': ['unknown-tag'],
      'shellcheck.enable': false,
      showRequestFailedErrorNotification: true,
      'trace.server': 'verbose',
    });
    assert.deepEqual(problems, []);
    assert.equal(settings.clanPath, path.join(homedir(), 'bin/clan'));
    assert.equal(settings.flake, path.join(homedir(), 'clan'));
    assert.deepEqual(settings.diagnostics.disabled, ['unknown-tag']);
    assert.equal(settings.shellcheck.enable, false);
    assert.equal(settings.trace.server, 'verbose');
  });

  it('replaces each invalid value by its default and says why, keeping the valid ones', () => {
    const { settings, problems } = read({
      clanPath: '',
      flake: '--debug',
      'diagnostics.disabled': 'unknown-tag',
      'shellcheck.enable': 'yes',
      'trace.server': 'loud',
      showRequestFailedErrorNotification: true,
    });
    assert.equal(settings.clanPath, 'clan');
    assert.equal(settings.flake, '');
    assert.deepEqual(settings.diagnostics.disabled, []);
    assert.equal(settings.shellcheck.enable, true);
    assert.equal(settings.trace.server, 'off');
    assert.equal(settings.showRequestFailedErrorNotification, true);
    assert.equal(problems.length, 5);
    for (const key of ['clanPath', 'flake', 'diagnostics.disabled', 'shellcheck.enable', 'trace.server']) {
      assert.ok(
        problems.some((p) => p.startsWith(`clanBackups.${key}:`)),
        key,
      );
    }
  });

  it('rejects a clan path with control characters (it is spawned as one program)', () => {
    assert.equal(read({ clanPath: 'clan\n--flake' }).settings.clanPath, 'clan');
  });

  it('sends the server only what it uses', () => {
    const { settings } = read({
      'diagnostics.disabled': ['hook-shell'],
      'shellcheck.enable': false,
      clanPath: '/x/clan',
    });
    assert.deepEqual(serverSettings(settings), {
      diagnostics: { disabled: ['hook-shell'] },
      shellcheck: { enable: false },
    });
  });
});

describe('client: diagnostic filter', () => {
  const diags = [
    { source: 'clan-backups', code: 'unknown-tag', message: 'a' },
    { source: 'clan-backups', code: { value: 'empty-folders', target: 'x' }, message: 'b' },
    { source: 'clan-backups', code: 'syntax-error', message: 'c' },
    { source: 'nixd', code: 'unknown-tag', message: 'd' },
    { source: 'clan-backups', message: 'e' },
  ];
  it('drops our diagnostics whose code is disabled and keeps everything else', () => {
    const kept = filterDiagnostics(diags, ['unknown-tag', 'empty-folders'], 'clan-backups').map((d) => d.message);
    assert.deepEqual(kept, ['c', 'd', 'e']);
  });
  it('returns the same array when nothing is disabled', () => {
    assert.equal(filterDiagnostics(diags, [], 'clan-backups'), diags);
  });
  it('reads string, number and object codes', () => {
    assert.equal(diagnosticCode({ code: 3 }), '3');
    assert.equal(diagnosticCode({ code: { value: 'x' } }), 'x');
    assert.equal(diagnosticCode({}), undefined);
  });
});

interface Manifest {
  activationEvents: string[];
  contributes: {
    configuration: { properties: Record<string, { default: unknown; scope?: string; items?: { enum?: string[] } }> };
    commands: { command: string; category: string; enablement?: string }[];
    languages: { id: string; extensions?: string[]; configuration?: string }[];
    grammars: {
      language?: string;
      scopeName: string;
      path: string;
      injectTo?: string[];
      embeddedLanguages?: Record<string, string>;
    }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { id: string }[] };
  };
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  extensionKind: string[];
}

describe('client: manifest contributions', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
  const c = manifest.contributes;
  const props = c.configuration.properties;

  it('declares exactly the settings the schema validates, with the same defaults', () => {
    const declared = Object.keys(props).sort();
    const schema = Object.keys(settingSchemas)
      .map((k) => `clanBackups.${k}`)
      .sort();
    assert.deepEqual(declared, schema);
    for (const key of Object.keys(settingSchemas) as SettingKey[]) {
      assert.deepEqual(props[`clanBackups.${key}`]!.default, settingSchemas[key].parse(undefined), key);
    }
  });

  it('keeps clanPath out of reach of workspace settings', () => {
    assert.equal(props['clanBackups.clanPath']!.scope, 'machine');
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['clanBackups.clanPath']);
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  });

  it('offers every rule code of the registry for diagnostics.disabled', () => {
    assert.deepEqual(props['clanBackups.diagnostics.disabled']!.items?.enum, Object.keys(RULES));
  });

  it('groups commands under "Clan Backups" and gates the CLI commands on workspace trust', () => {
    for (const cmd of c.commands) assert.equal(cmd.category, 'Clan Backups', cmd.command);
    for (const id of ['clanBackups.runBackup', 'clanBackups.listBackups', 'clanBackups.restoreBackup']) {
      assert.equal(c.commands.find((x) => x.command === id)?.enablement, 'isWorkspaceTrusted', id);
    }
  });

  it('only references declared commands and views in menus', () => {
    const ids = new Set(c.commands.map((x) => x.command));
    for (const [menu, entries] of Object.entries(c.menus)) {
      for (const e of entries) assert.ok(ids.has(e.command), `${menu}: ${e.command}`);
    }
    assert.deepEqual(
      c.viewsContainers.activitybar.map((v) => v.id),
      ['clanBackups'],
    );
    assert.deepEqual(
      c.views['clanBackups']!.map((v) => v.id),
      ['clanBackups.machines'],
    );
  });

  it('contributes the nix language without redefining more than the id and extension', () => {
    assert.deepEqual(
      c.languages.map((l) => [l.id, l.extensions]),
      [['nix', ['.nix']]],
    );
  });

  it('points grammars at files whose scopeName matches, once they exist', () => {
    for (const g of c.grammars) {
      const file = path.join(root, g.path);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const grammar = JSON.parse(text) as { scopeName: string };
      assert.equal(grammar.scopeName, g.scopeName, g.path);
      for (const scope of Object.keys(g.embeddedLanguages ?? {}))
        assert.ok(text.includes(`"${scope}`), `${g.path} never names ${scope}`);
    }
  });

  it('activates lazily and runs where the files are', () => {
    assert.deepEqual(manifest.activationEvents, [
      'workspaceContains:**/clan.nix',
      'workspaceContains:**/flake.nix',
      'onLanguage:nix',
    ]);
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });
});
