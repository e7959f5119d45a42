import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeActionRequest } from 'vscode-languageserver-protocol';
import { toUri } from '../../../server/src/util/uris';
import { JobsModel, JobsRequestMethod } from '../../../shared/protocol';
import { LspTestClient } from '../../helpers/lspClient';

const DEMO = resolve(__dirname, '../../../../examples/demo-clan');
const clanUri = toUri(join(DEMO, 'clan.nix'));
const webUri = toUri(join(DEMO, 'machines/web/configuration.nix'));

describe('language server over stdio', () => {
  let client: LspTestClient;
  const text = readFileSync(join(DEMO, 'clan.nix'), 'utf8');

  before(async () => {
    client = new LspTestClient();
    const init = await client.initialize(toUri(DEMO));
    assert.equal(
      init.capabilities.textDocumentSync && typeof init.capabilities.textDocumentSync === 'object'
        ? init.capabilities.textDocumentSync.change
        : undefined,
      2,
      'incremental sync',
    );
  });
  after(async () => {
    assert.equal(await client.shutdown(), 0);
  });

  it("publishes diagnostics for the opened clan.nix and for the clan's machine files", async () => {
    const since = client.published;
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: clanUri, languageId: 'nix', version: 1, text },
    });
    const d = await client.waitForDiagnostics(clanUri, (p) => p.version === 1, since);
    const codes = d.diagnostics.map((x) => x.code);
    assert.ok(codes.includes('unknown-setting'), codes.join());
    assert.ok(codes.includes('undefined-machine'), codes.join());
    const unknown = d.diagnostics.find((x) => x.code === 'unknown-setting')!;
    assert.equal(unknown.source, 'clan-backups');
    assert.deepEqual(unknown.range.start, { line: 24, character: 17 });
    const web = await client.waitForDiagnostics(webUri, () => true, since);
    assert.ok(web.diagnostics.some((x) => x.code === 'postgresql-create-options'));
  });

  it('re-analyses after an incremental change and drops fixed problems', async () => {
    const since = client.published;
    const line = 24;
    const character = text.split('\n')[line]!.indexOf('start_at');
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: clanUri, version: 2 },
      contentChanges: [
        {
          range: { start: { line, character }, end: { line, character: character + 'start_at'.length } },
          text: 'startAt',
        },
      ],
    });
    const d = await client.waitForDiagnostics(clanUri, (p) => p.version === 2, since);
    assert.ok(
      !d.diagnostics.some((x) => x.code === 'unknown-setting'),
      JSON.stringify(d.diagnostics.map((x) => x.code)),
    );
    assert.ok(d.diagnostics.some((x) => x.code === 'undefined-machine'));
  });

  it('offers the quick fixes of a diagnostic as code actions', async () => {
    const d = await client.waitForDiagnostics(clanUri, (p) => p.version === 2, 0);
    const diag = d.diagnostics.find((x) => x.code === 'undefined-machine')!;
    const actions = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: clanUri },
      range: diag.range,
      context: { diagnostics: [diag] },
    });
    const fix = actions?.find((a) => 'title' in a && a.title.includes('inventory.machines'));
    assert.ok(
      fix && 'edit' in fix && fix.edit?.changes?.[clanUri]?.[0]?.newText.includes('offsite = { };'),
      JSON.stringify(actions),
    );
  });

  it('answers the jobs request with machines, jobs and states', async () => {
    const jobs = await client.connection.sendRequest<JobsModel>(JobsRequestMethod, { uri: clanUri });
    assert.equal(jobs.clanDir, DEMO);
    const web = jobs.machines.find((m) => m.name === 'web')!;
    assert.deepEqual(web.jobs.map((j) => j.unit).sort(), [
      'borgbackup-job-nas',
      'borgbackup-job-offsite',
      'borgbackup-job-storagebox',
    ]);
    assert.equal(web.jobs.find((j) => j.destination === 'nas')?.repo, 'borg@192.168.1.50:.');
    assert.deepEqual(
      web.states.map((s) => s.name),
      ['uploads'],
    );
  });

  it('survives a document that is not Nix at all', async () => {
    const uri = toUri(join(DEMO, 'machines/nas/configuration.nix'));
    const since = client.published;
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nix', version: 1, text: '\u0000\u0001 {{{ ;;; \uFFFF' },
    });
    const d = await client.waitForDiagnostics(uri, (p) => p.version === 1, since);
    assert.ok(d.diagnostics.every((x) => x.code === 'syntax-error') && d.diagnostics.length > 0);
  });
});
