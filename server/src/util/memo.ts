// A clan repeats the same destination, exclude and schedule strings on hundreds of machines, and every keystroke
// checks all of them again: the pure string analyses keep their last results. Results are shared, never mutated.

/** `fn` remembered for up to `max` distinct arguments (then forgotten all at once: no bookkeeping per call). */
export function memoizeString<R>(fn: (s: string) => R, max = 4096): (s: string) => R {
  const cache = new Map<string, R>();
  return (s: string): R => {
    const hit = cache.get(s);
    if (hit !== undefined || cache.has(s)) return hit as R;
    const r = fn(s);
    if (cache.size >= max) cache.clear();
    cache.set(s, r);
    return r;
  };
}
