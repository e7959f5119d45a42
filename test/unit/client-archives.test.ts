// Parsing of `clan backups list` output (client/src/archives.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupByDestination, parseArchiveName, parseListOutput, sortNewestFirst } from '../../client/src/archives';

describe('client: parseArchiveName', () => {
  it('splits the reference example into destination, repo and archive', () => {
    const name = 'backup-server::borg@192.168.56.104:.::alice-laptop-backup-server-2026-04-14T03:53:34';
    assert.deepEqual(parseArchiveName(name), {
      name,
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
    const a = parseArchiveName('hetzner::ssh://u123@u123.your-storagebox.de:23/./borgbackup::laptop-hetzner-2026-12-31T23:59:59');
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

  it('rejects names that are not <dest>::<repo>::<archive>', () => {
    for (const bad of ['', 'plain', 'a::b', '::repo::arch', 'dest::::arch', 'dest::repo::', 'target::/snapshots/daily.0']) {
      assert.equal(parseArchiveName(bad), undefined, bad);
    }
  });

  it('does not take an impossible date for a time', () => {
    assert.equal(parseArchiveName('d::r::h-d-2026-02-30T01:00:00')?.time, undefined);
    assert.equal(parseArchiveName('d::r::h-d-2026-13-01T01:00:00')?.time, undefined);
    assert.equal(parseArchiveName('d::r::h-d-2028-02-29T01:00:00')?.time, '2028-02-29T01:00:00');
  });
});

describe('client: parseListOutput', () => {
  it('returns archives newest first and keeps other lines (localbackup) apart', () => {
    const stdout = [
      'backup-server::borg@backup-server:.::alice-backup-server-2026-04-14T03:53:34',
      'backup-server::borg@backup-server:.::alice-backup-server-2026-04-16T01:00:00',
      'hetzner::u1@u1.example:/./b::alice-hetzner-2026-04-15T01:00:00',
      '',
      'usb::/mnt/usb/snapshots/daily.0',
      '   ',
    ].join('\n');
    const out = parseListOutput(stdout + '\r\n');
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
    assert.deepEqual(groups.get('a')!.map((x) => x.time), ['2026-01-02T00:00:00', '2026-01-01T00:00:00']);
  });
});
