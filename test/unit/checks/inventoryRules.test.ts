// The inventory and meta rules (checks/inventoryChecks.ts, checks/metaChecks.ts) and syntax errors, firing and not
// firing, in nested attrsets and in dotted/quoted attribute paths, in clan.nix, machine files and inventory.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits } from '../../helpers/applyEdits';
import { analyzeFiles, findingCodes } from '../../helpers/clanFixture';
import { NESTED_OK, DOTTED_OK, expectFindings, edit } from '../../helpers/ruleFixtures';

describe('valid clans produce no finding', () => {
  it('nested form', () => expectFindings({ 'clan.nix': NESTED_OK }, []));
  it('dotted form', () => expectFindings({ 'clan.nix': DOTTED_OK }, []));
  it('machine config in machines/<m>/configuration.nix and machines from directories', () =>
    expectFindings(
      {
        'clan.nix': `{
  meta.name = "t";
  inventory.instances.borgbackup = {
    roles.client.machines.laptop = { };
    roles.server.machines.nas = { };
  };
}
`,
        'machines/laptop/configuration.nix':
          '{ config, ... }: {\n  clan.core.state.docs.folders = [ "/home/docs" ];\n}\n',
        'machines/nas/configuration.nix': '{ }\n',
      },
      [],
    ));
  it('inventory.json machines and tags', () =>
    expectFindings(
      {
        'clan.nix':
          '{\n  meta.name = "t";\n  inventory.instances.borgbackup.roles.client.tags = [ "work" ];\n  inventory.instances.borgbackup.roles.server.machines.nas = { };\n  machines.laptop.clan.core.state.docs.folders = [ "/d" ];\n}\n',
        'inventory.json': '{ "machines": { "laptop": { "tags": ["work"] }, "nas": {} } }\n',
      },
      [],
    ));
});

describe('syntax-error', () => {
  it('fires on a missing semicolon with the position of the error', async () => {
    const codes = await findingCodes({ 'clan.nix': '{\n  meta.name = "t"\n  inventory = { };\n}\n' });
    assert.ok(
      codes.some((c) => c.startsWith('syntax-error clan.nix:')),
      codes.join('\n'),
    );
  });
  it('fires on an empty file', () => expectFindings({ 'clan.nix': '' }, ['syntax-error clan.nix:1']));
  it('does not fire on valid modern syntax', () =>
    expectFindings(
      {
        'clan.nix':
          "{ self, lib, ... }:\nlet x = 1; in {\n  meta.name = \"t\";\n  a = { inherit x; b = x.c or { }; d = ./foo; e = ''\n    ${x} ''${y}\n  ''; };\n}\n",
      },
      [],
    ));
});

describe('inventory rules', () => {
  it('legacy-inventory-services (nested and dotted)', async () => {
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, '    instances = {', '    services = { };\n    instances = {') },
      ['legacy-inventory-services clan.nix:8'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  meta.name = "t";',
          '  meta.name = "t";\n  inventory.services.borgbackup.x = { };',
        ),
      },
      ['legacy-inventory-services clan.nix:3'],
    );
  });

  it('legacy-machines-list with a quick fix', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'machines = {\n              nas = { settings = { directory = "/srv/borg"; }; };\n            };',
          'machines = [ "nas" ];',
        ),
      },
      ['legacy-machines-list clan.nix:15'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          'roles.server.machines."nas".settings.directory = "/srv/borg";',
          'roles.server.machines = [ "nas" ];',
        ),
      },
      ['legacy-machines-list clan.nix:6'],
    );
  });

  it('legacy-role-config', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '.settings.directory = "/srv/borg";',
          ' = { };\n  inventory.instances.borgbackup.roles.server.config.directory = "/srv";',
        ),
      },
      ['legacy-role-config clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = [ "work" ];\n            config = { };\n          };',
        ),
      },
      ['legacy-role-config clan.nix:13'],
    );
  });

  it('unknown-role only for borgbackup instances', async () => {
    await expectFindings({ 'clan.nix': edit(NESTED_OK, 'client = {', 'clients = {') }, [
      'unknown-role clan.nix:11',
      'state-not-backed-up clan.nix:24',
    ]);
    await expectFindings({ 'clan.nix': edit(DOTTED_OK, 'roles.client.tags', 'roles."backup-client".tags') }, [
      'unknown-role clan.nix:5',
      'state-not-backed-up clan.nix:7',
    ]);
    // Other services have roles of their own.
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  meta.name = "t";',
          '  meta.name = "t";\n  inventory.instances.sshd.roles.server.tags.all = { };\n  inventory.instances.user-root = { module.name = "users"; roles.default.tags.all = { }; };',
        ),
      },
      [],
    );
  });

  it('unknown-module', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  meta.name = "t";',
          '  meta.name = "t";\n  inventory.instances.backups.module.name = "borgbackups";',
        ),
      },
      ['unknown-module clan.nix:3'],
    );
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, '  meta.name = "t";', '  meta.name = "t";\n  inventory.instances.mything = { };') },
      ['unknown-module clan.nix:3'],
    );
    // module.input set: a module of the user's own or from another flake input.
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  meta.name = "t";',
          '  meta.name = "t";\n  inventory.instances.mything.module = { name = "mine"; input = "self"; };',
        ),
      },
      [],
    );
  });

  it('undefined-machine with a quick fix target', async () => {
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, 'roles.server.machines."nas"', 'roles.server.machines."nsa"') },
      ['undefined-machine clan.nix:6'],
    );
    await expectFindings({ 'clan.nix': edit(NESTED_OK, 'nas = { settings', 'nsa = { settings') }, [
      'undefined-machine clan.nix:16',
    ]);
    // Machines computed by a function: unknowable, so quiet.
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  inventory.machines.laptop.tags = [ "work" ];\n  inventory.machines."nas" = { };',
          '  inventory.machines = lib.genAttrs [ "laptop" "nas" ] (n: { tags = [ "work" ]; });',
        ),
      },
      [],
    );
  });

  it('unknown-tag (list and attrset forms), built-in tags and computed tags', async () => {
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, 'roles.client.tags = [ "work" ]', 'roles.client.tags = [ "wrok" ]') },
      ['unknown-tag clan.nix:5', 'state-not-backed-up clan.nix:7'],
    );
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, 'tags = [ "work" ];\n          };', 'tags = { wrok = { }; };\n          };') },
      ['unknown-tag clan.nix:12', 'state-not-backed-up clan.nix:24'],
    );
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, 'roles.client.tags = [ "work" ]', 'roles.client.tags.work = { }') },
      [],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          'roles.client.tags = [ "work" ]',
          'roles.client.tags = [ "fromfn" ];\n  inventory.tags = { config, ... }: { fromfn = [ "laptop" ]; }',
        ),
      },
      [],
    );
  });

  it('invalid-machine-name', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  inventory.machines."nas" = { };',
          '  inventory.machines."nas" = { };\n  inventory.machines."my.box" = { };',
        ),
      },
      ['invalid-machine-name clan.nix:5'],
    );
    await expectFindings({ 'clan.nix': edit(NESTED_OK, '      nas = { };', '      nas = { };\n      "-bad" = { };') }, [
      'invalid-machine-name clan.nix:7',
    ]);
    // An inner `_` is a valid NixOS host name: only Clan's own check rejects it, and the message says so.
    const { findings } = await analyzeFiles({
      'clan.nix': edit(NESTED_OK, '      nas = { };', '      nas = { };\n      "my_nas" = { };'),
    });
    const f = findings.find((x) => x.code === 'invalid-machine-name');
    assert.match(f?.message ?? '', /Clan's machine name check .* rejects it; NixOS would accept it as a host name/);
    const dotted = await analyzeFiles({
      'clan.nix': edit(NESTED_OK, '      nas = { };', '      nas = { };\n      "nas.home" = { };'),
    });
    assert.match(
      dotted.findings.find((x) => x.code === 'invalid-machine-name')?.message ?? '',
      /Clan's machine name check and NixOS's hostName reject it/,
    );
  });

  it('client-is-server, client-in-multiple-instances, darwin-machine', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  inventory.instances.borgbackup.roles.server.machines.laptop = { };\n  machines.laptop',
        ),
      },
      ['client-is-server clan.nix:5'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  inventory.instances.second = { module.name = "borgbackup"; roles.client.machines.laptop = { }; roles.server.machines.nas = { }; };\n  machines.laptop',
        ),
      },
      ['client-in-multiple-instances clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'laptop = { tags = [ "work" ]; };',
          'laptop = { tags = [ "work" ]; machineClass = "darwin"; };',
        ),
      },
      ['darwin-machine clan.nix:12'],
    );
  });
});

describe('meta rules', () => {
  it('missing-clan-name', () =>
    expectFindings({ 'clan.nix': edit(DOTTED_OK, '  meta.name = "t";\n', '') }, ['missing-clan-name clan.nix:2']));
  it('invalid-clan-name (nested and dotted)', async () => {
    await expectFindings({ 'clan.nix': edit(DOTTED_OK, 'meta.name = "t"', 'meta.name = "my clan"') }, [
      'invalid-clan-name clan.nix:2',
    ]);
    await expectFindings({ 'clan.nix': edit(NESTED_OK, 'meta = { name = "t"; };', 'meta = { name = "my.clan"; };') }, [
      'invalid-clan-name clan.nix:2',
    ]);
  });
  it('invalid-clan-name: the fix keeps lib.mkForce around the name, parentheses too', async () => {
    for (const [before, after] of [
      ['lib.mkForce "my clan"', 'lib.mkForce "my-clan";'],
      ['lib.mkForce ("my clan")', 'lib.mkForce ("my-clan");'],
    ]) {
      const text = edit(DOTTED_OK, 'meta.name = "t"', `meta.name = ${before}`);
      const { findings } = await analyzeFiles({ 'clan.nix': text });
      const fix = findings.find((f) => f.code === 'invalid-clan-name')!.fixes![0]!;
      assert.ok(applyEdits(text, fix.edits).includes(`meta.name = ${after}`), applyEdits(text, fix.edits));
    }
  });
  it('invalid-domain', async () => {
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, 'meta.name = "t";', 'meta.name = "t";\n  meta.domain = "My_Domain.lol";') },
      ['invalid-domain clan.nix:3'],
    );
    await expectFindings(
      { 'clan.nix': edit(DOTTED_OK, 'meta.name = "t";', 'meta.name = "t";\n  meta.domain = "example.com";') },
      [],
    );
  });
});
