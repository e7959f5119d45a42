// The plain copy of a bash tree (hooks/shellTree.ts) against tree-sitter's own nodes: every property the hook
// analyses read must be what tree-sitter says, node for node.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Node } from '../../../server/src/parsing/parser';
import { initParsing, parseBash } from '../../../server/src/parsing/parser';
import { ShellNode, shellTreeOf } from '../../../server/src/hooks/shellTree';

const SCRIPTS = [
  'systemctl stop app.service\nPATH=/bin:$PATH docker ps -q | xargs -r docker stop\n',
  'echo $\ntest "$a" == b\n[[ $x =~ ^a ]] && x=1 y=2 cmd --flag "arg $v" \'raw\' $(sub) `old`\n',
  "f() { local PATH=/x; export A=1 PATH; g; }\ntrap 'systemctl start a' EXIT\nf\n",
  'cat <<EOF\nline $x\nEOF\nfor i in 1 2; do while :; do break; done; done\ncase $a in x) y ;; esac\n',
  'if then fi ((\n"unterminated\n',
  '__NIX_INTERP_0__/bin/pg_dump --file=/var/backup/db.sql __NIX_INTERP_1__\n',
  'echo 😀 x\r\nprintf "%s" "é${v}"\r\n',
  'echo a\0b\n',
  '',
];

/** The bash texts of the repository's hook fixtures (Nix interpolations left in), `''…''` bodies of `*Script` bindings. */
function fixtureScripts(): string[] {
  const dir = join(__dirname, '../../../../test/fixtures');
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.nix')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/Script\s*=\s*''([\s\S]*?)'';/g)) out.push(m[1]!);
      }
    }
  };
  walk(dir);
  return out;
}

function compare(copy: ShellNode, node: Node, parent: ShellNode | undefined, path: string): number {
  assert.equal(copy.type, node.type, path);
  assert.equal(copy.startIndex, node.startIndex, path);
  assert.equal(copy.endIndex, node.endIndex, path);
  assert.equal(copy.text, node.text, path);
  assert.equal(copy.parent, parent, `${path}: parent`);
  // The parent the copy was made under is tree-sitter's own parent of the node.
  assert.deepEqual(
    [copy.parent?.type, copy.parent?.startIndex, copy.parent?.endIndex],
    [node.parent?.type, node.parent?.startIndex, node.parent?.endIndex],
    `${path}: tree-sitter's parent`,
  );
  const named = node.namedChildren.filter((n): n is Node => n !== null);
  assert.equal(copy.namedChildren.length, named.length, `${path}: named children`);
  let count = 1;
  named.forEach((n, i) => (count += compare(copy.namedChildren[i]!, n, copy, `${path}/${n.type}[${i}]`)));
  if (['command', 'function_definition', 'variable_assignment'].includes(node.type)) {
    const name = node.childForFieldName('name');
    assert.equal(copy.name?.startIndex, name?.startIndex, `${path}: name`);
    assert.equal(copy.name?.endIndex, name?.endIndex, `${path}: name`);
    assert.equal(copy.name?.type, name?.type, `${path}: name`);
    if (name?.isNamed) assert.ok(copy.namedChildren.includes(copy.name!), `${path}: name is a named child`);
  } else {
    assert.equal(copy.name, undefined, `${path}: no name field read`);
  }
  const args = node.type === 'command' ? node.childrenForFieldName('argument').filter((n): n is Node => !!n) : [];
  assert.deepEqual(
    copy.arguments.map((a) => [a.type, a.startIndex, a.endIndex]),
    args.map((a) => [a.type, a.startIndex, a.endIndex]),
    `${path}: arguments`,
  );
  return count;
}

describe('hooks: bash trees copied out of tree-sitter', () => {
  before(() => initParsing());

  it('gives every node the type, offsets, text, parent, named children and fields tree-sitter gives it', () => {
    const scripts = [...SCRIPTS, ...fixtureScripts()];
    assert.ok(scripts.length > SCRIPTS.length + 5, `fixture hooks found: ${scripts.length - SCRIPTS.length}`);
    let nodes = 0;
    let anonymousArguments = 0;
    for (const text of scripts) {
      const tree = parseBash(text);
      try {
        const copy = shellTreeOf(text);
        assert.equal(copy.hasError, tree.rootNode.hasError, text);
        nodes += compare(copy.root, tree.rootNode, undefined, JSON.stringify(text.slice(0, 40)));
        const count = (n: ShellNode): number =>
          n.arguments.filter((a) => !n.namedChildren.includes(a)).length +
          n.namedChildren.reduce((s, c) => s + count(c), 0);
        anonymousArguments += count(copy.root);
      } finally {
        tree.delete();
      }
    }
    assert.ok(nodes > 400, `${nodes} nodes compared`);
    // `echo $` and `test "$a" == b`: arguments that are anonymous tokens, copied on their own.
    assert.ok(anonymousArguments >= 2, `${anonymousArguments} anonymous arguments`);
  });

  it('copies a script nested thousands deep without overflowing the stack', () => {
    const depth = 5000;
    const tree = shellTreeOf(`echo ${'$('.repeat(depth)}true${')'.repeat(depth)}\n`);
    let substitutions = 0;
    let node: ShellNode | undefined = tree.root;
    while (node) {
      if (node.type === 'command_substitution') substitutions++;
      node = node.type === 'command' && node.arguments.length > 0 ? node.arguments[0] : node.firstNamedChild;
    }
    assert.equal(substitutions, depth);
  });

  it('marks a script with a syntax error', () => {
    assert.equal(shellTreeOf('if then fi ((').hasError, true);
    assert.equal(shellTreeOf('echo ok\n').hasError, false);
  });
});
