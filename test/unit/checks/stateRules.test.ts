// The state, PostgreSQL and hook rules (checks/stateChecks.ts, postgresqlChecks.ts, hookRuleChecks.ts), firing and
// not firing, in nested and dotted forms, in clan.nix and in machine files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNix } from '../../../server/src/parsing/parser';
import { applyEdits } from '../../helpers/applyEdits';
import { analyzeFiles } from '../../helpers/clanFixture';
import { DOTTED_OK, expectFindings, edit } from '../../helpers/ruleFixtures';

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
