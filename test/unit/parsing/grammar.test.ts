// Snapshot tests of the TextMate grammars (syntaxes/nix.tmLanguage.json and the hook-shell injection), tokenized with
// the same engine VS Code uses. No shell grammar is installed offline, so `source.shell` is a small stub
// (test/fixtures/grammar/shell-stub.tmLanguage.json); set SHELL_GRAMMAR=/path/to/shell-unix-bash.tmLanguage.json to
// run the same assertions against VS Code's real one (the snapshot is only compared with the stub).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { skipUnlessTool } from '../../helpers/tools';

const ROOT = resolve(__dirname, '../../../..');
const FIXTURES = join(ROOT, 'test/fixtures/grammar');
const UPDATE = process.env.UPDATE_GRAMMAR_SNAPSHOTS === '1';

interface Token {
  line: number;
  text: string;
  scopes: string[];
}

let onigReady: Promise<void> | undefined;

function onigLib(): Promise<vsctm.IOnigLib> {
  onigReady ??= (async () => {
    const wasm = readFileSync(join(dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  })();
  return onigReady.then(() => ({
    createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s: string) => new oniguruma.OnigString(s),
  }));
}

function registry(shellGrammarPath: string): vsctm.Registry {
  const files: Record<string, string> = {
    'source.nix': join(ROOT, 'syntaxes/nix.tmLanguage.json'),
    'nix-hook-shell.injection': join(ROOT, 'syntaxes/nix-hook-shell.injection.tmLanguage.json'),
    'source.shell': shellGrammarPath,
  };
  return new vsctm.Registry({
    onigLib: onigLib(),
    loadGrammar: async (scopeName) => {
      const file = files[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(readFileSync(file, 'utf8'), file);
    },
    // As package.json's `injectTo: ["source.nix"]` does in VS Code.
    getInjections: (scopeName) => (scopeName === 'source.nix' ? ['nix-hook-shell.injection'] : undefined),
  });
}

async function tokenize(
  text: string,
  shellGrammarPath = join(FIXTURES, 'shell-stub.tmLanguage.json'),
): Promise<Token[]> {
  const grammar = await registry(shellGrammarPath).loadGrammar('source.nix');
  assert.ok(grammar, 'source.nix grammar loads');
  const out: Token[] = [];
  let state = vsctm.INITIAL;
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) out.push({ line: i, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    state = r.ruleStack;
  });
  return out;
}

/** One token a line: `line "text" scope scope …` (source.nix, the root of every token, left out). */
function snapshot(tokens: Token[]): string {
  return `${tokens
    .filter((t) => t.text.trim() !== '' || t.scopes.length > 1)
    .map((t) => `${t.line + 1} ${JSON.stringify(t.text)} ${t.scopes.slice(1).join(' ')}`)
    .join('\n')}\n`;
}

function find(tokens: Token[], text: string, line?: number): Token {
  const t = tokens.find((x) => x.text === text && (line === undefined || x.line === line));
  assert.ok(t, `token ${JSON.stringify(text)}${line === undefined ? '' : ` on line ${line}`} not found`);
  return t;
}

function has(t: Token, scope: string): boolean {
  return t.scopes.some((s) => s === scope || s.startsWith(`${scope}.`));
}

const HOOKS = readFileSync(join(FIXTURES, 'hooks.nix'), 'utf8');

describe('TextMate grammars', () => {
  let tokens: Token[];
  before(async () => {
    tokens = await tokenize(HOOKS);
  });

  it('matches the snapshot of the hook example', () => {
    const file = join(FIXTURES, 'hooks.nix.snap');
    const actual = snapshot(tokens);
    // A missing snapshot is written on a developer's machine, but is a failure in CI.
    if (UPDATE || (!existsSync(file) && !process.env.CI)) writeFileSync(file, actual);
    assert.equal(actual, readFileSync(file, 'utf8'));
  });

  it('scopes commands inside preBackupScript and postBackupScript as shell', () => {
    const pre = find(tokens, 'systemctl', 15);
    assert.ok(has(pre, 'source.shell'), pre.scopes.join(' '));
    assert.ok(has(pre, 'meta.embedded.block.hook-shell'));
    assert.ok(has(pre, 'entity.name.command.shell'), pre.scopes.join(' '));
    // A hook wrapped in `lib.mkAfter` is still a hook.
    const post = find(tokens, 'systemctl', 19);
    assert.ok(has(post, 'source.shell'), post.scopes.join(' '));
    assert.ok(has(find(tokens, 'export', 9), 'source.shell'));
  });

  it('keeps ${lib.makeBinPath …} and other interpolations Nix, also inside shell quotes and comments', () => {
    const open = find(tokens, '${', 9);
    assert.ok(has(open, 'punctuation.section.embedded.begin.nix'), open.scopes.join(' '));
    const lib = find(tokens, 'lib', 10);
    assert.equal(lib.scopes[lib.scopes.length - 1], 'variable.other.nix');
    assert.ok(has(lib, 'meta.embedded.interpolation.nix'));
    assert.equal(find(tokens, 'makeBinPath', 10).scopes.at(-1), 'variable.other.member.nix');
    assert.equal(find(tokens, 'package', 11).scopes.at(-1), 'variable.other.member.nix');
    const close = tokens.find((t) => t.line === 13 && t.text.includes('}'))!;
    assert.ok(has(close, 'punctuation.section.embedded.end.nix'), close.scopes.join(' '));
    // In a shell comment and inside a shell double-quoted string, ${…} is still Nix.
    assert.equal(find(tokens, 'toString', 14).scopes.at(-1), 'support.function.builtin.nix');
    const hello = find(tokens, 'pkgs', 16);
    assert.ok(
      has(hello, 'string.quoted.double.shell') && hello.scopes.at(-1) === 'variable.other.nix',
      hello.scopes.join(' '),
    );
    // Braces inside the interpolation do not end it; the Nix string inside stays a Nix string.
    const nixString = tokens.find((t) => t.line === 19 && t.text === ' ' && has(t, 'string.quoted.double.nix'));
    assert.ok(nixString && has(nixString, 'meta.embedded.interpolation.nix'));
    assert.ok(has(find(tokens, '&&', 19), 'source.shell'));
  });

  it('treats Nix escapes as escapes and ends the shell at the closing quotes', () => {
    const dollar = find(tokens, "''$", 16);
    assert.ok(has(dollar, 'constant.character.escape.nix'), dollar.scopes.join(' '));
    assert.ok(has(find(tokens, "'''", 16), 'constant.character.escape.nix'));
    const closing = find(tokens, "''", 17);
    assert.ok(has(closing, 'punctuation.definition.string.end.nix'), closing.scopes.join(' '));
    assert.ok(!has(find(tokens, 'services', 22), 'source.shell'));
    assert.ok(has(find(tokens, 'services', 22), 'entity.other.attribute-name.nix'));
  });

  it('tokenizes plain Nix: comments, strings, numbers, paths, keywords, attribute names, parameters', () => {
    assert.ok(has(tokens[0]!, 'comment.line.number-sign.nix'));
    assert.equal(find(tokens, 'config', 1).scopes.at(-1), 'variable.parameter.function.nix');
    assert.equal(find(tokens, 'let', 2).scopes.at(-1), 'keyword.other.nix');
    assert.equal(find(tokens, 'units', 3).scopes.at(-1), 'entity.other.attribute-name.nix');
    assert.ok(has(find(tokens, 'clan', 6), 'entity.other.attribute-name.nix'));
    assert.ok(has(find(tokens, 'nextcloud', 6), 'entity.other.attribute-name.nix'));
    assert.ok(has(find(tokens, './data', 7), 'string.unquoted.path.nix'));
    assert.ok(has(find(tokens, '1.5', 23), 'constant.numeric.float.nix'));
    assert.ok(has(find(tokens, 'if', 23), 'keyword.control.conditional.nix'));
    assert.ok(has(find(tokens, 'null', 23), 'constant.language.nix'));
    assert.ok(has(find(tokens, '"', 23), 'punctuation.definition.string.begin.nix'));
    assert.ok(has(find(tokens, 'true', 22), 'constant.language.nix'));
  });

  it(
    "works with VS Code's real shell grammar when SHELL_GRAMMAR points to it",
    { skip: skipUnlessTool('shellGrammar', "the hook-shell injection with VS Code's real shell grammar") },
    async () => {
      const real = await tokenize(HOOKS, process.env.SHELL_GRAMMAR!);
      assert.ok(has(find(real, 'systemctl', 15), 'source.shell'));
      assert.equal(find(real, 'lib', 10).scopes.at(-1), 'variable.other.nix');
      // (VS Code's grammar matches a shell comment as one token, so ${…} in a comment stays comment-coloured there.)
      assert.equal(find(real, 'pkgs', 16).scopes.at(-1), 'variable.other.nix');
      assert.ok(has(find(real, "''", 17), 'punctuation.definition.string.end.nix'));
      assert.ok(!has(find(real, 'services', 22), 'source.shell'));
      assert.ok(has(find(real, "''", 20), 'punctuation.definition.string.end.nix'));
      assert.ok(!has(find(real, 'networking', 23), 'source.shell'));
    },
  );
});
