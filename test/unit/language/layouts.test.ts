// Completion and hover inside a flake-parts service file (`flake.clan.inventory.instances.borgbackup = { ... }`):
// paths are read from where the clan piece sits in the file, not from the file's root.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompletionItem, CompletionList, Hover } from 'vscode-languageserver-protocol';
import { toUri } from '../../../server/src/util/uris';
import { LineIndex } from '../../../server/src/model/range';
import { LspTestClient } from '../../helpers/lspClient';

describe('language features in a flake-parts layout', () => {
  let client: LspTestClient;
  let uri: string;
  let text: string;

  before(async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'clan-layout-lang-')), 'clan');
    cpSync(resolve(__dirname, '../../../../test/fixtures/layouts/flake-parts-services'), dir, { recursive: true });
    const file = join(dir, 'services/borgbackup.nix');
    uri = toUri(file);
    text = readFileSync(file, 'utf8');
    client = new LspTestClient();
    await client.initialize(toUri(dir));
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nix', version: 1, text },
    });
    await client.waitForDiagnostics(uri, (p) => p.version === 1, 0);
  });
  after(async () => {
    await client.shutdown();
  });

  it('hovers the server setting with its borgbackup docs', async () => {
    const at = new LineIndex(text).positionAt(text.indexOf('directory') + 2);
    const hover = await client.connection.sendRequest<Hover | null>('textDocument/hover', {
      textDocument: { uri },
      position: at,
    });
    assert.match(JSON.stringify(hover?.contents), /Directory holding the repositories/);
  });

  it('completes client settings keys', async () => {
    const marker = text.indexOf('roles.client.machines.ghost');
    const changed = `${text.slice(0, marker)}roles.client.settings.\n    ${text.slice(marker)}`;
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: changed }],
    });
    const r = await client.connection.sendRequest<CompletionItem[] | CompletionList | null>('textDocument/completion', {
      textDocument: { uri },
      position: new LineIndex(changed).positionAt(marker + 'roles.client.settings.'.length),
    });
    const labels = (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);
    for (const k of ['startAt', 'destinations', 'exclude']) assert.ok(labels.includes(k), labels.join());
  });
});
