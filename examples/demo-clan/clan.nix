# A small clan with a handful of real mistakes, for trying Clan Backups:
#   npx clan-backups check examples/demo-clan
{
  meta.name = "demo-clan";
  meta.domain = "demo.lol";

  inventory.machines = {
    laptop = {
      deploy.targetHost = "root@192.168.1.10";
      tags = [ "workstation" ];
    };
    desktop = {
      deploy.targetHost = "root@192.168.1.11";
      tags = [ "workstation" ];
    };
    web.deploy.targetHost = "root@192.168.1.20";
    nas.deploy.targetHost = "root@192.168.1.50";
  };

  inventory.instances = {
    borgbackup = {
      roles.client.tags = [ "workstation" ];
      roles.client.settings.exclude = [ "*.pyc" "__pycache__" ];
      roles.client.machines.web = {
        settings.start_at = "*-*-* 03:00:00";
        settings.destinations.storagebox = {
          repo = "u123456@u123456.your-storagebox.de:/./borgbackup";
          rsh = "ssh -p 23 -oStrictHostKeyChecking=no -i /run/secrets/vars/borgbackup/borgbackup.ssh";
        };
      };
      roles.client.machines.laptop.settings.startAt = "daily at 4";
      roles.server.machines.nas = {
        settings.address = "192.168.1.50";
        settings.directory = "/srv/borgbackup";
      };
      roles.server.machines.offsite = { };
    };

    sshd.roles.server.tags.all = { };
  };

  machines = {
    laptop = {
      clan.core.state.documents.folders = [ "/home/alice/documents" "~/pictures" ];
    };
    desktop = {
      clan.core.state.home.folders = [ "/home" ];
    };
  };
}
