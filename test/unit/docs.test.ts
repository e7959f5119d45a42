// The rule pages (docs/rules/<code>.md) against the registry and against the product itself: every code has a page
// with the generated header, the index is up to date, every example parses as Nix, and every complete example clan
// makes `clan-backups check` report exactly the page's rule (wrong) or nothing (fixed).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { RULES, RuleCode } from '../../server/src/rules';
import { skipUnlessTool } from '../helpers/tools';

const ROOT = resolve(__dirname, '../../..');
const DOCS = join(ROOT, 'docs', 'rules');
const CLI = join(ROOT, 'dist', 'cli.js');
const CODES = Object.keys(RULES) as RuleCode[];

interface Example {
  kind: 'wrong' | 'fixed';
  /** Set for a file of a complete example clan (`file=clan.nix`, `file=machines/web/configuration.nix`). */
  file?: string;
  body: string;
  line: number;
}

/** ```nix wrong|fixed [file=PATH] blocks of a page. */
export function examples(text: string): Example[] {
  const out: Example[] = [];
  const re = /^```nix[ \t]+([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const attrs = m[1]!.trim().split(/\s+/);
    const kind = attrs.find((a): a is Example['kind'] => a === 'wrong' || a === 'fixed');
    if (!kind) continue;
    const file = attrs.find((a) => a.startsWith('file='))?.slice('file='.length);
    out.push({ kind, body: m[2]!, line: text.slice(0, m.index).split('\n').length, ...(file ? { file } : {}) });
  }
  return out;
}

function page(code: string): string {
  return readFileSync(join(DOCS, `${code}.md`), 'utf8');
}

const scratch = mkdtempSync(join(tmpdir(), 'clan-backups-docs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('rule pages and the registry', () => {
  test('every registry code has a page with the generated header', () => {
    for (const code of CODES) {
      const path = join(DOCS, `${code}.md`);
      assert.ok(existsSync(path), `docs/rules/${code}.md is missing`);
      const [title, blank, header] = readFileSync(path, 'utf8').split('\n');
      assert.equal(title, `# ${code}`);
      assert.equal(blank, '');
      assert.equal(header, `Severity: ${RULES[code].severity} · Family: ${RULES[code].family}`);
    }
  });

  test('every page names a registry code', () => {
    const pages = readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'README.md');
    assert.deepEqual(
      pages.map((p) => p.slice(0, -3)).filter((c) => !(c in RULES)),
      [],
    );
    assert.equal(pages.length, CODES.length);
  });

  test('the index is generated from the registry (gen-rule-docs --check)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-rule-docs.mjs'), '--check'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
    for (const code of CODES) assert.ok(index.includes(`[\`${code}\`](${code}.md)`), `index lacks ${code}`);
  });

  test('the generator refuses a code without a page and a page without a code', () => {
    // Run a copy of the generator against a copy of the tree with one page moved to an unknown name.
    const root = join(scratch, 'gen');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    mkdirSync(join(root, 'docs', 'rules'), { recursive: true });
    mkdirSync(join(root, 'out', 'server', 'src'), { recursive: true });
    writeFileSync(join(root, 'scripts', 'gen-rule-docs.mjs'), readFileSync(join(ROOT, 'scripts', 'gen-rule-docs.mjs')));
    writeFileSync(
      join(root, 'out', 'server', 'src', 'rules.js'),
      readFileSync(join(ROOT, 'out', 'server', 'src', 'rules.js')),
    );
    for (const code of CODES) writeFileSync(join(root, 'docs', 'rules', `${code}.md`), page(code));
    rmSync(join(root, 'docs', 'rules', 'unknown-tag.md'));
    writeFileSync(join(root, 'docs', 'rules', 'no-such-rule.md'), '# no-such-rule\n');
    for (const mode of [[], ['--check']]) {
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-rule-docs.mjs'), ...mode], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 1, `mode ${mode.join(' ') || 'write'}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /missing page: docs\/rules\/unknown-tag\.md/);
      assert.match(r.stderr, /orphan page: docs\/rules\/no-such-rule\.md/);
    }
    assert.ok(!existsSync(join(root, 'docs', 'rules', 'README.md')), 'nothing is written while pages are missing');
  });

  test('every page has a wrong and a fixed example and the sections of a rule page', () => {
    for (const code of CODES) {
      const text = page(code);
      const ex = examples(text);
      assert.ok(
        ex.some((e) => e.kind === 'wrong'),
        `${code}: no wrong example`,
      );
      assert.ok(
        ex.some((e) => e.kind === 'fixed'),
        `${code}: no fixed example`,
      );
      for (const section of ['## Example', '## Quick fix', '## When it stays quiet']) {
        assert.ok(text.includes(`\n${section}\n`), `${code}: no "${section}" section`);
      }
    }
  });
});

/** nix-instantiate's verdict: undefined variables (`lib`, `pkgs` of a fragment) are evaluation, not syntax. */
function parseNix(body: string, name: string): { ok: boolean; error: string } {
  const file = join(scratch, `${name}.nix`);
  writeFileSync(file, body);
  const r = spawnSync('nix-instantiate', ['--parse', file], { encoding: 'utf8' });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  const ok = r.status === 0 || (errors.length > 0 && errors.every((l) => l.startsWith('error: undefined variable')));
  return { ok, error: errors.join('\n') };
}

describe(
  'Nix examples of the rule pages parse',
  { skip: skipUnlessTool('nix', 'nix-instantiate --parse of the Nix examples of docs/rules') },
  () => {
    for (const code of CODES) {
      test(code, () => {
        const ex = examples(page(code));
        ex.forEach((e, i) => {
          const r = parseNix(e.body, `${code}-${i}`);
          // The wrong example of syntax-error is the one that must not parse.
          const expectOk = !(code === 'syntax-error' && e.kind === 'wrong');
          assert.equal(
            r.ok,
            expectOk,
            `docs/rules/${code}.md:${e.line} (${e.kind}): ${r.error || 'parses, but should not'}`,
          );
        });
      });
    }
  },
);

interface CliFinding {
  code: string;
  message: string;
  file: string;
  line: number;
}

/** Writes every example clan to `<scratch>/clans/<code>-<kind>/` and checks them all with one CLI run. */
function checkAllClans(pages: Array<{ code: string; ex: Example[] }>): Map<string, CliFinding[]> {
  const base = join(scratch, 'clans');
  const dirs: string[] = [];
  const byDir = new Map<string, CliFinding[]>();
  for (const { code, ex } of pages) {
    for (const kind of ['wrong', 'fixed'] as const) {
      const name = `${code}-${kind}`;
      for (const f of ex.filter((e) => e.kind === kind && e.file !== undefined)) {
        const path = join(base, name, f.file!);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, f.body);
      }
      dirs.push(name);
      byDir.set(name, []);
    }
  }
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', ...dirs], { cwd: base, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `clan-backups check exited ${r.status}: ${r.stderr}`);
  for (const f of JSON.parse(r.stdout) as CliFinding[]) {
    const dir = f.file.split(/[\\/]/)[0]!;
    assert.ok(byDir.has(dir), `a finding outside the example clans: ${f.file}`);
    byDir.get(dir)!.push(f);
  }
  return byDir;
}

describe(
  'clan-backups check on the example clans',
  { skip: skipUnlessTool('cli', 'clan-backups check on the example clans of docs/rules') },
  () => {
    const withClans = CODES.filter((c) => examples(page(c)).some((e) => e.file !== undefined));
    let results: Map<string, CliFinding[]> | undefined;
    const resultsFor = (name: string): CliFinding[] => {
      results ??= checkAllClans(withClans.map((code) => ({ code, ex: examples(page(code)) })));
      return results.get(name)!;
    };

    test('most pages carry complete example clans', () => {
      assert.ok(
        withClans.length >= CODES.length - 2,
        `only ${withClans.length} of ${CODES.length} pages have example clans`,
      );
    });

    for (const code of withClans) {
      const skip =
        code === 'hook-shell' ? skipUnlessTool('shellcheck', 'the hook-shell examples of docs/rules') : false;
      test(code, { skip }, () => {
        const ex = examples(page(code)).filter((e) => e.file !== undefined);
        for (const kind of ['wrong', 'fixed'] as const) {
          const files = ex.filter((e) => e.kind === kind);
          assert.ok(
            files.some((f) => f.file === 'clan.nix'),
            `${code}: the ${kind} clan has no file=clan.nix block`,
          );
          const findings = resultsFor(`${code}-${kind}`);
          const show = findings.map((f) => `${f.code} at ${f.file}:${f.line}: ${f.message}`).join('\n');
          if (kind === 'wrong') {
            assert.ok(findings.length > 0, `${code}: the wrong clan reports nothing`);
            assert.deepEqual(
              [...new Set(findings.map((f) => f.code))],
              [code],
              `${code}: the wrong clan reports\n${show}`,
            );
          } else {
            assert.deepEqual(findings, [], `${code}: the fixed clan reports\n${show}`);
          }
        }
      });
    }
  },
);
