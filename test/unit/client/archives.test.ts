// Parsing of `clan backups list` output (client/src/archives.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  archiveLabel,
  groupByDestination,
  mergeListOutputs,
  parseArchiveName,
  parseListOutput,
  sortNewestFirst,
} from '../../../client/src/archives';

describe('client: parseArchiveName', () => {
  it('splits the reference example into destination, repo and archive', () => {
    const name = 'backup-server::borg@192.168.56.104:.::alice-laptop-backup-server-2026-04-14T03:53:34';
    assert.deepEqual(parseArchiveName(name), {
      name,
      provider: 'borgbackup',
      destination: 'backup-server',
      repo: 'borg@192.168.56.104:.',
      archive: 'alice-laptop-backup-server-2026-04-14T03:53:34',
      time: '2026-04-14T03:53:34',
      host: 'alice-laptop',
    });
  });

  it('keeps `::` inside the repository (IPv6) by splitting on the first and the last `::`', () => {
    const a = parseArchiveName('srv::borg@[::1]:.::web-srv-2026-01-02T03:04:05');
    assert.equal(a?.destination, 'srv');
    assert.equal(a?.repo, 'borg@[::1]:.');
    assert.equal(a?.archive, 'web-srv-2026-01-02T03:04:05');
    assert.equal(a?.host, 'web');
  });

  it('keeps single colons and ssh:// URLs in the repository', () => {
    const a = parseArchiveName(
      'hetzner::ssh://u123@u123.your-storagebox.de:23/./borgbackup::laptop-hetzner-2026-12-31T23:59:59',
    );
    assert.equal(a?.destination, 'hetzner');
    assert.equal(a?.repo, 'ssh://u123@u123.your-storagebox.de:23/./borgbackup');
    assert.equal(a?.time, '2026-12-31T23:59:59');
    assert.equal(a?.host, 'laptop');
  });

  it('accepts archives without a time, and hosts whose names contain the destination', () => {
    const a = parseArchiveName('d::/srv/repo::manual-archive');
    assert.equal(a?.time, undefined);
    assert.equal(a?.host, undefined);
    const b = parseArchiveName('d::r::d-d-2026-02-28T00:00:00');
    assert.equal(b?.host, 'd');
  });

  it('rejects, as borgbackup names, names that are not <dest>::<repo>::<archive>', () => {
    for (const bad of [
      '',
      'plain',
      'a::b',
      '::repo::arch',
      'dest::::arch',
      'dest::repo::',
      'target::/snapshots/daily.0',
    ]) {
      assert.equal(parseArchiveName(bad, 'borgbackup'), undefined, bad);
    }
    for (const bad of ['', 'plain', '::repo::arch']) assert.equal(parseArchiveName(bad), undefined, bad);
  });

  it('does not take an impossible date for a time', () => {
    assert.equal(parseArchiveName('d::r::h-d-2026-02-30T01:00:00')?.time, undefined);
    assert.equal(parseArchiveName('d::r::h-d-2026-13-01T01:00:00')?.time, undefined);
    assert.equal(parseArchiveName('d::r::h-d-2028-02-29T01:00:00')?.time, '2028-02-29T01:00:00');
  });
});

describe('client: parseListOutput', () => {
  it('returns archives newest first and keeps other lines apart (as borgbackup output)', () => {
    const stdout = [
      'backup-server::borg@backup-server:.::alice-backup-server-2026-04-14T03:53:34',
      'backup-server::borg@backup-server:.::alice-backup-server-2026-04-16T01:00:00',
      'hetzner::u1@u1.example:/./b::alice-hetzner-2026-04-15T01:00:00',
      '',
      'usb::/mnt/usb/snapshots/daily.0',
      '   ',
    ].join('\n');
    const out = parseListOutput(stdout + '\r\n', 'borgbackup');
    assert.deepEqual(
      out.archives.map((a) => a.time),
      ['2026-04-16T01:00:00', '2026-04-15T01:00:00', '2026-04-14T03:53:34'],
    );
    assert.deepEqual(out.other, ['usb::/mnt/usb/snapshots/daily.0']);
  });

  it('is empty for empty output (a machine without providers)', () => {
    assert.deepEqual(parseListOutput(''), { archives: [], other: [] });
  });

  it('puts archives without a time last, in a total order', () => {
    const names = ['d::r::zzz', 'd::r::h-d-2026-01-01T00:00:00', 'd::r::aaa', 'd::r::h-d-2026-01-02T00:00:00'];
    const sorted = sortNewestFirst(names.map((n) => parseArchiveName(n)!)).map((a) => a.archive);
    assert.deepEqual(sorted, ['h-d-2026-01-02T00:00:00', 'h-d-2026-01-01T00:00:00', 'zzz', 'aaa']);
  });

  it('groups by destination, each group newest first', () => {
    const { archives } = parseListOutput(
      ['a::r::h-a-2026-01-01T00:00:00', 'b::r::h-b-2026-01-03T00:00:00', 'a::r::h-a-2026-01-02T00:00:00'].join('\n'),
    );
    const groups = groupByDestination(archives);
    assert.deepEqual([...groups.keys()].sort(), ['a', 'b']);
    assert.deepEqual(
      groups.get('a')!.map((x) => x.time),
      ['2026-01-02T00:00:00', '2026-01-01T00:00:00'],
    );
  });
});

// Issue #16 item 2: localbackup names are `<target>::<directory>` (clanServices/localbackup/default.nix,
// localbackup-list: `{ "name": ("${target.name}::" + .) }` over `find <directory> -name "snapshot.*"`).
describe('client: localbackup names', () => {
  it('parses <target>::<dir>/snapshot.N with the provider, and by its form without one', () => {
    for (const provider of ['localbackup', undefined]) {
      const a = parseArchiveName('usb::/mnt/usb/snapshot.0', provider);
      assert.deepEqual(a, {
        name: 'usb::/mnt/usb/snapshot.0',
        provider: 'localbackup',
        destination: 'usb',
        repo: '/mnt/usb',
        archive: '/mnt/usb/snapshot.0',
        snapshot: 0,
      });
    }
    assert.equal(parseArchiveName('usb::/mnt/usb/snapshot.12', 'localbackup')?.snapshot, 12);
    // A borgbackup name given to localbackup is still one `<target>::<rest>` name (the script splits at the first ::).
    assert.equal(parseArchiveName('nas::borg@h:.::x', 'localbackup')?.destination, 'nas');
    assert.equal(parseArchiveName('usb::', 'localbackup'), undefined);
    assert.equal(parseArchiveName('bad target::/x', 'localbackup'), undefined);
  });

  it('sorts snapshots newest first (snapshot.0 is the newest), after dated archives', () => {
    const out = parseListOutput(
      ['usb::/m/snapshot.2', 'usb::/m/snapshot.0', 'usb::/m/snapshot.10', 'usb::/m/snapshot.1'].join('\n'),
      'localbackup',
    );
    assert.deepEqual(
      out.archives.map((a) => a.snapshot),
      [0, 1, 2, 10],
    );
    assert.deepEqual(out.other, []);
    const merged = mergeListOutputs([out, parseListOutput('d::r::h-d-2026-01-01T00:00:00\n', 'borgbackup')]);
    assert.deepEqual(
      merged.archives.map((a) => a.provider),
      ['borgbackup', 'localbackup', 'localbackup', 'localbackup', 'localbackup'],
    );
    assert.equal(archiveLabel(merged.archives[1]!), 'usb: snapshot.0');
  });

  it('groups by target per provider: a borg destination and a localbackup target of one name stay apart', () => {
    const all = mergeListOutputs([
      parseListOutput('usb::/m/snapshot.0\n', 'localbackup'),
      parseListOutput('usb::r::h-usb-2026-01-01T00:00:00\n', 'borgbackup'),
    ]).archives;
    assert.deepEqual(
      groupByDestination(all, 'localbackup')
        .get('usb')!
        .map((a) => a.name),
      ['usb::/m/snapshot.0'],
    );
    assert.deepEqual(
      groupByDestination(all, 'borgbackup')
        .get('usb')!
        .map((a) => a.name),
      ['usb::r::h-usb-2026-01-01T00:00:00'],
    );
  });

  it('keeps failures and dedupes names listed twice', () => {
    const a = parseListOutput('usb::/m/snapshot.0\n', 'localbackup');
    const merged = mergeListOutputs([
      a,
      a,
      { archives: [], other: [], failures: [{ provider: 'borgbackup', message: 'boom' }] },
    ]);
    assert.equal(merged.archives.length, 1);
    assert.deepEqual(merged.failures, [{ provider: 'borgbackup', message: 'boom' }]);
  });
});

// Issue #16 item 4: nixpkgs' borgbackup job (nixos/modules/services/backup/borgbackup.nix, appendFailedSuffix,
// default true) creates `::$archiveName.failed` and renames it to `$archiveName` only after borg create succeeded.
describe('client: failed borg archives', () => {
  const FAILED = 'nas::borg@nas:.::laptop-nas-2026-01-03T01:00:00.failed';
  it('are marked failed and keep their date and host', () => {
    const a = parseArchiveName(FAILED, 'borgbackup')!;
    assert.equal(a.failed, true);
    assert.equal(a.time, '2026-01-03T01:00:00');
    assert.equal(a.host, 'laptop');
    assert.equal(a.archive, 'laptop-nas-2026-01-03T01:00:00.failed');
    assert.equal(archiveLabel(a), '2026-01-03 01:00:00 (failed)');
    assert.equal(parseArchiveName('nas::r::laptop-nas-2026-01-03T01:00:00', 'borgbackup')!.failed, undefined);
    assert.equal(parseArchiveName('nas::r::.failed', 'borgbackup')!.failed, undefined);
  });
  it('sort with the others by their date, a finished archive of the same time first', () => {
    const names = [
      'nas::r::laptop-nas-2026-01-02T01:00:00',
      FAILED.replace('borg@nas:.', 'r'),
      'nas::r::laptop-nas-2026-01-04T01:00:00',
      'nas::r::laptop-nas-2026-01-04T01:00:00.failed',
    ];
    const sorted = parseListOutput(names.join('\n'), 'borgbackup').archives;
    assert.deepEqual(
      sorted.map((a) => [a.time, !!a.failed]),
      [
        ['2026-01-04T01:00:00', false],
        ['2026-01-04T01:00:00', true],
        ['2026-01-03T01:00:00', true],
        ['2026-01-02T01:00:00', false],
      ],
    );
    assert.deepEqual(groupByDestination(sorted).get('nas')!.length, 4);
  });
});
