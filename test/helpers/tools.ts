// The external tools and data some unit tests compare against (Nix, systemd, borg, ShellCheck, ...): whether each is
// there, and what a test does when it is not. A missing tool skips the test with one loud line that says how to
// install it, and is recorded for the summary of scripts/run-tests.mjs (the file named by CLAN_TEST_SKIPS). With
// CI=true a missing tool fails instead: CI installs every tool (.ci/run), so a skip there would hide a broken setup.
// Data that no script of this repository provides (`optional`) is only ever skipped.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';

const ROOT = resolve(__dirname, '../../..');
const DEPS = 'bash scripts/install-test-deps.sh';

interface Tool {
  /** What is missing, as the skip line names it. */
  name: string;
  /** How to get it. */
  install: string;
  present: () => boolean;
  /** Not provided by this repository's scripts: never fails a CI run. */
  optional?: boolean;
}

const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** A command of a Debian package that scripts/install-test-deps.sh installs, there when `<command> --version` works. */
const debian = (command: string, pkg: string): Tool => ({
  name: command,
  install: `${DEPS} (Debian package ${pkg})`,
  present: () => runs(command, ['--version']),
});

const TOOLS = {
  nix: debian('nix-instantiate', 'nix-bin'),
  systemd: debian('systemd-analyze', 'systemd'),
  borg: debian('borg', 'borgbackup'),
  // borg-differential.test.ts calls borg's own Python code, not the borg command.
  borgPython: {
    name: "borg's Python modules (/usr/bin/python3 -c 'import borg')",
    install: `${DEPS} (Debian package borgbackup)`,
    present: () => existsSync('/usr/bin/python3') && runs('/usr/bin/python3', ['-c', 'import borg']),
  },
  shellcheck: debian('shellcheck', 'shellcheck'),
  cli: {
    name: 'dist/cli.js',
    install: 'npm run build',
    present: () => existsSync(resolve(ROOT, 'dist', 'cli.js')),
  },
  shellGrammar: {
    name: "VS Code's shell grammar (SHELL_GRAMMAR)",
    install:
      'SHELL_GRAMMAR=<path of shell-unix-bash.tmLanguage.json>; npm test sets it when the e2e host is installed (bash scripts/e2e/install-host.sh)',
    present: () => Boolean(process.env.SHELL_GRAMMAR),
    optional: true,
  },
} satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

const inCi = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
const seen = new Map<ToolName, boolean>();

/** Whether the tool is there (probed once per test process); says nothing when it is not. */
export function toolPresent(tool: ToolName): boolean {
  let p = seen.get(tool);
  if (p === undefined) seen.set(tool, (p = TOOLS[tool].present()));
  return p;
}

function message(tool: ToolName, what: string): string {
  const t: Tool = TOOLS[tool];
  return `SKIPPED ${what}: ${t.name} is missing; install: ${t.install}`;
}

function ciFailure(tool: ToolName, what: string): Error {
  const t: Tool = TOOLS[tool];
  return new Error(`CI=true, where a missing tool fails the run: ${what} needs ${t.name}; install: ${t.install}`);
}

function failsInCi(tool: ToolName): boolean {
  const t: Tool = TOOLS[tool];
  return inCi() && !t.optional;
}

function announce(tool: ToolName, what: string): void {
  const t: Tool = TOOLS[tool];
  console.warn(`!!! ${message(tool, what)}`);
  const out = process.env.CLAN_TEST_SKIPS;
  if (!out) return;
  const record = {
    tool: t.name,
    install: t.install,
    optional: Boolean(t.optional),
    what,
    file: basename(process.argv[1] ?? ''),
  };
  appendFileSync(out, JSON.stringify(record) + '\n');
}

/**
 * For a check that needs `tool`: true when it is there. When it is not, says so loudly and records the skip; with
 * CI=true it also adds a failing test, so the run fails.
 */
export function requireTool(tool: ToolName, what: string): boolean {
  if (toolPresent(tool)) return true;
  announce(tool, what);
  if (failsInCi(tool)) {
    test(`${TOOLS[tool].name} is installed (CI=true: ${what} must run)`, () => {
      throw ciFailure(tool, what);
    });
  }
  return false;
}

/** The `skip` option of a test or suite that needs `tool`: false when it is there, else the loud skip message. */
export function skipUnlessTool(tool: ToolName, what: string): false | string {
  return requireTool(tool, what) ? false : message(tool, what);
}

/**
 * Inside a running test that found `tool` (or its data) missing: skip it loudly, or under CI=true fail it. The caller
 * returns right after.
 */
export function skipMissing(t: TestContext, tool: ToolName, what: string): void {
  if (failsInCi(tool)) throw ciFailure(tool, what);
  announce(tool, what);
  t.skip(message(tool, what));
}
