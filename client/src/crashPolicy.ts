// What to do when the language server dies: restart it, tell the user once, and give up (with one more message)
// only when it keeps crashing. vscode-languageclient's default shows a message per crash; a crash loop would then
// bury the user in toasts. Pure, so it is tested without VS Code.

export interface CrashDecision {
  restart: boolean;
  /** A message to show the user, or undefined to stay quiet (the output channel has the details). */
  message?: string;
}

export class CrashPolicy {
  private crashes: number[] = [];
  private told = false;

  constructor(
    private readonly maxCrashes = 5,
    private readonly windowMs = 3 * 60 * 1000,
  ) {}

  onClosed(now = Date.now()): CrashDecision {
    this.crashes = [...this.crashes.filter((t) => now - t < this.windowMs), now];
    if (this.crashes.length > this.maxCrashes) {
      return {
        restart: false,
        message: `The Clan Backups language server crashed ${this.crashes.length} times in ${Math.round(this.windowMs / 60000)} minutes and was not restarted. Run "Clan Backups: Restart language server" after looking at the output.`,
      };
    }
    if (this.told) return { restart: true };
    this.told = true;
    return { restart: true, message: 'The Clan Backups language server stopped unexpectedly and was restarted.' };
  }

  /** A manual restart starts the count afresh. */
  reset(): void {
    this.crashes = [];
  }
}
