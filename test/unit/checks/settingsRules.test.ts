// The settings rules (checks/settingsChecks.ts) of borgbackup and localbackup roles, firing and not firing, in nested
// and dotted forms and at each settings layer (role, tag, machine).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../helpers/clanFixture';
import { NESTED_OK, DOTTED_OK, expectFindings, edit } from '../../helpers/ruleFixtures';

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
    // Another layer's value is opaque: its priority is unknown, so the relative one may lose.
    await expectFindings(
      {
        'clan.nix': lb(
          '{ targets.usb.directory = "backups"; }',
          'roles.default.machines.web.settings.targets.usb.directory = if true then lib.mkForce "/mnt" else "/x";',
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
