// Orders by UTF-16 code units: the same order on every machine and locale, and it needs no ICU collator, whose
// first use costs a noticeable part of a short `clan-backups check`.
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
