// A hook script (`preBackupScript = ''…''`) read as bash. Nix interpolations `${…}` become placeholder words the shell
// parser treats as opaque; every shell offset maps back to the Nix document, so findings land where the user typed.
import { ShellNode, ShellTree, shellTreeOf } from './shellTree';
import { literalOffset, StringValue } from '../model/nixValue';
import { LineIndex, Range } from '../model/range';

/** One `${…}` of the hook string, and where its placeholder sits in the shell text. */
export interface ShellInterpolation {
  placeholder: string;
  /** The Nix source of the interpolation, `${…}` included. */
  source: string;
  /** Document offsets and range of the interpolation. */
  start: number;
  end: number;
  range: Range;
  /** Offsets of the placeholder in the shell text. */
  shellStart: number;
  shellEnd: number;
}

/** The shell text of a hook, with the document offsets of each of its characters. */
export interface ShellSource {
  text: string;
  interpolations: ShellInterpolation[];
  /** `docStart[i]`/`docEnd[i]`: document offsets where shell character i starts and ends. */
  docStart: number[];
  docEnd: number[];
  /** True for `''…''` strings (the encoding a fix must use when it writes into this string). */
  indented: boolean;
}

export interface ShellWord {
  /** The decoded value for literal words; otherwise the source with `${…}` restored and whitespace collapsed. */
  text: string;
  /** False when the word contains an interpolation, an expansion (`$x`) or a substitution (`$(…)`). */
  literal: boolean;
  hasInterpolation: boolean;
  /** The decoded value with placeholders left in (`__NIX_INTERP_0__/bin/docker`), or undefined with expansions. */
  value: string | undefined;
  /** Shell text of the word, placeholders included. */
  shellText: string;
  shellStart: number;
  shellEnd: number;
  /** Document offsets and range. */
  start: number;
  end: number;
  range: Range;
}

export interface ShellCommand {
  /** Basename of the command; undefined when the name is opaque (an interpolation or an expansion). */
  name: string | undefined;
  /** True for `${pkgs.docker}/bin/docker`-style names: a store path that PATH does not matter for. */
  hasStorePath: boolean;
  /** True when the name contains a `/` (absolute, relative or store path): no PATH lookup happens. */
  isPath: boolean;
  /** Literal arguments decoded; opaque ones as their source text (`$(docker ps -q)`, `${units}`). */
  args: string[];
  argWords: ShellWord[];
  nameWord: ShellWord;
  /** The whole command and its name, in the Nix document. */
  range: Range;
  nameRange: Range;
  start: number;
  end: number;
  /** Position in the shell text, for "before"/"after" questions; trap bodies sort after everything. */
  order: number;
  /** `PATH=… cmd` or `env PATH=… cmd`: this command is looked up on a PATH the script chose. */
  pathOverride: boolean;
  inFunction: boolean;
  /** Inside the action of `trap '…' EXIT` (runs when the script ends). */
  inTrap: boolean;
  /** Set when this command was found as the argument of a wrapper (`timeout 10 docker ps` → docker). */
  wrapper?: string;
  /** For the command after `xargs`: the shell text of the pipeline stages before it (what feeds its arguments). */
  stdinFrom?: string;
  /** For wrapped commands: the shell text before the name (`timeout 30 `, `docker ps -q | xargs -r `). */
  wrapperPrefix?: string;
}

export interface PathSetting {
  /** 'assignment' for `PATH=…`/`export PATH=…`; 'unknown' for `source`, `.` and `eval`, which may set it. */
  kind: 'assignment' | 'unknown';
  order: number;
  inFunction: boolean;
  range: Range;
  start: number;
  end: number;
}

export interface ShellScript {
  source: ShellSource;
  commands: ShellCommand[];
  pathSettings: PathSetting[];
  /** Names of functions the script defines (calls to them are no PATH lookups). */
  functions: Set<string>;
  /** The shell parser found a syntax error: command lists may be incomplete, rules should stay quiet. */
  hasError: boolean;
}

const PLACEHOLDER_BASE = '__NIX_INTERP_';

/** Builds the shell text of a hook string. `docText` is the whole Nix document the value was read from. */
export function buildShellSource(value: StringValue, docText: string, docLines: LineIndex): ShellSource {
  const literalText = value.pieces.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  // A script that already contains our prefix gets a longer one, so placeholders stay unambiguous.
  let prefix = PLACEHOLDER_BASE;
  while (literalText.includes(prefix)) prefix = `_${prefix}`;
  let text = '';
  const docStart: number[] = [];
  const docEnd: number[] = [];
  const interpolations: ShellInterpolation[] = [];
  const base = literalOffset(value, docLines);
  for (const piece of value.pieces) {
    if (piece.kind === 'text') {
      for (let i = 0; i < piece.text.length; i++) {
        const off = base + piece.offsets[i]!;
        // `''$` writes a literal `$`: a range starting there should cover the escape too.
        const escapedDollar =
          value.indented && piece.text[i] === '$' && docText.startsWith("''", off - 2) && docText[off - 3] !== "'";
        docStart.push(escapedDollar ? off - 2 : off);
        docEnd.push(off + encodedLength(docText, off, value.indented));
      }
      text += piece.text;
    } else {
      const placeholder = `${prefix}${interpolations.length}__`;
      interpolations.push({
        placeholder,
        source: piece.source,
        start: base + piece.start,
        end: base + piece.end,
        range: piece.range,
        shellStart: text.length,
        shellEnd: text.length + placeholder.length,
      });
      for (let i = 0; i < placeholder.length; i++) {
        docStart.push(base + piece.start);
        docEnd.push(base + piece.end);
      }
      text += placeholder;
    }
  }
  // Offsets at the very end of the text map to the end of the last character (or the string's content start).
  const tail = docEnd.length > 0 ? docEnd[docEnd.length - 1]! : base + (value.indented ? 2 : 1);
  docStart.push(tail);
  docEnd.push(tail);
  return { text, interpolations, docStart, docEnd, indented: value.indented };
}

/** How many document characters produced one decoded character: escapes (`'''`, `''\n`, `\"`) are longer than 1. */
function encodedLength(docText: string, off: number, indented: boolean): number {
  // The Nix lexer always reads these sequences as escapes, so their presence at the offset is decisive.
  if (indented) {
    if (docText.startsWith("'''", off)) return 3;
    if (docText.startsWith("''\\", off)) return 4;
    return 1;
  }
  return docText[off] === '\\' ? 2 : 1;
}

/** Document offsets of the shell range [start, end). */
export function docOffsets(src: ShellSource, start: number, end: number): { start: number; end: number } {
  const s = src.docStart[Math.min(start, src.docStart.length - 1)]!;
  const e = end > start ? src.docEnd[Math.min(end - 1, src.docEnd.length - 1)]! : s;
  return { start: s, end: Math.max(s, e) };
}

/** Replaces placeholders by the `${…}` they stand for (for messages and for writing text back into Nix). */
export function restoreInterpolations(src: ShellSource, shellText: string): string {
  let out = shellText;
  for (const i of src.interpolations) out = out.split(i.placeholder).join(i.source);
  return out;
}

export function containsPlaceholder(src: ShellSource, shellText: string): boolean {
  return src.interpolations.some((i) => shellText.includes(i.placeholder));
}

/** Parses a hook string as bash and collects its commands, PATH settings and functions. */
// Each hook is read by several rules. A value object stands for one script: it is shared between document versions
// while its text is unchanged, even when an edit above moved it (model/incrementalRead.ts), so the script (which
// holds document offsets) is reused only while the literal also starts at the same offset. Kept for the value's
// lifetime (a WeakMap on the value): the script is a function of the value's text and that offset, whoever asks.
// The literal's line and character are compared too: an edit above that keeps the length but not the line count (a
// space replaced by a line break) moves the value in place and leaves its offset as it was.
const parsedScripts = new WeakMap<StringValue, { at: number; line: number; character: number; script: ShellScript }>();

export function parseHookScript(
  value: StringValue,
  docText: string,
  lines?: LineIndex,
  trees?: BashTrees,
): ShellScript {
  const docLines = lines ?? new LineIndex(docText);
  const at = literalOffset(value, docLines);
  const cached = parsedScripts.get(value);
  const { line, character } = value.literal.start;
  if (cached?.at === at && cached.line === line && cached.character === character) return cached.script;
  const source = buildShellSource(value, docText, docLines);
  const script = analyzeShellSource(source, docLines, trees);
  parsedScripts.set(value, { at, line, character, script });
  return script;
}

export function analyzeShellSource(source: ShellSource, lines: LineIndex, trees?: BashTrees): ShellScript {
  const script: ShellScript = { source, commands: [], pathSettings: [], functions: new Set(), hasError: false };
  collect(script, source, lines, { inFunction: false, inTrap: false, trees });
  return script;
}

interface Context {
  inFunction: boolean;
  inTrap: boolean;
  /** The caller's tree cache, if any (trap actions are parsed as scripts of their own). */
  trees: BashTrees | undefined;
}

/**
 * Parsed bash trees by shell text, least recently used first, owned by whoever runs analyses (one per language server
 * or CLI run, in the AnalysisMemo). A keystroke re-reads the whole clan.nix, but its hook scripts rarely change:
 * re-parsing thousands of them per keystroke was the largest cost of a big clan. The trees are plain copies
 * (shellTree.ts), which the hooks sharing a text walk without calling into WebAssembly.
 */
export class BashTrees {
  private readonly trees = new Map<string, ShellTree>();

  constructor(private readonly max = 4096) {}

  /** The tree of `text`, parsed now or kept from before. */
  get(text: string): ShellTree {
    const hit = this.trees.get(text);
    if (hit) {
      this.trees.delete(text);
      this.trees.set(text, hit);
      return hit;
    }
    const tree = shellTreeOf(text);
    this.trees.set(text, tree);
    if (this.trees.size > this.max) this.trees.delete(this.trees.keys().next().value as string);
    return tree;
  }
}

function collect(script: ShellScript, src: ShellSource, lines: LineIndex, ctx: Context): void {
  // Without a cache of the caller's, the tree is parsed for this script alone.
  const tree = ctx.trees ? ctx.trees.get(src.text) : shellTreeOf(src.text);
  if (tree.hasError) script.hasError = true;
  const visit = (node: ShellNode, c: Context): void => {
    switch (node.type) {
      case 'function_definition': {
        if (node.name) script.functions.add(node.name.text);
        for (const child of node.namedChildren) visit(child, { ...c, inFunction: true });
        return;
      }
      case 'command':
        addCommand(script, src, lines, node, c);
        break;
      case 'declaration_command':
      case 'variable_assignment':
        if (
          node.type === 'variable_assignment' &&
          (node.parent?.type === 'command' || node.parent?.type === 'declaration_command')
        )
          break;
        addPathAssignments(script, src, lines, node, c);
        break;
    }
    for (const child of node.namedChildren) visit(child, c);
  };
  visit(tree.root, ctx);
}

function addPathAssignments(
  script: ShellScript,
  src: ShellSource,
  lines: LineIndex,
  node: ShellNode,
  c: Context,
): void {
  const assignments =
    node.type === 'variable_assignment' ? [node] : node.namedChildren.filter((n) => n.type === 'variable_assignment');
  for (const a of assignments) {
    if (a.name?.text !== 'PATH') continue;
    script.pathSettings.push({
      kind: 'assignment',
      order: c.inTrap ? Infinity : a.startIndex,
      inFunction: c.inFunction,
      ...place(src, lines, node),
    });
  }
}

function place(
  src: ShellSource,
  lines: LineIndex,
  node: { startIndex: number; endIndex: number },
): { start: number; end: number; range: Range } {
  const { start, end } = docOffsets(src, node.startIndex, node.endIndex);
  return { start, end, range: lines.rangeOf(start, end) };
}

/** Reads one shell word. Literal words are decoded the way bash would before running the command. */
function readWord(src: ShellSource, lines: LineIndex, node: ShellNode): ShellWord {
  const shellText = node.text;
  const value = decodeWord(node);
  const hasInterpolation = containsPlaceholder(src, shellText);
  const literal = value !== undefined && !hasInterpolation;
  const text = literal ? value : restoreInterpolations(src, shellText).replace(/\s+/g, ' ');
  return {
    text,
    literal,
    hasInterpolation,
    value,
    shellText,
    shellStart: node.startIndex,
    shellEnd: node.endIndex,
    ...place(src, lines, node),
  };
}

/** The value of a word without expansions, or undefined when it holds `$x`, `$(…)`, globs are left as written. */
function decodeWord(node: ShellNode): string | undefined {
  switch (node.type) {
    case 'word':
    case 'number':
      return node.text.replace(/\\\n/g, '').replace(/\\(.)/g, '$1');
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string': {
      let out = '';
      for (const part of node.namedChildren) {
        if (part.type !== 'string_content') return undefined;
        out += part.text.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');
      }
      return out;
    }
    case 'concatenation': {
      let out = '';
      for (const part of node.namedChildren) {
        const v = decodeWord(part);
        if (v === undefined) return undefined;
        out += v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

// Commands that run their arguments as a command, and how many of their own arguments to skip first.
const WRAPPERS: Record<string, { valueOptions: string[]; positional: number }> = {
  exec: { valueOptions: ['-a'], positional: 0 },
  command: { valueOptions: [], positional: 0 },
  nohup: { valueOptions: [], positional: 0 },
  nice: { valueOptions: ['-n', '--adjustment'], positional: 0 },
  timeout: { valueOptions: ['-s', '--signal', '-k', '--kill-after'], positional: 1 },
  stdbuf: { valueOptions: ['-i', '-o', '-e', '--input', '--output', '--error'], positional: 0 },
  env: { valueOptions: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'], positional: 0 },
  xargs: {
    valueOptions: [
      '-I',
      '-n',
      '-P',
      '-L',
      '-d',
      '-a',
      '-E',
      '-s',
      '--max-args',
      '--max-procs',
      '--max-lines',
      '--delimiter',
      '--arg-file',
      '--eof',
      '--max-chars',
      '--replace',
    ],
    positional: 0,
  },
};

function addCommand(script: ShellScript, src: ShellSource, lines: LineIndex, node: ShellNode, c: Context): void {
  const nameNode = node.name;
  if (!nameNode) return;
  const nameWordNode = nameNode.firstNamedChild ?? nameNode;
  const nameWord = readWord(src, lines, nameWordNode);
  const argWords = node.arguments.map((n) => readWord(src, lines, n));
  const pathOverride = node.namedChildren.some((n) => n.type === 'variable_assignment' && n.name?.text === 'PATH');
  const whole = place(src, lines, node);
  const order = c.inTrap ? Infinity : node.startIndex;
  const cmd = makeCommand(src, nameWord, argWords, whole, order, pathOverride, c);
  script.commands.push(cmd);

  if (cmd.name === 'source' || cmd.name === '.' || cmd.name === 'eval') {
    script.pathSettings.push({ kind: 'unknown', order, inFunction: c.inFunction, ...whole });
  }
  if (cmd.name === 'trap' && !cmd.isPath) addTrapBody(script, src, lines, argWords, c);
  // Wrappers: the wrapped command is a command too (`timeout 30 systemctl stop x` stops x).
  let current = cmd;
  for (let depth = 0; depth < 4; depth++) {
    const inner = unwrap(src, current, whole, order, c);
    if (!inner) break;
    let prefixStart = node.startIndex;
    if (current.name === 'xargs') {
      inner.stdinFrom = pipelineInput(node, src);
      if (inner.stdinFrom !== undefined) prefixStart = node.parent!.startIndex;
    }
    inner.wrapperPrefix = src.text.slice(prefixStart, inner.nameWord.shellStart);
    script.commands.push(inner);
    current = inner;
  }
}

function makeCommand(
  src: ShellSource,
  nameWord: ShellWord,
  argWords: ShellWord[],
  whole: { start: number; end: number; range: Range },
  order: number,
  pathOverride: boolean,
  c: Context,
): ShellCommand {
  const { name, hasStorePath, isPath } = commandName(src, nameWord);
  return {
    name,
    hasStorePath,
    isPath,
    args: argWords.map((w) => w.text),
    argWords,
    nameWord,
    range: whole.range,
    nameRange: nameWord.range,
    start: whole.start,
    end: whole.end,
    order,
    pathOverride,
    inFunction: c.inFunction,
    inTrap: c.inTrap,
  };
}

/** `docker` → docker; `/run/current-system/sw/bin/docker` → docker; `${pkgs.docker}/bin/docker` → docker (store path). */
function commandName(
  src: ShellSource,
  word: ShellWord,
): { name: string | undefined; hasStorePath: boolean; isPath: boolean } {
  if (word.value === undefined) return { name: undefined, hasStorePath: false, isPath: false };
  if (!word.hasInterpolation) {
    const isPath = word.value.includes('/');
    return { name: isPath ? basename(word.value) : word.value, hasStorePath: false, isPath };
  }
  // Only `${…}/…/name` is readable: an interpolation first, then a literal path without further interpolations.
  const first = src.interpolations.find((i) => word.value!.startsWith(i.placeholder));
  if (first) {
    const rest = word.value.slice(first.placeholder.length);
    if (rest.startsWith('/') && !containsPlaceholder(src, rest) && basename(rest) !== '') {
      return { name: basename(rest), hasStorePath: true, isPath: true };
    }
  }
  return { name: undefined, hasStorePath: false, isPath: word.value.includes('/') };
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function unwrap(
  src: ShellSource,
  cmd: ShellCommand,
  whole: { start: number; end: number; range: Range },
  order: number,
  c: Context,
): ShellCommand | undefined {
  if (cmd.name === undefined || (cmd.isPath && !cmd.hasStorePath && !cmd.nameWord.value?.startsWith('/')))
    return undefined;
  const spec = WRAPPERS[cmd.name];
  if (!spec) return undefined;
  const words = cmd.argWords;
  let i = 0;
  let pathOverride = cmd.pathOverride;
  while (i < words.length) {
    const w = words[i]!;
    if (!w.literal) return undefined;
    if (w.text === '--') {
      i++;
      break;
    }
    if (cmd.name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) {
      if (w.text.startsWith('PATH=')) pathOverride = true;
      i++;
      continue;
    }
    if (!w.text.startsWith('-') || w.text === '-') break;
    // `command -v x` and `env -i` change what the rest means: stop there rather than guess.
    if (
      (cmd.name === 'command' && /^-[vV]/.test(w.text)) ||
      (cmd.name === 'env' && (w.text === '-i' || w.text === '--ignore-environment'))
    ) {
      return undefined;
    }
    i += spec.valueOptions.includes(w.text) ? 2 : 1;
  }
  i += spec.positional;
  const nameWord = words[i];
  if (!nameWord) return undefined;
  const inner = makeCommand(src, nameWord, words.slice(i + 1), whole, order, pathOverride, c);
  // The wrapped command reaches from its name to the end of the wrapper's arguments.
  const last = words[words.length - 1]!;
  inner.start = nameWord.start;
  inner.end = last.end;
  inner.range = { start: nameWord.range.start, end: last.range.end };
  inner.wrapper = cmd.name;
  return inner;
}

/** For `a | b | xargs c`: the text of `a | b`, so two hooks feeding xargs the same way can be compared. */
function pipelineInput(node: ShellNode, src: ShellSource): string | undefined {
  const pipeline = node.parent;
  if (!pipeline || pipeline.type !== 'pipeline') return undefined;
  const before = pipeline.namedChildren.filter((n) => n.endIndex <= node.startIndex);
  if (before.length === 0) return undefined;
  return restoreInterpolations(src, src.text.slice(before[0]!.startIndex, before[before.length - 1]!.endIndex)).replace(
    /\s+/g,
    ' ',
  );
}

/** `trap 'systemctl start x' EXIT`: the action is shell too, run when the script ends. */
function addTrapBody(script: ShellScript, src: ShellSource, lines: LineIndex, args: ShellWord[], c: Context): void {
  const action = args[0];
  if (!action || action.value === undefined || action.text === '-' || action.text.startsWith('-') || args.length < 2)
    return;
  const body = action.value;
  // Quoted text without escapes maps character by character; anything else maps to the whole word.
  const inner = action.shellText.slice(1, -1);
  const oneToOne = inner === body && /^['"]/.test(action.shellText);
  const docStart: number[] = [];
  const docEnd: number[] = [];
  for (let i = 0; i <= body.length; i++) {
    if (oneToOne) {
      const p = action.shellStart + 1 + i;
      docStart.push(src.docStart[p]!);
      docEnd.push(src.docEnd[p]!);
    } else {
      docStart.push(action.start);
      docEnd.push(action.end);
    }
  }
  const sub: ShellSource = { text: body, interpolations: src.interpolations, docStart, docEnd, indented: src.indented };
  collect(script, sub, lines, { ...c, inTrap: true });
}

/** True when the script sets PATH (or may have, through `source`/`eval`) before `cmd` runs. */
export function pathSetBefore(script: ShellScript, cmd: ShellCommand): boolean {
  if (cmd.pathOverride) return true;
  return script.pathSettings.some((p) =>
    // A function body or trap action runs whenever it is called: any setting anywhere may come first.
    cmd.inFunction || cmd.inTrap || p.inFunction ? true : p.order < cmd.order,
  );
}
