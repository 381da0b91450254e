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

// Bolt's wording: Puppet's TaskSignature#runnable_with? via run_task.rb (spec/integration/cli/cli_spec.rb 'task run').
describe('parameter validation messages', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ version: '1', port: 80 }, []],
    [{ version: '1', port: 80, hosts: null, opts: null, anything: { x: [1] }, _task: 'x', _noop: true }, []],
    [{ version: '1', port: 'eighty' }, ['parameter \'port\' expects an Integer[1, 65535], got "eighty"']],
    [{ version: '1', port: 0 }, ["parameter 'port' expects an Integer[1, 65535], got 0"]],
    [{ port: 80 }, ["expects a value for parameter 'version'"]],
    [{ version: '', port: 80 }, ['parameter \'version\' expects a String[1], got ""']],
    [{ version: '1', prot: 80 }, ["has no parameter named 'prot' (did you mean 'port'?)", "expects a value for parameter 'port'"]],
    [{ version: '1', port: 80, zzz: 1 }, ["has no parameter named 'zzz'"]],
    [{ version: '1', port: 80, hosts: ['a', ''] }, ['parameter \'hosts\' index 1 expects a String[1], got ""']],
    [{ version: '1', port: 80, opts: { timeout: 'x' } }, ['parameter \'opts\' entry \'timeout\' expects an Integer, got "x"']],
    [{ version: '1', port: 80, opts: {} }, ["parameter 'opts' expects a value for key 'timeout'"]],
    [{ version: '1', port: 80, opts: { timeout: 1, retrys: 2 } }, ["parameter 'opts' has unrecognized key 'retrys' (did you mean 'retries'?)"]],
    [{ version: '1', port: 80, opts: 'x' }, ["parameter 'opts' expects a Struct[{'timeout' => Integer, Optional['retries'] => Integer}], got \"x\""]],
    [{ version: 'x'.repeat(100), port: 'y'.repeat(100) }, [`parameter 'port' expects an Integer[1, 65535], got "${'y'.repeat(56)}...`]],
  ];
  for (const [input, expected] of cases) {
    it(`T-13: ${JSON.stringify(input).slice(0, 80)}`, () => {
      expect(validateTaskParams(params, input)).toEqual(expected);
    });
  }

  it('T-13: parameters: {} accepts no parameters (metaparameters still fine)', () => {
    expect(validateTaskParams({}, { a: 1, _task: 'x' })).toEqual(["has no parameter named 'a'"]);
  });

  it('T-13: parameters missing accepts any well-named parameter', () => {
    expect(validateTaskParams(undefined, { a: 1, b_2: [null], _x: 1 })).toEqual([]);
    expect(validateTaskParams(null, { Bad: 1 })).toEqual([
      "parameter 'Bad' has an invalid name: names must start with a lowercase letter and contain only lowercase letters, digits and underscores",
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
    expect(validateTaskParams(specs, { password: 'short', key: 'tiny', list: [new Sensitive('ab')] })).toEqual([
      "parameter 'password' expects a String[8], got Sensitive [value redacted]",
      "parameter 'key' expects a String[8], got Sensitive [value redacted]",
      "parameter 'list' index 0 expects a String[3], got Sensitive [value redacted]",
    ]);
  });
});
