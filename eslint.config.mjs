// ESLint for the whole repository: typescript-eslint's syntactic `recommended` set (no type information, so a full
// run stays a few seconds), no import cycles, and the layer order of the server (lower layers never import higher
// ones), client/src and server/src apart with shared/ between them. `npm run lint` runs it with --max-warnings 0.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The server's layers, lowest first; a module may import its own layer and the ones before it. An entry is a folder
// of server/src or a file at its top level.
const SERVER_LAYERS = [
  ['util'],
  ['parsing', 'calendar', 'borg'],
  ['model'],
  ['hooks'],
  ['rules.ts', 'findings.ts'],
  ['checks'],
  ['analyze.ts', 'backupJobs.ts'],
  ['language'],
  ['lsp', 'cli'],
];

const ORDER = SERVER_LAYERS.map((layer) => layer.join(', ')).join(' < ');
const src = (entry) => `./server/src/${entry}`;
const layerZones = SERVER_LAYERS.flatMap((layer, i) => {
  const higher = SERVER_LAYERS.slice(i + 1).flat();
  if (higher.length === 0) return [];
  return layer.map((entry) => ({
    target: src(entry),
    from: higher.map(src),
    message: `server/src/${entry} may import only its own layer and lower ones (${ORDER})`,
  }));
});

const sideZones = [
  {
    target: './client/src',
    from: './server/src',
    message: 'the client never imports the server: shared types go in shared/',
  },
  {
    target: './server/src',
    from: './client/src',
    message: 'the server never imports the client: shared types go in shared/',
  },
  {
    target: './shared',
    from: ['./client/src', './server/src'],
    message: 'shared/ is imported by client and server, never the reverse',
  },
];

export default defineConfig(
  {
    ignores: [
      'out/**',
      'dist/**',
      '.cache/**',
      'test/fixtures/**',
      'test/e2e/host/**',
      'test-results/**',
      '**/node_modules/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      // Imports are written without extensions (module Node16, compiled to CommonJS): resolve `./x` to `./x.ts`.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.json', '.node'] })],
      // no-cycle follows only files it may parse: without these it would not look inside any .ts file.
      'import-x/extensions': ['.ts', '.mjs', '.js', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...sideZones] }],
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // A leading underscore marks a binding as unused on purpose: a parameter a callback's signature requires, or a
      // key taken out of an object by destructuring so that `...rest` leaves it out.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The extension-host suites are plain CommonJS, loaded by mocha inside VS Code; index.js creates that mocha and
    // exports the `run` the extension host calls, so it gets no mocha globals.
    files: ['test/e2e/suite/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/e2e/suite/**/*.js'],
    ignores: ['test/e2e/suite/index.js'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
  },
);
