// `clan-backups` (dist/engine.js, started by launch.ts): `check`, `plan` and `calendar` run the analysis core; `lsp` serves it over LSP.
import { runCalendarCommand } from '../calendar';
import { initParsing } from '../parsing/parser';
import { runCheck } from './check';
import { runPlan } from './plan';

const USAGE = `usage: clan-backups <command> [args]

commands:
  check [--format text|json] [PATH ...]   diagnose a clan directory or clan.nix (exit 1 on errors)
  plan [--format text|json|markdown] [PATH]
                                          per machine: backup jobs, next runs, states, dumps, excludes and
                                          the data not backed up (for CI logs and pull-request comments)
  calendar [--iterations N] [--base-time TIME] EXPR ...
                                          like \`systemd-analyze calendar\`: normalized form, next elapses
  lsp [--stdio | --node-ipc]              run the language server
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = {
    stdout: (s: string) => process.stdout.write(s),
    stderr: (s: string) => process.stderr.write(s),
    cwd: process.cwd(),
  };
  switch (command) {
    case 'check':
      // launch.ts has set V8's flags for a one-shot run.
      return runCheck(rest, io);
    case 'plan':
      return runPlan(rest, io);
    case 'calendar': {
      const r = runCalendarCommand(rest, process.env.TZ === undefined ? {} : { TZ: process.env.TZ }, new Date());
      io.stdout(r.stdout);
      io.stderr(r.stderr);
      return r.exitCode;
    }
    case 'lsp':
      // The grammars compile on background threads while the server's modules load; `initialize` awaits the same
      // promise and reports its failure, if any.
      initParsing().catch(() => undefined);
      // Loaded only here: `check` and `plan` need neither the LSP library nor the editor features (a shorter start).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() would make main() async for one command
      (require('../lsp/server') as typeof import('../lsp/server')).startServer();
      return -1;
    case '-h':
    case '--help':
      io.stdout(USAGE);
      return 0;
    default:
      io.stderr(command ? `clan-backups: unknown command '${command}'\n${USAGE}` : USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`clan-backups: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
