// meta.name / meta.domain (clan-core modules/inventoryClass/meta.nix) and syntax errors.
import { finding, Finding } from '../findings';
import type { ClanModel } from '../model/clanModel';

const CLAN_NAME = /^[a-zA-Z0-9_-]+$/;
/** `{{name}}`: a template placeholder (clan templates), filled in before Nix ever sees it. */
export const TEMPLATE_PLACEHOLDER = /\{\{[^}]*\}\}/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function checkMeta(model: ClanModel): Finding[] {
  const out: Finding[] = [];
  const clan = model.clanFile;
  const name = model.meta.name?.value;
  // A file read alone may be one module of a clan whose meta is elsewhere.
  if (
    clan &&
    !model.lone &&
    model.inventory &&
    !model.meta.name &&
    model.root &&
    !model.root.dynamicKeys &&
    !model.root.entries.has('imports') &&
    isReadableMeta(model)
  ) {
    out.push(
      finding(
        'missing-clan-name',
        model.inventory.value.uri,
        model.inventory.keyRange,
        'The clan has no `meta.name`: it is required. Add `meta.name = "my-clan";` (unique among the clans you use).',
      ),
    );
  }
  if (
    name?.kind === 'string' &&
    name.value !== undefined &&
    !CLAN_NAME.test(name.value) &&
    !TEMPLATE_PLACEHOLDER.test(name.value)
  ) {
    out.push(
      finding(
        'invalid-clan-name',
        name.uri,
        name.range,
        `\`meta.name\` "${name.value}" may only hold letters, digits, \`_\` and \`-\`.`,
        [
          {
            title: `Use "${name.value.replace(/[^a-zA-Z0-9_-]+/g, '-')}"`,
            edits: [
              { uri: name.uri, range: name.literal, newText: `"${name.value.replace(/[^a-zA-Z0-9_-]+/g, '-')}"` },
            ],
          },
        ],
      ),
    );
  }
  const domain = model.meta.domain?.value;
  if (
    domain?.kind === 'string' &&
    domain.value !== undefined &&
    !DOMAIN.test(domain.value) &&
    !TEMPLATE_PLACEHOLDER.test(domain.value)
  ) {
    const fixed = domain.value.toLowerCase().replace(/_/g, '-').replace(/\.$/, '');
    out.push(
      finding(
        'invalid-domain',
        domain.uri,
        domain.range,
        `\`meta.domain\` "${domain.value}" must be lowercase DNS labels (letters, digits, inner \`-\`, 1–63 characters each, no trailing dot): machines are reached as \`<machine>.${domain.value}\`.`,
        DOMAIN.test(fixed)
          ? [{ title: `Use "${fixed}"`, edits: [{ uri: domain.uri, range: domain.literal, newText: `"${fixed}"` }] }]
          : undefined,
      ),
    );
  }
  return out;
}

/** `meta` written as something we cannot read (a variable, an import) may well hold a name. */
function isReadableMeta(model: ClanModel): boolean {
  const meta = model.root?.entries.get('meta');
  return !meta || meta.value.kind === 'attrs';
}

export function checkSyntax(model: ClanModel): Finding[] {
  return model.files.flatMap((f) => f.syntaxProblems.map((p) => finding('syntax-error', f.uri, p.range, p.message)));
}
