// The scheduler answers requests from the last analysis; after an analysis that failed (a bug of ours), that last
// analysis is older than the documents, and its values may already have been moved by the failed read: requests
// must not get it, and must not run the failing analysis again each either.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Connection } from 'vscode-languageserver/node';
import { AnalysisScheduler } from '../../../server/src/lsp/analysisScheduler';
import { DocumentStore } from '../../../server/src/lsp/documents';
import type { WorkspaceIndex } from '../../../server/src/model/workspaceIndex';
import { initParsing } from '../../../server/src/parsing/parser';
import { toUri } from '../../../server/src/util/uris';

const DEMO = resolve(__dirname, '../../../../examples/demo-clan');
const clanUri = toUri(join(DEMO, 'clan.nix'));

/** What the scheduler sends, kept; nothing goes over a wire. */
function fakeConnection() {
  const errors: string[] = [];
  const notifications: Array<{ method: string; params: unknown }> = [];
  const connection = {
    console: { error: (m: string) => errors.push(m), warn: () => undefined },
    sendNotification: (method: string, params: unknown) => {
      notifications.push({ method, params });
      return Promise.resolve();
    },
    sendDiagnostics: () => Promise.resolve(),
  } as unknown as Connection;
  return { connection, errors, notifications };
}

describe('analysis scheduler', () => {
  before(() => initParsing());

  it('does not answer requests from an analysis older than a failed one', () => {
    const { connection, errors, notifications } = fakeConnection();
    const docs = new DocumentStore();
    const text = readFileSync(join(DEMO, 'clan.nix'), 'utf8');
    docs.open(clanUri, 'nix', 1, text);
    const scheduler = new AnalysisScheduler(
      connection,
      docs,
      new Map(),
      () => ({ disabled: [], shellcheck: false }),
      0,
    );
    const first = scheduler.analysisFor(clanUri);
    assert.ok(first, 'the first analysis');

    // The next analysis throws, as a bug in reading the clan would.
    scheduler.index = {
      clanFor: () => ({ key: DEMO }),
      clan: () => {
        throw new Error('simulated bug');
      },
    } as unknown as WorkspaceIndex;
    docs.change(clanUri, 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' },
    ]);
    assert.equal(scheduler.analyze(DEMO), undefined);
    assert.ok(errors.some((e) => e.includes('simulated bug')));
    assert.ok(notifications.some((n) => (n.params as { health?: string }).health === 'error'));
    assert.equal(scheduler.analysisFor(clanUri), undefined, 'no answer from the analysis of version 1');
    // Nor is the failing analysis run again for every request: it waits for the next change.
    const failures = errors.length;
    assert.equal(scheduler.analysisFor(clanUri), undefined);
    assert.equal(errors.length, failures);

    // Once analysing works again, the next change gets requests a new analysis of the current text. (Its timer is
    // never waited for: a request finds the change pending and analyses at once.)
    scheduler.index = undefined;
    docs.change(clanUri, 3, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: ' ' },
    ]);
    scheduler.schedule(clanUri, [], 60_000);
    const next = scheduler.analysisFor(clanUri);
    assert.ok(next && next !== first);
    assert.equal(next.model.files.find((f) => f.uri === clanUri)?.text, ` \n${text}`);
    assert.equal(scheduler.analysisFor(clanUri), next, 'and later requests get that one');
    scheduler.dispose();
  });
});
