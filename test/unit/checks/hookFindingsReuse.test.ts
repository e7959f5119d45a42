// Hook findings kept across analyses (moved with their hooks) equal a fresh analysis after any edit.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AnalysisMemo } from '../../../server/src/checks/analysisMemo';
import { checkHooks } from '../../../server/src/checks/hookRuleChecks';
import type { Finding } from '../../../server/src/findings';
import { buildClanModel } from '../../../server/src/model/buildClanModel';
import { readNixSource, SourceFile } from '../../../server/src/model/sourceFile';
import { editTree, initParsing, parseNix, Tree } from '../../../server/src/parsing/parser';
import { applyEdits } from '../../helpers/applyEdits';
import { mulberry32 } from '../../helpers/prng';

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

const analyse = (f: SourceFile, memo: AnalysisMemo) =>
  checkHooks(buildClanModel({ dir: '/x', clanFile: f, machineFiles: [], machineDirs: [] }), memo);

/** The findings of an analysis with nothing kept from before. */
function freshAnalysis(f: SourceFile): Finding[] {
  return analyse(f, new AnalysisMemo());
}

/**
 * Findings before and after one edit, the file read again incrementally (or afresh), next to those of a fresh
 * analysis of the edited text with no kept findings.
 */
function afterEdit(text: string, from: number, to: number, insert: string, incremental = true) {
  const tree = parseNix(text);
  const file = readNixSource('file:///x/clan.nix', 'clan', text, tree);
  const memo = new AnalysisMemo();
  const before = analyse(file, memo);
  const edited = editTree(tree, text, from, to, insert);
  const next = parseNix(edited, tree);
  const reused = analyse(
    incremental
      ? readNixSource('file:///x/clan.nix', 'clan', edited, next, undefined, file)
      : readNixSource('file:///x/clan.nix', 'clan', edited),
    memo,
  );
  const fresh = freshAnalysis(readNixSource('file:///x/clan.nix', 'clan', edited));
  tree.delete();
  next.delete();
  return { before, reused, fresh };
}

/** A document typed into: each edit re-parses incrementally and re-reads with the previous read's values. */
class Session {
  private tree: Tree;
  private file: SourceFile;
  /** What the session's analyses keep, as the language server's memo. */
  private readonly memo = new AnalysisMemo();

  constructor(public text: string) {
    this.tree = parseNix(text);
    this.file = readNixSource('file:///x/clan.nix', 'clan', text, this.tree);
  }

  /** The hook findings now, and those of a fresh analysis of the same text with nothing kept. */
  findings(): { reused: Finding[]; fresh: Finding[] } {
    const reused = analyse(this.file, this.memo);
    return { reused, fresh: freshAnalysis(readNixSource('file:///x/clan.nix', 'clan', this.text)) };
  }

  edit(from: number, to: number, insert: string): void {
    this.text = editTree(this.tree, this.text, from, to, insert);
    const next = parseNix(this.text, this.tree);
    this.file = readNixSource('file:///x/clan.nix', 'clan', this.text, next, undefined, this.file);
    this.tree.delete();
    this.tree = next;
  }

  close(): void {
    this.tree.delete();
  }
}

describe('kept hook findings', () => {
  before(() => initParsing());
  it('equal a fresh analysis after each of 150 random edits', () => {
    const rnd = mulberry32(7);
    const session = new Session(CLAN);
    const found = session.findings().reused;
    assert.ok(
      found.some((f) => f.code === 'hook-missing-path' && f.fixes?.some((x) => x.edits.length > 1)),
      'a fix that also edits the function arguments',
    );
    assert.ok(found.some((f) => f.code === 'unbalanced-hook'));
    for (let i = 0; i < 150; i++) {
      const start = Math.floor(rnd() * (session.text.length + 1));
      const end = Math.min(session.text.length, start + (rnd() < 0.6 ? 0 : Math.floor(rnd() * 4)));
      session.edit(start, end, EDITS[Math.floor(rnd() * EDITS.length)]!);
      const { reused, fresh } = session.findings();
      assert.deepEqual(reused, fresh, `after edit ${i}`);
    }
    session.close();
  });

  // m0's arguments are on line 4 (index 3).
  const argsEdits = (findings: Finding[]) =>
    findings
      .filter((f) => f.code === 'hook-missing-path')
      .flatMap((f) => f.fixes ?? [])
      .flatMap((x) => x.edits)
      .filter((e) => e.range.start.line === 3)
      .map((e) => e.newText);

  it('change a fix that extends the function arguments once the arguments are typed by hand', () => {
    // The hooks keep their lines and characters: their values are the same objects as before the edit.
    const at = CLAN.indexOf('{ config, ') + '{ config, '.length;
    const { before, reused } = afterEdit(CLAN, at, at, 'lib, ');
    assert.deepEqual(argsEdits(before), ['lib, pkgs, ']);
    assert.deepEqual(argsEdits(reused), ['pkgs, ']);
  });

  it('add the function arguments to a fix again once they are deleted by hand', () => {
    // Both caches: read incrementally, the state's attrset is the same object after the edit (it starts on a later
    // line); read afresh, its hook texts are unchanged (the text-keyed cache). Only the module's arguments changed.
    const text = CLAN.replace('m0 = { config, ... }:', 'm0 = { config, lib, pkgs, ... }:');
    const at = text.indexOf('lib, pkgs, ');
    for (const incremental of [true, false]) {
      const { before, reused } = afterEdit(text, at, at + 'lib, pkgs, '.length, '', incremental);
      assert.deepEqual(argsEdits(before), []);
      assert.deepEqual(argsEdits(reused), ['lib, pkgs, '], incremental ? 'same attrset' : 'text-keyed cache');
    }
  });

  it('turn a machine module written as an attribute set into a function, and follow it becoming one by hand', () => {
    // clan.nix's own function is not the machine's module: its arguments are the clan's, not NixOS's (found in review).
    const text = `{ lib, pkgs, ... }:
{
  machines.foo =
    {
      clan.core.state.db.preBackupScript = "git bundle create /b --all";
    };
}
`;
    const at = text.indexOf('machines.foo =') + 'machines.foo ='.length;
    const { before, reused, fresh } = afterEdit(text, at, at, ' { lib, pkgs, ... }:');
    const edits = before[0]!.fixes![0]!.edits;
    assert.deepEqual(edits.map((e) => e.newText).slice(1), ['{ lib, pkgs, ... }: ']);
    const fixed = applyEdits(text, edits);
    assert.ok(fixed.includes('machines.foo =\n    { lib, pkgs, ... }: {\n'), fixed);
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    // By hand: the attribute set keeps its place (same object), only the text before it changed.
    assert.deepEqual(reused, fresh);
    assert.equal(fresh[0]!.fixes![0]!.edits.length, 1);
  });

  it("indent a new post hook like the pre hook after the pre hook's line is re-indented", () => {
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

  it('follow a module function that becomes or stops being the module, edit by edit (found in review)', () => {
    const state =
      "      clan.core.state.s = {\n        folders = [ \"/a\" ];\n        preBackupScript = ''\n          docker pause x\n        '';\n      };\n";
    const text = `{\n  meta.name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa";\n  machines.m = { lib, pkgs, ... }: {\n${state}  };\n}\n`;
    const open = text.indexOf('{ lib, pkgs');
    const close = text.indexOf('  };\n}') + '  }'.length;
    for (const edits of [
      [
        [close, ')'],
        [open, 'lib.mkForce ('],
      ],
      [[open, 'x: ']],
    ] as Array<Array<[number, string]>>) {
      const session = new Session(text);
      session.findings();
      for (const [at, insert] of edits) {
        session.edit(at, at, insert);
        const { reused, fresh } = session.findings();
        assert.deepEqual(reused, fresh, JSON.stringify(session.text));
      }
      session.close();
    }
  });

  it('name their own state when states of several machines share one hook text', () => {
    const shared = (i: number) => `
    m${i} = { config, ... }: {
      clan.core.state.app${i}.preBackupScript = ''
        systemctl stop web.service
      '';
    };`;
    const text = `{\n  machines = {${[0, 1, 2].map(shared).join('')}\n  };\n}\n`;
    const file = readNixSource('file:///x/clan.nix', 'clan', text);
    const memo = new AnalysisMemo();
    const kept = analyse(file, memo).filter((f) => f.code === 'unbalanced-hook');
    assert.deepEqual(
      kept.map((f) => f.message.match(/of state "([^"]+)"/)?.[1]),
      ['app0', 'app1', 'app2'],
    );
    assert.deepEqual(
      kept,
      freshAnalysis(file).filter((f) => f.code === 'unbalanced-hook'),
    );
    assert.ok(kept.every((f) => !f.message.includes('\u0000')));
  });
});
