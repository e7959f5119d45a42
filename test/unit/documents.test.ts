// The document store applies the client's incremental changes exactly as the client means them, also where an edit
// joins or splits a `\r\n` (its line table is updated per change, not rebuilt).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentStore } from '../../server/src/lsp/documents';
import { initParsing } from '../../server/src/parsing/parser';
import { mulberry32 } from '../helpers/prng';

const URI = 'file:///x/clan.nix';

/** What the client holds: its document rebuilt from the whole text before each change. */
function clientApply(text: string, change: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }): string {
  return TextDocument.update(TextDocument.create(URI, 'nix', 0, text), [change], 1).getText();
}

describe('document store', () => {
  before(() => initParsing());

  it('joins and splits CR LF where the client does', () => {
    const store = new DocumentStore();
    let text = '{\n  a = 1;\n  b = 2;\n}\n';
    store.open(URI, 'nix', 1, text);
    const changes = [
      { range: { start: { line: 0, character: 1 }, end: { line: 0, character: 1 } }, text: '\r' }, // `{\r\n`: one line break
      { range: { start: { line: 2, character: 6 }, end: { line: 2, character: 7 } }, text: '3' }, // b = 2 → b = 3
      { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } }, text: 'x\r' }, // a lone CR ends a line
      { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '\n' }, // CR + LF: one line break again
      { range: { start: { line: 3, character: 2 }, end: { line: 3, character: 3 } }, text: 'c' }, // b → c
    ];
    let version = 1;
    for (const change of changes) {
      text = clientApply(text, change);
      assert.equal(store.change(URI, ++version, [change])!.text, text, `after change ${version}`);
    }
    assert.equal(text, '{\r\n  x\r\na = 1;\n  c = 3;\n}\n');
  });

  it('equals the client after 2,000 random edits of line breaks', () => {
    const rnd = mulberry32(11);
    const store = new DocumentStore();
    let text = 'a\r\nb\rc\n\nd\r\r\ne\n';
    store.open(URI, 'nix', 1, text);
    const pieces = ['\r', '\n', '\r\n', 'x', '', 'y\r', '\nz'];
    for (let version = 2; version < 2002; version++) {
      const doc = TextDocument.create(URI, 'nix', 0, text);
      const a = Math.floor(rnd() * (text.length + 1));
      const b = Math.min(text.length, a + Math.floor(rnd() * 3));
      const change = { range: { start: doc.positionAt(a), end: doc.positionAt(b) }, text: pieces[Math.floor(rnd() * pieces.length)]! };
      text = clientApply(text, change);
      assert.equal(store.change(URI, version, [change])!.text, text, `after edit ${version}: ${JSON.stringify(change)}`);
      if (text.length > 60) text = store.change(URI, ++version, [{ text: 'a\r\nb\rc\n' }])!.text;
    }
  });
});
