// The workspace index: which files it reads, how definitions become clans, how imports and merges are followed,
// when the model must stay incomplete (rules quiet), and incremental updates.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeClan, Analysis } from '../../../server/src/analyze';
import type { ClanSources } from '../../../server/src/model/clanModel';
import { toPath, toUri } from '../../../server/src/util/uris';
import { ignored, parseGitignore } from '../../../server/src/model/gitignore';
import { loadWorkspaceClan, WorkspaceIndex } from '../../../server/src/model/workspaceIndex';
import { initParsing } from '../../../server/src/parsing/parser';
import { ClanFiles, writeClan } from '../../helpers/clanFixture';

const LAYOUTS = resolve(__dirname, '../../../../test/fixtures/layouts');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workspace(files: ClanFiles): string {
  const dir = writeClan(files);
  dirs.push(dir);
  return dir;
}

async function analyzeAt(dir: string): Promise<{ analysis: Analysis; codes: string[] }> {
  await initParsing();
  const sources = loadWorkspaceClan(dir);
  assert.ok(sources, 'a clan is found');
  const analysis = analyzeClan(sources);
  return {
    analysis,
    codes: analysis.findings.map((f) => `${f.code} ${relative(dir, toPath(f.uri))}:${f.range.start.line + 1}`),
  };
}

const FLAKE_HEAD =
  '{\n  outputs = { self, clan-core, nixpkgs, ... }@inputs: {\n    clan = clan-core.lib.clan {\n      inherit self;\n';
const FLAKE_TAIL = '    };\n  };\n}\n';
const flake = (body: string) => `${FLAKE_HEAD}${body}${FLAKE_TAIL}`;
const BORG = `{
  instances.borgbackup = {
    roles.client.machines.laptop = { };
    roles.client.machines.ghost = { };
    roles.server.machines.nas = { };
  };
}
`;
const MACHINES = '{\n  machines.laptop = { };\n  machines.nas = { };\n}\n';

describe('which files are indexed', () => {
  it('skips result*, node_modules, .direnv, .git and what .gitignore files exclude', async () => {
    const dir = workspace({
      'a.nix': '{ }',
      'result/x.nix': '{ }',
      'result-doc/y.nix': '{ }',
      'node_modules/p/default.nix': '{ }',
      '.direnv/w.nix': '{ }',
      '.git/hooks/h.nix': '{ }',
      'build/b.nix': '{ }',
      'notes.txt': 'x',
      '.gitignore': '# build output\n/build/\nlogs/*.nix\n!logs/keep.nix\n',
      'logs/drop.nix': '{ }',
      'logs/keep.nix': '{ }',
      'sub/.gitignore': 'gen*.nix\n',
      'sub/generated.nix': '{ }',
      'sub/kept.nix': '{ }',
      'sub/deep/generated.nix': '{ }',
    });
    const index = new WorkspaceIndex([dir]);
    assert.deepEqual(
      index.indexedFiles().map((p) => relative(dir, p)),
      ['a.nix', 'logs/keep.nix', 'sub/kept.nix'],
    );
  });

  it('reads .gitignore patterns as git does for the common cases', () => {
    const rules = parseGitignore(
      '*.bak\n/top.nix\ndocs/\nsecret/**\n**/gen/*.nix\n!important.bak\n\\#hash.nix\n',
      '/w',
    );
    const cases: Array<[string, boolean, boolean]> = [
      ['/w/x.bak', false, true],
      ['/w/a/b/x.bak', false, true],
      ['/w/important.bak', false, false],
      ['/w/top.nix', false, true],
      ['/w/sub/top.nix', false, false],
      ['/w/docs', true, true],
      ['/w/docs', false, false],
      ['/w/secret/a/b.nix', false, true],
      ['/w/x/gen/y.nix', false, true],
      ['/w/gen/y.nix', false, true],
      ['/w/#hash.nix', false, true],
      ['/other/x.bak', false, false],
    ];
    for (const [path, isDir, expected] of cases) assert.equal(ignored(rules, path, isDir), expected, path);
  });
});

describe('clans from definitions', () => {
  it('a NixOS module setting clan.core.* is no clan definition', async () => {
    await initParsing();
    const dir = workspace({ 'modules/backup.nix': '{ clan.core.state.x.folders = [ "/x" ]; }\n' });
    const index = new WorkspaceIndex([dir]);
    assert.deepEqual(index.clans(), []);
    assert.equal(index.clanFor(toUri(join(dir, 'modules/backup.nix'))), undefined);
  });

  it('two lib.clan calls in one flake are two clans', async () => {
    await initParsing();
    const dir = workspace({
      'flake.nix':
        '{\n  outputs = { clan-core, ... }: {\n    a = clan-core.lib.clan { meta.name = "a"; };\n    b = clan-core.lib.buildClan { meta.name = "b"; };\n  };\n}\n',
    });
    const index = new WorkspaceIndex([dir]);
    assert.deepEqual(
      index.clans().map((c) => c.key),
      [dir, `${dir}#2`],
    );
  });

  it('a literal `directory` moves machines/ and inventory.json', async () => {
    const dir = workspace({
      'flake.nix': flake(
        '      directory = ./clan;\n      meta.name = "t";\n      inventory.instances.borgbackup.roles.server.machines.nas = { };\n',
      ),
      'clan/machines/nas/configuration.nix': '{ }\n',
    });
    const { analysis, codes } = await analyzeAt(dir);
    assert.deepEqual(codes, []);
    assert.equal(analysis.model.dir, join(dir, 'clan'));
  });

  it("a clan.nix that the flake's lib.clan does not import is analysed alone, with cross-file rules quiet", async () => {
    const dir = workspace({
      'flake.nix': flake('      imports = [ "${self}/clan.nix" ];\n'),
      'clan.nix': `{\n  meta.name = "t";\n  inventory = ${BORG.trimEnd()};\n}\n`,
    });
    await initParsing();
    const index = new WorkspaceIndex([dir]);
    const clans = index.clans();
    assert.equal(clans.length, 2);
    for (const c of clans)
      assert.deepEqual(
        analyzeClan(c.sources).findings.map((f) => f.code),
        [],
      );
  });

  it('a clan-shaped file the flake imports in a way the index cannot follow stays quiet', async () => {
    await initParsing();
    const dir = workspace({
      'flake.nix': flake('      imports = nixpkgs.lib.fileset.toList ./modules;\n'),
      'modules/inventory.nix': `{\n  meta.name = "t";\n  inventory = ${BORG.trimEnd()};\n  machines.laptop = { };\n}\n`,
    });
    const index = new WorkspaceIndex([dir]);
    const clans = index.clans();
    assert.equal(clans.length, 2);
    for (const c of clans)
      assert.deepEqual(
        analyzeClan(c.sources).findings.map((f) => f.code),
        [],
      );
  });

  it('follows a file that is both a flake-parts module and imported (no double definitions)', async () => {
    const dir = workspace({
      'flake.nix':
        '{\n  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n    imports = [ ./clan.nix ];\n    clan.meta.name = "t";\n  };\n}\n',
      'clan.nix': '{\n  clan.imports = [ ./inventory.nix ];\n}\n',
      'inventory.nix': `{\n  inventory = ${BORG.trimEnd()} // ${MACHINES.trimEnd()};\n}\n`,
    });
    const { codes } = await analyzeAt(dir);
    assert.deepEqual(codes, ['undefined-machine inventory.nix:5']);
  });
});

describe('clan-level findings and fixes land in the file of the inventory', () => {
  it('missing-clan-name and the undefined-machine quick fix point into the imported clan module', async () => {
    const dir = workspace({
      'flake.nix': flake('      imports = [ ./clan.nix ];\n'),
      'clan.nix': `{\n  inventory = ${BORG.trimEnd().slice(0, -1)}  machines = {\n      laptop = { };\n      nas = { };\n    };\n  };\n}\n`,
    });
    const { analysis, codes } = await analyzeAt(dir);
    assert.deepEqual(codes, ['missing-clan-name clan.nix:2', 'undefined-machine clan.nix:5']);
    const fix = analysis.findings.find((f) => f.code === 'undefined-machine')?.fixes?.[0];
    assert.equal(fix?.edits[0]?.uri, toUri(join(dir, 'clan.nix')));
  });
});

describe('imports and merges', () => {
  it('imports = [ ./dir ] means dir/default.nix; import ./f.nix { args } reads the function body', async () => {
    const dir = workspace({
      'flake.nix': flake(
        '      imports = [ ./clan ];\n      inventory = import ./inventory.nix { inherit (nixpkgs) lib; };\n',
      ),
      'clan/default.nix': '{ meta.name = "t"; }\n',
      'inventory.nix': `{ lib }:\n${BORG.trimEnd().slice(0, -1)}  machines = { laptop = { }; nas = { }; };\n}\n`,
    });
    const { codes } = await analyzeAt(dir);
    assert.deepEqual(codes, ['undefined-machine inventory.nix:5']);
  });

  it('recursiveUpdate merges nested attrsets; the right side wins on leaves', async () => {
    const dir = workspace({
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory = nixpkgs.lib.recursiveUpdate (import ./machines.nix) (import ./borg.nix);\n',
      ),
      'machines.nix': '{\n  machines.laptop = { };\n  machines.nas.tags = [ "old" ];\n}\n',
      'borg.nix': BORG.replace('{\n', '{\n  machines.nas.tags = [ "server" ];\n'),
    });
    const { analysis, codes } = await analyzeAt(dir);
    assert.deepEqual(codes, ['undefined-machine borg.nix:5']);
    assert.deepEqual(
      analysis.model.machines.get('nas')?.tags.map((t) => t.name),
      ['server'],
    );
    assert.deepEqual([...analysis.model.machines.keys()].sort(), ['laptop', 'nas']);
  });

  it("`//` is shallow: the right side's top-level keys replace the left's", async () => {
    const dir = workspace({
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory = import ./inv.nix // { instances.sshd.roles.server.tags.all = { }; };\n',
      ),
      'inv.nix': `{\n  machines.laptop = { };\n${BORG.slice(2)}`,
    });
    const { analysis, codes } = await analyzeAt(dir);
    assert.deepEqual(
      analysis.model.instances.map((i) => i.name),
      ['sshd'],
    );
    assert.deepEqual(codes, []);
  });

  it("machines/<m>/configuration.nix imports are the machine's modules; an import it cannot follow keeps it incomplete", async () => {
    const files: ClanFiles = {
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory.instances.borgbackup.roles.client.machines.laptop = { };\n      inventory.instances.borgbackup.roles.server.machines.nas = { };\n',
      ),
      'machines/laptop/configuration.nix': '{\n  imports = [ ./disko.nix ../../modules/common.nix ];\n}\n',
      'machines/laptop/disko.nix': '{ }\n',
      'modules/common.nix': '{ config, ... }: { services.openssh.enable = true; }\n',
      'machines/nas/configuration.nix': '{ }\n',
    };
    // Everything visible and no state on a client: the rule fires.
    assert.deepEqual((await analyzeAt(workspace(files))).codes, ['client-without-state flake.nix:6']);
    // The state lives in a module the index follows: quiet for the right reason.
    const withState = { ...files, 'modules/common.nix': '{ clan.core.state.docs.folders = [ "/docs" ]; }\n' };
    const { analysis } = await analyzeAt(workspace(withState));
    assert.deepEqual(
      analysis.findings.map((f) => f.code),
      [],
    );
    assert.deepEqual(
      analysis.model.machines.get('laptop')?.states.map((s) => s.name),
      ['docs'],
    );
    // An import of a flake input cannot be followed: it may define state, so the rule stays quiet.
    const opaque = {
      ...files,
      'machines/laptop/configuration.nix':
        '{ inputs, ... }: {\n  imports = [ ./disko.nix inputs.srvos.nixosModules.server ];\n}\n',
    };
    assert.deepEqual((await analyzeAt(workspace(opaque))).codes, []);
  });

  it('an import cycle ends', async () => {
    const dir = workspace({
      'clan.nix': '{\n  imports = [ ./a.nix ];\n  meta.name = "t";\n}\n',
      'a.nix': '{\n  imports = [ ./b.nix ];\n  inventory.machines.laptop = { };\n}\n',
      'b.nix':
        '{\n  imports = [ ./a.nix ./clan.nix ];\n  inventory.instances.borgbackup.roles.client.machines.ghost = { };\n  inventory.instances.borgbackup.roles.server.machines.laptop = { };\n}\n',
    });
    const { codes } = await analyzeAt(dir);
    assert.deepEqual(codes, ['undefined-machine b.nix:3']);
  });
});

describe('what cannot be seen keeps cross-file rules quiet', () => {
  const cases: Record<string, ClanFiles> = {
    'an imports entry that is not a literal path': {
      'flake.nix': flake('      imports = [ ./clan.nix inputs.other.clanModules.x ];\n'),
      'clan.nix': `{\n  meta.name = "t";\n  inventory = ${BORG.trimEnd()};\n}\n`,
    },
    'an import of a missing file': {
      'flake.nix': flake('      imports = [ ./clan.nix ./missing.nix ];\n'),
      'clan.nix': `{\n  meta.name = "t";\n  inventory = ${BORG.trimEnd()};\n}\n`,
    },
    'recursiveUpdate with a non-literal side': {
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory = nixpkgs.lib.recursiveUpdate (import ./borg.nix) generated;\n',
      ),
      'borg.nix': BORG,
    },
    '`//` with a function-built side': {
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory = import ./borg.nix // { machines = nixpkgs.lib.genAttrs [ "laptop" ] (_: { }); };\n',
      ),
      'borg.nix': BORG,
    },
    'conflicting definitions of one value in two fragments': {
      'flake.nix':
        '{\n  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } { imports = [ ./a.nix ./b.nix ]; };\n}\n',
      'a.nix':
        '{\n  clan.meta.name = "t";\n  clan.inventory.machines.laptop.tags = [ "a" ];\n  clan.inventory.instances.sshd.roles.server.tags = [ "b" ];\n}\n',
      'b.nix':
        '{\n  clan.inventory.machines.laptop.tags = [ "b" ];\n  clan.inventory.instances.borgbackup.roles.client.machines.ghost = { };\n  clan.inventory.instances.borgbackup.roles.server.machines.laptop = { };\n}\n',
    },
    'a syntax error in an imported inventory file': {
      'flake.nix': flake(
        '      meta.name = "t";\n      inventory = import ./borg.nix;\n      machines.laptop = { };\n',
      ),
      'borg.nix': '{\n  instances.borgbackup.roles.client.machines.ghost = { }\n}\n',
    },
  };
  for (const [name, files] of Object.entries(cases)) {
    it(name, async () => {
      const { codes } = await analyzeAt(workspace(files));
      assert.deepEqual(
        codes.filter((c) => !c.startsWith('syntax-error')),
        [],
      );
      if (name.includes('syntax')) assert.deepEqual(codes, ['syntax-error borg.nix:2']);
    });
  }

  it('a second definition of a machine is another module of it, not a conflict', async () => {
    const dir = workspace({
      'flake.nix':
        '{\n  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } { imports = [ ./a.nix ./b.nix ]; };\n}\n',
      'a.nix':
        '{\n  clan.meta.name = "t";\n  clan.machines.laptop = { clan.core.state.a.folders = [ "/a" ]; };\n  clan.inventory.instances.borgbackup.roles.client.machines.laptop = { };\n  clan.inventory.instances.borgbackup.roles.server.machines.nas = { };\n  clan.inventory.machines.nas = { };\n}\n',
      'b.nix': '{ ... }: {\n  clan.machines.laptop = { config, ... }: { clan.core.state.b.folders = [ "/b" ]; };\n}\n',
    });
    const { analysis, codes } = await analyzeAt(dir);
    assert.deepEqual(codes, []);
    assert.deepEqual(
      analysis.model.machines.get('laptop')?.states.map((s) => `${s.name} ${relative(dir, toPath(s.keyRef.uri))}`),
      ['a a.nix', 'b b.nix'],
    );
  });
});

describe('incremental updates', () => {
  function copyLayout(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'clan-backups-index-'));
    dirs.push(dir);
    cpSync(join(LAYOUTS, name), dir, { recursive: true });
    return dir;
  }
  const codesOf = (sources: ClanSources | undefined, dir: string) =>
    analyzeClan(sources!).findings.map((f) => `${f.code} ${relative(dir, toPath(f.uri))}`);

  it('editor text, new files, deleted files and unrelated files', async () => {
    await initParsing();
    const dir = copyLayout('flake-parts-services');
    const index = new WorkspaceIndex([dir]);
    const borg = join(dir, 'services/borgbackup.nix');
    const clan = index.clanFor(toUri(borg));
    assert.equal(clan?.key, dir);
    assert.deepEqual(codesOf(clan?.sources, dir), ['undefined-machine services/borgbackup.nix']);

    // The editor's unsaved text wins over the disk.
    const fixed = readFileSync(borg, 'utf8').replace(/.*ghost.*\n/, '');
    assert.deepEqual(index.update(toUri(borg), fixed), [dir]);
    assert.deepEqual(codesOf(index.clan(dir), dir), []);

    // A file that is not part of any clan changes nothing.
    writeFileSync(join(dir, 'shell.nix'), '{ pkgs }: pkgs.mkShell { }\n');
    assert.deepEqual(index.update(toUri(join(dir, 'shell.nix'))), []);

    // A new per-service file on disk joins the clan.
    const extra = join(dir, 'services/extra.nix');
    writeFileSync(
      extra,
      '{\n  flake.clan.inventory.instances.extra = {\n    module.name = "sshd";\n    roles.server.machines.ghost2 = { };\n  };\n}\n',
    );
    assert.deepEqual(index.update(toUri(extra)), [dir]);
    assert.deepEqual(codesOf(index.clan(dir), dir), ['undefined-member services/extra.nix']);

    // A new machine directory defines the machine.
    cpSync(join(dir, 'machines/nas'), join(dir, 'machines/ghost2'), { recursive: true });
    assert.deepEqual(index.update(toUri(join(dir, 'machines/ghost2/configuration.nix'))), [dir]);
    assert.deepEqual(codesOf(index.clan(dir), dir), []);

    // The machine directory removed: the finding is back; the service file removed: gone.
    rmSync(join(dir, 'machines/ghost2'), { recursive: true });
    index.update(toUri(join(dir, 'machines/ghost2/configuration.nix')));
    assert.deepEqual(codesOf(index.clan(dir), dir), ['undefined-member services/extra.nix']);
    unlinkSync(extra);
    assert.deepEqual(index.update(toUri(extra)), [dir]);
    assert.deepEqual(codesOf(index.clan(dir), dir), []);

    // Closing the editor: the disk's text (with ghost) is back.
    assert.deepEqual(index.update(toUri(borg)), [dir]);
    assert.deepEqual(codesOf(index.clan(dir), dir), ['undefined-machine services/borgbackup.nix']);
  });

  it('reads the clan-core version from flake.lock, and again when flake.lock changes', async () => {
    await initParsing();
    const dir = copyLayout('flake-parts-services');
    const lock = (ref: string) =>
      JSON.stringify({
        nodes: {
          root: { inputs: { 'clan-core': 'clan-core' } },
          'clan-core': {
            locked: {
              type: 'tarball',
              url: 'https://git.clan.lol/api/v1/repos/clan/clan-core/archive/abc.tar.gz',
              rev: 'abcdef0',
              lastModified: 1787000000,
            },
            original: { type: 'tarball', url: `https://git.clan.lol/clan/clan-core/archive/${ref}.tar.gz` },
          },
        },
        root: 'root',
        version: 7,
      });
    writeFileSync(join(dir, 'flake.lock'), lock('26.05'));
    const index = new WorkspaceIndex([dir]);
    const model = () => analyzeClan(index.clan(dir)!).model;
    assert.equal(model().clanCore?.ref, '26.05');
    assert.equal(model().clanCore?.varsLayout, 'flat');
    writeFileSync(join(dir, 'flake.lock'), lock('main'));
    assert.deepEqual(index.update(toUri(join(dir, 'flake.lock'))), [dir]);
    assert.equal(model().clanCore?.ref, 'main');
    assert.equal(model().clanCore?.varsLayout, 'per-machine');
  });

  it('while scanAsync runs, a file gets a partial, quiet answer; afterwards the full one', async () => {
    await initParsing();
    const dir = copyLayout('flake-parts-services');
    const index = new WorkspaceIndex([dir]);
    const borg = toUri(join(dir, 'services/borgbackup.nix'));
    const scanning = index.scanAsync(0);
    assert.equal(index.ready, false);
    const quick = index.clanFor(borg);
    assert.equal(quick?.key, dir);
    assert.deepEqual(codesOf(quick?.sources, dir), []);
    assert.deepEqual(codesOf(index.clan(dir), dir), [], 'by key as well');
    await scanning;
    assert.equal(index.ready, true);
    assert.deepEqual(codesOf(index.clanFor(borg)?.sources, dir), ['undefined-machine services/borgbackup.nix']);
  });

  it('edits and new files while scanAsync runs are in its result, in whichever phase they arrive', async () => {
    await initParsing();
    const fixed = readFileSync(join(LAYOUTS, 'flake-parts-services/services/borgbackup.nix'), 'utf8').replace(
      'ghost',
      'laptop',
    );
    // Past the last turn the scan has ended: walking, reading, parsing and building are all hit on the way.
    for (let turns = 0; turns < 30; turns++) {
      const dir = copyLayout('flake-parts-services');
      const index = new WorkspaceIndex([dir]);
      const borg = toUri(join(dir, 'services/borgbackup.nix'));
      const scanning = index.scanAsync(0);
      for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
      index.update(borg, fixed);
      const extra = join(dir, 'services/extra.nix');
      writeFileSync(
        extra,
        '{\n  flake.clan.inventory.instances.extra = { module.name = "sshd"; roles.server.machines.ghost = { }; };\n}\n',
      );
      index.update(toUri(extra));
      await scanning;
      assert.ok(index.indexedFiles().includes(extra), `after ${turns} turns`);
      assert.deepEqual(
        codesOf(index.clanFor(borg)?.sources, dir),
        ['undefined-member services/extra.nix'],
        `after ${turns} turns`,
      );
    }
  });

  it('loadWorkspaceClan takes a file, and says undefined for a directory without a clan', async () => {
    await initParsing();
    const file = join(LAYOUTS, 'recursive-update/inventory/sshd.nix');
    assert.equal(loadWorkspaceClan(file)?.dir, join(LAYOUTS, 'recursive-update'));
    assert.equal(loadWorkspaceClan(workspace({ 'x.nix': '{ }\n' })), undefined);
  });
});
