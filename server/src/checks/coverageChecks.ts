// `service-not-backed-up`: a backup client enables a stateful NixOS service whose data no state folder (or
// PostgreSQL dump) covers. The facts per service are in model/nixosServices.ts, the judgement in
// model/backupCoverage.ts; this module turns it into findings with a fix that adds the missing state.
import { finding, Finding, TextEdit } from '../findings';
import { backupCoverage, UncoveredService } from '../model/backupCoverage';
import type { ClanModel, Machine } from '../model/clanModel';
import { insertAtPath, insertBindingsAtPath, nixAttrName, nixString } from '../model/nixEdits';
import { Range, sameRange } from '../model/range';
import { AttrsValue, asAttrs, NixValue } from '../model/nixValue';
import type { SourceFile } from '../model/sourceFile';

export function checkCoverage(model: ClanModel): Finding[] {
  return backupCoverage(model).uncovered.map((u) => {
    const what = [
      ...u.dirs.map((d) => `\`${d}\``),
      ...(u.database
        ? [
            `its PostgreSQL database \`${u.database}\` (a folder copy of a running database is not a backup: it needs a dump, \`clan.core.postgresql.databases.${nixAttrName(u.database)}\`)`,
          ]
        : []),
    ].join(' and ');
    const fix = coverageFix(model, u);
    return finding(
      'service-not-backed-up',
      u.enable.uri,
      u.enable.range,
      `\`services.${u.service.name}\` keeps its data in ${what}, which no \`clan.core.state\` of \`${u.machine}\` backs up: Clan archives only state folders, so every backup succeeds without it.`,
      fix ? [fix] : undefined,
    );
  });
}

/** Where a binding goes in the machine module that enables the service: its attribute set, with a path prefix. */
function moduleTarget(
  model: ClanModel,
  m: Machine,
  config: NixValue,
): { file: SourceFile; root: AttrsValue; prefix: string[] } | undefined {
  const file = model.files.find((f) => f.uri === config.uri);
  const attrs = asAttrs(config);
  if (!file || !attrs) return undefined;
  if (!attrs.implicit) return { file, root: attrs, prefix: [] };
  const root = asAttrs(file.root);
  if (!root || file.kind !== 'clan') return undefined;
  return { file, root, prefix: ['machines', m.name] };
}

function hookLines(verb: 'stop' | 'start', units: string[]): string {
  return `''\n${units.map((u) => `  systemctl ${verb} ${u}`).join('\n')}\n''`;
}

/** A state named after the service with its folders (and hooks that stop its writers), and a dump for its database. */
function coverageFix(
  model: ClanModel,
  u: UncoveredService,
): { title: string; edits: TextEdit[]; isPreferred: boolean } | undefined {
  const m = model.machines.get(u.machine);
  if (!m) return undefined;
  const target = moduleTarget(model, m, u.config);
  if (!target) return undefined;
  const edits: TextEdit[] = [];
  const name = u.service.name;
  if (u.dirs.length > 0) {
    // A state of that name already exists elsewhere: merging into it is the user's call.
    if (m.states.some((s) => s.name === name)) return undefined;
    const body = [`folders = [ ${u.dirs.map(nixString).join(' ')} ];`];
    if (u.service.units.length > 0) {
      body.push(`preBackupScript = ${hookLines('stop', u.service.units).split('\n').join('\n  ')};`);
      body.push(`postBackupScript = ${hookLines('start', u.service.units).split('\n').join('\n  ')};`);
    }
    const edit = insertBindingsAtPath(
      target.file,
      target.root,
      [...target.prefix, 'clan', 'core', 'state'],
      [[name, `{\n  ${body.join('\n  ')}\n}`]],
    );
    if (!edit) return undefined;
    edits.push(edit);
  }
  if (u.database) {
    const db = u.database;
    const lines = ['create.enable = false;'];
    // The dump's state is named by `service`; the folders' state above already has the service's name.
    if (u.dirs.length > 0 && db === name) lines.push(`service = ${nixString(`${db}-db`)};`);
    if (u.service.units.length > 0)
      lines.push(`restore.stopOnRestore = [ ${u.service.units.map(nixString).join(' ')} ];`);
    const dbValue = `{\n  ${lines.join('\n  ')}\n}`;
    const pg = [...target.prefix, 'clan', 'core', 'postgresql'];
    // A new `clan.core.postgresql` block with the database, or the database added to the block already there.
    const block = `{\n  enable = true;\n  databases.${nixAttrName(db)} = ${dbValue.split('\n').join('\n  ')};\n}`;
    const edit =
      insertAtPath(target.file, target.root, pg, block) ??
      insertAtPath(target.file, target.root, [...pg, 'databases', db], dbValue);
    if (!edit) return undefined;
    const first = edits[0];
    if (first && sameRange(first.range, edit.range)) {
      // Both go to the same place: one insertion holds both; a replacement there (a one-line `{ }`) cannot.
      if (!isEmpty(edit.range)) return undefined;
      first.newText += edit.newText;
    } else edits.push(edit);
  }
  return {
    title: `Back up ${name}: add ${u.dirs.length ? `clan.core.state.${name}` : ''}${u.dirs.length && u.database ? ' and ' : ''}${u.database ? `a dump of database ${u.database}` : ''}`,
    edits,
    isPreferred: true,
  };
}

function isEmpty(r: Range): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}
