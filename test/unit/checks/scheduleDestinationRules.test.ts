// The schedule and destination rules (checks/scheduleChecks.ts, destinationChecks.ts): calendar events, repositories,
// rsh and exclude patterns, firing and not firing, in nested and dotted forms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSchedules } from '../../../server/src/checks/scheduleChecks';
import { applyEdits } from '../../helpers/applyEdits';
import { analyzeFiles } from '../../helpers/clanFixture';
import { NESTED_OK, DOTTED_OK, expectFindings, edit } from '../../helpers/ruleFixtures';

describe('schedule rules', () => {
  const startAt = (v: string) =>
    edit(
      DOTTED_OK,
      '  machines.laptop',
      `  inventory.instances.borgbackup.roles.client.machines.laptop.settings.startAt = ${v};\n  machines.laptop`,
    );
  it('invalid-calendar points inside the string and offers the systemd form', async () => {
    const { findings } = await analyzeFiles({ 'clan.nix': startAt('"0 4 * * *"') });
    const f = findings.find((x) => x.code === 'invalid-calendar')!;
    assert.equal(f.range.start.line, 6);
    assert.ok(
      f.range.start.character >=
        'inventory.instances.borgbackup.roles.client.machines.laptop.settings.startAt = "'.length,
    );
    assert.equal(f.fixes?.[0]?.edits[0]?.newText, '"*-*-* 04:00:00"');
    await expectFindings(
      {
        'clan.nix': edit(
          NESTED_OK,
          'tags = [ "work" ];\n          };',
          'tags = [ "work" ];\n            settings = { startAt = "fortnightly"; };\n          };',
        ),
      },
      ['invalid-calendar clan.nix:13'],
    );
  });
  it('valid schedules and non-literal ones are quiet', async () => {
    for (const v of ['"daily"', '"*-*-* 04:00:00"', '"Mon..Fri *-*-* 03:30"', '"hourly"', 'schedule', '"${hour}:00"']) {
      await expectFindings({ 'clan.nix': startAt(v) }, []);
    }
  });
  it('calendar-never-elapses', () =>
    expectFindings({ 'clan.nix': startAt('"2001-01-01 04:00"') }, ['calendar-never-elapses clan.nix:7']));
  it('the systemd form replaces only the literal inside lib.mkForce', async () => {
    const text = startAt('lib.mkForce "0 4 * * *"');
    const { findings } = await analyzeFiles({ 'clan.nix': text });
    const fix = findings.find((x) => x.code === 'invalid-calendar')!.fixes![0]!;
    assert.ok(applyEdits(text, fix.edits).includes('startAt = lib.mkForce "*-*-* 04:00:00";'));
  });
  it("calendar-never-elapses is judged from each check's own time, whatever an earlier check found", async () => {
    const { analysis } = await analyzeFiles({ 'clan.nix': startAt('"2031-06-01 04:00"') });
    const codes = (now: string) => checkSchedules(analysis.model, { now: new Date(now) }).map((f) => f.code);
    assert.deepEqual(codes('2030-01-01T00:00:00Z'), []);
    assert.deepEqual(
      codes('2032-01-01T00:00:00Z'),
      ['calendar-never-elapses'],
      'the elapse found before is in the past now',
    );
    assert.deepEqual(codes('2031-05-31T00:00:00Z'), []);
  });
});

describe('destination and exclude rules (borg)', () => {
  const dest = (body: string) =>
    edit(
      DOTTED_OK,
      '  machines.laptop',
      `  inventory.instances.borgbackup.roles.client.settings.destinations.box = { ${body} };\n  machines.laptop`,
    );
  it('invalid-repo and suspicious-repo', async () => {
    await expectFindings({ 'clan.nix': dest('repo = "ssh://user@host:/path";') }, ['invalid-repo clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "user@host:";') }, ['suspicious-repo clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "u123@u123.your-storagebox.de:/./borgbackup";') }, []);
  });
  it('rsh rules', async () => {
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -p 23";') }, ['rsh-without-key clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -i /k -o StrictHostKeyChecking=no";') }, [
      'rsh-insecure-host-key clan.nix:7',
    ]);
    await expectFindings({ 'clan.nix': dest('repo = "u@h:/./b"; rsh = "ssh -i \'/k";') }, ['rsh-invalid clan.nix:7']);
    await expectFindings({ 'clan.nix': dest('repo = "ssh://u@h:23/./b"; rsh = "ssh -p 23 -i /k";') }, [
      'rsh-duplicate-port clan.nix:7',
    ]);
    await expectFindings(
      {
        'clan.nix': dest(
          'repo = "u@h:/./b"; rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";',
        ),
      },
      [],
    );
  });
  it('server address: address-with-port and unbracketed-ipv6 (nested)', async () => {
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "nas.lan:2222";') },
      ['address-with-port clan.nix:16'],
    );
    await expectFindings(
      { 'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "2001:db8::1";') },
      ['unbracketed-ipv6 clan.nix:16'],
    );
    await expectFindings(
      {
        'clan.nix': edit(NESTED_OK, 'directory = "/srv/borg";', 'directory = "/srv/borg"; address = "[2001:db8::1]";'),
      },
      [],
    );
  });
  it('exclude rules with quick fixes', async () => {
    const ex = (items: string) =>
      edit(
        DOTTED_OK,
        '  machines.laptop',
        `  inventory.instances.borgbackup.roles.client.settings.exclude = [ ${items} ];\n  machines.laptop`,
      );
    const { findings } = await analyzeFiles({ 'clan.nix': ex('"*.pyc" "__pycache__"') });
    assert.deepEqual(
      findings.map((f) => f.code),
      ['exclude-root-only'],
    );
    assert.deepEqual(
      findings[0]!.fixes?.map((f) => f.edits[0]!.newText),
      ['"*/__pycache__"', '"sh:**/__pycache__"'],
    );
    const forced = ex('(lib.mkForce "__pycache__")');
    const fix = (await analyzeFiles({ 'clan.nix': forced })).findings[0]!.fixes![0]!;
    assert.ok(applyEdits(forced, fix.edits).includes('exclude = [ (lib.mkForce "*/__pycache__") ];'));
    await expectFindings({ 'clan.nix': ex('"xx:foo"') }, ['invalid-exclude clan.nix:7']);
    await expectFindings({ 'clan.nix': ex('"~/.cache"') }, ['exclude-unsupported-syntax clan.nix:7']);
    await expectFindings({ 'clan.nix': ex('"sh:**/node_modules" "*.bak" "re:^home/[^/]+/\\\\.cache/"') }, []);
  });
});
