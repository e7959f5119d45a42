// What completion inserts must be true for every clan-core version: the clan key's path changed in 2026-08
// (/run/secrets/vars/borgbackup/… → /run/secrets/vars/per-machine/<machine>/borgbackup/…), so a Storage Box is
// inserted as an ssh:// repo with its port and no rsh (Clan's default rsh keeps the key of the version in use).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupOption } from '../../server/src/language/optionDocs';

const CLIENT = ['inventory', 'instances', 'borgbackup', 'roles', 'client', 'settings', 'destinations', 'box'];

describe('option docs and snippets', () => {
  it('a destination snippet has an ssh:// repo and no rsh', () => {
    const dest = lookupOption(CLIENT, true)?.node.doc;
    assert.ok(dest?.snippet, 'a destination snippet');
    assert.match(dest.snippet, /repo = "\$\{1:ssh:\/\/user@host:23\/\.\/borgbackup\}";/);
    assert.doesNotMatch(dest.snippet, /rsh/);
  });

  it('the rsh snippet leaves the key path to the user and its docs name both layouts', () => {
    const rsh = lookupOption([...CLIENT, 'rsh'], true)?.node.doc;
    assert.ok(rsh?.snippet);
    assert.match(rsh.snippet, /-i \$\{1:[^}]+\}/, 'the key path is a placeholder');
    assert.match(rsh.description, /per-machine\/<machine>\/borgbackup\/borgbackup\.ssh/);
    assert.match(rsh.description, /\/run\/secrets\/vars\/borgbackup\/borgbackup\.ssh/);
  });
});
