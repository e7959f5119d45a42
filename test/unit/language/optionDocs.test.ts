// What completion inserts and hover says must be true for every clan-core version: the clan key's path changed in 2026-08
// (/run/secrets/vars/borgbackup/… → /run/secrets/vars/per-machine/<machine>/borgbackup/…), so a Storage Box is
// inserted as an ssh:// repo with its port and no rsh (Clan's default rsh keeps the key of the version in use).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hoverAt } from '../../../server/src/language/hover';
import { lookupOption } from '../../../server/src/language/optionDocs';
import { LineIndex } from '../../../server/src/model/range';
import { analyzeFiles } from '../../helpers/clanFixture';

const CLIENT = ['inventory', 'instances', 'borgbackup', 'roles', 'client', 'settings', 'destinations', 'box'];

describe('option docs and snippets', () => {
  it('a destination snippet has an ssh:// repo and no rsh', () => {
    const dest = lookupOption(CLIENT, 'borgbackup')?.node.doc;
    assert.ok(dest?.snippet, 'a destination snippet');
    assert.match(dest.snippet, /repo = "\$\{1:ssh:\/\/user@host:23\/\.\/borgbackup\}";/);
    assert.doesNotMatch(dest.snippet, /rsh/);
  });

  it('the rsh snippet leaves the key path to the user and its docs name both layouts', () => {
    const rsh = lookupOption([...CLIENT, 'rsh'], 'borgbackup')?.node.doc;
    assert.ok(rsh?.snippet);
    assert.match(rsh.snippet, /-i \$\{1:[^}]+\}/, 'the key path is a placeholder');
    assert.match(rsh.description, /per-machine\/<machine>\/borgbackup\/borgbackup\.ssh/);
    assert.match(rsh.description, /\/run\/secrets\/vars\/borgbackup\/borgbackup\.ssh/);
  });
});

describe('hover tells what Clan fixes on every job', () => {
  const CLAN = `{
  meta.name = "h";
  inventory.machines.web = { };
  inventory.instances.borgbackup = {
    roles.client.machines.web.settings.destinations.box.repo = "ssh://u@h:23/./b";
  };
  machines.web.clan.core.state.data.folders = [ "/srv" ];
}
`;
  const hoverText = async (needle: string, delta: number) => {
    const { analysis } = await analyzeFiles({ 'clan.nix': CLAN });
    const file = analysis.model.files.find((f) => f.uri.endsWith('/clan.nix'))!;
    const h = hoverAt(analysis, file, new LineIndex(CLAN).positionAt(CLAN.indexOf(needle) + delta));
    return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
  };

  it('on the client role and on a destination: prune, compression, encryption, and how to override', async () => {
    const onClient = await hoverText('roles.client', 8);
    assert.match(onClient, /Set by Clan on every job/);
    assert.match(onClient, /prune\.keep = \{ within = "1d"; daily = 7; weekly = 4; monthly = 0; \}/);
    assert.match(onClient, /compression = "auto,zstd"/);
    assert.match(onClient, /encryption\.mode = "repokey"/);
    const onDest = await hoverText('box.repo', 1);
    assert.match(onDest, /services\.borgbackup\.jobs\.box\.prune\.keep\.daily = lib\.mkForce 14;/);
    // Elsewhere (the machine's state) it is not said.
    assert.doesNotMatch(await hoverText('folders', 1), /Set by Clan/);
  });
});
