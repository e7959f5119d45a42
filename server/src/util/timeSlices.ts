// Long work in the language server's event loop, done in slices so that requests and notifications are answered in
// between. The work is a generator whose every `yield` is a point where it may stop for a while; synchronous callers
// (the CLI) run it straight through and pay nothing but the generator's steps.
import { performance } from 'node:perf_hooks';

export type Steps<T> = Generator<void, T, void>;

/** A time budget per slice, shared by every phase of one piece of work. */
export class TimeSlices {
  private start = performance.now();

  constructor(private readonly sliceMs: number) {}

  /** True when the current slice has used its budget. */
  get due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }

  /** Gives the event loop a turn; setImmediate comes after pending I/O, so messages that arrived are read first. */
  async pause(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.start = performance.now();
  }
}

export function runAll<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * `steps` in slices. After each pause `stale()` is asked whether what happened meanwhile makes the result useless;
 * then the work stops and the answer is undefined.
 */
export async function runInSlices<T>(
  steps: Steps<T>,
  slices: TimeSlices,
  stale: () => boolean,
): Promise<{ value: T } | undefined> {
  for (;;) {
    const r = steps.next();
    if (r.done) return { value: r.value };
    if (slices.due) {
      await slices.pause();
      if (stale()) return undefined;
    }
  }
}
