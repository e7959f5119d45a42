// `service-not-backed-up` for each NixOS service the linter knows (server/src/model/nixosServices.ts): the default
// directory, the option that moves it, the folders that cover it (equal, parent, the DynamicUser twin,
// `config.services.<x>.<option>`), the PostgreSQL database and its dump, and the machines it judges. The first test
// makes sure every service of the table has a row.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NIXOS_SERVICES } from '../../../server/src/model/nixosServices';
import {
  SERVICES,
  BORG,
  LOCAL,
  NO_CLIENT,
  clanNix,
  serviceBlock,
  machineModule,
  clanWith,
  state,
  dump,
  q,
  coverage,
  quiet,
  one,
  namesDir,
  namesNoDir,
  namesDatabase,
  namesNoDatabase,
  dbDefaultDump,
} from '../../helpers/coverageFixture';

describe('service-not-backed-up: the test table', () => {
  it('has a row for every service of NIXOS_SERVICES and nothing else', () => {
    assert.deepEqual(SERVICES.map((s) => s.name).sort(), NIXOS_SERVICES.map((s) => s.name).sort());
    assert.equal(SERVICES.length, 20);
  });
  it('agrees with the table on DynamicUser and the units the fix stops', () => {
    for (const e of SERVICES) {
      const s = NIXOS_SERVICES.find((x) => x.name === e.name)!;
      assert.equal(s.dynamicUser === true, e.dynamicUser === true, `${e.name}: dynamicUser`);
      assert.deepEqual(s.units, e.units, `${e.name}: units`);
    }
  });
});

for (const e of SERVICES) {
  describe(`service-not-backed-up: ${e.name}`, () => {
    it('(a) enabled with the default directory and no state: one finding on the enable value', async () => {
      const f = await one(clanWith(e.name), e.name);
      if (e.dir) namesDir(f, e.dir);
      if (e.db && !e.db.when) namesDatabase(f, e.db.name);
      else namesNoDatabase(f);
    });

    if (e.moves) {
      for (const m of e.moves) {
        it(`(b) ${m.set} moves the directory to ${m.dir}`, async () => {
          const f = await one(clanWith(e.name, { options: [m.set], extra: [state(q('/home'))] }), e.name);
          namesDir(f, m.dir);
          namesNoDir(f, e.dir!);
          // The default place no longer covers it, the new one does.
          const old = await one(
            clanWith(e.name, { options: [m.set], extra: [state(q(e.dir!)), ...dbDefaultDump(e)] }),
            e.name,
          );
          namesDir(old, m.dir);
          await quiet(
            clanWith(e.name, { options: [m.set], extra: [state(q(m.dir)), ...dbDefaultDump(e)] }),
            `folder ${m.dir}`,
          );
        });
      }
    }

    if (e.dir) {
      const dir = e.dir;
      it(`(c) a state folder equal to ${dir} covers it`, async () => {
        await quiet(clanWith(e.name, { extra: [state(q(dir)), ...dbDefaultDump(e)] }), 'equal folder');
        await quiet(
          clanWith(e.name, { extra: [state(q(`${dir}/`)), ...dbDefaultDump(e)] }),
          'equal folder with a trailing slash',
        );
        // In a second state, among other folders.
        await quiet(
          clanWith(e.name, {
            extra: [state(q('/home')), `clan.core.state.more.folders = [ "/etc/x" ${q(dir)} ];`, ...dbDefaultDump(e)],
          }),
          'folder of another state',
        );
        // A folder below the directory, or one that merely shares a prefix of its name, does not cover it.
        for (const other of [`${dir}/data`, `${dir}x`, dir.slice(0, -1)]) {
          const f = await one(clanWith(e.name, { extra: [state(q(other)), ...dbDefaultDump(e)] }), e.name);
          namesDir(f, dir);
        }
      });

      it('(d) a parent folder covers it', async () => {
        for (const parent of ['/var/lib', '/var/lib/', '/var', '/']) {
          await quiet(clanWith(e.name, { extra: [state(q(parent)), ...dbDefaultDump(e)] }), `parent ${parent}`);
        }
      });

      if (e.option) {
        it(`(c) a folder written config.services.${e.name}.${e.option} covers it`, async () => {
          await quiet(
            clanWith(e.name, { extra: [state(`config.services.${e.name}.${e.option}`), ...dbDefaultDump(e)] }),
            'config.services folder',
          );
          // Also when the option is moved: the folder is the option's value.
          await quiet(
            clanWith(e.name, {
              options: [e.moves![0]!.set],
              extra: [state(`config.services.${e.name}.${e.option}`), ...dbDefaultDump(e)],
            }),
            'config.services folder, moved',
          );
          // Another option of another service does not.
          const f = await one(
            clanWith(e.name, { extra: [state('config.services.other.dataDir'), ...dbDefaultDump(e)] }),
            e.name,
          );
          namesDir(f, dir);
        });
      }

      const privateForm = dir.replace(/^\/var\/lib\//, '/var/lib/private/');
      if (e.dynamicUser) {
        it(`(e) DynamicUser: ${privateForm} is ${dir}`, async () => {
          await quiet(clanWith(e.name, { extra: [state(q(privateForm)), ...dbDefaultDump(e)] }), 'private form');
          await quiet(
            clanWith(e.name, { extra: [state(q('/var/lib/private')), ...dbDefaultDump(e)] }),
            'parent of the private form',
          );
        });
      } else {
        it(`(e) no DynamicUser: ${privateForm} is not ${dir}`, async () => {
          const f = await one(clanWith(e.name, { extra: [state(q(privateForm)), ...dbDefaultDump(e)] }), e.name);
          namesDir(f, dir);
        });
      }
    } else {
      it('(c) no directory: any state folder leaves the finding about the database', async () => {
        const f = await one(clanWith(e.name, { extra: [state(q('/'))] }), e.name);
        namesDatabase(f, e.db!.name);
        assert.ok(!/`\/[^`]*`/.test(f.message.split('PostgreSQL')[0]!), `a directory is named: ${f.message}`);
      });
    }

    it('(f) a non-literal value it depends on, a non-literal enable, a computed service set: quiet', async () => {
      if (e.opaque) await quiet(clanWith(e.name, { options: [e.opaque] }), e.opaque);
      await quiet(clanWith(e.name, { enable: 'config.foo' }), 'enable = config.foo');
      await quiet(clanWith(e.name, { enable: 'lib.mkIf config.foo true' }), 'enable = lib.mkIf …');
      await quiet(
        {
          'clan.nix': clanNix(BORG),
          'machines/web/configuration.nix': machineModule(`  services.${e.name} = { enable = true; } // config.foo;`),
        },
        '// config.foo',
      );
      // A second definition that is not a literal true may turn it off.
      await quiet(
        clanWith(e.name, { extra: [`services.${e.name}.enable = lib.mkOverride 10 false;`] }),
        'second enable',
      );
      // Non-literal folders or states: nothing is known about what they cover.
      await quiet(clanWith(e.name, { extra: [state('config.foo')] }), 'non-literal folder');
      await quiet(clanWith(e.name, { extra: ['clan.core.state = config.foo;'] }), 'computed state set');
      await quiet(
        clanWith(e.name, { extra: ['clan.core.state.${config.foo}.folders = [ "/x" ];'] }),
        'computed state name',
      );
    });

    it('enable written dotted, with lib.mkForce or lib.mkDefault, or in clan.nix: fires', async () => {
      for (const enable of ['lib.mkForce true', 'lib.mkDefault true']) {
        const f = await one(clanWith(e.name, { enable }), e.name);
        if (e.dir) namesDir(f, e.dir);
      }
      const dotted = machineModule(`  services.${e.name}.enable = true;\n  ${state(q('/home'))}`);
      const f = await one({ 'clan.nix': clanNix(BORG), 'machines/web/configuration.nix': dotted }, e.name);
      if (e.dir) namesDir(f, e.dir);
      const inClan = { 'clan.nix': clanNix(BORG, `  machines.web = {\n${serviceBlock(e.name, [], '    ')}\n  };\n`) };
      await one(inClan, e.name, 'clan.nix');
      const inClanDotted = { 'clan.nix': clanNix(BORG, `  machines.web.services.${e.name}.enable = true;\n`) };
      await one(inClanDotted, e.name, 'clan.nix');
    });

    if (e.db) {
      const db = e.db;
      it(`(g) PostgreSQL database ${db.name}${db.when ? ` with ${db.when}` : ' (on by default)'}`, async () => {
        const on = db.when ? [db.when] : [];
        const f = await one(clanWith(e.name, { options: on }), e.name);
        namesDatabase(f, db.name);
        if (e.dir) namesDir(f, e.dir);
        // The dump covers the database: the directory alone is left (or nothing).
        for (const lines of [dump(db.name), dump(db.name, 'main')]) {
          const { hits } = await coverage(clanWith(e.name, { options: on, extra: lines }));
          if (e.dir) {
            assert.equal(hits.length, 1, hits.map((h) => h.message).join('\n'));
            namesDir(hits[0]!, e.dir);
            namesNoDatabase(hits[0]!);
          } else assert.deepEqual(hits, []);
          const folders = e.dir ? [state(q(e.dir))] : [];
          await quiet(clanWith(e.name, { options: on, extra: [...folders, ...lines] }), 'folder and dump');
        }
        // A dump of another database does not.
        const other = await one(clanWith(e.name, { options: on, extra: dump('other') }), e.name);
        namesDatabase(other, db.name);
        if (db.rename) {
          const renamed = await one(
            clanWith(e.name, { options: [...on, db.rename.set], extra: dump(db.name) }),
            e.name,
          );
          namesDatabase(renamed, db.rename.name);
          await quiet(
            clanWith(e.name, {
              options: [...on, db.rename.set],
              extra: [...(e.dir ? [state(q(e.dir))] : []), ...dump(db.rename.name)],
            }),
            'renamed dump',
          );
        }
        if (db.off) {
          const off = await coverage(clanWith(e.name, { options: [db.off] }));
          if (e.dir) {
            assert.equal(off.hits.length, 1);
            namesNoDatabase(off.hits[0]!);
          } else assert.deepEqual(off.hits, []);
        }
        // A computed set of dumps: nothing is claimed.
        await quiet(
          clanWith(e.name, {
            options: on,
            extra: ['clan.core.postgresql.enable = true;', 'clan.core.postgresql.databases = config.foo;'],
          }),
          'computed databases',
        );
      });
      if (db.when) {
        it(`(g) without ${db.when} or with another value: no database in the message`, async () => {
          const f = await one(clanWith(e.name), e.name);
          namesNoDatabase(f);
          const other = db.when!.replace(/= .*;$/, db.when!.includes('true') ? '= false;' : '= "mysql";');
          const g = await one(clanWith(e.name, { options: [other] }), e.name);
          namesNoDatabase(g);
        });
      }
    }

    it('(h) quiet on a machine that is no backup client, fires on a localbackup client', async () => {
      await quiet(clanWith(e.name, { instances: NO_CLIENT }), 'web is no client');
      await quiet(clanWith(e.name, { instances: '' }), 'no backup instance at all');
      const f = await one(clanWith(e.name, { instances: LOCAL }), e.name);
      if (e.dir) namesDir(f, e.dir);
      // A service of a kind the linter does not know may add states that cover the data.
      await quiet(
        clanWith(e.name, {
          instances: `${BORG}\n  inventory.instances.mine = { module.name = "my-service"; module.input = "self"; roles.default.machines.web = { }; };`,
        }),
        'unknown service',
      );
    });

    it('(i) a machine module with imports that cannot be resolved: quiet', async () => {
      await quiet(clanWith(e.name, { extra: ['imports = [ ./other.nix ];'] }), 'imports');
      await quiet(
        {
          'clan.nix': clanNix(
            BORG,
            `  machines.web = {\n    imports = [ ./web.nix ];\n${serviceBlock(e.name, [], '    ')}\n  };\n`,
          ),
        },
        'imports in clan.nix',
      );
    });
  });
}
