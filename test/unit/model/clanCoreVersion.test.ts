// flake.lock → the clan-core a clan is locked to, and `rsh-key-path`: an rsh key under /run/secrets/vars/ in the
// layout of another clan-core version than the lock's (per-machine on main since 2026-08-03, flat up to 26.05).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readClanCoreVersion } from '../../../server/src/model/clanCoreVersion';
import { hoverAt } from '../../../server/src/language/hover';
import { applyEdits } from '../../helpers/applyEdits';
import { analyzeFiles, findingCodes } from '../../helpers/clanFixture';
import { LineIndex } from '../../../server/src/model/range';

const AUG_22 = Date.UTC(2026, 7, 22) / 1000;
const JULY = Date.UTC(2026, 6, 1) / 1000;

function lock(
  node: Record<string, unknown>,
  inputName = 'clan-core',
  rootInput: string | string[] = 'clan-core',
): string {
  return JSON.stringify({
    nodes: {
      root: { inputs: { [inputName]: rootInput, nixpkgs: 'nixpkgs' } },
      'clan-core': node,
      nixpkgs: {
        locked: { owner: 'NixOS', repo: 'nixpkgs', type: 'github', rev: 'abc', lastModified: AUG_22 },
        original: { owner: 'NixOS', repo: 'nixpkgs', type: 'github' },
      },
    },
    root: 'root',
    version: 7,
  });
}

const tarball = (ref: string, lastModified: number) => ({
  locked: {
    lastModified,
    narHash: 'sha256-x',
    rev: 'd7c35d9127af3f773b57d8e792818597a9aaa29c',
    type: 'tarball',
    url: 'https://git.clan.lol/api/v1/repos/clan/clan-core/archive/d7c35d9.tar.gz',
  },
  original: { type: 'tarball', url: `https://git.clan.lol/clan/clan-core/archive/${ref}.tar.gz` },
});

describe('clan-core version from flake.lock', () => {
  it('reads main, a release branch, github inputs, follows, and the layout each has', () => {
    assert.deepEqual(readClanCoreVersion(lock(tarball('main', AUG_22))), {
      input: 'clan-core',
      rev: 'd7c35d9127af3f773b57d8e792818597a9aaa29c',
      lastModified: AUG_22,
      ref: 'main',
      url: 'https://git.clan.lol/clan/clan-core/archive/main.tar.gz',
      varsLayout: 'per-machine',
    });
    assert.equal(readClanCoreVersion(lock(tarball('main', JULY)))?.varsLayout, 'flat');
    assert.equal(readClanCoreVersion(lock(tarball('26.05', AUG_22)))?.varsLayout, 'flat');
    assert.equal(readClanCoreVersion(lock(tarball('26.11', AUG_22)))?.varsLayout, 'per-machine');
    const github = {
      locked: { owner: 'clan-lol', repo: 'clan-core', type: 'github', rev: 'r', lastModified: AUG_22 },
      original: { owner: 'clan-lol', repo: 'clan-core', type: 'github' },
    };
    assert.equal(readClanCoreVersion(lock(github, 'clan'))?.input, 'clan');
    assert.equal(readClanCoreVersion(lock(github))?.varsLayout, 'per-machine');
    // A branch of someone's fork or an unknown ref: the layout is not known.
    assert.equal(
      readClanCoreVersion(lock({ ...github, original: { ...github.original, ref: 'my-feature' } }))?.varsLayout,
      undefined,
    );
    // No clan-core at all, or no lock file: nothing.
    assert.equal(
      readClanCoreVersion(
        lock({
          locked: { owner: 'x', repo: 'y', type: 'github' },
          original: { owner: 'x', repo: 'y', type: 'github' },
        }),
      ),
      undefined,
    );
    assert.equal(readClanCoreVersion('{ not json'), undefined);
    assert.equal(readClanCoreVersion('[]'), undefined);
  });
});

const CLAN = (rsh: string, repo = 'u1@u1.your-storagebox.de:/./borgbackup') => `{
  meta.name = "v";
  inventory.machines.web = { };
  inventory.instances.borgbackup = {
    roles.client.machines.web.settings.destinations.box = {
      repo = "${repo}";
      rsh = "${rsh}";
    };
  };
  machines.web.clan.core.state.data.folders = [ "/srv" ];
}
`;

describe('rsh-key-path', () => {
  const flatKey = 'ssh -p 23 -o StrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh';
  const perMachineKey = 'ssh -p 23 -i /run/secrets/vars/per-machine/web/borgbackup/borgbackup.ssh';

  it('warns on a key path of the other layout than the locked version, with both fixes', async () => {
    const files = { 'clan.nix': CLAN(flatKey), 'flake.lock': lock(tarball('main', AUG_22)) };
    assert.deepEqual(await findingCodes(files), ['rsh-key-path clan.nix:7:63']);
    const { findings } = await analyzeFiles(files);
    const f = findings[0]!;
    assert.match(
      f.message,
      /locked to clan-core main @ d7c35d9 \(2026-08-22\), which keeps it at "\/run\/secrets\/vars\/per-machine\/web\/borgbackup\/borgbackup\.ssh"/,
    );
    const [path, url] = f.fixes!;
    const withPath = applyEdits(files['clan.nix'], path!.edits);
    assert.match(withPath, /-i \/run\/secrets\/vars\/per-machine\/web\/borgbackup\/borgbackup\.ssh";/);
    assert.deepEqual(await findingCodes({ ...files, 'clan.nix': withPath }), []);
    const withUrl = applyEdits(files['clan.nix'], url!.edits);
    assert.match(withUrl, /repo = "ssh:\/\/u1@u1\.your-storagebox\.de:23\/\.\/borgbackup";\n {4}\};/);
    assert.doesNotMatch(withUrl, /rsh/);
    assert.deepEqual(await findingCodes({ ...files, 'clan.nix': withUrl }), []);
  });

  it('is quiet with the right layout, without a lock, with an unknown ref, and for keys elsewhere', async () => {
    assert.deepEqual(
      await findingCodes({ 'clan.nix': CLAN(perMachineKey), 'flake.lock': lock(tarball('main', AUG_22)) }),
      [],
    );
    assert.deepEqual(
      await findingCodes({ 'clan.nix': CLAN(flatKey), 'flake.lock': lock(tarball('26.05', AUG_22)) }),
      [],
    );
    assert.deepEqual(await findingCodes({ 'clan.nix': CLAN(flatKey) }), []);
    assert.deepEqual(await findingCodes({ 'clan.nix': CLAN(flatKey), 'flake.lock': lock(tarball('wip', AUG_22)) }), []);
    assert.deepEqual(
      await findingCodes({
        'clan.nix': CLAN('ssh -p 23 -i /etc/borg/key'),
        'flake.lock': lock(tarball('main', AUG_22)),
      }),
      [],
    );
    // On 26.05 the per-machine path is the wrong one.
    assert.deepEqual(
      await findingCodes({ 'clan.nix': CLAN(perMachineKey), 'flake.lock': lock(tarball('26.05', AUG_22)) }),
      ['rsh-key-path clan.nix:7:27'],
    );
  });

  it('hover on meta.name shows the locked version', async () => {
    const files = { 'clan.nix': CLAN(perMachineKey), 'flake.lock': lock(tarball('main', AUG_22)) };
    const { analysis } = await analyzeFiles(files);
    const file = analysis.model.files.find((f) => f.uri.endsWith('/clan.nix'))!;
    const at = new LineIndex(files['clan.nix']).positionAt(files['clan.nix'].indexOf('name') + 1);
    const hover = hoverAt(analysis, file, at);
    const text = hover && typeof hover.contents === 'object' && 'value' in hover.contents ? hover.contents.value : '';
    assert.match(text, /Locked to \*\*clan-core main @ d7c35d9 \(2026-08-22\)\*\* \(flake\.lock input `clan-core`/);
    assert.match(text, /per-machine\/<machine>\/borgbackup\/borgbackup\.ssh/);
  });
});
