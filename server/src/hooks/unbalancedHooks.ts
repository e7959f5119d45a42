// Unbalanced hooks: a pre hook that stops or pauses services, containers or VMs (systemctl, docker, podman, compose,
// virsh) which neither it (later) nor the post hook starts again, and the line that would. Pure over the hooks' text;
// whatever cannot be seen (opaque names, non-literal scripts, `eval`) keeps it quiet.
import type { TextEdit } from '../model/nixEdits';
import { StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';
import type { HookBinding, HookName, HookStateInput } from './hookInput';
import { ShellCommand, ShellScript, ShellSource, parseHookScript, restoreInterpolations } from './shellScript';
import { Action, classify, KNOWN_TOOLS, StopMode, Target } from './serviceActions';
import { appendLine, encodeShell } from './hookStringEdits';

export type { StopMode };

/** Something a pre hook stops that nothing starts again. */
export interface UnbalancedHook {
  preName: HookName;
  postName: HookName;
  /** What the two hooks surround: 'backup' or 'restore'. */
  what: string;
  mode: StopMode;
  /** What the targets are: 'unit', 'container', 'pod', 'service' (of a compose project) or 'domain'. */
  noun: string;
  /** The targets left stopped, as written. */
  targets: string[];
  /** The state has the post hook (which does not start them). */
  hasPost: boolean;
  /** The stopping command. */
  range: Range;
  /** The line that starts them again (as Nix source, interpolations as written) and the edits that add it. */
  fix?: { line: string; edits: TextEdit[] };
}

/** Does some start undo `mode` for `target`? Opaque or glob targets on either side count as "maybe", which is enough. */
function undone(target: Target, family: string, mode: StopMode, starts: Action[]): boolean {
  return starts.some(
    (s) =>
      s.family === family &&
      s.modes.includes(mode) &&
      (target.wild || s.targets.some((t) => t.wild || t.key === target.key)),
  );
}

/** A script we cannot read fully: a command with an opaque name, `eval` or `source` may start anything. */
function hasUnseenCommands(script: ShellScript): boolean {
  return script.commands.some(
    (c) => c.name === undefined || c.name === 'eval' || c.name === 'source' || c.name === '.',
  );
}

/** Some unknown command mentions the target by name (`my-restart postgresql`): it may well start it. */
function mentioned(target: Target, commands: ShellCommand[]): boolean {
  if (target.wild) return false;
  const bare = target.label.replace(/\.service$/, '');
  return commands.some(
    (c) =>
      c.name !== undefined &&
      !KNOWN_TOOLS.has(c.name) &&
      c.args.some((a) => a === target.label || a === bare || a === target.key),
  );
}

const PAIRS: Array<[HookName, HookName, string]> = [
  ['preBackupScript', 'postBackupScript', 'backup'],
  ['preRestoreScript', 'postRestoreScript', 'restore'],
];

/** The pre hooks' stops and pauses that neither the pre hook (later) nor the post hook undoes. */
export function unbalancedHooks(state: HookStateInput): UnbalancedHook[] {
  const out: UnbalancedHook[] = [];
  const lines = state.lines ?? new LineIndex(state.text);
  const parse = (value: StringValue) => parseHookScript(value, state.text, lines, state.bashTrees);
  for (const [preName, postName, what] of PAIRS) {
    const pre = state.hooks[preName];
    if (!pre || pre.value.kind !== 'string') continue;
    const preScript = parse(pre.value);
    if (preScript.hasError) continue;
    const post = state.hooks[postName];
    let postScript: ShellScript | undefined;
    if (post) {
      if (post.value.kind !== 'string') continue;
      postScript = parse(post.value);
      if (postScript.hasError || hasUnseenCommands(postScript)) continue;
    }
    const postActions = postScript ? postScript.commands.map(classify).filter((a): a is Action => a !== undefined) : [];
    const preActions = preScript.commands.map((c) => ({ c, a: classify(c) }));
    for (const { c, a } of preActions) {
      if (!a || a.kind !== 'stop') continue;
      const later = preScript.commands.filter((x) => x.order > c.order);
      if (later.some((x) => x.name === undefined || x.name === 'eval' || x.name === 'source' || x.name === '.'))
        continue;
      const laterStarts = later.map(classify).filter((s): s is Action => s !== undefined && s.kind === 'start');
      const starts = [...laterStarts, ...postActions.filter((s) => s.kind === 'start')];
      const mode = a.modes[0]!;
      const missing = a.targets.filter(
        (t) =>
          !undone(t, a.family, mode, starts) &&
          !mentioned(t, later) &&
          !(postScript && mentioned(t, postScript.commands)),
      );
      if (missing.length === 0) continue;
      const problem: UnbalancedHook = {
        preName,
        postName,
        what,
        mode,
        noun: a.noun,
        targets: missing.map((t) => t.label),
        hasPost: post !== undefined,
        range: a.cmd.range,
      };
      const fix = resumeFix(state, lines, preScript.source, a, missing, postName, post, postScript, pre);
      if (fix) problem.fix = fix;
      out.push(problem);
    }
  }
  return out;
}

function resumeFix(
  state: HookStateInput,
  lines: LineIndex,
  preSource: ShellSource,
  action: Action,
  missing: Target[],
  postName: HookName,
  post: HookBinding | undefined,
  postScript: ShellScript | undefined,
  pre: HookBinding,
): UnbalancedHook['fix'] {
  if (!action.resumePrefix || pre.value.kind !== 'string') return undefined;
  // Targets without a word of their own (xargs input, `--all`) are resumed the way they were stopped.
  const wordTargets = missing.filter((t) => t.word !== undefined);
  let shellLine: string;
  if (wordTargets.length === missing.length) {
    shellLine = `${action.resumePrefix} ${wordTargets.map((t) => t.word!.shellText).join(' ')}`;
  } else if (action.cmd.stdinFrom !== undefined && action.cmd.wrapperPrefix !== undefined) {
    shellLine = `${action.cmd.wrapperPrefix}${action.resumePrefix}`;
  } else if (missing.every((t) => t.key === '*')) {
    shellLine =
      action.family.startsWith('podman') && !action.family.includes('compose')
        ? `${action.resumePrefix} --all`
        : action.resumePrefix;
  } else {
    return undefined;
  }
  if (
    action.cmd.wrapper !== undefined &&
    action.cmd.stdinFrom === undefined &&
    action.cmd.wrapperPrefix !== undefined
  ) {
    shellLine = `${action.cmd.wrapperPrefix}${shellLine}`;
  }
  const line = restoreInterpolations(preSource, shellLine);
  if (post && postScript && post.value.kind === 'string') {
    const edit = appendLine(state, lines, post.value, encodeShell(preSource, shellLine, post.value.indented));
    return edit ? { line, edits: [edit] } : undefined;
  }
  // No post hook: a new binding right after the pre hook's, with the same indentation and attribute path prefix.
  const head = state.text.slice(pre.bindingStart, state.text.indexOf('=', pre.bindingStart)).trim();
  const preName = postName.startsWith('postBackup') ? 'preBackupScript' : 'preRestoreScript';
  const m = new RegExp(`(^|\\.)"?${preName}"?$`).exec(head);
  if (!m) return undefined;
  const attrpath = `${head.slice(0, m.index)}${m[1]}${postName}`;
  const lineStart = state.text.lastIndexOf('\n', pre.bindingStart - 1) + 1;
  const indent = state.text.slice(lineStart, pre.bindingStart);
  const body = encodeShell(preSource, shellLine, true);
  const newText = /^[ \t]*$/.test(indent)
    ? `\n${indent}${attrpath} = ''\n${indent}  ${body}\n${indent}'';`
    : ` ${attrpath} = "${encodeShell(preSource, `${shellLine}\n`, false)}";`;
  const at = lines.positionAt(pre.bindingEnd);
  return { line, edits: [{ uri: state.uri, range: { start: at, end: at }, newText }] };
}
