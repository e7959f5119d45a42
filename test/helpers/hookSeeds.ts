// Hook test documents: the examples of Clan's backup guides (test/fixtures/seeds holds them as clans) as they appear in clan.nix and machine configs, and where things are
// in a document, for the hook analyses' tests.
import assert from 'node:assert/strict';
import type { Finding } from '../../server/src/findings';
import type { HookStateInput } from '../../server/src/hooks/hookInput';
import { LineIndex } from '../../server/src/model/range';
import { hookStateInput } from './hookInput';

export const URI = 'file:///clan/clan.nix';

/** The hooks of the (single) state in `text`, as the model builder would pass them. */
export function stateInput(text: string, stateName = 'svc'): HookStateInput {
  return hookStateInput(text, URI, stateName);
}

/** [line, character, endLine, endCharacter] of a finding, 0-based. */
export function at(f: Finding): [number, number, number, number] {
  return [f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character];
}

/** Position of the n-th occurrence of `needle` in `text` as [line, character]. */
export function pos(text: string, needle: string, nth = 0): [number, number] {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    assert.notEqual(i, -1, `${needle} not in text`);
  }
  const p = new LineIndex(text).positionAt(i);
  return [p.line, p.character];
}

/** The range of the n-th occurrence of a one-line `needle`, as at() prints it. */
export function span(text: string, needle: string, nth = 0): [number, number, number, number] {
  const [l, c] = pos(text, needle, nth);
  return [l, c, l, c + needle.length];
}

// ---- the backup guides' examples, as they appear in clan.nix / machine configs ----

export const DOCKER_SEED = `{
  machines = {
    docker-host = { config, ... }: {
      clan.core.state."containers" = {
        folders = [ "/var/lib/docker/volumes" ];
        preBackupScript = ''
          docker pause $(docker ps -q)
        '';
        postBackupScript = ''
          docker unpause $(docker ps -q)
        '';
      };
    };
  };
}
`;

export const NEXTCLOUD_SEED = `{ config, lib, pkgs, ... }:
{
  clan.core.state.nextcloud = {
    folders = [ "/var/lib/nextcloud" ];
    preBackupScript = ''
      export PATH=\${
        lib.makeBinPath [
          config.systemd.package
        ]
      }
      systemctl stop phpfpm-nextcloud.service
      systemctl stop nextcloud-cron.timer
    '';
    postBackupScript = ''
      export PATH=\${
        lib.makeBinPath [
          config.systemd.package
        ]
      }
      systemctl start phpfpm-nextcloud.service
      systemctl start nextcloud-cron.timer
    '';
  };
}
`;

export const LINKDING_SEED = `{ config, lib, pkgs, ... }:
{
  clan.core.state.linkding = {
    folders = [ "/var/backup/linkding" ];
    # Script to run before creating a backup
    preBackupScript = ''
      export PATH=\${
        lib.makeBinPath [
          config.systemd.package
          pkgs.coreutils
          pkgs.rsync
        ]
      }
      # Check if the service is running
      service_status=$(systemctl is-active podman-linkding)
      if [ "$service_status" = "active" ]; then
        # Stop the service and sync data to the backup directory
        systemctl stop podman-linkding
        rsync -avH --delete --numeric-ids "/data/podman/linkding/" /var/backup/linkding/
        systemctl start podman-linkding
      fi
    '';
    # Script to run after restoring a backup
    postRestoreScript = ''
      export PATH=\${
        lib.makeBinPath [
          config.systemd.package
          pkgs.coreutils
          pkgs.rsync
        ]
      }
      # Check if the service is running
      service_status="$(systemctl is-active podman-linkding)"
      if [ "$service_status" = "active" ]; then
        # Stop the service
        systemctl stop podman-linkding
        # Backup current data locally
        cp -rp "/data/podman/linkding" "/data/podman/linkding.bak"
        # Restore data from the backup directory
        rsync -avH --delete --numeric-ids /var/backup/linkding/ "/data/podman/linkding/"
        # Restart the service
        systemctl start podman-linkding
      fi
    '';
  };
}
`;

export const POSTGRES_SEED = `{
  machines = {
    postgres-server =
      { config, ... }:
      {
        services.postgresql = {
          enable = true;
          ensureDatabases = [ "mydatabase" ];
        };

        clan.core.postgresql.enable = true;
        clan.core.postgresql.databases.mydatabase = { };

        clan.core.state."postgresql" = {
          folders = [ ];
          preBackupScript = ''
            systemctl stop postgresql
          '';
          postBackupScript = ''
            systemctl start postgresql
          '';
        };
      };
  };
}
`;
