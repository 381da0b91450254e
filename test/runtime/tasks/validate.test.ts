import { describe, expect, it } from 'vitest';
import { Sensitive } from '../../../src/core/index.ts';
import { parseType } from '../../../src/core/puppet-types/index.ts';
import { compileType, explainMismatch, matchesType, validateTaskParams } from '../../../src/runtime/tasks/validate.ts';
import { parseTaskMetadata } from '../../../src/runtime/tasks/metadata.ts';

const params = parseTaskMetadata(
  JSON.stringify({
    parameters: {
      version: { type: 'String[1]' },
      port: { type: 'Integer[1, 65535]' },
      hosts: { type: 'Optional[Array[String[1]]]' },
      opts: { type: 'Optional[Struct[{timeout => Integer, Optional[retries] => Integer}]]' },
      anything: {},
    },
  }),
  'deploy.json',
).metadata.parameters;

describe('parameter validation messages', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ version: '1', port: 80 }, []],
    [{ version: '1', port: 80, hosts: null, opts: null, anything: { x: [1] }, _task: 'x', _noop: true }, []],
    [{ version: '1', port: 'eighty' }, ['demo::deploy: parameter \'port\' expects an Integer[1, 65535], got "eighty"']],
    [{ version: '1', port: 0 }, ["demo::deploy: parameter 'port' expects an Integer[1, 65535], got 0"]],
    [{ port: 80 }, ["demo::deploy: missing required parameter 'version'"]],
    [{ version: '', port: 80 }, ['demo::deploy: parameter \'version\' expects a String[1], got ""']],
    [{ version: '1', prot: 80 }, ["demo::deploy: unknown parameter 'prot' (did you mean 'port'?)", "demo::deploy: missing required parameter 'port'"]],
    [{ version: '1', port: 80, zzz: 1 }, ["demo::deploy: unknown parameter 'zzz'"]],
    [{ version: '1', port: 80, hosts: ['a', ''] }, ['demo::deploy: parameter \'hosts\' index 1 expects a String[1], got ""']],
    [{ version: '1', port: 80, opts: { timeout: 'x' } }, ['demo::deploy: parameter \'opts\' entry \'timeout\' expects an Integer, got "x"']],
    [{ version: '1', port: 80, opts: {} }, ["demo::deploy: parameter 'opts' expects a value for key 'timeout'"]],
    [{ version: '1', port: 80, opts: { timeout: 1, retrys: 2 } }, ["demo::deploy: parameter 'opts' has unrecognized key 'retrys' (did you mean 'retries'?)"]],
    [{ version: '1', port: 80, opts: 'x' }, ["demo::deploy: parameter 'opts' expects a Struct[{'timeout' => Integer, Optional['retries'] => Integer}], got \"x\""]],
    [{ version: 'x'.repeat(100), port: 'y'.repeat(100) }, [`demo::deploy: parameter 'port' expects an Integer[1, 65535], got "${'y'.repeat(56)}...`]],
  ];
  for (const [input, expected] of cases) {
    it(`T-13: ${JSON.stringify(input).slice(0, 80)}`, () => {
      expect(validateTaskParams('demo::deploy', params, input)).toEqual(expected);
    });
  }

  it('T-13: parameters: {} accepts no parameters (metaparameters still fine)', () => {
    expect(validateTaskParams('demo::none', {}, { a: 1, _task: 'x' })).toEqual(["demo::none: unknown parameter 'a'"]);
  });

  it('T-13: parameters missing accepts any well-named parameter', () => {
    expect(validateTaskParams('demo::any', undefined, { a: 1, b_2: [null], _x: 1 })).toEqual([]);
    expect(validateTaskParams('demo::any', null, { Bad: 1 })).toEqual([
      "demo::any: invalid parameter name 'Bad': names must start with a lowercase letter and contain only lowercase letters, digits and underscores",
    ]);
  });

  it('Sensitive values are validated by their content', () => {
    expect(matchesType(parseType('String[3]'), new Sensitive('abc'))).toBe(true);
    expect(matchesType(parseType('String[3]'), new Sensitive('ab'))).toBe(false);
    expect(explainMismatch(parseType('String[3]'), new Sensitive('ab'))).toBe('expects a String[3], got Sensitive [value redacted]');
  });

  it('Hash keys and tuple elements are explained', () => {
    expect(explainMismatch(parseType('Hash[Enum[a], Integer]'), { b: 1 })).toBe("key 'b' expects an Enum['a']");
    expect(explainMismatch(parseType('Hash[String, Integer]'), { b: 'x' })).toBe('entry \'b\' expects an Integer, got "x"');
    expect(explainMismatch(parseType('Tuple[String, Integer]'), ['a', 'b'])).toBe('index 1 expects an Integer, got "b"');
    expect(explainMismatch(parseType('Tuple[String, Integer]'), ['a'])).toBe('expects a Tuple[String, Integer], got ["a"]');
    expect(explainMismatch(parseType('Stdlib::Port'), 70000)).toBe('expects an Integer[0, 65535], got 70000');
  });

  it('validators are cached by type string', () => {
    expect(compileType('Array[Integer]')).toBe(compileType('Array[Integer]'));
    expect(compileType(parseType('Array[Integer]'))).toBe(compileType(parseType('Array[Integer]')));
  });
});

describe('validation messages never show secrets', () => {
  it('T-13: a sensitive parameter value is redacted in the message', () => {
    const specs = parseTaskMetadata(
      JSON.stringify({ parameters: { password: { type: 'String[8]', sensitive: true }, key: { type: 'Sensitive[String[8]]' }, list: { type: 'Array[String[3]]' } } }),
      'x.json',
    ).metadata.parameters;
    expect(validateTaskParams('demo::s', specs, { password: 'short', key: 'tiny', list: [new Sensitive('ab')] })).toEqual([
      "demo::s: parameter 'password' expects a String[8], got Sensitive [value redacted]",
      "demo::s: parameter 'key' expects a String[8], got Sensitive [value redacted]",
      "demo::s: parameter 'list' index 0 expects a String[3], got Sensitive [value redacted]",
    ]);
  });
});
