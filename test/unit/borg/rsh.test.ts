import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeRsh, parseBorgLocation, splitRsh } from '../../../server/src/borg';
import type { ParsedLocation } from '../../../server/src/borg';

const kinds = (fs: Array<{ kind: string }>) => fs.map((f) => f.kind).sort();
const loc = (s: string) => parseBorgLocation(s) as ParsedLocation;
const KEY = '-i /run/secrets/vars/borgbackup/borgbackup.ssh';

describe('splitRsh (shlex.split, POSIX)', () => {
  const values = (s: string) => {
    const r = splitRsh(s);
    assert.ok(r.ok, s);
    return r.tokens.map((t) => t.value);
  };
  it('splits like Python', () => {
    assert.deepEqual(values(`ssh -o 'A B' "C \\" D" e\\ f`), ['ssh', '-o', 'A B', 'C " D', 'e f']);
    assert.deepEqual(values(`a"b"'c'  ''`), ['abc', '']);
    assert.deepEqual(values(`"a\\b\\\\"`), ['a\\b\\']);
    assert.deepEqual(values(`'a\\b'`), ['a\\b']);
    assert.deepEqual(values('  \t\n '), []);
    assert.deepEqual(values('# not a comment'), ['#', 'not', 'a', 'comment']);
  });
  it('reports unbalanced quotes with the offset of the opening quote', () => {
    const r = splitRsh(`ssh -o "x y`);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.offset, 7);
      assert.match(r.message, /No closing quotation/);
    }
    const e = splitRsh('ssh \\');
    assert.ok(!e.ok && /No escaped character/.test(e.message));
  });
  it('token offsets point into the string', () => {
    const r = splitRsh(`ssh  -o "A=B"`);
    assert.ok(r.ok);
    if (r.ok)
      assert.deepEqual(
        r.tokens.map((t) => [t.start, t.end]),
        [
          [0, 3],
          [5, 7],
          [8, 13],
        ],
      );
  });
});

describe('analyzeRsh', () => {
  it('no key', () => {
    assert.deepEqual(kinds(analyzeRsh('ssh -p 23')), ['no-key']);
    assert.deepEqual(analyzeRsh('ssh -oIdentityFile=/k'), []);
    assert.deepEqual(analyzeRsh('ssh -o IdentityFile=/k'), []);
    assert.deepEqual(analyzeRsh('ssh -o "IdentityFile /k"'), []);
    assert.deepEqual(analyzeRsh('ssh -i/k'), []);
    assert.deepEqual(analyzeRsh('ssh -4i /k'), []);
    assert.deepEqual(analyzeRsh('ssh -F /etc/borg-ssh-config'), [], 'a config file may carry the key');
    assert.deepEqual(analyzeRsh('/run/current-system/sw/bin/ssh ' + KEY), []);
  });
  it('host keys unchecked or forgotten, in all spellings', () => {
    for (const [o, kind] of [
      ['-o StrictHostKeyChecking=no', 'host-key-unchecked'],
      ['-oStrictHostKeyChecking=no', 'host-key-unchecked'],
      ['-o stricthostkeychecking=NO', 'host-key-unchecked'],
      ['-o "StrictHostKeyChecking no"', 'host-key-unchecked'],
      ['-o StrictHostKeyChecking=off', 'host-key-unchecked'],
      ['-o UserKnownHostsFile=/dev/null', 'host-keys-forgotten'],
      ['-oUserKnownHostsFile=/dev/null', 'host-keys-forgotten'],
      ['-o "UserKnownHostsFile /dev/null"', 'host-keys-forgotten'],
    ] as const) {
      const f = analyzeRsh(`ssh ${KEY} ${o}`);
      assert.deepEqual(kinds(f), [kind], o);
      const at = `ssh ${KEY} `.length;
      assert.deepEqual([f[0]!.start, f[0]!.end], [at, at + o.length], o);
    }
    assert.deepEqual(analyzeRsh(`ssh ${KEY} -o StrictHostKeyChecking=accept-new -o StrictHostKeyChecking=yes`), []);
  });
  it('unsplittable and shell syntax, with offsets', () => {
    const cases: Array<[string, string, number]> = [
      [`ssh ${KEY} -o "A=B`, 'unsplittable', `ssh ${KEY} -o `.length],
      [`ssh -i $KEY`, 'shell-expansion', 7],
      [`ssh -i \${KEY}`, 'shell-expansion', 7],
      [`ssh -i "$HOME/k"`, 'shell-expansion', 8],
      [`ssh ${KEY}; echo`, 'shell-operator', `ssh ${KEY}`.length],
      [`ssh ${KEY} | tee`, 'shell-operator', `ssh ${KEY} `.length],
      [`ssh ${KEY} && x`, 'shell-operator', `ssh ${KEY} `.length],
      [`ssh -i \`cat f\``, 'shell-expansion', 7],
      [`ssh -i $(cat f)`, 'shell-expansion', 7],
      [`ssh ${KEY} 2>/dev/null`, 'shell-operator', `ssh ${KEY} 2`.length],
      [`ssh ${KEY} </dev/null`, 'shell-operator', `ssh ${KEY} `.length],
    ];
    for (const [rsh, kind, at] of cases) {
      const f = analyzeRsh(rsh);
      assert.deepEqual(kinds(f), [kind], rsh);
      assert.equal(f[0]!.start, at, rsh);
    }
  });
  it('no shell-syntax problem where nothing would be expanded anyway', () => {
    assert.deepEqual(analyzeRsh(`ssh ${KEY} -o 'ProxyCommand=x $y'`), []);
    assert.deepEqual(analyzeRsh(`ssh ${KEY} -o "ProxyCommand=ssh -W %h:%p jump | cat"`), []);
    assert.deepEqual(analyzeRsh(`ssh ${KEY} -oProxyCommand="nc $PROXY %h %p"`), []);
    assert.deepEqual(analyzeRsh(`ssh ${KEY} -i '/k$1'`), []);
  });
  it('duplicate port only with an ssh:// URL that has a port', () => {
    for (const p of ['-p 23', '-p23', '-oPort=23', '-o Port=23', '-o "Port 23"']) {
      assert.deepEqual(kinds(analyzeRsh(`ssh ${p} ${KEY}`, loc('ssh://u@h:23/./x'))), ['duplicate-port'], p);
      assert.deepEqual(analyzeRsh(`ssh ${p} ${KEY}`, loc('ssh://u@h/./x')), [], p);
      assert.deepEqual(analyzeRsh(`ssh ${p} ${KEY}`, loc('u@h:/./x')), [], p);
    }
    assert.deepEqual(analyzeRsh(`ssh ${KEY}`, loc('ssh://u@h:23/./x')), []);
  });
  it('does not judge ssh options of other programs', () => {
    assert.deepEqual(analyzeRsh('sshpass -p secret ssh -o StrictHostKeyChecking=no'), []);
    assert.deepEqual(analyzeRsh('autossh -M 0'), []);
    assert.deepEqual(kinds(analyzeRsh('tsocks ssh $X')), ['shell-expansion']);
  });
  it('empty rsh is invalid; bad input does not throw', () => {
    assert.deepEqual(kinds(analyzeRsh('')), ['empty']);
    assert.deepEqual(kinds(analyzeRsh('   ')), ['empty']);
    const t0 = Date.now();
    for (const s of [
      '"'.repeat(100_001),
      'ssh ' + '-o '.repeat(3000),
      '\u0000\n\r ssh',
      'ssh -i',
      'ssh -o',
      "'".repeat(7999),
    ]) {
      analyzeRsh(s);
      splitRsh(s);
    }
    assert.ok(Date.now() - t0 < 5000);
  });
});
