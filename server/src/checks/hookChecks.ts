// State hooks parsed as shell (server/src/hooks): stop/start balance and PATH synchronously, ShellCheck
// asynchronously (it is an external process with a time limit; the editor never waits for it).
import type { Finding } from '../findings';
import { checkHookPath, checkShellcheckMany, checkUnbalancedHooks, HOOK_NAMES, HookStateInput } from '../hooks/hookRules';
import type { ClanModel, State } from '../model/clanModel';
import type { AttrsValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import type { SourceFile } from '../model/sourceFile';

/**
 * The source of the machine's module functions up to their bodies (`{ config, lib, ... }:`) in the state's file.
 * The PATH fix extends these arguments, so findings kept for unchanged hooks hold only while they read the same.
 */
function moduleHeads(model: ClanModel, s: State, file: SourceFile): string {
  let out = '';
  for (const c of model.machines.get(s.machine)?.configs ?? []) {
    if (c.kind !== 'function' || c.uri !== file.uri) continue;
    out += `${file.text.slice(file.lines.offsetAt(c.range.start), file.lines.offsetAt(c.body.range.start))}\u0000`;
  }
  return out;
}

function hookInput(model: ClanModel, s: State): HookStateInput | undefined {
  if (!s.attrs) return undefined;
  const file = model.files.find((f) => f.uri === s.attrs!.uri);
  if (!file) return undefined;
  const input: HookStateInput = { uri: file.uri, text: file.text, lines: file.lines, stateName: s.name, hooks: {} };
  if (file.tree) input.tree = file.tree;
  for (const name of HOOK_NAMES) {
    const e = s.attrs.entries.get(name);
    // Hooks defined in another file than the state's attrset are analysed with that file's text only.
    if (!e || !e.binding || e.value.uri !== file.uri) continue;
    input.hooks[name] = { value: e.value, bindingStart: file.lines.offsetAt(e.binding.start), bindingEnd: file.lines.offsetAt(e.binding.end) };
  }
  return Object.keys(input.hooks).length ? input : undefined;
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
      const heads = moduleHeads(model, s, model.files.find((f) => f.uri === input.uri)!);
      const findings = hookFindings(input, heads);
      rememberState(s, input, heads, findings);
      out.push(...findings);
    }
  }
  return out;
}

// Typing elsewhere in the file leaves a state's attribute set the very same object (the reader shares a value
// between versions while it keeps its line and character and its text): its hook findings are then the same as last
// time, once the text around each fix (which may lie outside the state: the module's arguments) is checked again.
interface SameState {
  uri: string;
  stateName: string;
  heads: string;
  findings: Finding[];
  contexts: Array<{ range: Range; context: string }>;
}
const sameStates = new WeakMap<AttrsValue, SameState>();

function contextAt(text: string, lines: LineIndex, range: Range): string {
  return text.slice(Math.max(0, lines.offsetAt(range.start) - CONTEXT), lines.offsetAt(range.end) + CONTEXT);
}

function unchangedState(model: ClanModel, s: State): Finding[] | undefined {
  const same = s.attrs && sameStates.get(s.attrs);
  if (!same || same.uri !== s.attrs!.uri || same.stateName !== s.name) return undefined;
  const file = model.files.find((f) => f.uri === same.uri);
  if (!file || moduleHeads(model, s, file) !== same.heads) return undefined;
  if (same.contexts.some((c) => contextAt(file.text, file.lines, c.range) !== c.context)) return undefined;
  return same.findings;
}

function rememberState(s: State, input: HookStateInput, heads: string, findings: Finding[]): void {
  const lines = input.lines ?? new LineIndex(input.text);
  const contexts = findings.flatMap((f) => f.fixes ?? []).flatMap((x) => x.edits)
    .map((e) => ({ range: e.range, context: contextAt(input.text, lines, e.range) }));
  sameStates.set(s.attrs!, { uri: input.uri, stateName: input.stateName, heads, findings, contexts });
}

// ---- the hook findings of a state, kept while its hook bindings read the same ----
//
// An edit above a state moves its hooks without changing them; analysing their shell again (thousands of hooks in a
// large clan) was most of the cost of such an edit. The findings are kept with positions relative to the first hook
// binding and placed again at its new offset. A fix that edits outside the hook bindings (function arguments) is
// only reused when the text around it is still the same.

interface KeptEdit { start: number; end: number; newText: string; context: string }
interface KeptFinding {
  code: Finding['code'];
  severity: Finding['severity'];
  message: string;
  start: number;
  end: number;
  fixes?: Array<{ title: string; isPreferred?: boolean; edits: KeptEdit[] }>;
}

const kept = new Map<string, KeptFinding[]>();
const MAX_KEPT = 20000;
const CONTEXT = 24;

/** `heads`: see moduleHeads; part of the key. */
function hookFindings(input: HookStateInput, heads: string): Finding[] {
  const lines = input.lines ?? new LineIndex(input.text);
  const bindings = Object.values(input.hooks).filter((b) => b !== undefined);
  const base = Math.min(...bindings.map((b) => b.bindingStart));
  const key = `${input.uri}\u0000${input.stateName}\u0000${heads}\u0000${Object.entries(input.hooks)
    .map(([name, b]) => `${name}=${input.text.slice(b!.bindingStart, b!.bindingEnd)}`).join('\u0000')}`;
  const hit = kept.get(key);
  if (hit) {
    const restored = restore(hit, base, input.text, lines, input.uri);
    if (restored) return restored;
  }
  const findings = [...checkUnbalancedHooks(input), ...checkHookPath(input)];
  if (kept.size >= MAX_KEPT) kept.clear();
  kept.set(key, findings.map((f) => ({
    code: f.code, severity: f.severity, message: f.message,
    start: lines.offsetAt(f.range.start) - base, end: lines.offsetAt(f.range.end) - base,
    ...(f.fixes ? {
      fixes: f.fixes.map((x) => ({
        title: x.title, ...(x.isPreferred ? { isPreferred: true } : {}),
        edits: x.edits.map((e) => {
          const start = lines.offsetAt(e.range.start);
          const end = lines.offsetAt(e.range.end);
          return { start: start - base, end: end - base, newText: e.newText, context: input.text.slice(Math.max(0, start - CONTEXT), end + CONTEXT) };
        }),
      })),
    } : {}),
  })));
  return findings;
}

function restore(items: KeptFinding[], base: number, text: string, lines: NonNullable<HookStateInput['lines']>, uri: string): Finding[] | undefined {
  const out: Finding[] = [];
  for (const k of items) {
    const f: Finding = { uri, code: k.code, severity: k.severity, message: k.message, range: lines.rangeOf(base + k.start, base + k.end) };
    if (k.fixes) {
      const fixes = [];
      for (const x of k.fixes) {
        const edits = [];
        for (const e of x.edits) {
          const start = base + e.start;
          const end = base + e.end;
          if (text.slice(Math.max(0, start - CONTEXT), end + CONTEXT) !== e.context) return undefined;
          edits.push({ uri, range: lines.rangeOf(start, end), newText: e.newText });
        }
        fixes.push({ title: x.title, edits, ...(x.isPreferred ? { isPreferred: true } : {}) });
      }
      f.fixes = fixes;
    }
    out.push(f);
  }
  return out;
}

export interface ShellcheckRun {
  findings: Finding[];
  /** Set once per process when shellcheck is not installed: a message for the user. */
  notice?: string;
}

export async function shellcheckHooks(model: ClanModel, timeoutMs?: number): Promise<ShellcheckRun> {
  const inputs = hookInputs(model);
  if (inputs.length === 0) return { findings: [] };
  const r = await checkShellcheckMany(inputs, timeoutMs ? { timeoutMs } : {});
  const run: ShellcheckRun = { findings: r.findings };
  if (r.notice) run.notice = r.notice;
  return run;
}

/** Forget the kept hook findings (tests compare them with a fresh analysis). */
export function forgetKeptHookFindings(): void {
  kept.clear();
}
