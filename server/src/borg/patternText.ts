// What the borg modules share: how long a pattern may be before it is not judged (the matchers' work grows with
// it), and how a pattern or location is quoted in a message.

/** Longer patterns and paths are not judged: they are not what anyone writes, and matching them costs too much. */
export const MAX_JUDGED_LENGTH = 4096;

/** A pattern or location in backticks, clipped, with control characters visible. */
export function show(s: string): string {
  const clipped = s.length > 80 ? s.slice(0, 77) + '…' : s;
  const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  // eslint-disable-next-line no-control-regex -- control characters are what this makes visible
  const visible = clipped.replace(/[\u0000-\u001f\u007f]/g, hex);
  return '`' + visible + '`';
}
