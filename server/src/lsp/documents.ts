// Open documents with their syntax trees, updated incrementally: each content change is applied to the text and to
// the previous tree (tree.edit), and the next parse reuses every unchanged subtree.
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { editTree, parseNix, Tree } from '../parsing/parser';
import { LineIndex } from '../model/range';

export interface OpenDoc {
  uri: string;
  languageId: string;
  version: number;
  text: string;
  /** Nix documents only; inventory.json has none. */
  tree?: Tree;
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDoc>();

  open(uri: string, languageId: string, version: number, text: string): OpenDoc {
    const doc: OpenDoc = { uri, languageId, version, text };
    if (isNixUri(uri)) doc.tree = parseNix(text);
    this.docs.set(uri, doc);
    return doc;
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): OpenDoc | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    let text = doc.text;
    let tree = doc.tree;
    for (const change of changes) {
      if ('range' in change) {
        const lines = new LineIndex(text);
        const start = lines.offsetAt(change.range.start);
        const end = lines.offsetAt(change.range.end);
        text = tree ? editTree(tree, text, start, end, change.text) : text.slice(0, start) + change.text + text.slice(end);
      } else {
        // A full-text change invalidates the old tree: nothing can be reused.
        text = change.text;
        tree = undefined;
      }
    }
    doc.text = text;
    doc.version = version;
    if (isNixUri(uri)) {
      const old = doc.tree;
      doc.tree = parseNix(text, tree);
      old?.delete();
    }
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
