#!/usr/bin/env node
// Builds dist/tree-sitter-nix.wasm from the npm tree-sitter-nix sources with @yowasp/clang (Clang/LLD compiled to
// WebAssembly: no system compiler, no download), and copies the other wasm files the bundles load at run time.
// The output is cached by a hash of the inputs, so `npm run build` only pays the ~10 s compile once.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const nixSrc = join(dirname(require.resolve('tree-sitter-nix/package.json')), 'src');
const sources = ['parser.c', 'scanner.c'].map((f) => ({ name: f, text: readFileSync(join(nixSrc, f)) }));
const parserHeader = readFileSync(join(nixSrc, 'tree_sitter', 'parser.h'));

// Only the declarations the grammar uses; web-tree-sitter's runtime provides the implementations: the grammar is an
// emscripten side module, which must not link a libc of its own (web-tree-sitter loads it with loadWebAssemblyModule).
const stubStdlib =
  '#include <stddef.h>\nvoid*malloc(size_t);void*calloc(size_t,size_t);void*realloc(void*,size_t);void free(void*);void abort(void);\n';
const flags = [
  '--target=wasm32-unknown-emscripten',
  '-nostdlibinc',
  '-isystem',
  'stub',
  '-I',
  'src',
  '-fPIC',
  '-Os',
  '-fno-exceptions',
  '-fvisibility=hidden',
];

const clangPkg = JSON.parse(readFileSync(join(root, 'node_modules', '@yowasp', 'clang', 'package.json'), 'utf8'));
const hash = createHash('sha256');
hash.update(`${clangPkg.version}\n${flags.join(' ')}\n${stubStdlib}`);
for (const s of sources) hash.update(s.text);
hash.update(parserHeader);
const digest = hash.digest('hex');

const out = join(dist, 'tree-sitter-nix.wasm');
const stamp = join(dist, 'tree-sitter-nix.wasm.inputs');
if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) {
  console.log('tree-sitter-nix.wasm is up to date');
} else {
  const started = Date.now();
  const { runClang, runLLVM } = await import('@yowasp/clang');
  const tree = {
    src: { 'parser.c': sources[0].text, 'scanner.c': sources[1].text, tree_sitter: { 'parser.h': parserHeader } },
    stub: { 'stdlib.h': stubStdlib },
  };
  const objects = {};
  for (const s of sources) {
    const obj = s.name.replace(/\.c$/, '.o');
    const result = await runClang(['clang', ...flags, '-c', `src/${s.name}`, '-o', obj], tree);
    objects[obj] = result[obj];
  }
  // Compile and link as two explicit steps so no optimizer found on PATH can change the bytes.
  const linked = await runLLVM(
    [
      'wasm-ld',
      '--shared',
      '--export=tree_sitter_nix',
      '--allow-undefined',
      '--no-entry',
      '-o',
      'tree-sitter-nix.wasm',
      ...Object.keys(objects),
    ],
    objects,
  );
  const wasm = linked['tree-sitter-nix.wasm'];
  assertSideModule(wasm);
  writeFileSync(out, wasm);
  writeFileSync(stamp, digest);
  console.log(`built tree-sitter-nix.wasm (${wasm.length} bytes) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// tree-sitter-bash ships a wasm build of its own (ABI 15) that web-tree-sitter 0.27 loads; no compile needed.
copyFileSync(
  join(dirname(require.resolve('tree-sitter-bash/package.json')), 'tree-sitter-bash.wasm'),
  join(dist, 'tree-sitter-bash.wasm'),
);
copyFileSync(
  join(dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm'),
  join(dist, 'web-tree-sitter.wasm'),
);

/** web-tree-sitter refuses a grammar whose first section is not `dylink.0`; fail the build, not the editor. */
function assertSideModule(bytes) {
  const b = Buffer.from(bytes);
  if (b.readUInt32LE(0) !== 0x6d736100) throw new Error('tree-sitter-nix.wasm: not a wasm module');
  // Section 0 (custom) right after the 8-byte header, its name must be dylink.0.
  if (b[8] !== 0) throw new Error('tree-sitter-nix.wasm: first section is not a custom section');
  let i = 9;
  while (b[i] & 0x80) i++;
  i++;
  const nameLen = b[i];
  const name = b.subarray(i + 1, i + 1 + nameLen).toString();
  if (name !== 'dylink.0') throw new Error(`tree-sitter-nix.wasm: first section is ${name}, expected dylink.0`);
}
