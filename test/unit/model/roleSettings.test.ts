// The role-settings table (server/src/model/roleSettings.ts) against what is derived from it: every setting the
// schema accepts has docs at every settings layer, and none is documented that the schema rejects; every literal
// default passes its own schema; a snippet that offers a placeholder for a literal default offers that default.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod/mini';
import { childOptions, lookupOption } from '../../../server/src/language/optionDocs';
import {
  isCollection,
  ROLE_KINDS,
  ROLE_SCHEMAS,
  ROLE_TABLE,
  RoleSpec,
  Setting,
} from '../../../server/src/model/roleSettings';

const LAYERS = [['settings'], ['machines', 'web', 'settings'], ['tags', 'all', 'settings']];

function specOf(kind: (typeof ROLE_KINDS)[number]): RoleSpec {
  return ROLE_TABLE[kind];
}

/** The keys zod accepts at `path` of a role's settings (properties of its JSON Schema). */
function schemaKeys(schema: z.ZodMiniType, path: string[]): string[] {
  type Node = { properties?: Record<string, Node>; additionalProperties?: Node | boolean };
  let node = z.toJSONSchema(schema) as Node;
  for (const seg of path) {
    const next = seg === '*' ? node.additionalProperties : node.properties?.[seg];
    assert.ok(next && typeof next === 'object', `schema has ${path.join('.')}`);
    node = next;
  }
  return Object.keys(node.properties ?? {}).sort();
}

function each(spec: RoleSpec): Array<{ path: string[]; s: Setting }> {
  return Object.entries(spec.settings).flatMap(([key, s]) => [
    { path: [key], s },
    ...(isCollection(s) ? Object.entries(s.fields).map(([f, fs]) => ({ path: [key, '*', f], s: fs })) : []),
  ]);
}

/** A settings value holding `value` at `path` (`*` an entry of a collection). */
function valueAt(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, seg) => ({ [seg === '*' ? 'x' : seg]: inner }), value);
}

describe('role settings table', () => {
  for (const kind of ROLE_KINDS) {
    const spec = specOf(kind);
    const schema = ROLE_SCHEMAS[kind];

    it(`${kind}: every setting the schema accepts is documented at every layer, and only those`, () => {
      for (const layer of LAYERS) {
        const base = ['inventory', 'instances', 'i', 'roles', spec.role, ...layer];
        const keys = (path: string[]) =>
          childOptions([...base, ...path.map((p) => (p === '*' ? 'x' : p))], spec.service)
            .map((c) => c.key)
            .sort();
        assert.deepEqual(keys([]), schemaKeys(schema, []), `${base.join('.')}`);
        for (const [key, s] of Object.entries(spec.settings)) {
          if (isCollection(s)) assert.deepEqual(keys([key, '*']), schemaKeys(schema, [key, '*']), `${key}.<name>`);
        }
        for (const { path } of each(spec)) {
          const doc = lookupOption([...base, ...path.map((p) => (p === '*' ? 'x' : p))], spec.service)?.node.doc;
          assert.ok(doc?.type && doc.description, `docs of ${path.join('.')}`);
        }
      }
    });

    it(`${kind}: a setting that is not required has a default in its docs`, () => {
      const base = ['inventory', 'instances', 'i', 'roles', spec.role, 'settings'];
      for (const { path, s } of each(spec)) {
        const doc = lookupOption([...base, ...path.map((p) => (p === '*' ? 'x' : p))], spec.service)?.node.doc;
        assert.equal(doc?.default !== undefined, !s.required, `${path.join('.')}: a default exactly when not required`);
      }
    });

    it(`${kind}: every literal default passes the schema`, () => {
      for (const { path, s } of each(spec)) {
        if (s.default === undefined) continue;
        const parsed = schema.safeParse(valueAt(path, s.default));
        assert.ok(parsed.success, `${path.join('.')} = ${JSON.stringify(s.default)}`);
      }
    });

    it(`${kind}: a placeholder for a literal default offers the default`, () => {
      for (const { path, s } of each(spec)) {
        const placeholder = /\$\{1:([^}]*)\}/.exec(s.snippet ?? '')?.[1];
        if (placeholder === undefined || (typeof s.default !== 'string' && typeof s.default !== 'number')) continue;
        assert.equal(placeholder, String(s.default), path.join('.'));
      }
    });

    it(`${kind}: completion orders are permutations and the role's docs name every setting`, () => {
      const same = (order: readonly string[] | undefined, keys: string[]) =>
        assert.deepEqual([...(order ?? keys)].sort(), [...keys].sort());
      same(spec.completionOrder, Object.keys(spec.settings));
      for (const s of Object.values(spec.settings)) if (isCollection(s)) same(s.completionOrder, Object.keys(s.fields));
      for (const key of Object.keys(spec.settings)) assert.match(spec.doc.description, new RegExp(`\`${key}\``));
    });
  }
});
