// The hooks of the (single) state in a test document, as the model builder passes them to the hook rules.
import assert from 'node:assert/strict';
import { HOOK_NAMES, HookName, HookStateInput } from '../../server/src/hooks/hookInput';
import { readValue } from '../../server/src/model/valueReader';
import { parseNix } from '../../server/src/parsing/parser';
import type { Node } from '../../server/src/parsing/parser';

export function hookStateInput(text: string, uri: string, stateName: string): HookStateInput {
  const tree = parseNix(text);
  assert.equal(tree.rootNode.hasError, false, 'test document must be valid Nix');
  const hooks: HookStateInput['hooks'] = {};
  const walk = (n: Node): void => {
    if (n.type === 'binding') {
      const attrs = n.childForFieldName('attrpath')!.childrenForFieldName('attr');
      const last = attrs[attrs.length - 1]!.text as HookName;
      const expr = n.childForFieldName('expression');
      if (HOOK_NAMES.includes(last) && expr) {
        hooks[last] = { value: readValue(expr, uri, text), bindingStart: n.startIndex, bindingEnd: n.endIndex };
      }
    }
    for (const c of n.namedChildren) if (c) walk(c);
  };
  walk(tree.rootNode);
  tree.delete();
  return { uri, text, stateName, hooks };
}
