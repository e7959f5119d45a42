import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashPolicy } from '../../../client/src/crashPolicy';

describe('language server crash policy', () => {
  it('restarts, tells the user once, and gives up with one message in a crash loop', () => {
    const p = new CrashPolicy(5, 180000);
    const decisions = Array.from({ length: 7 }, (_, i) => p.onClosed(1000 + i));
    assert.deepEqual(
      decisions.map((d) => d.restart),
      [true, true, true, true, true, false, false],
    );
    assert.equal(decisions.filter((d, i) => d.message && i < 5).length, 1, 'one message while restarting');
    assert.match(decisions[5]!.message ?? '', /crashed 6 times/);
  });

  it('forgets crashes outside the window and after a manual restart', () => {
    const p = new CrashPolicy(2, 1000);
    p.onClosed(0);
    p.onClosed(10);
    assert.equal(p.onClosed(5000).restart, true);
    p.onClosed(5001);
    p.reset();
    assert.equal(p.onClosed(5002).restart, true);
  });
});
