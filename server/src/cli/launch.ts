// `clan-backups`, the executable (dist/cli.js): sets V8's flags for the command, then runs the engine bundle
// (dist/engine.js, built from main.ts) through V8's code cache (codeCache.ts). It imports nothing of the engine, so
// that it is read and started at once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { userCacheDir } from '../util/cacheDir';
import { runBundle } from './codeCache';

const args = process.argv.slice(2);
const command = args[0];
// check and plan are one-shot runs: V8's optimizing tier would compile the grammars' WebAssembly in the background
// and make the process wait for that at exit (about 0.6 s here) for no gain. The flag is set before the bundle
// compiles, since V8 refuses cached code compiled under other flags.
if (command === 'check' || command === 'plan') setFlagsFromString('--liftoff-only');
// One cache file per command, each holding what that command's runs compile; `--no-cache` (check) keeps every cache
// file unread and unwritten, this one included.
const cacheRoot =
  command && ['check', 'plan', 'calendar', 'lsp'].includes(command) && !args.includes('--no-cache')
    ? userCacheDir(process.env)
    : undefined;
const engine = join(__dirname, 'engine.js');
if (existsSync(engine)) {
  const run = runBundle(engine, cacheRoot && join(cacheRoot, 'v8'), command ?? 'none');
  process.once('exit', () => run.save());
} else {
  process.stderr.write(`clan-backups: ${engine} is missing: the build is incomplete (run \`npm run build\`)\n`);
  process.exitCode = 2;
}
