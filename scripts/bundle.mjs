#!/usr/bin/env node
// esbuild bundles: the VS Code client (vscode stays external) and one self-contained server/CLI bundle, which is
// both `clan-backups` (check, calendar, lsp) and the language server the client starts.
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
  build({
    ...common,
    entryPoints: ['server/src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
chmodSync(join(root, 'dist', 'cli.js'), 0o755);
