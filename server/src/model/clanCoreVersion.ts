// The clan-core a clan is locked to, read from its flake.lock: the node its clan-core input resolves to. Some facts
// differ between versions; the one rules need is where the sops backend puts a machine's vars secrets. clan-core
// commit 4a00824f ("vars/directories: update all directories from all backends to use rel_dir", on main since
// 2026-08-03 11:18 UTC) moved them from /run/secrets/vars/<generator>/<file> to
// /run/secrets/vars/per-machine/<machine>/<generator>/<file> (nixosModules/clanCore/vars/secret/sops/default.nix,
// rel_dir in nixosModules/clanCore/vars/interface.nix). Release branches up to 26.05 were cut before it.

export interface ClanCoreVersion {
  /** The root input that is clan-core (usually `clan-core`). */
  input: string;
  rev?: string;
  /** Seconds since the epoch: when the locked revision was committed. */
  lastModified?: number;
  /** The branch or tag the input follows (`main`, `26.05`), from `original`. */
  ref?: string;
  /** Where it comes from, as `original` writes it. */
  url?: string;
  /** The vars secrets layout of that version; undefined when it cannot be told. */
  varsLayout?: 'per-machine' | 'flat';
}

const PER_MACHINE_SINCE = Date.UTC(2026, 7, 3, 11, 18, 18) / 1000;

interface LockNode {
  inputs?: Record<string, string | string[]>;
  locked?: Record<string, unknown>;
  original?: Record<string, unknown>;
}

function isClanCore(node: LockNode | undefined): boolean {
  for (const part of [node?.original, node?.locked]) {
    if (!part) continue;
    if (part.owner === 'clan-lol' && part.repo === 'clan-core') return true;
    if (typeof part.url === 'string' && /(^|[/:])clan(-lol)?\/clan-core(\.git)?([/?#]|$)/.test(part.url)) return true;
  }
  return false;
}

/** Follows an input reference: a node name, or a `follows` path of input names from the root. */
function resolveInput(nodes: Record<string, LockNode>, root: string, ref: string | string[]): string | undefined {
  if (typeof ref === 'string') return ref;
  let cur = root;
  for (const name of ref) {
    const next = nodes[cur]?.inputs?.[name];
    if (next === undefined) return undefined;
    const resolved = resolveInput(nodes, root, next);
    if (!resolved) return undefined;
    cur = resolved;
  }
  return cur;
}

/** The ref an `original` follows: its `ref`, or the branch in a tarball URL (`…/archive/26.05.tar.gz`). */
function refOf(original: Record<string, unknown> | undefined): string | undefined {
  if (!original) return undefined;
  if (typeof original.ref === 'string') return original.ref;
  const url = typeof original.url === 'string' ? original.url : undefined;
  const archive = url && /\/archive\/([^/?#]+?)\.(?:tar\.gz|tar\.xz|zip)(?:[?#].*)?$/.exec(url);
  if (archive) return archive[1];
  // A plain github:/git URL without a ref follows the default branch.
  return original.type === 'github' || original.type === 'git' ? 'main' : undefined;
}

function layoutOf(ref: string | undefined, lastModified: number | undefined): ClanCoreVersion['varsLayout'] {
  const release = ref && /^(?:release-)?(\d\d)\.(\d\d)$/.exec(ref);
  if (release) return Number(release[1]) * 100 + Number(release[2]) <= 2605 ? 'flat' : 'per-machine';
  if ((ref === 'main' || ref === 'master') && lastModified !== undefined) {
    return lastModified >= PER_MACHINE_SINCE ? 'per-machine' : 'flat';
  }
  return undefined;
}

/** The clan-core input of a flake.lock; undefined when the text is no lock file or has no clan-core. Never throws. */
export function readClanCoreVersion(lockText: string): ClanCoreVersion | undefined {
  let lock: { nodes?: Record<string, LockNode>; root?: string };
  try {
    lock = JSON.parse(lockText) as typeof lock;
  } catch {
    return undefined;
  }
  const nodes = lock?.nodes;
  if (!nodes || typeof nodes !== 'object') return undefined;
  const root = typeof lock.root === 'string' ? lock.root : 'root';
  const inputs = Object.entries(nodes[root]?.inputs ?? {});
  // The input named clan-core first; else any input that is clan-core.
  inputs.sort(([a], [b]) => Number(b === 'clan-core') - Number(a === 'clan-core'));
  for (const [input, ref] of inputs) {
    const name = resolveInput(nodes, root, ref);
    const node = name !== undefined ? nodes[name] : undefined;
    if (!node || !isClanCore(node)) continue;
    const v: ClanCoreVersion = { input };
    const locked = node.locked ?? {};
    if (typeof locked.rev === 'string') v.rev = locked.rev;
    if (typeof locked.lastModified === 'number') v.lastModified = locked.lastModified;
    const r = refOf(node.original);
    if (r) v.ref = r;
    const original = node.original ?? {};
    if (typeof original.url === 'string') v.url = original.url;
    else if (typeof original.owner === 'string' && typeof original.repo === 'string')
      v.url = `${String(original.type)}:${original.owner}/${original.repo}`;
    const layout = layoutOf(v.ref, v.lastModified);
    if (layout) v.varsLayout = layout;
    return v;
  }
  return undefined;
}

/** Where the borgbackup key of `machine` is under that layout (sops backend). */
export function borgKeyPath(layout: 'per-machine' | 'flat', machine: string): string {
  return layout === 'per-machine'
    ? `/run/secrets/vars/per-machine/${machine}/borgbackup/borgbackup.ssh`
    : '/run/secrets/vars/borgbackup/borgbackup.ssh';
}

/** A short description for hover and the tree: `clan-core main @ 1a2b3c4 (2026-08-22)`. */
export function describeClanCore(v: ClanCoreVersion): string {
  const date = v.lastModified !== undefined ? new Date(v.lastModified * 1000).toISOString().slice(0, 10) : undefined;
  return [`clan-core${v.ref ? ` ${v.ref}` : ''}`, v.rev ? `@ ${v.rev.slice(0, 7)}` : '', date ? `(${date})` : '']
    .filter(Boolean)
    .join(' ');
}
