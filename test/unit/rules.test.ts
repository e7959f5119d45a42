// Each core rule, firing and not firing, in nested attrsets and in dotted/quoted attribute paths, and in the places
// a definition may live (clan.nix inventory, top-level machines, machines/<m>/configuration.nix, inventory.json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSchedules } from '../../server/src/checks/scheduleChecks';
import { parseNix } from '../../server/src/parsing/parser';
import { applyEdits } from '../helpers/applyEdits';
import { analyzeFiles, ClanFiles, findingCodes } from '../helpers/clanFixture';

const NESTED_OK = `{
  meta = { name = "t"; };
  inventory = {
    machines = {
      laptop = { tags = [ "work" ]; };
      nas = { };
    };
    instances = {
      borgbackup = {
        roles = {
          client = {
            tags = [ "work" ];
          };
          server = {
            machines = {
              nas = { settings = { directory = "/srv/borg"; }; };
            };
          };
        };
      };
    };
  };
  machines = {
    laptop = { clan = { core = { state = { docs = { folders = [ "/home/docs" ]; }; }; }; }; };
  };
}
`;

const DOTTED_OK = `{
  meta.name = "t";
  inventory.machines.laptop.tags = [ "work" ];
  inventory.machines."nas" = { };
  inventory.instances.borgbackup.roles.client.tags = [ "work" ];
  inventory.instances.borgbackup.roles.server.machines."nas".settings.directory = "/srv/borg";
  machines.laptop.clan.core.state.docs.folders = [ "/home/docs" ];
}
`;

async function expectFindings(files: ClanFiles, expected: string[]): Promise<void> {
  const got = (await findingCodes(files)).map((s) => s.replace(/:\d+$/, ''));
  assert.deepEqual(got.sort(), [...expected].sort());
}

/** Replaces one exact substring (must exist) to derive a broken variant of a valid clan. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture lacks ${from}`);
  return text.replace(from, to);
}

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

describe('settings rules', () => {
  it('unknown-setting: misspelled, other role, destination field', async () => {
    await expectFindings({ 'clan.nix': edit(DOTTED_OK, '.settings.directory', '.settings.directroy') }, [
      'unknown-setting clan.nix:6',
    ]);
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = [ "work" ];\n            settings = { directory = "/x"; };\n          };',
        ),
      },
      ['unknown-setting clan.nix:13'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  inventory.instances.borgbackup.roles.client.settings.destinations.box = { repo = "u@h:/./b"; rhs = "ssh"; };\n  machines.laptop',
        ),
      },
      ['unknown-setting clan.nix:7'],
    );
  });

  it('setting-type', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  inventory.instances.borgbackup.roles.client.settings.startAt = [ "daily" ];\n  machines.laptop',
        ),
      },
      ['setting-type clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = [ "work" ];\n            settings.exclude = "*.pyc";\n          };',
        ),
      },
      ['setting-type clan.nix:13'],
    );
    // Non-literal values are never judged.
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  inventory.instances.borgbackup.roles.client.settings.exclude = excludes ++ [ "*.tmp" ];\n  machines.laptop',
        ),
      },
      [],
    );
  });

  it('conflicting-setting across role, tag and machine layers; lib.mkForce resolves it', async () => {
    const both = edit(
      DOTTED_OK,
      '  machines.laptop',
      '  inventory.instances.borgbackup.roles.client.settings.startAt = "*-*-* 02:00:00";\n  inventory.instances.borgbackup.roles.client.machines.laptop.settings.startAt = "*-*-* 04:00:00";\n  machines.laptop',
    );
    await expectFindings({ 'clan.nix': both }, ['conflicting-setting clan.nix:8']);
    await expectFindings(
      { 'clan.nix': both.replace('startAt = "*-*-* 04:00:00"', 'startAt = lib.mkForce "*-*-* 04:00:00"') },
      [],
    );
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = { work.settings.startAt = "daily"; };\n            settings.startAt = "weekly";\n          };',
        ),
      },
      ['conflicting-setting clan.nix:12'],
    );
  });

  it('client-without-destination', async () => {
    const noServer = edit(
      DOTTED_OK,
      '  inventory.instances.borgbackup.roles.server.machines."nas".settings.directory = "/srv/borg";\n',
      '',
    );
    await expectFindings({ 'clan.nix': noServer }, ['client-without-destination clan.nix:5']);
    await expectFindings(
      {
        'clan.nix': noServer.replace(
          '  machines.laptop',
          '  inventory.instances.borgbackup.roles.client.settings.destinations.box.repo = "u@h:/./x";\n  machines.laptop',
        ),
      },
      [],
    );
  });

  it('relative-directory', async () => {
    await expectFindings({ 'clan.nix': edit(DOTTED_OK, '"/srv/borg"', '"backups"') }, [
      'relative-directory clan.nix:6',
    ]);
    await expectFindings({ 'clan.nix': edit(NESTED_OK, '"/srv/borg"', '"backups"') }, [
      'relative-directory clan.nix:16',
    ]);
    // Another layer's lib.mkForce decides the value: the relative one never takes effect.
    const forced = edit(
      edit(DOTTED_OK, '"/srv/borg"', '"backups"'),
      '  machines.laptop',
      '  inventory.instances.borgbackup.roles.server.settings.directory = lib.mkForce "/srv/b";\n  machines.laptop',
    );
    await expectFindings({ 'clan.nix': forced }, []);
  });

  it('destination name rules', async () => {
    const withDest = (d: string) =>
      edit(
        DOTTED_OK,
        '  machines.laptop',
        `  inventory.instances.borgbackup.roles.client.settings.destinations = ${d};\n  machines.laptop`,
      );
    await expectFindings({ 'clan.nix': withDest('{ box = { rsh = "ssh -i /k"; }; }') }, [
      'destination-missing-repo clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': withDest('{ "my box" = { repo = "u@h:/./x"; }; }') }, [
      'invalid-destination-name clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': withDest('{ box = { repo = "u@h:/./x"; name = "other"; }; }') }, [
      'destination-name-mismatch clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': withDest('{ nas = { repo = "u@h:/./x"; }; }') }, [
      'destination-shadows-server clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': withDest('{ box = { repo = "u@h:/./x"; name = "box"; }; }') }, []);
    // A required value that is there but not literal is unknown, not missing and not of the wrong type.
    await expectFindings(
      { 'clan.nix': withDest('{ box = { repo = "${user}@${user}.your-storagebox.de:/./borgbackup"; }; }') },
      [],
    );
    await expectFindings(
      { 'clan.nix': withDest('{ box = { repo = config.backupRepo; rsh = "ssh -p 23 -i /run/secrets/box.key"; }; }') },
      [],
    );
    await expectFindings({ 'clan.nix': withDest('{ box = { inherit repo; }; }') }, []);
  });
});

describe('state rules', () => {
  const withState = (s: string) =>
    edit(DOTTED_OK, 'machines.laptop.clan.core.state.docs.folders = [ "/home/docs" ];', s);
  it('invalid-state-name', () =>
    expectFindings({ 'clan.nix': withState('machines.laptop.clan.core.state."my.docs".folders = [ "/d" ];') }, [
      'invalid-state-name clan.nix:7',
    ]));
  it('client-without-folders: every state has folders = [ ], so borg create gets no path', async () => {
    await expectFindings(
      { 'clan.nix': withState('machines.laptop.clan.core.state.hook = { folders = [ ]; preBackupScript = "true"; };') },
      ['client-without-folders clan.nix:5'],
    );
    // One state with a folder, a PostgreSQL dump (its state has a folder), or a module not seen: quiet.
    await expectFindings(
      { 'clan.nix': withState('machines.laptop.clan.core.state = { hook.folders = [ ]; docs.folders = [ "/d" ]; };') },
      ['empty-folders clan.nix:7'],
    );
    await expectFindings(
      { 'clan.nix': withState('machines.laptop = { imports = [ ./x.nix ]; clan.core.state.hook.folders = [ ]; };') },
      ['empty-folders clan.nix:7'],
    );
  });
  it('missing-folders', () =>
    expectFindings({ 'clan.nix': withState('machines.laptop.clan.core.state.docs.preBackupScript = "true";') }, [
      'missing-folders clan.nix:7',
    ]));
  it('relative-folder (a warning: borg reads it from /) and unexpanded-folder (~ and $VAR: an error)', async () => {
    const files = {
      'clan.nix': withState(
        'machines.laptop.clan.core.state.docs.folders = [ "documents" "$HOME/x" "~/y" "/srv/$x" "./z" "/ok" ];',
      ),
    };
    await expectFindings(files, [
      'relative-folder clan.nix:7',
      'unexpanded-folder clan.nix:7',
      'unexpanded-folder clan.nix:7',
      'unexpanded-folder clan.nix:7',
      'relative-folder clan.nix:7',
    ]);
    const { findings } = await analyzeFiles(files);
    assert.deepEqual(
      findings.filter((f) => f.code === 'relative-folder').map((f) => f.severity),
      ['warning', 'warning'],
    );
    assert.deepEqual(
      findings.filter((f) => f.code === 'relative-folder').map((f) => f.fixes?.[0]?.edits[0]?.newText),
      ['"/documents"', '"/z"'],
    );
  });
  it('empty-folders', () =>
    expectFindings(
      {
        'clan.nix': withState('machines.laptop.clan.core.state = { docs.folders = [ ]; home.folders = [ "/home" ]; };'),
      },
      ['empty-folders clan.nix:7'],
    ));
  it('duplicate-folder, also across states of one machine', async () => {
    await expectFindings({ 'clan.nix': withState('machines.laptop.clan.core.state.docs.folders = [ "/d" "/d/" ];') }, [
      'duplicate-folder clan.nix:7',
    ]);
    await expectFindings(
      {
        'clan.nix': withState(
          'machines.laptop.clan.core.state = { a.folders = [ "/var/lib" ]; b.folders = [ "/var/lib/x" ]; };',
        ),
      },
      ['duplicate-folder clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': withState(
          'machines.laptop.clan.core.state = { a.folders = [ "/var/lib/a" ]; b.folders = [ "/var/lib/ab" ]; };',
        ),
      },
      [],
    );
  });
  it('readonly-command', () =>
    expectFindings(
      {
        'clan.nix': withState(
          'machines.laptop.clan.core.state.docs = { folders = [ "/d" ]; preBackupCommand = "x"; };',
        ),
      },
      ['readonly-command clan.nix:7'],
    ));
  it('client-without-state knows which built-in roles add state (zerotier controller, garage, monitoring server, matrix-synapse)', async () => {
    const clientOnly = withState('machines.laptop.networking.hostName = "x";');
    const withInstance = (inst: string) => edit(clientOnly, '  machines.laptop', `  ${inst}\n  machines.laptop`);
    // A member of a role that sets clan.core.state: it has state.
    for (const inst of [
      'inventory.instances.zerotier.roles.controller.machines.laptop = { };',
      'inventory.instances.garage.roles.default.machines.laptop = { };',
      'inventory.instances.monitoring.roles.server.machines.laptop = { };',
      'inventory.instances.matrix-synapse.roles.default.machines.laptop = { };',
      'inventory.instances.mine = { module.name = "custom"; module.input = "self"; roles.x.machines.laptop = { }; };',
    ])
      await expectFindings({ 'clan.nix': withInstance(inst) }, []);
    // Roles that set none: still no state.
    for (const inst of [
      'inventory.instances.zerotier.roles.peer.machines.laptop = { };',
      'inventory.instances.monitoring.roles.client.machines.laptop = { };',
      'inventory.instances.sshd.roles.server.machines.laptop = { };',
    ])
      await expectFindings({ 'clan.nix': withInstance(inst) }, ['client-without-state clan.nix:5']);
  });

  it('client-without-state, quiet when the config is not fully visible', async () => {
    await expectFindings({ 'clan.nix': withState('machines.laptop.networking.hostName = "x";') }, [
      'client-without-state clan.nix:5',
    ]);
    await expectFindings({ 'clan.nix': withState('machines.laptop.imports = [ ./state.nix ];') }, []);
    await expectFindings({ 'clan.nix': withState('machines.laptop.clan.core.state.${name}.folders = [ "/d" ];') }, []);
  });
  it('state-not-backed-up', async () => {
    await expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  machines.nas.clan.core.state.srv.folders = [ "/srv" ];\n  machines.laptop',
        ),
      },
      ['state-not-backed-up clan.nix:7'],
    );
    // A machine file under machines/<m>/.
    await expectFindings(
      { 'clan.nix': DOTTED_OK, 'machines/nas/configuration.nix': '{ clan.core.state.srv.folders = [ "/srv" ]; }\n' },
      ['state-not-backed-up machines/nas/configuration.nix:1'],
    );
  });
});

describe('localbackup settings (clanServices/localbackup/default.nix)', () => {
  const lb = (settings: string, extra = '') => `{
  meta.name = "lb";
  inventory.machines.web = { };
  inventory.instances.local = {
    module.name = "localbackup";
    roles.default.settings = ${settings};
    ${extra}
  };
  machines.web.clan.core.state.www.folders = [ "/var/www" ];
}
`;
  it('a valid configuration, the target split over layers, gets nothing', () =>
    expectFindings(
      {
        'clan.nix': lb(
          '{ snapshots = 10; targets.usb = { mountpoint = "/mnt/usb"; preMountHook = "true"; postBackupHook = null; }; }',
          'roles.default.machines.web.settings.targets.usb.directory = "/mnt/usb/backups";',
        ),
      },
      [],
    ));
  it('unknown fields, types, target names, the role, and a target without directory at any layer', async () => {
    await expectFindings(
      {
        'clan.nix': lb(
          '{ snapshots = "20"; targets.usb.directry = "/mnt"; targets."a b".directory = "/x"; targets.hdd.mountpoint = "/mnt/hdd"; }',
          'roles.client.machines.web = { }; roles.default.machines.web = { };',
        ),
      },
      [
        'setting-type clan.nix:6',
        'unknown-setting clan.nix:6',
        'invalid-destination-name clan.nix:6',
        'target-missing-directory clan.nix:6',
        'target-missing-directory clan.nix:6',
        'unknown-role clan.nix:7',
      ],
    );
    const { findings } = await analyzeFiles({ 'clan.nix': lb('{ targets.usb.directry = "/mnt"; }') });
    assert.match(findings.find((f) => f.code === 'unknown-setting')!.message, /did you mean `directory`\?/);
    assert.equal(findings.find((f) => f.code === 'unknown-setting')!.fixes![0]!.edits[0]!.newText, 'directory');
  });
  it('relative-target-directory, nested and dotted, and quiet where the value is not seen or does not win', async () => {
    const web = 'roles.default.machines.web = { };';
    await expectFindings({ 'clan.nix': lb('{ targets = { usb = { directory = "backups"; }; }; }', web) }, [
      'relative-target-directory clan.nix:6',
    ]);
    await expectFindings(
      { 'clan.nix': lb('{ }', 'roles.default.machines.web.settings.targets."usb".directory = "./snapshots";') },
      ['relative-target-directory clan.nix:7'],
    );
    const { findings } = await analyzeFiles({ 'clan.nix': lb('{ targets.usb.directory = "~/backups"; }', web) });
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, /target `usb` .*rsnapshot refuses "~\/backups"/);
    // Not a literal; overridden by lib.mkForce at the machine layer; a lib.mkDefault that loses; no member at all.
    await expectFindings({ 'clan.nix': lb('{ targets.usb.directory = toString ./backups; }', web) }, []);
    await expectFindings(
      {
        'clan.nix': lb(
          '{ targets.usb.directory = "backups"; }',
          'roles.default.machines.web.settings.targets.usb.directory = lib.mkForce "/mnt/usb";',
        ),
      },
      [],
    );
    await expectFindings(
      {
        'clan.nix': lb(
          '{ targets.usb.directory = lib.mkDefault "backups"; }',
          'roles.default.machines.web.settings.targets.usb.directory = "/mnt/usb";',
        ),
      },
      [],
    );
    await expectFindings(
      {
        'clan.nix': lb('{ targets.usb.directory = "backups"; }'),
      },
      [],
    );
  });
  it('a target directory set twice at two layers conflicts', () =>
    expectFindings(
      {
        'clan.nix': lb(
          '{ targets.usb.directory = "/mnt/a"; }',
          'roles.default.machines.web.settings.targets.usb.directory = "/mnt/b";',
        ),
      },
      ['conflicting-setting clan.nix:7'],
    ));
});

describe('postgresql rules', () => {
  const pg = (body: string) =>
    edit(DOTTED_OK, 'machines.laptop.clan.core.state.docs.folders = [ "/home/docs" ];', body);
  it('postgresql-create-options', async () => {
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases.app = { create = { OWNER = "app"; }; restore.stopOnRestore = [ "app.service" ]; }; };',
        ),
      },
      ['postgresql-create-options clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases.app = { create.options.OWNER = "app"; restore.stopOnRestore = [ "app.service" ]; }; };',
        ),
      },
      [],
    );
  });
  it('postgresql-not-enabled only where the whole config is visible', async () => {
    await expectFindings({ 'clan.nix': pg('machines.laptop.clan.core.postgresql.databases.app = { };') }, [
      'postgresql-not-enabled clan.nix:7',
    ]);
    await expectFindings(
      { 'clan.nix': pg('machines.laptop = { imports = [ ./db.nix ]; clan.core.postgresql.databases.app = { }; };') },
      [],
    );
  });
  it('postgresql-invalid-name', () =>
    expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases."app.db".restore.stopOnRestore = [ "a.service" ]; databases.b = { service = "x y"; restore.stopOnRestore = [ "b.service" ]; }; };',
        ),
      },
      ['postgresql-invalid-name clan.nix:7', 'postgresql-invalid-name clan.nix:7'],
    ));
  it('postgresql-invalid-name judges `service` (the state name), not the key, when it is set', async () => {
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases."shop.db" = { service = "shop"; restore.stopOnRestore = [ "shop.service" ]; }; };',
        ),
      },
      [],
    );
    // Another definition of the same database may set it: quiet.
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases."shop.db".restore.stopOnRestore = [ "s.service" ]; };\n  machines.laptop.clan.core.postgresql.databases."shop.db".service = "shop";',
        ),
      },
      [],
    );
    // The fix sets `service` and keeps the database name.
    const text = pg(
      'machines.laptop.clan.core.postgresql = { enable = true; databases."shop.db" = { restore.stopOnRestore = [ "s.service" ]; }; };',
    );
    const { findings } = await analyzeFiles({ 'clan.nix': text });
    const fixed = applyEdits(text, findings.find((f) => f.code === 'postgresql-invalid-name')!.fixes![0]!.edits);
    assert.match(fixed, /service = "shop-db";/);
    await expectFindings({ 'clan.nix': fixed }, []);
  });
  it('postgresql-restore-stops-nothing: an empty stopOnRestore makes the generated restore fail', async () => {
    await expectFindings(
      { 'clan.nix': pg('machines.laptop.clan.core.postgresql = { enable = true; databases.app = { }; };') },
      ['postgresql-restore-stops-nothing clan.nix:7'],
    );
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases.app.restore.stopOnRestore = [ ]; };',
        ),
      },
      ['postgresql-restore-stops-nothing clan.nix:7'],
    );
    // A unit named, or a value that is not literal: quiet. Not enabled: no dump, nothing to restore.
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = true; databases.app.restore.stopOnRestore = units; };',
        ),
      },
      [],
    );
    await expectFindings(
      {
        'clan.nix': pg(
          'machines.laptop.clan.core.postgresql = { enable = lib.mkIf x true; databases.app.restore.stopOnRestore = [ ]; };',
        ),
      },
      [],
    );
    // The fix names the unit of the service of that name the machine enables.
    const text = pg(
      'machines.laptop = { services.gitea.enable = true; services.gitea.database.type = "postgres"; clan.core.state.repos.folders = [ "/var/lib/gitea" ];\n    clan.core.postgresql = { enable = true; databases.gitea = { create.enable = false; }; }; };',
    );
    const { findings } = await analyzeFiles({ 'clan.nix': text });
    const f = findings.find((x) => x.code === 'postgresql-restore-stops-nothing')!;
    assert.match(f.message, /`gitea\.service`/);
    const fixed = applyEdits(text, f.fixes![0]!.edits);
    assert.match(fixed, /restore\.stopOnRestore = \[ "gitea\.service" \];/);
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    await expectFindings({ 'clan.nix': fixed }, []);
  });
  it('postgresql-not-backed-up', () =>
    expectFindings(
      {
        'clan.nix': edit(
          DOTTED_OK,
          '  machines.laptop',
          '  machines.nas.clan.core.postgresql.enable = true;\n  machines.laptop',
        ),
      },
      ['postgresql-not-backed-up clan.nix:7'],
    ));
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

describe('schedule rules', () => {
  const startAt = (v: string) =>
    edit(
      DOTTED_OK,
      '  machines.laptop',
      `  inventory.instances.borgbackup.roles.client.machines.laptop.settings.startAt = ${v};\n  machines.laptop`,
    );
  it('invalid-calendar points inside the string and offers the systemd form', async () => {
    const { findings } = await analyzeFiles({ 'clan.nix': startAt('"0 4 * * *"') });
    const f = findings.find((x) => x.code === 'invalid-calendar')!;
    assert.equal(f.range.start.line, 6);
    assert.ok(
      f.range.start.character >=
        'inventory.instances.borgbackup.roles.client.machines.laptop.settings.startAt = "'.length,
    );
    assert.equal(f.fixes?.[0]?.edits[0]?.newText, '"*-*-* 04:00:00"');
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = [ "work" ];\n            settings = { startAt = "fortnightly"; };\n          };',
        ),
      },
      ['invalid-calendar clan.nix:13'],
    );
  });
  it('valid schedules and non-literal ones are quiet', async () => {
    for (const v of ['"daily"', '"*-*-* 04:00:00"', '"Mon..Fri *-*-* 03:30"', '"hourly"', 'schedule', '"${hour}:00"']) {
      await expectFindings({ 'clan.nix': startAt(v) }, []);
    }
  });
  it('calendar-never-elapses', () =>
    expectFindings({ 'clan.nix': startAt('"2001-01-01 04:00"') }, ['calendar-never-elapses clan.nix:7']));
  it('the systemd form replaces only the literal inside lib.mkForce', async () => {
    const text = startAt('lib.mkForce "0 4 * * *"');
    const { findings } = await analyzeFiles({ 'clan.nix': text });
    const fix = findings.find((x) => x.code === 'invalid-calendar')!.fixes![0]!;
    assert.ok(applyEdits(text, fix.edits).includes('startAt = lib.mkForce "*-*-* 04:00:00";'));
  });
  it("calendar-never-elapses is judged from each check's own time, whatever an earlier check found", async () => {
    const { analysis } = await analyzeFiles({ 'clan.nix': startAt('"2031-06-01 04:00"') });
    const codes = (now: string) => checkSchedules(analysis.model, { now: new Date(now) }).map((f) => f.code);
    assert.deepEqual(codes('2030-01-01T00:00:00Z'), []);
    assert.deepEqual(
      codes('2032-01-01T00:00:00Z'),
      ['calendar-never-elapses'],
      'the elapse found before is in the past now',
    );
    assert.deepEqual(codes('2031-05-31T00:00:00Z'), []);
  });
});

describe('destination and exclude rules (borg)', () => {
  const dest = (body: string) =>
    edit(
      DOTTED_OK,
      '  machines.laptop',
      `  inventory.instances.borgbackup.roles.client.settings.destinations.box = { ${body} };\n  machines.laptop`,
    );
  it('invalid-repo and suspicious-repo', async () => {
    await expectFindings({ 'clan.nix': dest('repo = "ssh://user@host:/path";') }, ['invalid-repo clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "user@host:";') }, ['suspicious-repo clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "u123@u123.your-storagebox.de:/./borgbackup";') }, []);
  });
  it('rsh rules', async () => {
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -p 23";') }, ['rsh-without-key clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -i /k -o StrictHostKeyChecking=no";') }, [
      'rsh-insecure-host-key clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -i \'/k";') }, ['rsh-invalid clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "ssh://u@h:23/./b"; rsh = "ssh -p 23 -i /k";') }, [
      'rsh-duplicate-port clan.nix:7',
    ]);
    await expectFindings(
      {
        'clan.nix': dest(
          'repo = "u@h:/./b"; rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";',
        ),
      },
      [],
    );
  });
  it('server address: address-with-port and unbracketed-ipv6 (nested)', async () => {
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "nas.lan:2222";') },
      ['address-with-port clan.nix:16'],
    );
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "2001:db8::1";') },
      ['unbracketed-ipv6 clan.nix:16'],
    );
    await expectFindings(
      {
        'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "[2001:db8::1]";'),
      },
      [],
    );
  });
  it('exclude rules with quick fixes', async () => {
    const ex = (items: string) =>
      edit(
        DOTTED_OK,
        '  machines.laptop',
        `  inventory.instances.borgbackup.roles.client.settings.exclude = [ ${items} ];\n  machines.laptop`,
      );
    const { findings } = await analyzeFiles({ 'clan.nix': ex('"*.pyc" "__pycache__"') });
    assert.deepEqual(
      findings.map((f) => f.code),
      ['exclude-root-only'],
    );
    assert.deepEqual(
      findings[0]!.fixes?.map((f) => f.edits[0]!.newText),
      ['"*/__pycache__"', '"sh:**/__pycache__"'],
    );
    const forced = ex('(lib.mkForce "__pycache__")');
    const fix = (await analyzeFiles({ 'clan.nix': forced })).findings[0]!.fixes![0]!;
    assert.ok(applyEdits(forced, fix.edits).includes('exclude = [ (lib.mkForce "*/__pycache__") ];'));
    await expectFindings({ 'clan.nix': ex('"xx:foo"') }, ['invalid-exclude clan.nix:7']);
    await expectFindings({ 'clan.nix': ex('"~/.cache"') }, ['exclude-unsupported-syntax clan.nix:7']);
    await expectFindings({ 'clan.nix': ex('"sh:**/node_modules" "*.bak" "re:^home/[^/]+/\\\\.cache/"') }, []);
  });
});

describe('hook-missing-path: the fix gives the arguments to the machine module', () => {
  const HOOK = `clan.core.state.s = { folders = [ "/a" ]; preBackupScript = "docker pause x"; }`;
  /** The text after applying the PATH fix, or undefined when none is offered. */
  async function fixed(text: string): Promise<string | undefined> {
    const { findings } = await analyzeFiles({ 'clan.nix': text });
    const f = findings.find((x) => x.code === 'hook-missing-path');
    assert.ok(f, 'the finding is there either way');
    return f.fixes?.[0] ? applyEdits(text, f.fixes[0].edits) : undefined;
  }
  const parses = (text: string | undefined) =>
    assert.equal(text !== undefined && !parseNix(text).rootNode.hasError, true, text);

  it('extends a module function, also one wrapped in lib.mkForce', async () => {
    const text = `{ lib, ... }: {\n  meta.name = "t";\n  machines.m = lib.mkForce ({ config, ... }: { ${HOOK}; });\n}\n`;
    const out = await fixed(text);
    parses(out);
    assert.ok(out!.includes('machines.m = lib.mkForce ({ config, lib, pkgs, ... }: {'), out);
    assert.ok(out!.startsWith('{ lib, ... }: {'), "clan.nix's own function is left alone");
  });
  it('turns a module written as an attribute set into a function', async () => {
    const out = await fixed(`{\n  meta.name = "t";\n  machines.m = { ${HOOK}; };\n}\n`);
    parses(out);
    assert.ok(out!.includes('machines.m = { lib, pkgs, ... }: { clan.core.state.s'), out);
  });
  it('offers none for a module written with dotted paths or merged from several bindings', async () => {
    assert.equal(await fixed(`{\n  meta.name = "t";\n  machines.m.${HOOK};\n}\n`), undefined);
    assert.equal(await fixed(`{\n  meta.name = "t";\n  machines = { m.${HOOK}; };\n}\n`), undefined);
    // Nix cannot merge a function with `machines.m.networking…` (found in review).
    assert.equal(
      await fixed(`{\n  meta.name = "t";\n  machines.m = { ${HOOK}; };\n  machines.m.networking.hostName = "x";\n}\n`),
      undefined,
    );
  });
});
