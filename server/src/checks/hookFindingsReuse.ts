// The hook findings of a state, reused while nothing they were made from changed.
//
// Findings depend on the hook bindings' text, and their fixes also on text outside it: around each edit, before each
// binding on its line (a new post hook copies that indentation), and the module arguments that the PATH fix extends.
// Two caches keep them: one by the state's attribute set, which stays the very same object between versions while
// its text is unchanged (the reader shares unchanged values, and moves them in place when an edit above moved them);
// and one by the hook bindings' text, for hooks whose set was read again. Either is used only when that outside text
// still reads the same and the machine's modules around the hooks are the same (where the PATH fix puts arguments
// depends on them).
import type { Finding } from '../findings';
import { enclosingArguments } from '../hooks/moduleArguments';
import { hookInput, HookStateInput, moduleValues, pathContext, pathKey } from '../hooks/hookInput';
import type { BashTrees } from '../hooks/shellScript';
import type { ClanModel, State } from '../model/clanModel';
import type { AttrsValue, NixValue } from '../model/nixValue';
import { comparePositions, LineIndex, Position, Range } from '../model/range';

/** Text a state's findings were made from besides its hook bindings: [start, end) document offsets. */
type Span = { start: number; end: number };

const CONTEXT = 24;

/** The outside text of `findings` (see above); undefined when it cannot be pinned down (then nothing is kept). */
function dependencies(input: HookStateInput, lines: LineIndex, findings: Finding[]): Span[] | undefined {
  const spans: Span[] = [];
  const bindings = Object.values(input.hooks).filter((b) => b !== undefined);
  for (const b of bindings)
    spans.push({ start: input.text.lastIndexOf('\n', b.bindingStart - 1) + 1, end: b.bindingStart });
  for (const e of findings.flatMap((f) => f.fixes ?? []).flatMap((x) => x.edits)) {
    spans.push({
      start: Math.max(0, lines.offsetAt(e.range.start) - CONTEXT),
      end: Math.min(input.text.length, lines.offsetAt(e.range.end) + CONTEXT),
    });
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
  /** Where the state's attribute set started: the findings hold positions. */
  line: number;
  character: number;
  /**
   * True when every position of the findings and of `outside` lies within the attribute set: when the set has moved
   * (its text unchanged), they move with it.
   */
  movable: boolean;
  stateName: string;
  /** The modules around the state (the same objects: read again, they may have become something else). */
  modules: NixValue[];
  /** What the hook PATHs had (pathKey): an edit of `systemd.services` or of localbackup membership changes them. */
  jobPath: string;
  findings: Finding[];
  outside: Array<{ range: Range; text: string }>;
}

interface KeptFinding {
  code: Finding['code'];
  severity: Finding['severity'];
  message: string;
  start: number;
  end: number;
  fixes?: Array<{
    title: string;
    isPreferred?: boolean;
    edits: Array<{ start: number; end: number; newText: string }>;
  }>;
}
/** Offsets relative to the first hook binding's start. */
interface Kept {
  findings: KeptFinding[];
  outside: Array<Span & { text: string }>;
}

const MAX_KEPT = 20000;

/** The two caches (see the top of the file), for as long as their owner (an AnalysisMemo) lives. */
export class HookFindingsMemo {
  /** By the state's attribute set: lives as long as that value. */
  private readonly sameStates = new WeakMap<AttrsValue, SameState>();
  /** By the hook bindings' text and what else the key holds: at most 20,000, then forgotten all at once. */
  private readonly kept = new Map<string, Kept>();

  /** The hook findings of state `s`: kept ones while they still hold, else `compute`'s, kept for next time. */
  stateFindings(
    model: ClanModel,
    s: State,
    bashTrees: BashTrees | undefined,
    compute: (input: HookStateInput) => Finding[],
  ): Finding[] {
    const unchanged = this.unchangedState(model, s);
    if (unchanged) return unchanged;
    const input = hookInput(model, s, bashTrees);
    if (!input) return [];
    const { findings, dependencies } = this.hookFindings(input, compute);
    if (dependencies) this.rememberState(s, input, findings, dependencies, moduleValues(model, s, input.uri));
    return findings;
  }

  private unchangedState(model: ClanModel, s: State): Finding[] | undefined {
    const same = s.attrs && this.sameStates.get(s.attrs);
    if (!same || same.uri !== s.attrs!.uri || same.stateName !== s.name) return undefined;
    const start = s.attrs!.range.start;
    const moved = start.line !== same.line || start.character !== same.character;
    if (moved && !same.movable) return undefined;
    const modules = moduleValues(model, s, same.uri);
    if (pathKey(pathContext(model, s.machine)) !== same.jobPath) return undefined;
    if (modules.length !== same.modules.length || modules.some((m, i) => m !== same.modules[i])) return undefined;
    const file = model.files.find((f) => f.uri === same.uri);
    if (!file) return undefined;
    if (moved) moveState(same, start);
    const at = (r: Range) => file.text.slice(file.lines.offsetAt(r.start), file.lines.offsetAt(r.end));
    return same.outside.every((o) => at(o.range) === o.text) ? same.findings : undefined;
  }

  private rememberState(
    s: State,
    input: HookStateInput,
    findings: Finding[],
    spans: Span[],
    modules: NixValue[],
  ): void {
    const lines = input.lines ?? new LineIndex(input.text);
    const outside = spans.map((o) => ({
      range: lines.rangeOf(o.start, o.end),
      text: input.text.slice(o.start, o.end),
    }));
    const within = (r: Range) =>
      comparePositions(s.attrs!.range.start, r.start) <= 0 && comparePositions(r.end, s.attrs!.range.end) <= 0;
    const movable =
      outside.every((o) => within(o.range)) &&
      findings.every(
        (f) =>
          f.uri === input.uri &&
          within(f.range) &&
          (f.fixes ?? []).every((x) => x.edits.every((e) => e.uri === input.uri && within(e.range))),
      );
    this.sameStates.set(s.attrs!, {
      uri: input.uri,
      line: s.attrs!.range.start.line,
      character: s.attrs!.range.start.character,
      movable,
      stateName: input.stateName,
      modules,
      jobPath: pathKey(input),
      // A finding's range may be a value's own range, which a later read moves in place: a movable state keeps copies.
      findings: movable ? movedFindings(findings, 0, 0, 0) : findings,
      outside,
    });
  }

  private hookFindings(
    input: HookStateInput,
    compute: (input: HookStateInput) => Finding[],
  ): { findings: Finding[]; dependencies: Span[] | undefined } {
    const lines = input.lines ?? new LineIndex(input.text);
    const bindings = Object.values(input.hooks).filter((b) => b !== undefined);
    const base = Math.min(...bindings.map((b) => b.bindingStart));
    // The modules around the hooks decide where the PATH fix puts arguments: part of the key, relative like the rest.
    const modules = (input.modules ?? []).map((m) => `${m.isFunction}:${m.start - base}:${m.end - base}`).join(' ');
    // The state's name is not part of the key: it only appears in messages, so the findings are computed with a
    // stand-in name and the real one is put in on the way out. A hook text shared by many machines' states (each
    // with its own name) is then analysed once.
    const key = `${input.uri}\u0000${modules}\u0000${pathKey(input)}\u0000${Object.entries(input.hooks)
      .map(([name, b]) => `${name}=${input.text.slice(b!.bindingStart, b!.bindingEnd)}`)
      .join('\u0000')}`;
    const hit = this.kept.get(key);
    if (hit && hit.outside.every((o) => input.text.slice(base + o.start, base + o.end) === o.text)) {
      return {
        findings: restore(hit.findings, base, lines, input.uri, input.stateName),
        dependencies: hit.outside.map((o) => ({ start: base + o.start, end: base + o.end })),
      };
    }
    const generic = compute({ ...input, stateName: STATE_NAME });
    const findings = generic.map((f) => named(f, input.stateName));
    const spans = dependencies(input, lines, findings);
    if (!spans) return { findings, dependencies: undefined };
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    const relative = (r: Range) => ({ start: lines.offsetAt(r.start) - base, end: lines.offsetAt(r.end) - base });
    this.kept.set(key, {
      outside: spans.map((o) => ({ start: o.start - base, end: o.end - base, text: input.text.slice(o.start, o.end) })),
      findings: generic.map((f) => ({
        code: f.code,
        severity: f.severity,
        message: f.message,
        ...relative(f.range),
        ...(f.fixes
          ? {
              fixes: f.fixes.map((x) => ({
                title: x.title,
                ...(x.isPreferred ? { isPreferred: true } : {}),
                edits: x.edits.map((e) => ({ ...relative(e.range), newText: e.newText })),
              })),
            }
          : {}),
      })),
    });
    return { findings, dependencies: spans };
  }
}

/**
 * Moves what a state's findings were made from to where its attribute set now starts: the set's text is unchanged (it
 * is the same value), so its lines after the first keep their characters, and its first line moves sideways too.
 */
function moveState(same: SameState, to: Position): void {
  const lines = to.line - same.line;
  const characters = to.character - same.character;
  same.findings = movedFindings(same.findings, same.line, lines, characters);
  const range = mover(same.line, lines, characters);
  same.outside = same.outside.map((o) => ({ range: range(o.range), text: o.text }));
  same.line = to.line;
  same.character = to.character;
}

/** Copies of `findings` with their positions moved as moveState moves them (new objects even for no move). */
function movedFindings(findings: Finding[], firstLine: number, lines: number, characters: number): Finding[] {
  const range = mover(firstLine, lines, characters);
  return findings.map((f) => {
    const moved: Finding = { ...f, range: range(f.range) };
    if (f.fixes)
      moved.fixes = f.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, range: range(e.range) })) }));
    return moved;
  });
}

function mover(firstLine: number, lines: number, characters: number): (r: Range) => Range {
  const position = (p: Position): Position => ({
    line: p.line + lines,
    character: p.line === firstLine ? p.character + characters : p.character,
  });
  return (r) => ({ start: position(r.start), end: position(r.end) });
}

/** Stands for the state's name in kept findings; a NUL never occurs in a Nix attribute name or a message. */
const STATE_NAME = '\u0000state\u0000';

function named(f: Finding, stateName: string): Finding {
  return f.message.includes(STATE_NAME) ? { ...f, message: f.message.replaceAll(STATE_NAME, stateName) } : f;
}

function restore(items: KeptFinding[], base: number, lines: LineIndex, uri: string, stateName: string): Finding[] {
  return items.map((k) => {
    const f: Finding = {
      uri,
      code: k.code,
      severity: k.severity,
      message: k.message.replaceAll(STATE_NAME, stateName),
      range: lines.rangeOf(base + k.start, base + k.end),
    };
    if (k.fixes) {
      f.fixes = k.fixes.map((x) => ({
        title: x.title,
        ...(x.isPreferred ? { isPreferred: true } : {}),
        edits: x.edits.map((e) => ({ uri, range: lines.rangeOf(base + e.start, base + e.end), newText: e.newText })),
      }));
    }
    return f;
  });
}
