// A hook string read as bash (hooks/shellScript.ts): commands, PATH settings, functions, and positions mapped back.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { HookName } from '../../../server/src/hooks/hookInput';
import { parseHookScript } from '../../../server/src/hooks/shellScript';
import type { StringValue } from '../../../server/src/model/nixValue';
import { initParsing } from '../../../server/src/parsing/parser';
import { pos, stateInput } from '../../helpers/hookSeeds';

function script(text: string, hook: HookName = 'preBackupScript') {
  const input = stateInput(text);
  return parseHookScript(input.hooks[hook]!.value as StringValue, text);
}

describe('hooks: shell script view of a Nix string', () => {
  before(() => initParsing());

  it('finds commands in pipelines, lists, subshells, substitutions, control flow and functions', () => {
    const text = `{ preBackupScript = ''
  a | b && c || d; (e)
  x=$(f) ; g "$(h)"
  if i; then j; elif k; then l; else m; fi
  while n; do o; done; for v in 1 2; do p; done
  case $v in 1) q ;; *) r ;; esac
  fn() { s; }
  { t; } > /dev/null
  ! u
''; }`;
    const names = script(text).commands.map((c) => c.name);
    assert.deepEqual(names, [
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
      'k',
      'l',
      'm',
      'n',
      'o',
      'p',
      'q',
      'r',
      's',
      't',
      'u',
    ]);
    assert.deepEqual([...script(text).functions], ['fn']);
    assert.equal(script(text).commands.find((c) => c.name === 's')!.inFunction, true);
    assert.deepEqual(
      script(text)
        .commands.filter((c) => c.inFunction)
        .map((c) => c.name),
      ['s'],
    );
  });

  it('sees a PATH assignment inside a command substitution, but not the prefix of a command', () => {
    const sub = script(`{ preBackupScript = ''
  echo "$(PATH=/opt/bin; systemctl stop x)"
''; }`);
    assert.equal(sub.pathSettings.filter((p) => p.kind === 'assignment').length, 1);
    const prefix = script(`{ preBackupScript = ''
  PATH=/opt/bin systemctl stop x
''; }`);
    assert.equal(prefix.pathSettings.filter((p) => p.kind === 'assignment').length, 0);
    assert.equal(prefix.commands[0]!.pathOverride, true);
  });

  it('turns interpolations into opaque placeholder words and maps them back', () => {
    const text = `{ pkgs, ... }: { preBackupScript = ''
  \${pkgs.docker}/bin/docker pause \${lib.escapeShellArgs names}
  \${someScript} --now
  /run/current-system/sw/bin/podman ps
''; }`;
    const s = script(text);
    const [docker, opaque, podman] = s.commands;
    assert.equal(docker!.name, 'docker');
    assert.equal(docker!.hasStorePath, true);
    assert.deepEqual(docker!.args, ['pause', '${lib.escapeShellArgs names}']);
    assert.equal(docker!.argWords[1]!.literal, false);
    assert.deepEqual([docker!.nameRange.start.line, docker!.nameRange.start.character], pos(text, '${pkgs.docker}'));
    assert.deepEqual([docker!.nameRange.end.line, docker!.nameRange.end.character], [1, 27]);
    // The opaque argument covers exactly the interpolation in the Nix text.
    const arg = docker!.argWords[1]!;
    assert.equal(text.slice(arg.start, arg.end), '${lib.escapeShellArgs names}');
    assert.equal(opaque!.name, undefined);
    assert.equal(podman!.name, 'podman');
    assert.equal(podman!.isPath, true);
    assert.equal(podman!.hasStorePath, false);
  });

  it("maps positions through indentation stripping and the ''$ and ''' escapes", () => {
    const text = `{
    preBackupScript = ''
      echo ''\${HOME} '''q''' \${x}; systemctl stop foo
    '';
}`;
    const s = script(text);
    const stop = s.commands.find((c) => c.name === 'systemctl')!;
    assert.deepEqual([stop.range.start.line, stop.range.start.character], pos(text, 'systemctl'));
    assert.deepEqual([stop.range.end.line, stop.range.end.character], [2, 53]);
    assert.equal(text.slice(stop.start, stop.end), 'systemctl stop foo');
    const echo = s.commands[0]!;
    // `''$` decodes to a literal `$`: the shell sees a parameter expansion, not an interpolation.
    assert.equal(echo.argWords[0]!.literal, false);
    assert.equal(text.slice(echo.argWords[0]!.start, echo.argWords[0]!.end), "''${HOME}");
    // `'''` is an escaped `''`: the shell sees q'' (an empty quoted string) and the value `q`.
    assert.equal(echo.args[1], 'q');
    assert.equal(text.slice(echo.argWords[1]!.start, echo.argWords[1]!.end), "'''q'''");
  });

  it('records where PATH is set, and which commands run before it', () => {
    const text = `{ preBackupScript = ''
  docker ps
  export PATH=\${lib.makeBinPath [ pkgs.docker ]}:$PATH
  docker pause x
  PATH=/x foo
''; }`;
    const s = script(text);
    assert.equal(s.pathSettings.length, 1);
    assert.deepEqual([s.pathSettings[0]!.range.start.line, s.pathSettings[0]!.range.start.character], [2, 2]);
    const [first, second, foo] = s.commands;
    assert.ok(first!.order < s.pathSettings[0]!.order);
    assert.ok(second!.order > s.pathSettings[0]!.order);
    assert.equal(foo!.pathOverride, true);
  });

  it('sees through wrappers and trap actions', () => {
    const text = `{ preBackupScript = ''
  timeout 30 systemctl stop a
  docker ps -q | xargs -r docker pause
  trap 'systemctl start a' EXIT
''; }`;
    const s = script(text);
    const names = s.commands.map((c) => `${c.wrapper ?? ''}:${c.name}${c.inTrap ? '@trap' : ''}`);
    assert.deepEqual(names, [
      ':timeout',
      'timeout:systemctl',
      ':docker',
      ':xargs',
      'xargs:docker',
      ':trap',
      ':systemctl@trap',
    ]);
    const trapped = s.commands[s.commands.length - 1]!;
    assert.equal(text.slice(trapped.start, trapped.end), 'systemctl start a');
    assert.equal(s.commands[4]!.stdinFrom, 'docker ps -q');
  });
});
