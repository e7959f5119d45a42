// Hostile and unusual input: no crash, no hang, and positions exactly where LSP wants them (0-based line, UTF-16
// character). In process through the analysis, through the bundled CLI, and over the LSP wire with a stream of random
// incremental edits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeClan } from '../../server/src/analyze';
import type { Finding } from '../../server/src/findings';
import { loadClanSources, loadSingleFile, UnreadableInput } from '../../server/src/model/loadClan';
import { Overlay } from '../../server/src/model/sourceFile';
import { toUri } from '../../server/src/util/uris';
import { initParsing, MAX_NIX_SOURCE_LENGTH } from '../../server/src/parsing/parser';
import { CLI, LspTestClient } from '../helpers/lspClient';
import { mulberry32 } from '../helpers/prng';

const ROOT = resolve(__dirname, '../../..');
const DEMO = join(ROOT, 'examples/demo-clan');
/** Generous: these catch hangs and stack blow-ups, not slowness. */
const HANG_MS = 15000;

let work: string;
let counter = 0;

/** Writes `content` (text or raw bytes) to a fresh file and analyses it alone, timing the analysis. */
function analyzeSingle(
  content: string | Buffer,
  name = 'input.nix',
): { findings: Finding[]; ms: number; path: string } {
  const dir = join(work, `single-${counter++}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, content);
  const t0 = performance.now();
  const { findings } = analyzeClan(loadSingleFile(path));
  const ms = performance.now() - t0;
  assert.ok(ms < HANG_MS, `analysis took ${ms.toFixed(0)} ms`);
  return { findings, ms, path };
}

const brief = (f: Finding) => ({ code: f.code, range: f.range, message: f.message });

function runCli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No JavaScript stack trace in CLI output. */
function assertNoStackTrace(out: string): void {
  assert.doesNotMatch(out, /^\s+at .+\(.*:\d+:\d+\)$/m, out);
  assert.doesNotMatch(out, /internal error|RangeError|TypeError|RuntimeError/, out);
}

before(async () => {
  await initParsing();
  work = mkdtempSync(join(tmpdir(), 'clan-backups-robust-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('deep nesting does not overflow the stack', () => {
  const N = 10000;
  const shapes: Array<[string, string, string]> = [
    ['attribute sets', '{ a = '.repeat(N), '; }'.repeat(N)],
    ['lists', '[ '.repeat(N), ' ]'.repeat(N)],
    ['parentheses', '('.repeat(N), ')'.repeat(N)],
  ];
  for (const [what, open, close] of shapes) {
    it(`${N} levels of ${what}: no finding, no crash`, () => {
      const { findings } = analyzeSingle(`${open}1${close}\n`);
      assert.deepEqual(findings.filter((f) => f.code === 'syntax-error').map(brief), []);
    });

    it(`${N} levels of ${what} with a mistake at the bottom: one syntax error, exactly there`, () => {
      // `1 @`: the `@` after the innermost value is unexpected in every shape.
      const { findings } = analyzeSingle(`${open}1 @ ${close}\n`);
      const syntax = findings.filter((f) => f.code === 'syntax-error');
      assert.equal(syntax.length, 1, JSON.stringify(syntax.map(brief)));
      assert.deepEqual(syntax[0]!.range.start, { line: 0, character: open.length + 2 });
      assert.match(syntax[0]!.message, /unexpected `@`/);
    });
  }

  it(`${N} unclosed levels (an editor mid-typing)`, () => {
    const { findings } = analyzeSingle('{ a = '.repeat(N));
    assert.ok(findings.some((f) => f.code === 'syntax-error'));
  });

  it(`an inventory.json nested ${N} levels deep is reported, not a stack overflow`, () => {
    const dir = join(work, 'deep-json');
    cpSync(DEMO, dir, { recursive: true });
    writeFileSync(join(dir, 'inventory.json'), `{"machines": ${'['.repeat(N)}${']'.repeat(N)}}`);
    const { findings } = analyzeClan(loadClanSources(dir));
    const inv = findings.filter((f) => f.uri === toUri(join(dir, 'inventory.json')));
    // `{` is level 1, so the 200th `[` (at 13 + 199) opens level 201.
    assert.deepEqual(
      inv.map((f) => [f.code, f.range.start]),
      [['syntax-error', { line: 0, character: 13 + 199 }]],
    );
    assert.match(inv[0]!.message, /nested more than 200 levels/);
  });
});

describe('size', () => {
  it('a 20 MB file is reported as too large, quickly, instead of exhausting the parser', () => {
    const line = `  # ${'x'.repeat(75)}\n`;
    const text = `{\n  meta.name = "big";\n${line.repeat(Math.ceil((20 * 1024 * 1024) / line.length))}}\n`;
    const { findings, ms } = analyzeSingle(text);
    assert.deepEqual(
      findings.map((f) => [f.code, f.range]),
      [['syntax-error', { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }]],
    );
    assert.match(findings[0]!.message, /too large to analyse: 20\.0 MiB .* limit is 1\.0 MiB/);
    assert.ok(ms < 5000, `${ms} ms`);
    // The parser still works afterwards (an exhausted wasm heap would abort every later parse).
    assert.deepEqual(analyzeSingle('{ meta.name = "small"; }\n').findings.map(brief), []);
  });

  it('a huge single line just under the limit: the mistake at its end is found at its exact UTF-16 column', () => {
    const head = '{ meta.name = "wide"; x = "😀';
    const body = 'y'.repeat(MAX_NIX_SOURCE_LENGTH - 200);
    const text = `${head}${body}"; z = 1 +; }`;
    assert.ok(text.length <= MAX_NIX_SOURCE_LENGTH);
    const { findings } = analyzeSingle(text);
    const plus = text.indexOf('+;');
    assert.deepEqual(
      findings.filter((f) => f.code === 'syntax-error').map((f) => f.range.start),
      [{ line: 0, character: plus }],
    );
    // The emoji counts two UTF-16 units: the column is not the code point count.
    assert.equal(plus, [...text.slice(0, plus)].length + 1);
  });
});

describe('bytes that are not Nix text', () => {
  it('NUL bytes: a single file is refused cleanly, a clan member becomes a diagnostic of that file', () => {
    const dir = join(work, 'nul');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.nix'), Buffer.from('{ a = 1;\0 }\n'));
    assert.throws(() => loadSingleFile(join(dir, 'x.nix')), UnreadableInput);
    const r = runCli(['check', join(dir, 'x.nix')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /x\.nix: binary file, not Nix source/);
    assertNoStackTrace(r.stdout + r.stderr);

    const clanDir = join(work, 'nul-clan');
    cpSync(DEMO, clanDir, { recursive: true });
    const web = join(clanDir, 'machines/web/configuration.nix');
    writeFileSync(
      web,
      Buffer.concat([Buffer.from('{ config, ... }: {\n'), Buffer.from([0, 0, 0xff]), Buffer.from('}\n')]),
    );
    const { findings } = analyzeClan(loadClanSources(clanDir));
    assert.ok(
      findings.some((f) => f.uri === toUri(web) && f.code === 'syntax-error'),
      JSON.stringify(findings.map(brief)),
    );
  });

  it('a NUL byte after the first 8 KiB is parsed like any other unexpected character', () => {
    const text = `{\n  meta.name = "late-nul";\n${'  # padding\n'.repeat(1000)}  \0\n}\n`;
    const { findings } = analyzeSingle(text);
    const syntax = findings.filter((f) => f.code === 'syntax-error');
    assert.equal(syntax.length, 1, JSON.stringify(syntax.map(brief)));
    assert.deepEqual(syntax[0]!.range.start, { line: 1002, character: 2 });
  });

  it('invalid UTF-8 through the CLI: a diagnostic at the right place, exit 1, no stack trace', () => {
    const dir = join(work, 'utf8');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'clan.nix'),
      Buffer.concat([
        Buffer.from('{\n  meta.name = "utf8";\n  '),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
        Buffer.from(' = 1;\n}\n'),
      ]),
    );
    const r = runCli(['check', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /clan\.nix:3:3: error: syntax error: unexpected .*\[syntax-error\]$/m);
    assertNoStackTrace(r.stdout + r.stderr);
    const j = runCli(['check', '--format', 'json', dir]);
    assert.equal(j.code, 1);
    const items = JSON.parse(j.stdout) as Array<{ code: string; line: number; column: number }>;
    assert.deepEqual(
      items.filter((i) => i.code === 'syntax-error').map((i) => [i.line, i.column]),
      [[3, 3]],
    );
  });

  it('invalid UTF-8 inside a checked string: the string rule still reports it, no stack trace', () => {
    const dir = join(work, 'utf8-string');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'clan.nix'),
      Buffer.concat([Buffer.from('{\n  meta.name = "a'), Buffer.from([0xc3, 0x28]), Buffer.from('b";\n}\n')]),
    );
    const r = runCli(['check', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /clan\.nix:2:15: error: .*\[invalid-clan-name\]$/m);
    assertNoStackTrace(r.stdout + r.stderr);
  });
});

describe('positions are LSP positions: CRLF, tabs and characters outside the BMP', () => {
  it('a syntax error after a tab and an emoji on a CRLF line', () => {
    const text = '{\r\n\tmeta.name = "😀" ;;\r\n}\r\n';
    const { findings } = analyzeSingle(text);
    // \t (1) + `meta.name = ` (12) + `"😀"` (1 + 2 + 1) + ` ` (1) + `;` (1): the second `;` is at 19.
    assert.deepEqual(
      findings.filter((f) => f.code === 'syntax-error').map((f) => f.range),
      [{ start: { line: 1, character: 19 }, end: { line: 1, character: 20 } }],
    );
  });

  it('a missing `;` after an emoji comment on a CRLF line points right after the value', () => {
    const { findings } = analyzeSingle('{\r\n\t/*😀*/ meta.name = "x" \r\n}\r\n');
    assert.deepEqual(
      findings.filter((f) => f.code === 'syntax-error').map((f) => f.range.start),
      [{ line: 1, character: 23 }],
    );
  });

  it('an error region never ends inside a CRLF', () => {
    const text = '{\r\n  a = @ @\r\n  b = 1;\r\n}\r\n';
    const { findings } = analyzeSingle(text);
    const lines = text.split('\r\n');
    for (const f of findings) {
      for (const p of [f.range.start, f.range.end])
        assert.ok(p.character <= lines[p.line]!.length, JSON.stringify(f.range));
    }
    assert.deepEqual(findings.filter((f) => f.code === 'syntax-error')[0]?.range, {
      start: { line: 1, character: 6 },
      end: { line: 1, character: 9 },
    });
  });

  it('a rule finding (unknown-setting) in a whole CRLF clan, after tabs and emoji', () => {
    const dir = join(work, 'crlf-clan');
    cpSync(DEMO, dir, { recursive: true });
    const original = readFileSync(join(DEMO, 'clan.nix'), 'utf8');
    const edited = original
      .replace('        settings.start_at', '        \t/* 😀🎉 */ settings.start_at')
      .replace(/\n/g, '\r\n');
    writeFileSync(join(dir, 'clan.nix'), edited);
    const { findings } = analyzeClan(loadClanSources(dir));
    const f = findings.find((x) => x.code === 'unknown-setting' && x.uri === toUri(join(dir, 'clan.nix')));
    // 8 spaces + \t + `/* ` + 😀 (2) + 🎉 (2) + ` */ ` + `settings.` = 29 UTF-16 units before `start_at`.
    assert.deepEqual(f?.range, { start: { line: 24, character: 29 }, end: { line: 24, character: 37 } });
    assert.equal(edited.split('\r\n')[24]!.indexOf('start_at'), 29);
  });
});

describe('degenerate files', () => {
  it('an empty file', () => {
    assert.deepEqual(analyzeSingle('').findings.map(brief), [
      {
        code: 'syntax-error',
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        message: 'syntax error: unexpected end of file: the file holds no Nix expression',
      },
    ]);
  });

  it('a file of only comments: the problem is reported at its end', () => {
    assert.deepEqual(
      analyzeSingle('# only a comment\r\n/* and 😀 another */\n').findings.map((f) => [f.code, f.range.start]),
      [['syntax-error', { line: 2, character: 0 }]],
    );
  });

  it('whitespace, a lone CR and a byte-order mark', () => {
    for (const text of ['   \n\t\n', '\r', '\uFEFF{ meta.name = "bom"; }\n']) {
      const { findings } = analyzeSingle(text);
      for (const f of findings) assert.ok(f.range.start.line <= text.split('\n').length - 1, JSON.stringify(brief(f)));
    }
  });
});

const rng = mulberry32;

const EDIT_TEXTS = [
  '',
  '',
  '{',
  '}',
  ';',
  '=',
  '"',
  "''",
  '${',
  '[',
  ']',
  ' ',
  '\n',
  '\r\n',
  '\r',
  '\t',
  '😀',
  'é',
  'let x = 1; in',
  'settings.start_at = "x";',
  'roles.client.machines.ghost = { };',
  '# comment\n',
  '/*',
  '*/',
  '\\',
];

describe('language server under a stream of random incremental edits', () => {
  const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 7041;
  const EDITS = 300;
  let client: LspTestClient;
  let dir: string;

  before(async () => {
    dir = join(work, 'lsp-clan');
    cpSync(DEMO, dir, { recursive: true });
    client = new LspTestClient();
    await client.initialize(toUri(dir));
  });
  after(async () => {
    assert.equal(await client.shutdown(), 0, client.stderr);
  });

  it('reads positions after a lone CR as the client does (CR ends a line in LSP)', async () => {
    const single = join(work, 'lone-cr');
    mkdirSync(single);
    const uri = toUri(join(single, 'x.nix'));
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nix', version: 1, text: '{ a = 1;\r b = 2; }' },
    });
    // Line 1 is ` b = 2; }` for the client: the binding goes before `b`. Read with `\n`-only lines it would land after
    // the closing brace and be a syntax error.
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [
        { range: { start: { line: 1, character: 1 }, end: { line: 1, character: 1 } }, text: 'c = 3; ' },
      ],
    });
    const d = await client.waitForDiagnostics(uri, (p) => p.version === 2, 0, 30000);
    assert.deepEqual(
      d.diagnostics.filter((x) => x.code === 'syntax-error'),
      [],
    );
  });

  it(`stays up, keeps the editor's text, and publishes only current versions (seed ${SEED})`, async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED}`);
    const r = rng(SEED);
    const uri = toUri(join(dir, 'clan.nix'));
    const original = readFileSync(join(dir, 'clan.nix'), 'utf8');
    // The mirror: vscode-languageserver-textdocument applies the edits as an LSP client means them.
    let mirror = TextDocument.create(uri, 'nix', 1, original);
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nix', version: 1, text: original },
    });
    let version = 1;
    for (let i = 0; i < EDITS; i++) {
      const changes = Array.from({ length: r() < 0.8 ? 1 : 2 + Math.floor(r() * 3) }, () => {
        const len = mirror.getText().length;
        const a = Math.floor(r() * (len + 1));
        const b = Math.min(len, a + Math.floor(r() * (r() < 0.9 ? 8 : 40)));
        let start = mirror.positionAt(a);
        let end = mirror.positionAt(b);
        // Now and then what a sloppy client sends: positions past the end of a line or of the document, reversed ranges.
        if (r() < 0.05) end = { line: end.line, character: end.character + 50 };
        if (r() < 0.01 && len > original.length) end = { line: mirror.lineCount + 3, character: 0 };
        if (r() < 0.05) [start, end] = [end, start];
        // The document stays about as large as the clan, so positions of later findings depend on every earlier edit.
        const refill = len < original.length * 0.8;
        const from = Math.floor(r() * original.length);
        const text = refill
          ? original.slice(from, from + 200)
          : r() < 0.2
            ? mirror.getText().slice(a, Math.min(len, a + 40))
            : EDIT_TEXTS[Math.floor(r() * EDIT_TEXTS.length)]!;
        const change = { range: { start, end }, text };
        // Each change of a batch applies to the text left by the previous one, for the client as for the server.
        mirror = TextDocument.update(mirror, [change], mirror.version);
        return change;
      });
      version++;
      mirror = TextDocument.update(mirror, [], version);
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: changes,
      });
      // Interleave analyses with the edits: a code action analyses a pending change at once, and now and then the
      // stream waits for the debounced publication of the current version.
      if (r() < 0.1)
        await client.connection.sendRequest('textDocument/codeAction', {
          textDocument: { uri },
          range: changes[0]!.range,
          context: { diagnostics: [] },
        });
      if (i % 50 === 49) await client.waitForDiagnostics(uri, (p) => p.version === version, 0, 30000);
    }

    // 1. The server's text is the editor's text: its diagnostics for the last random version are those of an analysis
    // of the mirrored text.
    const randomFinal = await client.waitForDiagnostics(uri, (p) => p.version === version, 0, 30000);
    assert.ok(
      mirror.getText().length > original.length / 2 && /\r(?!\n)/.test(mirror.getText()),
      'the stream keeps a sizeable text with lone CRs',
    );
    const overlay: Overlay = new Map([[uri, { text: mirror.getText() }]]);
    const expected = analyzeClan(loadClanSources(dir, overlay)).findings.filter(
      (f) => f.uri === uri && f.code !== 'hook-shell',
    );
    const shape = (d: { code?: string | number; range: unknown; message: string }) =>
      JSON.stringify([d.code, d.range, d.message]);
    assert.deepEqual(
      randomFinal.diagnostics
        .filter((d) => d.code !== 'hook-shell')
        .map(shape)
        .sort(),
      expected.map(shape).sort(),
      `diverged from the editor's text after ${EDITS} random edits (FUZZ_SEED=${SEED})`,
    );
    t.diagnostic(`after the random edits: ${mirror.getText().length} characters, ${expected.length} findings`);

    // 2. Known final edits that only give the known text if the server maps the client's positions exactly as the
    // client does: the known text replaces everything after a point past the last lone CR, then the garbage before
    // that point is deleted. Any drift leaves garbage behind or cuts into the known text.
    const known = original
      .replace('        settings.start_at', '        /* 😀 */ settings.start_at')
      .replace(/\n/g, '\r\n');
    const garbage = mirror.getText();
    const lastLoneCr = Math.max(...[...garbage.matchAll(/\r(?!\n)/g)].map((m) => m.index!));
    const mid = lastLoneCr + 1 + Math.floor((garbage.length - lastLoneCr - 1) / 2);
    const tail = { start: mirror.positionAt(mid), end: mirror.positionAt(garbage.length) };
    mirror = TextDocument.update(mirror, [{ range: tail, text: known }], ++version);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: tail, text: known }],
    });
    const head = { start: { line: 0, character: 0 }, end: mirror.positionAt(mid) };
    mirror = TextDocument.update(mirror, [{ range: head, text: '' }], ++version);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: head, text: '' }],
    });
    assert.equal(mirror.getText(), known);
    const all = { start: { line: 0, character: 0 }, end: mirror.positionAt(known.length) };
    const final = await client.waitForDiagnostics(uri, (p) => p.version === version, 0, 30000);
    const unknown = final.diagnostics.find((d) => d.code === 'unknown-setting');
    assert.deepEqual(unknown?.range, { start: { line: 24, character: 26 }, end: { line: 24, character: 34 } });
    assert.ok(final.diagnostics.some((d) => d.code === 'undefined-machine'));
    assert.ok(!final.diagnostics.some((d) => d.code === 'syntax-error'), JSON.stringify(final.diagnostics));
    const knownFindings = analyzeClan(loadClanSources(dir, new Map([[uri, { text: known }]]))).findings.filter(
      (f) => f.uri === uri && f.code !== 'hook-shell',
    );
    assert.deepEqual(
      final.diagnostics
        .filter((d) => d.code !== 'hook-shell')
        .map(shape)
        .sort(),
      knownFindings.map(shape).sort(),
    );

    // 3. Versions only grow, and the last publication is for the last version. A request's answer comes after every
    // notification the server sent before it, so this sees everything published so far.
    await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: all,
      context: { diagnostics: [] },
    });
    const published = (Reflect.get(client, 'diagnostics') as PublishDiagnosticsParams[]).filter((p) => p.uri === uri);
    const versions = published.map((p) => p.version);
    assert.ok(
      versions.every((v) => typeof v === 'number'),
      'every publication for an open document carries its version',
    );
    for (let i = 1; i < versions.length; i++) {
      assert.ok(versions[i]! >= versions[i - 1]!, `version ${versions[i]} published after ${versions[i - 1]}`);
    }
    assert.equal(versions[versions.length - 1], version);
    t.diagnostic(`${versions.length} publications for ${version} versions`);
  });
});
