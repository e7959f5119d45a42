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
}
