// The language server as an editor runs it: `dist/cli.js lsp --stdio` spawned over stdio. Start → first diagnostics
// of the example clan, and the workspace index of a folder with the longest event-loop hold inside the server
// (loopProbe.ts, preloaded with NODE_OPTIONS).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toUri } from '../../server/src/util/uris';
import { LspTestClient } from '../helpers/lspClient';

const ROOT = resolve(__dirname, '../../..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Spawn the server, initialize, open the example clan.nix, wait for its diagnostics; median of `runs`. */
export async function serverStartToDiagnostics(runs = 5): Promise<{ median: number; all: number[] }> {
  const file = join(ROOT, 'examples/demo-clan/clan.nix');
  const text = readFileSync(file, 'utf8');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const client = new LspTestClient();
    await client.initialize(toUri(join(ROOT, 'examples/demo-clan')));
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: toUri(file), languageId: 'nix', version: 1, text },
    });
    await client.waitForDiagnostics(toUri(file), (p) => p.version === 1, 0);
    times.push(performance.now() - t);
    await client.shutdown();
  }
  return { median: median(times), all: times };
}

export interface ServerIndexResult {
  /** Initialize → the server has indexed the folder (its second analysis of an open file outside it). */
  indexedMs: number;
  /** Longest event-loop hold in the server from its first loop turn to exit (ms), and when it began. */
  longestHoldMs: number;
  longestHoldAtMs: number;
}

/**
 * The server indexes `dir` (a workspace folder). An open file outside the folder is analysed once on opening and
 * once more when the index is complete (`indexReady`); it is one line, so its analyses hold the loop for nothing.
 */
export async function serverIndex(dir: string): Promise<ServerIndexResult> {
  const probe = join(__dirname, 'loopProbe.js');
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${saved ?? ''} --require ${probe}`.trim();
  let client: LspTestClient;
  try {
    client = new LspTestClient();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
  const outside = toUri('/nonexistent-clan-bench/probe.nix');
  const t = performance.now();
  await client.initialize(toUri(dir));
  await client.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri: outside, languageId: 'nix', version: 1, text: '{ }\n' },
  });
  const first = await client.waitForDiagnostics(outside, () => true, 0);
  let indexedMs = performance.now() - t;
  // When indexing ended before the file was opened there is no second analysis: then the first one is the end.
  await client
    .waitForDiagnostics(outside, (p) => p !== first, 0, 5000)
    .then(
      () => (indexedMs = performance.now() - t),
      () => undefined,
    );
  await client.shutdown();
  const m = /loop-probe ([\d.]+) (\d+)/.exec(client.stderr);
  if (!m) throw new Error(`bench: no loop-probe line from the server; stderr: ${client.stderr}`);
  return { indexedMs, longestHoldMs: Number(m[1]), longestHoldAtMs: Number(m[2]) };
}
