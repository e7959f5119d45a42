// What a command receives from a tree item, a keybinding or the e2e suite (client/src/commandArgs.ts), without VS Code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_IDS, toArgs } from '../../../client/src/commandArgs';
import type { TreeNode } from '../../../client/src/treeView';

const node = (n: object) => n as TreeNode;

describe('command arguments', () => {
  it('take the machine, archive and provider from an archive item', () => {
    const archive = { name: 'storagebox::u1@h:/./b::web-2026-12-01', provider: 'borgbackup' };
    assert.deepEqual(toArgs(node({ kind: 'archive', clanDir: '/c', machine: 'web', archive })), {
      clanDir: '/c',
      machine: 'web',
      archive: archive.name,
      provider: 'borgbackup',
    });
  });

  it('take the state from a state item, the clan from a clan item, and nothing from a message', () => {
    const state = { name: 'gitea', folders: ['/var/lib/gitea'] };
    assert.deepEqual(toArgs(node({ kind: 'state', clanDir: '/c', machine: 'web', state })), {
      clanDir: '/c',
      machine: 'web',
      service: 'gitea',
    });
    assert.deepEqual(toArgs(node({ kind: 'clan', clanDir: '/c' })), { clanDir: '/c' });
    assert.deepEqual(toArgs(node({ kind: 'message', id: 'x', label: 'no clan' })), {});
  });

  it('take the machine from machine and job items', () => {
    assert.deepEqual(toArgs(node({ kind: 'machine', clanDir: '/c', machine: 'nas' })), {
      clanDir: '/c',
      machine: 'nas',
    });
    assert.deepEqual(toArgs(node({ kind: 'job', clanDir: '/c', machine: 'nas', job: {} })), {
      clanDir: '/c',
      machine: 'nas',
    });
  });

  it('accept a machine name or an arguments object as they are, and ignore anything else', () => {
    assert.deepEqual(toArgs('laptop'), { machine: 'laptop' });
    const args = { machine: 'laptop', provider: 'localbackup', allStates: true };
    assert.deepEqual(toArgs(args), args);
    for (const other of [undefined, null, 42, true]) assert.deepEqual(toArgs(other), {});
  });

  it('have ids under clanBackups. that package.json contributes', () => {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../../../package.json'), 'utf8')) as {
      contributes: { commands: Array<{ command: string }> };
    };
    const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const id of Object.values(COMMAND_IDS)) assert.ok(contributed.has(id), `${id} is not contributed`);
  });
});
