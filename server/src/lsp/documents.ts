// Open documents with their syntax trees, updated incrementally: each content change is applied to the text and to
// the previous tree (tree.edit), and the next parse reuses every unchanged subtree.
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { editTree, parseNix, tooLargeToParse, Tree } from '../parsing/parser';

export interface OpenDoc {
  uri: string;
  languageId: string;
  version: number;
  text: string;
  /** Nix documents only; inventory.json has none. */
  tree?: Tree;
}

/** The store's own view of a document: its line table is updated with each change instead of rebuilt. */
interface StoredDoc extends OpenDoc {
  positions: TextDocument;
}

export class DocumentStore {
  private readonly docs = new Map<string, StoredDoc>();

  open(uri: string, languageId: string, version: number, text: string): OpenDoc {
    const doc: StoredDoc = {
      uri,
      languageId,
      version,
      text,
      positions: TextDocument.create(uri, languageId, version, text),
    };
    // A file too large to parse has no tree; the analysis reports it (see readNixSource).
    if (isNixUri(uri) && !tooLargeToParse(text)) doc.tree = parseNix(text);
    this.docs.set(uri, doc);
    return doc;
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): OpenDoc | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    let text = doc.text;
    let tree = doc.tree;
    let positions = doc.positions;
    for (const change of changes) {
      if ('range' in change) {
        // Positions are read as the client means them, i.e. as vscode-languageserver-textdocument does: `\r\n`, `\r`
        // and `\n` all end a line, a character beyond its line's end stops before the line break, and a reversed
        // range counts from its earlier end. (Splitting at `\n` only would apply edits after a lone `\r` to the wrong
        // line, and the server's text would silently drift from the editor's.)
        let start = positions.offsetAt(change.range.start);
        let end = positions.offsetAt(change.range.end);
        if (end < start) [start, end] = [end, start];
        text = tree
          ? editTree(tree, text, start, end, change.text)
          : text.slice(0, start) + change.text + text.slice(end);
        // TextDocument.update moves the following line starts instead of scanning the whole text again, but it counts
        // the line breaks of the inserted text alone: where a `\r` now ends just before either edge of the edit, a
        // `\r\n` may have been joined or split there, and only a rebuild counts the lines right. A range that names a
        // line past the end of the document (a sloppy client's) is rebuilt after too.
        const edge = start + change.text.length;
        const pastEnd = Math.max(change.range.start.line, change.range.end.line) >= positions.lineCount;
        positions =
          pastEnd || text[start - 1] === '\r' || text[edge - 1] === '\r'
            ? TextDocument.create(uri, doc.languageId, version, text)
            : TextDocument.update(positions, [change], version);
      } else {
        // A full-text change invalidates the old tree: nothing can be reused.
        text = change.text;
        tree = undefined;
        positions = TextDocument.create(uri, doc.languageId, version, text);
      }
    }
    doc.positions = positions;
    doc.text = text;
    doc.version = version;
    const old = doc.tree;
    if (isNixUri(uri) && !tooLargeToParse(text)) doc.tree = parseNix(text, tree);
    else delete doc.tree;
    old?.delete();
    return doc;
  }

  close(uri: string): void {
    this.docs.get(uri)?.tree?.delete();
    this.docs.delete(uri);
  }

  get(uri: string): OpenDoc | undefined {
    return this.docs.get(uri);
  }

  all(): OpenDoc[] {
    return [...this.docs.values()];
  }
}

export function isNixUri(uri: string): boolean {
  return uri.endsWith('.nix');
}
