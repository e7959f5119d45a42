// unbalanced-hook (hooks/unbalancedHooks.ts, its findings in checks/hookRuleChecks.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkUnbalancedHooks } from '../../../server/src/checks/hookRuleChecks';
import { initParsing, parseNix } from '../../../server/src/parsing/parser';
import { applyEdits } from '../../helpers/applyEdits';
import {
  at,
  DOCKER_SEED,
  LINKDING_SEED,
  NEXTCLOUD_SEED,
  POSTGRES_SEED,
  span,
  stateInput,
} from '../../helpers/hookSeeds';

describe('hooks: unbalanced-hook', () => {
  before(() => initParsing());

  for (const [name, seed] of [
    ['docker', DOCKER_SEED],
    ['nextcloud', NEXTCLOUD_SEED],
    ['linkding', LINKDING_SEED],
    ['postgresql', POSTGRES_SEED],
  ] as const) {
    it(`is quiet on the ${name} seed`, () => {
      assert.deepEqual(checkUnbalancedHooks(stateInput(seed)), []);
    });
  }

  it('flags a stop the post hook does not undo, on the stopping command', () => {
    const text = POSTGRES_SEED.replace('systemctl start postgresql', 'systemctl start nginx');
    const findings = checkUnbalancedHooks(stateInput(text, 'postgresql'));
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.code, 'unbalanced-hook');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(at(f), span(text, 'systemctl stop postgresql'));
    assert.match(
      f.message,
      /preBackupScript of state "postgresql" stops unit `postgresql`, but postBackupScript does not start it again/,
    );
    // The fix appends the start line at the end of the post hook, with its indentation.
    const fixed = applyEdits(text, f.fixes![0]!.edits);
    assert.ok(
      fixed.includes(`          postBackupScript = ''
            systemctl start nginx
            systemctl start postgresql
          '';`),
      fixed,
    );
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    assert.deepEqual(checkUnbalancedHooks(stateInput(fixed, 'postgresql')), []);
  });

  it('names only the units left down when one stop lists several', () => {
    const text = `{
  clan.core.state.web = {
    folders = [ "/srv" ];
    preBackupScript = ''
      systemctl stop nginx.service php-fpm redis
    '';
    postBackupScript = "systemctl start nginx php-fpm.service";
  };
}`;
    const findings = checkUnbalancedHooks(stateInput(text, 'web'));
    assert.equal(findings.length, 1);
    assert.match(
      findings[0]!.message,
      /stops unit `redis`, but postBackupScript does not start it again: it stays down after every backup/,
    );
    const fixed = applyEdits(text, findings[0]!.fixes![0]!.edits);
    assert.ok(
      fixed.includes('postBackupScript = "systemctl start nginx php-fpm.service\\nsystemctl start redis";'),
      fixed,
    );
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    assert.deepEqual(checkUnbalancedHooks(stateInput(fixed, 'web')), []);
  });

  it('flags docker pause with no unpause and fixes it structurally', () => {
    const text = DOCKER_SEED.replace('docker unpause $(docker ps -q)', 'echo done');
    const findings = checkUnbalancedHooks(stateInput(text, 'containers'));
    assert.equal(findings.length, 1);
    assert.deepEqual(at(findings[0]!), [6, 10, 6, 38]);
    assert.match(
      findings[0]!.message,
      /pauses container `\$\(docker ps -q\)`, but postBackupScript does not resume it again: it stays paused/,
    );
    const fixed = applyEdits(text, findings[0]!.fixes![0]!.edits);
    assert.ok(
      fixed.includes(`          echo done
          docker unpause $(docker ps -q)
        '';`),
      fixed,
    );
    assert.deepEqual(checkUnbalancedHooks(stateInput(fixed, 'containers')), []);
  });

  it('adds a whole post hook binding after the pre hook when there is none', () => {
    const text = LINKDING_SEED.replace(/\n {8}systemctl start podman-linkding\n {6}fi/, '\n      fi');
    const findings = checkUnbalancedHooks(stateInput(text, 'linkding'));
    assert.equal(findings.length, 1);
    assert.deepEqual(at(findings[0]!), span(text, 'systemctl stop podman-linkding'));
    assert.match(findings[0]!.message, /there is no postBackupScript to start it again/);
    const fix = findings[0]!.fixes![0]!;
    assert.equal(fix.title, 'Add `systemctl start podman-linkding` to postBackupScript');
    const fixed = applyEdits(text, fix.edits);
    assert.ok(
      fixed.includes(`    '';
    postBackupScript = ''
      systemctl start podman-linkding
    '';
    # Script to run after restoring a backup`),
      fixed,
    );
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    assert.deepEqual(checkUnbalancedHooks(stateInput(fixed, 'linkding')), []);
  });

  it('keeps the attribute path prefix of a dotted binding and the Nix escapes of the stopped words', () => {
    const text = `{ config, pkgs, ... }: {
  clan.core.state.vm.preBackupScript = ''
    \${pkgs.libvirt}/bin/virsh -c qemu:///system suspend ''\${VM:-\${name}}
  '';
}`;
    const findings = checkUnbalancedHooks(stateInput(text, 'vm'));
    assert.equal(findings.length, 1);
    assert.deepEqual(
      at(findings[0]!),
      span(text, "${pkgs.libvirt}/bin/virsh -c qemu:///system suspend ''${VM:-${name}}"),
    );
    const fixed = applyEdits(text, findings[0]!.fixes![0]!.edits);
    assert.ok(
      fixed.includes(`  clan.core.state.vm.postBackupScript = ''
    \${pkgs.libvirt}/bin/virsh -c qemu:///system resume ''\${VM:-\${name}}
  '';
}`),
      fixed,
    );
    assert.equal(parseNix(fixed).rootNode.hasError, false);
    assert.deepEqual(checkUnbalancedHooks(stateInput(fixed, 'vm')), []);
  });

  it('checks restore hooks the same way', () => {
    const text = `{
  clan.core.state.app = {
    folders = [ "/var/lib/app" ];
    preRestoreScript = "systemctl stop app";
    postRestoreScript = "echo restored";
  };
}`;
    const findings = checkUnbalancedHooks(stateInput(text, 'app'));
    assert.equal(findings.length, 1);
    assert.match(
      findings[0]!.message,
      /preRestoreScript of state "app" stops unit `app`, but postRestoreScript does not start it again: it stays down after every restore/,
    );
    assert.deepEqual(at(findings[0]!), [3, 24, 3, 42]);
  });

  it('understands the usual stop/start vocabularies', () => {
    const cases: Array<[string, string, number]> = [
      ['systemctl stop a b', 'systemctl restart a.service b', 0],
      ['systemctl --no-block stop a', 'systemctl start --no-block a', 0],
      ['systemctl kill a', 'systemctl start a', 0],
      ['systemctl kill -s HUP a', '', 0],
      ['systemctl kill --signal=SIGSTOP a', 'systemctl kill --signal=CONT a', 0],
      ['systemctl kill --signal=SIGSTOP a', 'systemctl start a', 1],
      ['docker stop -t 30 web db', 'docker start web db', 0],
      ['docker stop web', 'docker unpause web', 1],
      ['docker container pause web', 'docker unpause web', 0],
      ['podman pause --all', 'podman unpause --all', 0],
      ['podman pod stop media', 'podman pod start media', 0],
      ['docker compose -f /srv/app.yml stop', 'docker compose -f /srv/app.yml start', 0],
      ['docker compose -f /srv/app.yml down', 'docker compose -f /srv/app.yml start', 1],
      ['docker-compose down', 'docker-compose up -d', 0],
      ['virsh suspend vm1', 'virsh resume vm1', 0],
      ['virsh shutdown vm1', 'virsh resume vm1', 1],
      ['virsh managedsave --bypass-cache vm1', 'virsh start vm1', 0],
      ['docker ps -q | xargs docker pause', 'docker ps -q | xargs docker unpause', 0],
      ['timeout 60 systemctl stop a', 'systemctl start a', 0],
      ['systemctl stop a', 'my-restart-helper a', 0],
      ['systemctl stop a', 'systemctl status a', 1],
      ['systemctl stop $UNITS', 'systemctl start $UNITS', 0],
      ['systemctl stop a; trap "systemctl start a" EXIT', '', 0],
      ['systemctl start a; systemctl stop a', '', 1],
      ['systemctl stop ${lib.concatStringsSep " " units}', 'systemctl start ${lib.concatStringsSep " " units}', 0],
      ['systemctl stop a', '${startScript}', 0],
      ['systemctl stop a', 'systemctl start ${unit}', 0],
      ['systemctl is-active a', '', 0],
    ];
    for (const [pre, post, expected] of cases) {
      const text = `{ lib, ... }: {
  clan.core.state.s = {
    preBackupScript = ''
      ${pre}
    '';${post ? `\n    postBackupScript = ''\n      ${post}\n    '';` : ''}
  };
}`;
      const findings = checkUnbalancedHooks(stateInput(text));
      assert.equal(findings.length, expected, `${pre} / ${post}: ${findings.map((f) => f.message).join('; ')}`);
    }
  });

  it('stays quiet when a hook is not a readable string', () => {
    const text = `{ config, ... }: {
  clan.core.state.s = {
    preBackupScript = "systemctl stop a";
    postBackupScript = config.my.startScript;
  };
  clan.core.state.t.preBackupScript = lib.concatLines [ "systemctl stop a" ];
}`;
    assert.deepEqual(checkUnbalancedHooks(stateInput(text)), []);
  });
});
