{ config, lib, pkgs, ... }:
{
  services.postgresql.enable = true;

  clan.core.postgresql.enable = true;
  clan.core.postgresql.databases.shop = {
    create = {
      OWNER = "shop";
      ENCODING = "UTF8";
    };
    restore.stopOnRestore = [ "shop.service" ];
  };

  clan.core.state.uploads = {
    folders = [ "/var/lib/shop/uploads" ];
    preBackupScript = ''
      docker pause $(docker ps -q)
    '';
  };

  # Gitea keeps its repositories in /var/lib/gitea, which no state lists.
  services.gitea.enable = true;
}
