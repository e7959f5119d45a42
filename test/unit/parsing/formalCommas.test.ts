// Trailing commas in formals (nixfmt's style) parse as Nix parses them: the same verdict as `nix-instantiate --parse`
// on a generated corpus of formals forms, and for valid ones the same reading of every function's arguments.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readNixSource } from '../../../server/src/model/sourceFile';
import { trailingFormalCommas } from '../../../server/src/parsing/formalCommas';
import { editTree, initParsing, Node, parseNix } from '../../../server/src/parsing/parser';
import { mulberry32 } from '../../helpers/prng';
import { skipUnlessTool } from '../../helpers/tools';

/** Every function of the tree in source order: its argument name, or its formals (name, has a default), `...`, `@`. */
function functions(node: Node, out: string[] = []): string[] {
  if (node.type === 'function_expression') {
    const universal = node.childForFieldName('universal')?.text;
    const formals = node.childForFieldName('formals');
    if (!formals) out.push(`${universal}:`);
    else {
      const names = formals
        .childrenForFieldName('formal')
        .map((f) => `${f?.childForFieldName('name')?.text}${f?.childForFieldName('default') ? '?' : ''}`);
      if (formals.childForFieldName('ellipses')) names.push('...');
      out.push(`{${names.join(',')}}${universal ? `@${universal}` : ''}:`);
    }
  }
  for (const c of node.namedChildren) if (c) functions(c, out);
  return out;
}

function productVerdict(text: string): boolean {
  return readNixSource('file:///t/f.nix', 'machine', text).syntaxProblems.length === 0;
}

describe('trailing commas in formals', () => {
  before(() => initParsing());

  it('finds the commas that end formals, and none in strings, comments, URIs or elsewhere', () => {
    const at = trailingFormalCommas;
    assert.deepEqual(at('{ a, }: a'), [3]);
    assert.deepEqual(at('args@{ a, b ? 1, }: a'), [15]);
    assert.deepEqual(at('{ a, }@args: a'), [3]);
    assert.deepEqual(at('{ a ? { x = 1; }, }: a'), [16]);
    assert.deepEqual(at('{ a, /* , } */ }: a'), [3]);
    assert.deepEqual(at('{ a, # c, }\n}: a'), [3]);
    assert.deepEqual(at('"{ a, }: a"'), []);
    assert.deepEqual(at("''{ a, }: ''${x} '''{ b, }: a''"), []);
    assert.deepEqual(at('"${({ a, }: a) { a = 1; }}"'), [7]);
    assert.deepEqual(at("''${({ a, }: a) { a = 1; }}''"), [8]);
    assert.deepEqual(at('# { a, }: a\n/* { b, }: b */ 1'), []);
    // Not after a formal: Nix rejects these, and so must the product.
    assert.deepEqual(at('{ , }: 1'), []);
    assert.deepEqual(at('{ a, , b }: 1'), []);
    assert.deepEqual(at('{ ..., }: 1'), []);
    assert.deepEqual(at('{ a, ..., }: 1'), []);
    // A `}` not followed by `:` or `@` closes no formals.
    assert.deepEqual(at('{ a, }'), []);
  });

  it('parses nixfmt-style modules with no syntax problem and reads their arguments', () => {
    const text = '{\r\n  config,\r\n  lib,\r\n  pkgs,\r\n}:\r\n{\r\n  clan.core.state.a.folders = [ "/a" ];\r\n}\r\n';
    const tree = parseNix(text);
    assert.equal(tree.rootNode.hasError, false);
    assert.deepEqual(functions(tree.rootNode), ['{config,lib,pkgs}:']);
    // Node text is the document's own, commas included.
    const formals = tree.rootNode.descendantsOfType('formals')[0]!;
    assert.equal(formals.text, '{\r\n  config,\r\n  lib,\r\n  pkgs,\r\n}');
    assert.equal(readNixSource('file:///t/f.nix', 'machine', text).syntaxProblems.length, 0);
  });

  it('keeps an incrementally re-parsed tree equal to a fresh parse when a trailing comma starts or stops ending formals', () => {
    const steps: Array<[string, string]> = [
      // [find, replace-with] applied in turn to the text
      ['a, }', 'a, b }'], // the comma no longer ends formals
      ['a, b }', 'a, }'], // and again it does
      ['}: {', '} {'], // the `:` goes: not formals any more
      ['} {', '}: {'],
      ['{ a,', '{ a, c,'],
      ['"s"', '"${({ x, }: x) { x = 1; }}"'],
    ];
    let text = 'let f = { a, }: { v = "s"; }; in f { a = 1; }';
    let tree = parseNix(text);
    for (const [find, replace] of steps) {
      const start = text.indexOf(find);
      assert.ok(start >= 0, find);
      const next = editTree(tree, text, start, start + find.length, replace);
      const incremental = parseNix(next, tree);
      assert.equal(incremental.rootNode.toString(), parseNix(next).rootNode.toString(), `after ${find} → ${replace}`);
      tree = incremental;
      text = next;
    }
    // Typing one character at a time through a trailing comma and past it.
    text = '{ a }: a';
    tree = parseNix(text);
    for (const ch of [',', ' ', 'b', ',']) {
      const at = text.indexOf(' }');
      text = editTree(tree, text, at, at, ch);
      const incremental = parseNix(text, tree);
      assert.equal(incremental.rootNode.toString(), parseNix(text).rootNode.toString(), text);
      assert.equal(incremental.rootNode.hasError, false, text);
      tree = incremental;
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

const NAMES = ['a', 'b', 'config', 'lib', "x'", 'pkgs-x'];
const DEFAULTS = ['1', '{ x = 1; }', '(y: y)', '"s,}:"', "''a, }''", 'a', '[ 1 ]', '({ q, }: q)'];
const GAPS = [' ', '', '\n  ', '\r\n  ', ' # c, }\n  ', ' /* , }: */ '];

/** One random formals form: commas, defaults, `@` on either side, comments and CRLF between tokens, some invalid. */
function generate(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const gap = () => pick(GAPS);
  const names = [...NAMES].sort(() => rnd() - 0.5).slice(0, Math.floor(rnd() * 4));
  const formals = names.map((n) => (rnd() < 0.3 ? `${n}${gap()}?${gap()}${pick(DEFAULTS)}` : n));
  const ellipsis = rnd() < 0.25;
  const items = ellipsis ? [...formals, '...'] : formals;
  let body = items.join(`,${gap()}`);
  const r = rnd();
  if (r < 0.55 && items.length > 0)
    body += `,${gap()}`; // a trailing comma (invalid after `...`)
  else if (r < 0.6)
    body = `,${gap()}${body}`; // a leading comma: invalid
  else if (r < 0.65 && items.length > 1) body = body.replace(',', ',,'); // a doubled comma: invalid
  let fn = `{${gap()}${body}${gap()}}`;
  const at = rnd();
  if (at < 0.2) fn = `args${gap()}@${gap()}${fn}`;
  else if (at < 0.4) fn = `${fn}${gap()}@${gap()}args`;
  // After `@args`, `:` needs a blank: `args:a` is a URI to Nix (a divergence of the grammar, not of trailing commas).
  fn = `${fn}:${at >= 0.2 && at < 0.4 ? ' ' : gap()}${names[0] ?? '1'}`;
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return fn;
    case 1:
      return `x:${gap()}${fn}`; // nested
    case 2:
      return `"\${(${fn}) { }}"`; // an interpolation holding a function
    case 3:
      return `let${gap()}f = ${fn};${gap()}in f`;
    default:
      return `{ imports = [ (${fn}) ]; s = ''\${(${fn}) { }}''; }`;
  }
}

/** nix-instantiate --parse on each file, two at a time: the printed expression, or undefined for a syntax error. */
async function nixParse(files: string[]): Promise<Array<string | undefined>> {
  const out: Array<string | undefined> = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      out[i] = await new Promise<string | undefined>((resolve) => {
        const p = spawn('nix-instantiate', ['--parse', files[i]!]);
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        // An unbound name is not a syntax error (Nix resolves variables while parsing); the snippets have free names.
        p.on('close', (code) => resolve(code === 0 ? stdout : /undefined variable/.test(stderr) ? '' : undefined));
      });
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

describe(
  'trailing commas in formals against nix-instantiate --parse',
  {
    skip: skipUnlessTool('nix', 'trailing commas in formals against nix-instantiate --parse'),
  },
  () => {
    before(() => initParsing());

    it('300 generated formals forms: the same verdict, and for valid ones the same functions and arguments', async () => {
      const rnd = mulberry32(1166);
      const fixed = [
        '{ , }: 1',
        '{ a, , b }: 1',
        '{ ..., }: 1',
        '{ a, ..., }: 1',
        '{ a, }: a',
        '{ a ? 1, }: a',
        'args@{ a, b, }: a',
        '{ a, }@args: a',
        '{ lib, config, }: { }',
      ];
      const cases = [...fixed, ...Array.from({ length: 291 }, () => generate(rnd))];
      const dir = mkdtempSync(join(tmpdir(), 'clan-backups-formals-'));
      const files = cases.map((text, i) => {
        const f = join(dir, `${i}.nix`);
        writeFileSync(f, text);
        return f;
      });
      const printed = await nixParse(files);
      let valid = 0;
      for (const [i, text] of cases.entries()) {
        const nix = printed[i];
        assert.equal(
          productVerdict(text),
          nix !== undefined,
          `verdict on ${JSON.stringify(text)}: nix says ${nix === undefined ? 'syntax error' : 'valid'}`,
        );
        if (nix === undefined || nix === '') continue;
        valid++;
        // Nix prints the expression canonically (no trailing commas, no comments): both must read as the same functions.
        assert.deepEqual(functions(parseNix(text).rootNode), functions(parseNix(nix).rootNode), JSON.stringify(text));
      }
      assert.ok(valid > 100, `only ${valid} valid cases were compared`);
    });
  },
);
