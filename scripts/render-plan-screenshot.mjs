// Renders `clan-backups plan --format markdown examples/demo-clan` as a pull-request comment would show it and takes
// the README's screenshot of it with headless Chromium (Debian's; scripts/e2e/install-host.sh installs it).
// Usage: node scripts/render-plan-screenshot.mjs [out.png]   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs/images/plan-markdown.png'));
const markdownIt = createRequire(import.meta.url)('markdown-it');
const plan = execFileSync(
  process.execPath,
  [join(root, 'dist/cli.js'), 'plan', '--format', 'markdown', 'examples/demo-clan'],
  { cwd: root, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } },
);
const style =
  'body{font:14px -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;max-width:980px;margin:24px}' +
  'table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d1d9e0;padding:6px 13px}th{background:#f6f8fa}' +
  'code{background:#eff1f3;padding:.2em .4em;border-radius:6px;font-size:85%}h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}';
const dir = mkdtempSync(join(tmpdir(), 'clan-backups-plan-'));
writeFileSync(
  join(dir, 'plan.html'),
  `<!doctype html><meta charset=utf-8><style>${style}</style>${markdownIt().render(plan)}`,
);
execFileSync(
  'chromium',
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--window-size=1000,1260',
    `--screenshot=${out}`,
    `file://${join(dir, 'plan.html')}`,
  ],
  { stdio: 'inherit' },
);
console.log(`wrote ${out}`);
