// `service-not-backed-up`'s quick fix, applied and analysed again, and parsed by `nix-instantiate --parse`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Finding } from '../../../server/src/findings';
import { applyEdits } from '../../helpers/applyEdits';
import { ClanFiles } from '../../helpers/clanFixture';
import { skipUnlessTool, toolPresent } from '../../helpers/tools';
import {
  CODE,
  Expected,
  SERVICES,
  BORG,
  clanNix,
  serviceBlock,
  machineModule,
  clanWith,
  state,
  q,
  coverage,
} from '../../helpers/coverageFixture';

// ---------------------------------------------------------------------------------------------------------------
// The quick fix

const haveNix = toolPresent('nix');
const scratch = mkdtempSync(join(tmpdir(), 'clan-backups-coverage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function nixParses(text: string): string | undefined {
  const f = join(scratch, 'fixed.nix');
  writeFileSync(f, text);
  const r = spawnSync('nix-instantiate', ['--parse', f], { encoding: 'utf8' });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  if (r.status === 0 || (errors.length > 0 && errors.every((l) => l.startsWith('error: undefined variable'))))
    return undefined;
  return r.stderr;
}

const loud = (f: Finding) => f.severity === 'error' || f.severity === 'warning';
const key = (f: Finding) => `${f.code}: ${f.message}`;

/** Applies the finding's fix for `name`, parses the result, analyses it again: no finding for `name`, nothing louder. */
async function fixAndRecheck(files: ClanFiles, name: string): Promise<ClanFiles> {
  const before = await coverage(files);
  const hit = before.hits.find((f) => f.message.includes(`\`services.${name}\``));
  assert.ok(hit, `no ${CODE} for ${name} before the fix`);
  const fix = hit.fixes?.[0];
  assert.ok(fix, `no quick fix for ${name}`);
  assert.equal(fix.isPreferred, true);
  const fixed: ClanFiles = { ...files };
  for (const path of Object.keys(files)) {
    const edits = fix.edits.filter((ed) => ed.uri.endsWith(`/${path}`));
    if (edits.length) fixed[path] = applyEdits(files[path]!, edits);
  }
  assert.equal(
    fix.edits.every((ed) => Object.keys(files).some((p) => ed.uri.endsWith(`/${p}`))),
    true,
    'an edit outside the clan files',
  );
  for (const [path, text] of Object.entries(fixed)) {
    if (text === files[path] || !haveNix) continue;
    const err = nixParses(text);
    assert.equal(err, undefined, `${path} does not parse after the fix:\n${text}\n${err}`);
  }
  const again = await coverage(fixed);
  const left = again.hits.filter((f) => f.message.includes(`\`services.${name}\``));
  assert.deepEqual(
    left.map((f) => f.message),
    [],
    `still reported after the fix:\n${Object.values(fixed).join('\n')}`,
  );
  const old = new Set(before.all.filter(loud).map(key));
  const added = again.all.filter(loud).filter((f) => !old.has(key(f)));
  assert.deepEqual(added.map(key), [], `the fix adds errors or warnings:\n${Object.values(fixed).join('\n')}`);
  return fixed;
}

/** The options that make the service's database used, so the fix has to add the dump too. */
function withDb(e: Expected): string[] {
  return e.db?.when ? [e.db.when] : [];
}

describe('service-not-backed-up: the quick fix', () => {
  if (!haveNix)
    it(
      'nix-instantiate --parse',
      { skip: skipUnlessTool('nix', 'nix-instantiate --parse of the fixed files (they are still analysed)') },
      () => {},
    );
  for (const e of SERVICES) {
    it(`${e.name}: in a nixfmt-style machine file`, async () => {
      const files = {
        'clan.nix': clanNix(BORG),
        'machines/web/configuration.nix': machineModule(serviceBlock(e.name, withDb(e), '  ')),
      };
      const fixed = await fixAndRecheck(files, e.name);
      const text = fixed['machines/web/configuration.nix']!;
      if (e.dir) {
        assert.match(text, new RegExp(`clan\\.core\\.state\\.${e.name.replace(/-/g, '\\-')} = \\{`));
        assert.ok(text.includes(`folders = [ "${e.dir}" ];`), text);
        for (const u of e.units) {
          assert.ok(text.includes(`systemctl stop ${u}`), `${u} not stopped:\n${text}`);
          assert.ok(text.includes(`systemctl start ${u}`), `${u} not started:\n${text}`);
        }
      }
      if (e.db) assert.ok(text.includes(`databases.${e.db.name} = {`), text);
      else assert.ok(!text.includes('clan.core.postgresql'), text);
    });
    it(`${e.name}: inside machines.web = { … } in clan.nix`, async () => {
      const files = {
        'clan.nix': clanNix(BORG, `  machines.web = {\n${serviceBlock(e.name, withDb(e), '    ')}\n  };\n`),
      };
      await fixAndRecheck(files, e.name);
    });
  }
  it('gitea: dotted machines.web.services.gitea.enable = true in clan.nix', async () => {
    const files = { 'clan.nix': clanNix(BORG, '  machines.web.services.gitea.enable = true;\n') };
    const fixed = await fixAndRecheck(files, 'gitea');
    assert.ok(fixed['clan.nix']!.includes('folders = [ "/var/lib/gitea" ];'), fixed['clan.nix']);
  });
  it('gitea with postgres, dotted in clan.nix: directory and dump', async () => {
    const files = {
      'clan.nix': clanNix(
        BORG,
        '  machines.web.services.gitea.enable = true;\n  machines.web.services.gitea.database.type = "postgres";\n',
      ),
    };
    const fixed = await fixAndRecheck(files, 'gitea');
    assert.ok(fixed['clan.nix']!.includes('databases.gitea'), fixed['clan.nix']);
  });
  it('immich and miniflux, dotted in clan.nix', async () => {
    await fixAndRecheck({ 'clan.nix': clanNix(BORG, '  machines.web.services.immich.enable = true;\n') }, 'immich');
    await fixAndRecheck({ 'clan.nix': clanNix(BORG, '  machines.web.services.miniflux.enable = true;\n') }, 'miniflux');
  });
  it('a moved directory: the fix backs up the new one', async () => {
    const fixed = await fixAndRecheck(clanWith('grafana', { options: ['dataDir = "/srv/grafana";'] }), 'grafana');
    assert.ok(fixed['machines/web/configuration.nix']!.includes('folders = [ "/srv/grafana" ];'));
  });
  it('an existing nested clan = { core = { postgresql = { … }; }; } block: the fix adds the database to it', async () => {
    const files = clanWith('immich', {
      extra: [
        'clan = {',
        '  core = {',
        '    state.kept.folders = [ "/home" ];',
        '    postgresql = {',
        '      enable = true;',
        '      databases.other.restore.stopOnRestore = [ "x.service" ];',
        '    };',
        '  };',
        '};',
      ],
    });
    const fixed = await fixAndRecheck(files, 'immich');
    const text = fixed['machines/web/configuration.nix']!;
    assert.equal(text.split('postgresql = {').length - 1, 1, `a second postgresql block:\n${text}`);
  });
  for (const [form, lines] of [
    [
      'clan.core.postgresql = { … }',
      [
        'clan.core.postgresql = {',
        '  enable = true;',
        '  databases.other.restore.stopOnRestore = [ "x.service" ];',
        '};',
      ],
    ],
    [
      'dotted clan.core.postgresql.enable',
      [
        'clan.core.postgresql.enable = true;',
        'clan.core.postgresql.databases.other.restore.stopOnRestore = [ "x.service" ];',
      ],
    ],
  ] as const) {
    it(`an existing ${form}: the fix adds the database to it`, async () => {
      for (const name of ['immich', 'miniflux']) {
        const fixed = await fixAndRecheck(clanWith(name, { extra: [state(q('/home')), ...lines] }), name);
        const text = fixed['machines/web/configuration.nix']!;
        assert.equal(
          text.split('clan.core.postgresql = {').length - 1,
          form.startsWith('dotted') ? 0 : 1,
          `a second clan.core.postgresql:\n${text}`,
        );
      }
    });
  }
  it('two services fixed one after the other', async () => {
    const files = {
      'clan.nix': clanNix(BORG),
      'machines/web/configuration.nix': machineModule(
        `${serviceBlock('gitea', [], '  ')}\n${serviceBlock('immich', [], '  ')}`,
      ),
    };
    const once = await fixAndRecheck(files, 'gitea');
    await fixAndRecheck(once, 'immich');
  });
  it("no fix when a state named after the service exists (merging is the user's call)", async () => {
    const { hits } = await coverage(
      clanWith('gitea', { extra: ['clan.core.state.gitea.folders = [ "/srv/other" ];'] }),
    );
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.fixes, undefined);
  });
});
