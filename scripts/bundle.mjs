#!/usr/bin/env node
// esbuild bundles: the VS Code client (vscode stays external), one self-contained server/CLI bundle (engine.js), which
// is both `clan-backups` (check, plan, calendar, lsp) and the language server the client starts, and its launcher
// (cli.js, the executable both are started through).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  alias: {
    // jsonc-parser's UMD build hides its requires from the bundler; its ESM build bundles cleanly.
    'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js',
    // The ESM build of web-tree-sitter relies on import.meta.url, which a CommonJS bundle does not have.
    'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs',
  },
};

await Promise.all([
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/engine.js' }),
  // The executable: a few lines that run engine.js through V8's code cache (server/src/cli/codeCache.ts).
  build({
    ...common,
    entryPoints: ['server/src/cli/launch.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
chmodSync(join(root, 'dist', 'cli.js'), 0o755);
