// Literal strings of destinations and the server address, judged with borg's own reading of them
// (anchors-and-formats.md §4): `repo`, `rsh`, `exclude` entries, server `address`.
import { analyzeAddress, analyzeExclude, analyzeRepo, analyzeRsh, parseBorgLocation } from '../borg';
import { finding, Finding, Fix } from '../findings';
import type { ClanModel } from '../model/clanModel';
import { asAttrs, NixValue, StringValue } from '../model/nixValue';
import { settingsLayers } from '../model/settingsLayers';
import { memoizeString } from '../util/memo';
import { nixStringLiteral, rangeInString } from './valueRanges';

const repoProblems = memoizeString(analyzeRepo);
const addressProblems = memoizeString(analyzeAddress);
const excludeProblems = memoizeString(analyzeExclude);
const location = memoizeString(parseBorgLocation);
// rsh is judged together with its repo (the port and user must agree): remembered per rsh, then per repo.
const rshProblems = memoizeString((rsh: string) => memoizeString((repo: string) => {
  const parsed = repo ? location(repo) : undefined;
  return analyzeRsh(rsh, parsed?.ok ? parsed : undefined);
}));

interface Problem {
  code: Finding['code'];
  message: string;
  start: number;
  end: number;
  fixes?: string[];
}

function literal(v: NixValue | undefined): StringValue | undefined {
  return v?.kind === 'string' && v.value !== undefined ? v : undefined;
}

function report(model: ClanModel, v: StringValue, problems: Problem[], out: Finding[]): void {
  for (const p of problems) {
    const fixes: Fix[] = (p.fixes ?? []).map((text, i) => ({
      title: `Use "${text}"`, isPreferred: i === 0,
      edits: [{ uri: v.uri, range: v.literal, newText: nixStringLiteral(text) }],
    }));
    out.push(finding(p.code, v.uri, rangeInString(model, v, p.start, p.end), p.message, fixes));
  }
}

export function checkDestinations(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  for (const inst of model.instances) {
    if (!inst.isBorgbackup) continue;
    for (const layer of settingsLayers(inst)) {
      const settings = asAttrs(layer.value);
      if (!settings) continue;
      if (layer.role.name === 'server') {
        const address = literal(settings.entries.get('address')?.value);
        if (address) report(model, address, addressProblems(address.value!), out);
        continue;
      }
      if (layer.role.name !== 'client') continue;
      for (const d of asAttrs(settings.entries.get('destinations')?.value)?.entries.values() ?? []) {
        const dest = asAttrs(d.value);
        const repo = literal(dest?.entries.get('repo')?.value);
        const rsh = literal(dest?.entries.get('rsh')?.value);
        if (repo) report(model, repo, repoProblems(repo.value!), out);
        if (rsh) report(model, rsh, rshProblems(rsh.value!)(repo?.value ?? ''), out);
      }
      const exclude = settings.entries.get('exclude')?.value;
      if (exclude?.kind === 'list') {
        for (const item of exclude.items) {
          const s = literal(item);
          if (s) report(model, s, excludeProblems(s.value!), out);
        }
      }
    }
  }
  return out;
}
