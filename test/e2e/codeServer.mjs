// Launch and tear down code-server (VS Code 1.100.3 server + Node extension host) for the e2e tests.
//
// - Binds 127.0.0.1 only, on a free port chosen by the kernel.
// - Everything code-server writes (config, logs, user data, extensions, HOME, XDG dirs, TMPDIR) goes to a temp run dir.
// - Spawned `detached: true` (own process group); teardown kills only that process group, never anything by name.
// - Readiness: waits for "HTTP server listening on ..." on its output, with a deadline. No sleeps.
import { spawn, execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST_DIR = process.env.E2E_HOST_DIR ?? join(REPO_ROOT, '.cache', 'e2e-host');
export const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.100.3';
export const CODE_SERVER_BIN = join(HOST_DIR, 'node_modules', '.bin', 'code-server');

/** What is missing to run code-server here, as human-readable strings (empty when the host is complete). */
export function missingHostPieces() {
  const missing = [];
  if (!existsSync(join(HOST_DIR, `.installed-code-server-${CODE_SERVER_VERSION}`)) || !existsSync(CODE_SERVER_BIN)) {
    missing.push(`code-server ${CODE_SERVER_VERSION} in ${HOST_DIR}`);
  }
  if (!existsSync('/usr/bin/chromium')) missing.push('Debian chromium (/usr/bin/chromium)');
  if (!existsSync('/usr/bin/rg')) missing.push('Debian ripgrep (/usr/bin/rg)');
  return missing;
}

export function assertHost() {
  const missing = missingHostPieces();
  if (missing.length) {
    throw new Error(`e2e host incomplete, missing: ${missing.join('; ')}. Run: bash scripts/e2e/install-host.sh`);
  }
}

/**
 * A temp run dir: HOME, TMPDIR, XDG_* and code-server's user-data / extensions dirs all inside it.
 * `settings` is written as the user settings.json.
 */
export function makeRunDir({ prefix = 'clan-e2e-', settings = {} } = {}) {
  const root = mkdtempSync(join(process.env.E2E_TMP ?? tmpdir(), prefix));
  const dirs = {
    root,
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    config: join(root, 'xdg-config'),
    data: join(root, 'xdg-data'),
    cache: join(root, 'xdg-cache'),
    runtime: join(root, 'xdg-runtime'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    workspaces: join(root, 'workspaces'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeUserSettings(dirs, settings);
  liveDirs.add(root);
  return dirs;
}

export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'chat.disableAIFeatures': true,
  'files.hotExit': 'off',
  // Edits made by a test must never reach the disk copy of the example on their own.
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
  'editor.minimap.enabled': false,
  // Completion tests must see the language server's items only, not words of the document.
  'editor.wordBasedSuggestions': 'off',
};

export function writeUserSettings(dirs, settings) {
  const userDir = join(dirs.userData, 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...settings }, null, 2));
}

/** Copy a folder (e.g. examples/demo-clan) into the run dir's workspaces; returns the copy's absolute path. */
export function copyWorkspace(dirs, source, name) {
  const dest = join(dirs.workspaces, name);
  cpSync(source, dest, { recursive: true });
  return dest;
}

/** Environment for code-server and everything it spawns (extension host, language server, fake clan). */
export const DEMO_CLAN_DIR = join(REPO_ROOT, 'examples', 'demo-clan');
export const FAKE_CLAN = join(REPO_ROOT, 'test', 'fixtures', 'fake-clan', 'clan');

/**
 * The example clan copied into the run dir, and the fake `clan` with a state file describing that copy (from the
 * suite's expectations). Returns the paths the host needs: the workspace, the executable, its log and state files.
 */
export function prepareDemo(dirs, fakeClanState) {
  const workspace = existsSync(DEMO_CLAN_DIR)
    ? copyWorkspace(dirs, DEMO_CLAN_DIR, 'demo-clan')
    : join(dirs.workspaces, 'demo-clan');
  mkdirSync(workspace, { recursive: true });
  const fakeClanLog = join(dirs.root, 'fake-clan.log');
  const fakeClanStateFile = join(dirs.root, 'fake-clan-state.json');
  writeFileSync(fakeClanStateFile, JSON.stringify(fakeClanState(workspace), null, 2));
  // The fake clan must be executable; never chmod the repo's file: run a copy when its mode bit got lost.
  let clanExe = FAKE_CLAN;
  if (existsSync(FAKE_CLAN) && !(statSync(FAKE_CLAN).mode & 0o111)) {
    clanExe = join(dirs.root, 'fake-clan', 'clan');
    mkdirSync(dirname(clanExe), { recursive: true });
    copyFileSync(FAKE_CLAN, clanExe);
    chmodSync(clanExe, 0o755);
  }
  return { workspace, clanExe, fakeClanLog, fakeClanStateFile };
}

export function hostEnv(dirs, extra = {}) {
  const env = { ...process.env };
  // The runner's own npm/test variables must not leak into VS Code's ext host (e.g. NODE_OPTIONS from a debugger).
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'NODE_OPTIONS' || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  return {
    ...env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_RUNTIME_DIR: dirs.runtime,
    // HOME moved, so ~/.npmrc is gone: keep node-gyp on the system headers (never download).
    npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
    // VS Code >= 1.139 ignores the test payload in built products without this; 1.100 ignores the variable.
    VSCODE_OPTIONS: 'enable-smoke-test-driver',
    ...extra,
  };
}

function codeServerArgs(dirs, { trust }) {
  const args = [
    '--config',
    join(dirs.root, 'config.yaml'),
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
  ];
  // Disabling workspace trust = every folder is trusted. Only where the test wants a trusted workspace.
  if (trust) args.push('--disable-workspace-trust');
  return args;
}

/** Run a one-shot code-server CLI command (e.g. --install-extension) with the run dir's env. */
export function codeServerCli(dirs, args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolveP, reject) => {
    execFile(
      CODE_SERVER_BIN,
      [...codeServerArgs(dirs, { trust: false }), ...args],
      { env: hostEnv(dirs, env), timeout: timeoutMs, cwd: dirs.root, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          err.message += `\nstdout:\n${stdout}\nstderr:\n${stderr}`;
          reject(err);
        } else resolveP({ stdout, stderr });
      },
    );
  });
}

/** Install a VSIX into the run dir's extensions dir. */
export async function installVsix(dirs, vsixPath) {
  const { stdout, stderr } = await codeServerCli(dirs, ['--install-extension', resolve(vsixPath)]);
  const out = `${stdout}\n${stderr}`;
  if (/Failed Installing Extensions|failed/i.test(out) && !/successfully installed/i.test(out)) {
    throw new Error(`code-server --install-extension ${vsixPath} failed:\n${out}`);
  }
  return out;
}

/** A port that was free a moment ago (the kernel picks it); code-server then binds it. */
export function freePort() {
  return new Promise((resolveP, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolveP(port));
    });
  });
}

/**
 * Start code-server. Returns { url, port, pid, stop(), output(), exited }.
 * options: dirs (from makeRunDir), trust (bool), env (extra env), readyTimeoutMs, log (fn for code-server output).
 */
export async function startCodeServer({ dirs, trust = true, env = {}, readyTimeoutMs = 30_000, log } = {}) {
  assertHost();
  let lastErr;
  // A port can be taken between freePort() and the bind; retry a couple of times on EADDRINUSE.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort({ dirs, trust, env, readyTimeoutMs, log, port });
    } catch (e) {
      lastErr = e;
      if (!/EADDRINUSE/.test(String(e?.message))) throw e;
    }
  }
  throw lastErr;
}

// Process groups of the code-servers this process started and has not stopped yet. If the runner itself is
// interrupted (Ctrl-C, a CI deadline's SIGTERM) or exits without teardown, those groups are killed: they were spawned
// detached, so nothing else would.
const liveGroups = new Set();
// Run dirs not yet removed by cleanup(): removed on an interrupted exit too (unless E2E_KEEP=1).
const liveDirs = new Set();
function killLiveGroups() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
  if (process.env.E2E_KEEP !== '1') {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  }
  liveDirs.clear();
}
process.on('exit', killLiveGroups);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killLiveGroups();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

async function startOnPort({ dirs, trust, env, readyTimeoutMs, log, port }) {
  const args = [...codeServerArgs(dirs, { trust }), '--bind-addr', `127.0.0.1:${port}`];
  const child = spawn(CODE_SERVER_BIN, args, {
    cwd: dirs.root,
    env: hostEnv(dirs, env),
    detached: true, // own process group: teardown kills exactly this group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  let output = '';
  let exitInfo = null;
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      res(exitInfo);
    });
  });
  const onData = (chunk) => {
    const s = chunk.toString();
    output += s;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    log?.(s);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const stop = async () => {
    if (child.pid === undefined) return;
    if (exitInfo) {
      // The launcher is gone; its group (ext host, language server) may not be.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      liveGroups.delete(child.pid);
      return;
    }
    const killGroup = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch (e) {
        if (e.code !== 'ESRCH') throw e;
      }
    };
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    // Children of the group (ext host, language server, watcher) may outlive the launcher for a moment.
    killGroup('SIGKILL');
    liveGroups.delete(child.pid);
  };

  const ready = await new Promise((resolveP) => {
    const deadline = setTimeout(
      () => resolveP({ ok: false, why: `no "HTTP server listening" within ${readyTimeoutMs} ms` }),
      readyTimeoutMs,
    );
    const check = () => {
      const m = /HTTP server listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(deadline);
        resolveP({ ok: true, url: m[1] });
      } else if (/EADDRINUSE/.test(output)) {
        clearTimeout(deadline);
        resolveP({ ok: false, why: 'EADDRINUSE' });
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    exited.then((info) => {
      clearTimeout(deadline);
      resolveP({ ok: false, why: `code-server exited early (${JSON.stringify(info)})` });
    });
    check();
  });
  if (!ready.ok) {
    await stop();
    throw new Error(`code-server did not start: ${ready.why}\n--- code-server output ---\n${output.slice(-4000)}`);
  }
  const url = `http://127.0.0.1:${port}/`;
  return { url, port, pid: child.pid, stop, output: () => output, exited };
}

/** Kill the code-server group and remove the run dir (unless E2E_KEEP=1). */
export async function cleanup(server, dirs) {
  try {
    await server?.stop();
  } finally {
    if (dirs && process.env.E2E_KEEP !== '1') rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
    if (dirs) liveDirs.delete(dirs.root);
  }
}

/** Workbench URL for a folder; `payload` is a list of [key, value] pairs (e.g. extensionDevelopmentPath). */
export function workbenchUrl(server, folder, payload) {
  const q = new URLSearchParams();
  q.set('folder', folder);
  if (payload) q.set('payload', JSON.stringify(payload));
  return `${server.url}?${q.toString()}`;
}

/** The vscode-remote URI of a server-side path, for the payload. */
export function remoteUri(server, absPath) {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
