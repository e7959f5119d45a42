// State hooks parsed as shell (server/src/hooks): stop/start balance and PATH synchronously, ShellCheck
// asynchronously (it is an external process with a time limit; the editor never waits for it).
import type { Finding } from '../findings';
import {
  checkHookPath, checkShellcheckMany, checkUnbalancedHooks, COMMAND_PACKAGES, enclosingArguments, HOOK_NAMES, HookStateInput,
} from '../hooks/hookRules';
import type { ClanModel, Machine, State } from '../model/clanModel';
import { backupProviders } from '../model/backupCoverage';
import { asAttrs, AttrsValue, NixValue } from '../model/nixValue';
import { containsPosition, LineIndex, Range } from '../model/range';

function hookInput(model: ClanModel, s: State): HookStateInput | undefined {
  if (!s.attrs) return undefined;
  const file = model.files.find((f) => f.uri === s.attrs!.uri);
  if (!file) return undefined;
  const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
  if (file.tree) input.tree = file.tree;
  const { jobPath, localbackup } = pathContext(model, s.machine);
  if (jobPath) input.jobPath = jobPath;
  if (localbackup) input.localbackup = true;
  input.modules = moduleValues(model, s, file.uri)
    .map((c) => ({ start: file.lines.offsetAt(c.range.start), end: file.lines.offsetAt(c.range.end), isFunction: c.kind === 'function' }));
  for (const name of HOOK_NAMES) {
    const e = s.attrs.entries.get(name);
    // Hooks defined in another file than the state's attrset are analysed with that file's text only.
    if (!e || !e.binding || e.value.uri !== file.uri) continue;
    input.hooks[name] = { value: e.value, bindingStart: file.lines.offsetAt(e.binding.start), bindingEnd: file.lines.offsetAt(e.binding.end) };
  }
  return Object.keys(input.hooks).length ? input : undefined;
}

// Commands of the packages the PATH fix knows (COMMAND_PACKAGES), by the package's source text.
const PACKAGE_COMMANDS = new Map<string, string[]>();
for (const [command, pkg] of Object.entries(COMMAND_PACKAGES)) PACKAGE_COMMANDS.set(pkg, [...PACKAGE_COMMANDS.get(pkg) ?? [], command]);

/**
 * What `systemd.services."borgbackup-job-<dest>".path` adds to the PATH of the job units in the machine's visible
 * configuration (NixOS merges the list into the unit's PATH, and the hooks run in that unit). Undefined when nothing
 * is added; 'unknown' when a value on the way is not literal or a package's commands are not known.
 */
function jobPathCommands(m: Machine): string[] | 'unknown' | undefined {
  const commands: string[] = [];
  for (const config of m.configs) {
    const root = asAttrs(config);
    if (!root) continue;
    const systemd = root.entries.get('systemd');
    if (!systemd) continue;
    const systemdAttrs = asAttrs(systemd.value);
    if (!systemdAttrs || systemdAttrs.dynamicKeys) return 'unknown';
    const services = systemdAttrs.entries.get('services');
    if (!services) continue;
    const units = asAttrs(services.value);
    if (!units || units.dynamicKeys) return 'unknown';
    for (const [unit, e] of units.entries) {
      if (!unit.startsWith('borgbackup-job-')) continue;
      const body = asAttrs(e.value);
      if (!body || body.dynamicKeys) return 'unknown';
      const path = body.entries.get('path')?.value;
      if (!path) continue;
      if (path.kind !== 'list') return 'unknown';
      for (const item of path.items) {
        const known = item.kind === 'opaque' ? PACKAGE_COMMANDS.get(item.text.replace(/\s+/g, '')) : undefined;
        if (!known) return 'unknown';
        commands.push(...known);
      }
    }
  }
  return commands.length ? commands : undefined;
}

/**
 * The machine's modules in `uri` that the PATH fix may give arguments: functions, and attribute sets written with
 * braces and whole (a dotted `machines.m.x = …` or a set merged with bindings elsewhere cannot become a function).
 */
function moduleValues(model: ClanModel, s: State, uri: string): NixValue[] {
  return (model.machines.get(s.machine)?.configs ?? []).filter((c) => c.uri === uri
    && (c.kind === 'function' || (c.kind === 'attrs' && !c.implicit
      && [...c.entries.values()].every((e) => containsPosition(c.range, e.keyRange.start)))));
}

function hookInputs(model: ClanModel): HookStateInput[] {
  return [...model.machines.values()].flatMap((m) => m.states.map((s) => hookInput(model, s)))
    .filter((x): x is HookStateInput => x !== undefined);
}

export function checkHooks(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  for (const m of model.machines.values()) {
    for (const s of m.states) {
      const unchanged = unchangedState(model, s);
      if (unchanged) {
        out.push(...unchanged);
        continue;
      }
      const input = hookInput(model, s);
      if (!input) continue;
      const { findings, dependencies } = hookFindings(input);
      if (dependencies) rememberState(s, input, findings, dependencies, moduleValues(model, s, input.uri));
      out.push(...findings);
    }
  }
  return out;
}

// ---- the hook findings of a state, reused while nothing they were made from changed ----
//
// Findings depend on the hook bindings' text, and their fixes also on text outside it: around each edit, before each
// binding on its line (a new post hook copies that indentation), and the module arguments that the PATH fix extends.
// Two caches keep them: one by the state's attribute set, which stays the very same object while a keystroke
// elsewhere leaves it in place (the reader shares unchanged values between versions); and one by the hook bindings'
// text, for hooks that an edit above them moved. Either is used only when that outside text still reads the same and
// the machine's modules around the hooks are the same (where the PATH fix puts arguments depends on them).

/** Text a state's findings were made from besides its hook bindings: [start, end) document offsets. */
type Span = { start: number; end: number };

const CONTEXT = 24;

/** The outside text of `findings` (see above); undefined when it cannot be pinned down (then nothing is kept). */
function dependencies(input: HookStateInput, lines: LineIndex, findings: Finding[]): Span[] | undefined {
  const spans: Span[] = [];
  const bindings = Object.values(input.hooks).filter((b) => b !== undefined);
  for (const b of bindings) spans.push({ start: input.text.lastIndexOf('\n', b.bindingStart - 1) + 1, end: b.bindingStart });
  for (const e of findings.flatMap((f) => f.fixes ?? []).flatMap((x) => x.edits)) {
    spans.push({ start: Math.max(0, lines.offsetAt(e.range.start) - CONTEXT), end: Math.min(input.text.length, lines.offsetAt(e.range.end) + CONTEXT) });
  }
  if (findings.some((f) => f.code === 'hook-missing-path')) {
    for (const b of bindings) {
      // Without arguments to extend, adding a function around the hooks would change the fix: not kept.
      const args = enclosingArguments(input, b.bindingStart);
      if (!args) return undefined;
      spans.push(args);
    }
  }
  return spans;
}

interface SameState {
  uri: string;
  stateName: string;
  /** The modules around the state (the same objects: read again, they may have become something else). */
  modules: NixValue[];
  /** What the hook PATHs had (pathKey): an edit of `systemd.services` or of localbackup membership changes them. */
  jobPath: string;
  findings: Finding[];
  outside: Array<{ range: Range; text: string }>;
}
const sameStates = new WeakMap<AttrsValue, SameState>();

function unchangedState(model: ClanModel, s: State): Finding[] | undefined {
  const same = s.attrs && sameStates.get(s.attrs);
  if (!same || same.uri !== s.attrs!.uri || same.stateName !== s.name) return undefined;
  const modules = moduleValues(model, s, same.uri);
  if (pathKey(pathContext(model, s.machine)) !== same.jobPath) return undefined;
  if (modules.length !== same.modules.length || modules.some((m, i) => m !== same.modules[i])) return undefined;
  const file = model.files.find((f) => f.uri === same.uri);
  if (!file) return undefined;
  const at = (r: Range) => file.text.slice(file.lines.offsetAt(r.start), file.lines.offsetAt(r.end));
  return same.outside.every((o) => at(o.range) === o.text) ? same.findings : undefined;
}

function rememberState(s: State, input: HookStateInput, findings: Finding[], spans: Span[], modules: NixValue[]): void {
  const lines = input.lines ?? new LineIndex(input.text);
  const outside = spans.map((o) => ({ range: lines.rangeOf(o.start, o.end), text: input.text.slice(o.start, o.end) }));
  sameStates.set(s.attrs!, { uri: input.uri, stateName: input.stateName, modules, jobPath: pathKey(input), findings, outside });
}

interface KeptFinding {
  code: Finding['code'];
  severity: Finding['severity'];
  message: string;
  start: number;
  end: number;
  fixes?: Array<{ title: string; isPreferred?: boolean; edits: Array<{ start: number; end: number; newText: string }> }>;
}
/** Offsets relative to the first hook binding's start. */
interface Kept { findings: KeptFinding[]; outside: Array<Span & { text: string }> }

const kept = new Map<string, Kept>();
const MAX_KEPT = 20000;

function hookFindings(input: HookStateInput): { findings: Finding[]; dependencies: Span[] | undefined } {
  const lines = input.lines ?? new LineIndex(input.text);
  const bindings = Object.values(input.hooks).filter((b) => b !== undefined);
  const base = Math.min(...bindings.map((b) => b.bindingStart));
  // The modules around the hooks decide where the PATH fix puts arguments: part of the key, relative like the rest.
  const modules = (input.modules ?? []).map((m) => `${m.isFunction}:${m.start - base}:${m.end - base}`).join(' ');
  const key = `${input.uri}\u0000${input.stateName}\u0000${modules}\u0000${pathKey(input)}\u0000${Object.entries(input.hooks)
    .map(([name, b]) => `${name}=${input.text.slice(b!.bindingStart, b!.bindingEnd)}`).join('\u0000')}`;
  const hit = kept.get(key);
  if (hit && hit.outside.every((o) => input.text.slice(base + o.start, base + o.end) === o.text)) {
    return {
      findings: restore(hit.findings, base, lines, input.uri),
      dependencies: hit.outside.map((o) => ({ start: base + o.start, end: base + o.end })),
    };
  }
  const findings = [...checkUnbalancedHooks(input), ...checkHookPath(input)];
  const spans = dependencies(input, lines, findings);
  if (!spans) return { findings, dependencies: undefined };
  if (kept.size >= MAX_KEPT) kept.clear();
  const relative = (r: Range) => ({ start: lines.offsetAt(r.start) - base, end: lines.offsetAt(r.end) - base });
  kept.set(key, {
    outside: spans.map((o) => ({ start: o.start - base, end: o.end - base, text: input.text.slice(o.start, o.end) })),
    findings: findings.map((f) => ({
      code: f.code, severity: f.severity, message: f.message, ...relative(f.range),
      ...(f.fixes ? {
        fixes: f.fixes.map((x) => ({
          title: x.title, ...(x.isPreferred ? { isPreferred: true } : {}),
          edits: x.edits.map((e) => ({ ...relative(e.range), newText: e.newText })),
        })),
      } : {}),
    })),
  });
  return { findings, dependencies: spans };
}

/** What decides a machine's hook PATHs besides the hooks: the job units' extra packages, localbackup's PATH. */
function pathContext(model: ClanModel, machineName: string): Pick<HookStateInput, 'jobPath' | 'localbackup'> {
  const machine = model.machines.get(machineName);
  const jobPath = machine ? jobPathCommands(machine) : undefined;
  const localbackup = backupProviders(model, machineName)?.includes('localbackup') === true;
  return { ...(jobPath ? { jobPath } : {}), ...(localbackup ? { localbackup } : {}) };
}

function pathKey(c: Pick<HookStateInput, 'jobPath' | 'localbackup'>): string {
  const path = c.jobPath === undefined ? '' : c.jobPath === 'unknown' ? '?' : [...c.jobPath].sort().join(' ');
  return c.localbackup ? `${path}+local` : path;
}

function restore(items: KeptFinding[], base: number, lines: LineIndex, uri: string): Finding[] {
  return items.map((k) => {
    const f: Finding = { uri, code: k.code, severity: k.severity, message: k.message, range: lines.rangeOf(base + k.start, base + k.end) };
    if (k.fixes) {
      f.fixes = k.fixes.map((x) => ({
        title: x.title, ...(x.isPreferred ? { isPreferred: true } : {}),
        edits: x.edits.map((e) => ({ uri, range: lines.rangeOf(base + e.start, base + e.end), newText: e.newText })),
      }));
    }
    return f;
  });
}

export interface ShellcheckRun {
  findings: Finding[];
  /** Set once per process when shellcheck is not installed: a message for the user. */
  notice?: string;
  /** Set when the disk cache could not be written (the run went without it): one line for the user. */
  cacheWarning?: string;
}

export interface ShellcheckHooksOptions {
  timeoutMs?: number;
  /** Keep ShellCheck's results in this directory across runs (the CLI); results are always kept in memory. */
  cacheDir?: string;
}

export async function shellcheckHooks(model: ClanModel, options: ShellcheckHooksOptions = {}): Promise<ShellcheckRun> {
  const inputs = hookInputs(model);
  if (inputs.length === 0) return { findings: [] };
  const r = await checkShellcheckMany(inputs, {
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cacheDir ? { diskCache: { dir: options.cacheDir } } : {}),
  });
  const run: ShellcheckRun = { findings: r.findings };
  if (r.notice) run.notice = r.notice;
  if (r.cacheWarning) run.cacheWarning = r.cacheWarning;
  return run;
}

/** Forget the kept hook findings (tests compare them with a fresh analysis). */
export function forgetKeptHookFindings(): void {
  kept.clear();
}
