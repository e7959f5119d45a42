// Preloaded into the language server by the bench (`node --require out/test/bench/loopProbe.js dist/cli.js lsp`):
// the longest time the server's event loop was held, measured inside the real process. A 1 ms interval timer sees
// each hold as the lag of its next tick. It starts on the first turn of the loop, so loading the bundle (before any
// message can be read) is not counted. At exit it writes `loop-probe <longest ms> <ms since start of that hold>` to
// stderr, which the bench reads.
import { performance } from 'node:perf_hooks';

const start = performance.now();
let longest = 0;
let longestAt = 0;
setImmediate(() => {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > longest) {
      longest = now - last;
      longestAt = last - start;
    }
    last = now;
  }, 1).unref();
});
process.on('exit', () => process.stderr.write(`\nloop-probe ${longest.toFixed(1)} ${longestAt.toFixed(0)}\n`));
