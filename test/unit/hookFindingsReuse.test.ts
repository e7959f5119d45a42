// Hook findings kept across analyses (moved with their hooks) equal a fresh analysis after any edit.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkHooks, forgetKeptHookFindings } from '../../server/src/checks/hookChecks';
import { buildClanModel } from '../../server/src/model/clanModel';
import { readNixSource } from '../../server/src/model/sourceFile';
import { editTree, initParsing, parseNix } from '../../server/src/parsing/parser';
import { mulberry32 } from '../helpers/prng';

const STATE = (i: number) => `
    m${i} = { config, ... }: {
      clan.core.state.s${i} = {
        folders = [ "/var/lib/s${i}" ];
        preBackupScript = ''
          docker pause $(docker ps -q)
          systemctl stop app${i}.service
        '';
        postBackupScript = ''
          systemctl start app${i}.service
        '';
      };
    };`;
const CLAN = `{\n  meta.name = "hooks";\n  machines = {${[0, 1, 2, 3, 4, 5].map(STATE).join('')}\n  };\n}\n`;
const EDITS = ['x', '\n', ' ', '', '# c\n', '"', ';', 'lib, '];

describe('kept hook findings', () => {
  before(() => initParsing());
  it('equal a fresh analysis after each of 150 random edits', () => {
    const rnd = mulberry32(7);
    let text = CLAN;
    let tree = parseNix(text);
    let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
    const analyse = (f: typeof file) => checkHooks(buildClanModel({ dir: '/x', clanFile: f, machineFiles: [], machineDirs: [] }));
    const found = analyse(file);
    assert.ok(found.some((f) => f.code === 'hook-missing-path' && f.fixes?.some((x) => x.edits.length > 1)), 'a fix that also edits the function arguments');
    assert.ok(found.some((f) => f.code === 'unbalanced-hook'));
    for (let i = 0; i < 150; i++) {
      const start = Math.floor(rnd() * (text.length + 1));
      const end = Math.min(text.length, start + (rnd() < 0.6 ? 0 : Math.floor(rnd() * 4)));
      text = editTree(tree, text, start, end, EDITS[Math.floor(rnd() * EDITS.length)]!);
      const next = parseNix(text, tree);
      file = readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
      tree.delete();
      tree = next;
      const reused = analyse(file);
      forgetKeptHookFindings();
      const fresh = analyse(readNixSource('file:///x/clan.nix', 'clan', text));
      assert.deepEqual(reused, fresh, `after edit ${i}`);
    }
  });

  it('change a fix that extends the function arguments once the arguments are typed by hand', () => {
    let text = CLAN;
    let tree = parseNix(text);
    let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
    const analyse = (f: typeof file) => checkHooks(buildClanModel({ dir: '/x', clanFile: f, machineFiles: [], machineDirs: [] }));
    // m0's arguments are on line 4 (index 3).
    const argsEdits = (findings: ReturnType<typeof analyse>) => findings.filter((f) => f.code === 'hook-missing-path')
      .flatMap((f) => f.fixes ?? []).flatMap((x) => x.edits).filter((e) => e.range.start.line === 3).map((e) => e.newText);
    assert.deepEqual(argsEdits(analyse(file)), ['lib, pkgs, ']);
    // The hooks keep their lines and characters: their values are the same objects as before the edit.
    const at = text.indexOf('{ config, ') + '{ config, '.length;
    text = editTree(tree, text, at, at, 'lib, ');
    const next = parseNix(text, tree);
    file = readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
    tree.delete();
    assert.deepEqual(argsEdits(analyse(file)), ['pkgs, ']);
    next.delete();
  });

  it('add the function arguments to a fix again once they are deleted by hand', () => {
    // Both caches: the state's attrset is the same object after the edit (it starts on a later line), and its hook
    // texts are unchanged (the text-keyed cache); only the module's arguments changed.
    for (const drop of [false, true]) {
      let text = CLAN.replace('m0 = { config, ... }:', 'm0 = { config, lib, pkgs, ... }:');
      let tree = parseNix(text);
      let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
      const analyse = (f: typeof file) => checkHooks(buildClanModel({ dir: '/x', clanFile: f, machineFiles: [], machineDirs: [] }));
      const argsEdits = (findings: ReturnType<typeof analyse>) => findings.filter((f) => f.code === 'hook-missing-path')
        .flatMap((f) => f.fixes ?? []).flatMap((x) => x.edits).filter((e) => e.range.start.line === 3).map((e) => e.newText);
      assert.deepEqual(argsEdits(analyse(file)), []);
      if (drop) file = readNixSource('file:///x/clan.nix', 'clan', text);
      const at = text.indexOf('lib, pkgs, ');
      text = editTree(tree, text, at, at + 'lib, pkgs, '.length, '');
      const next = parseNix(text, tree);
      file = drop ? readNixSource('file:///x/clan.nix', 'clan', text) : readNixSource('file:///x/clan.nix', 'clan', text, next, undefined, file);
      tree.delete();
      assert.deepEqual(argsEdits(analyse(file)), ['lib, pkgs, '], drop ? 'text-keyed cache' : 'same attrset');
      next.delete();
    }
  });

  /** Findings after one edit, read incrementally, next to those of a fresh read of the same text. */
  function afterEdit(text: string, from: number, to: number, insert: string) {
    let tree = parseNix(text);
    let file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
    const analyse = (f: typeof file) => checkHooks(buildClanModel({ dir: '/x', clanFile: f, machineFiles: [], machineDirs: [] }));
    const before = analyse(file);
    const edited = editTree(tree, text, from, to, insert);
    const next = parseNix(edited, tree);
    file = readNixSource('file:///x/clan.nix', 'clan', edited, next, undefined, file);
    tree.delete();
    tree = next;
    const reused = analyse(file);
    forgetKeptHookFindings();
    const fresh = analyse(readNixSource('file:///x/clan.nix', 'clan', edited));
    tree.delete();
    return { before, reused, fresh };
  }

  it('follow the arguments of whatever function the PATH fix extends, not only a machine module', () => {
    // clan.nix itself is the function here; the machine's module is a plain attribute set (found in review).
    const text = `{ lib, pkgs, ... }:
{
  machines.foo = {
    clan.core.state.db.preBackupScript = "git bundle create /b --all";
  };
}
`;
    const at = text.indexOf('lib, ');
    const { before, reused, fresh } = afterEdit(text, at, at + 'lib, '.length, '');
    assert.equal(before[0]?.fixes?.[0]?.edits.length, 1, 'before: lib and pkgs are there');
    assert.deepEqual(reused, fresh);
    assert.deepEqual(fresh[0]?.fixes?.[0]?.edits.map((e) => e.newText).slice(1), ['lib, ']);
  });

  it('indent a new post hook like the pre hook after the pre hook\'s line is re-indented', () => {
    const text = `{
  machines.foo = {
    clan.core.state.db.preBackupScript = "systemctl stop db.service";
  };
}
`;
    const at = text.indexOf('    clan');
    const { reused, fresh } = afterEdit(text, at, at + 2, '');
    assert.deepEqual(reused, fresh);
    assert.match(fresh[0]!.fixes![0]!.edits[0]!.newText, /^\n {2}clan\.core\.state\.db\.postBackupScript/);
  });
});
