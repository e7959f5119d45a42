// The clans and assertions the rule tests share: one valid clan in nested and one in dotted form, each rule's
// test derives broken variants from them.
import assert from 'node:assert/strict';
import { findingCodes } from './clanFixture';
import type { ClanFiles } from './clanFixture';

export const NESTED_OK = `{
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

export const DOTTED_OK = `{
  meta.name = "t";
  inventory.machines.laptop.tags = [ "work" ];
  inventory.machines."nas" = { };
  inventory.instances.borgbackup.roles.client.tags = [ "work" ];
  inventory.instances.borgbackup.roles.server.machines."nas".settings.directory = "/srv/borg";
  machines.laptop.clan.core.state.docs.folders = [ "/home/docs" ];
}
`;

export async function expectFindings(files: ClanFiles, expected: string[]): Promise<void> {
  const got = (await findingCodes(files)).map((s) => s.replace(/:\d+$/, ''));
  assert.deepEqual(got.sort(), [...expected].sort());
}

/** Replaces one exact substring (must exist) to derive a broken variant of a valid clan. */
export function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture lacks ${from}`);
  return text.replace(from, to);
}
