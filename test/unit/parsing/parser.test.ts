import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { editTree, initParsing, parseNix } from '../../../server/src/parsing/parser';

describe('parser', () => {
  before(() => initParsing());

  it('parses Nix and reports no error on valid input', () => {
    const tree = parseNix('{ a.b = "x"; c = [ 1 2 ]; }');
    assert.equal(tree.rootNode.hasError, false);
    assert.equal(tree.rootNode.firstNamedChild?.type, 'attrset_expression');
  });

  it('re-parses incrementally to the same tree as a fresh parse', () => {
    const text = '{ a = "hello"; b = { c = 1; }; }';
    const tree = parseNix(text);
    const at = text.indexOf('hello') + 2;
    const newText = editTree(tree, text, at, at, 'XY');
    const incremental = parseNix(newText, tree);
    assert.equal(incremental.rootNode.toString(), parseNix(newText).rootNode.toString());
    assert.equal(newText, '{ a = "heXYllo"; b = { c = 1; }; }');
  });
});
