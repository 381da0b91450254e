import { describe, expect, it } from 'vitest';
import { REDACTED, Sensitive, isRivetError } from '../../../src/core/index.ts';
import { parseTaskMetadata } from '../../../src/runtime/tasks/metadata.ts';
import { applyDefaults, parseCliParams, prepareTaskParams, splitMetaparameters, typeCliValue } from '../../../src/runtime/tasks/params.ts';

const deploy = {
  name: 'demo::deploy',
  metadata: parseTaskMetadata(
    JSON.stringify({
      supports_noop: false,
      parameters: {
        version: { type: 'String[1]' },
        port: { type: 'Integer[1, 65535]', default: 8080 },
        tags: { type: 'Optional[Array[String]]', default: ['a'] },
        password: { type: 'Optional[String]', sensitive: true },
      },
    }),
    'deploy.json',
  ).metadata,
};

function failure(fn: () => unknown): { kind: string; msg: string; issue: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (isRivetError(error)) return { kind: error.kind, msg: error.message, issue: error.issueCode };
    throw error;
  }
  throw new Error('expected an error');
}

describe('task parameters', () => {
  it('T-13: defaults apply when absent or null, not when given', () => {
    expect(applyDefaults(deploy.metadata.parameters, { version: '1' })).toEqual({ version: '1', port: 8080, tags: ['a'] });
    expect(applyDefaults(deploy.metadata.parameters, { version: '1', port: null })).toEqual({ version: '1', port: 8080, tags: ['a'] });
    expect(applyDefaults(deploy.metadata.parameters, { version: '1', port: 1 })).toMatchObject({ port: 1 });
    const a = applyDefaults(deploy.metadata.parameters, {});
    (a['tags'] as string[]).push('mutated');
    expect(applyDefaults(deploy.metadata.parameters, {})['tags']).toEqual(['a']);
  });

  it('T-13/T-23: validated, sensitive wrapped, _task injected', () => {
    const { params, sensitive } = prepareTaskParams(deploy, { version: '1.2', password: 'hunter2' });
    expect(sensitive).toEqual(['password']);
    expect(params['password']).toBeInstanceOf(Sensitive);
    expect((params['password'] as Sensitive<string>).unwrap()).toBe('hunter2');
    expect(JSON.parse(JSON.stringify(params))).toEqual({ version: '1.2', port: 8080, tags: ['a'], password: REDACTED, _task: 'demo::deploy' });
  });

  it('T-13: validation failures are bolt/pal-error TYPE_MISMATCH with every problem', () => {
    expect(failure(() => prepareTaskParams(deploy, { port: 'eighty', prot: 1 }))).toEqual({
      kind: 'bolt/pal-error',
      issue: 'TYPE_MISMATCH',
      // Bolt's wording (spec/integration/cli/cli_spec.rb 'task run'): "Task <name>:" then one problem per line.
      msg: ['Task demo::deploy:', "has no parameter named 'prot' (did you mean 'port'?)", "expects a value for parameter 'version'", 'parameter \'port\' expects an Integer[1, 65535], got "eighty"'].join('\n '),
    });
  });

  it("T-23: every '_' key is a metaparameter, partitioned off as an option (run_task.rb run_task_with_description); _installdir and _target injected", () => {
    const { params, meta } = prepareTaskParams(
      { name: 'demo::none', metadata: { parameters: {} } },
      { _run_as: 'root', _foo: 1, _error: { msg: 'forged' }, _catch_errors: true, _env_vars: { A: 'b' }, _task: 'forged', _installdir: '/forged' },
      { installdir: '/tmp/abc', target: { name: 'api', host: 'x' } },
    );
    expect(params).toEqual({ _task: 'demo::none', _installdir: '/tmp/abc', _target: { name: 'api', host: 'x' } });
    expect(meta).toEqual({ runAs: 'root' });
  });

  it('T-23: splitMetaparameters strips the underscore, as Bolt\'s transform_keys', () => {
    expect(splitMetaparameters({ name: 'x', _run_as: 'root', _noop: true })).toEqual({ params: { name: 'x' }, options: { run_as: 'root', noop: true } });
  });

  it('T-23: a _run_as that is not a String is a pal-error', () => {
    expect(failure(() => prepareTaskParams(deploy, { version: '1', _run_as: 5 }))).toMatchObject({ kind: 'bolt/pal-error', issue: 'TYPE_MISMATCH' });
  });

  it('T-15: noop on a task without supports_noop fails with TASK_NO_NOOP', () => {
    expect(failure(() => prepareTaskParams(deploy, { version: '1' }, { noop: true }))).toEqual({ kind: 'bolt/pal-error', msg: 'Task does not support noop', issue: 'TASK_NO_NOOP' });
    expect(failure(() => prepareTaskParams(deploy, { version: '1', _noop: true }))).toMatchObject({ issue: 'TASK_NO_NOOP' });
  });

  it('T-15/T-43: noop on a supporting task injects _noop: true', () => {
    expect(prepareTaskParams({ name: 'demo::noop', metadata: { supports_noop: true, parameters: {} } }, {}, { noop: true }).params).toEqual({ _noop: true, _task: 'demo::noop' });
    expect(prepareTaskParams({ name: 'demo::noop', metadata: { supports_noop: true } }, {}, {}).params).toEqual({ _task: 'demo::noop' });
  });

  it('C-08: k=v values are JSON-parsed only when that satisfies the declared type', () => {
    const specs = parseTaskMetadata(
      JSON.stringify({ parameters: { port: { type: 'Integer' }, name: { type: 'String' }, flag: { type: 'Boolean' }, list: { type: 'Array[Integer]' }, v: { type: 'Variant[Integer, String]' } } }),
      'x.json',
    ).metadata.parameters;
    expect(parseCliParams(['port=80', 'name=80', 'flag=true', 'list=[1,2]', 'v=5', 'other={"a":1}', 'eq=a=b', 'raw=not json'], undefined, specs)).toEqual({
      port: 80,
      name: '80',
      flag: true,
      list: [1, 2],
      v: 5,
      other: { a: 1 },
      eq: 'a=b',
      raw: 'not json',
    });
    expect(typeCliValue('"quoted"', { type: 'String' })).toBe('quoted');
    expect(typeCliValue('null', { type: 'String' })).toBe('null');
    expect(typeCliValue('null', { type: 'Optional[String]' })).toBeNull();
    expect(typeCliValue('eighty', { type: 'Integer' })).toBe('eighty');
  });

  it('C-08: --params JSON, and mixing both is an error', () => {
    expect(parseCliParams([], '{"a": [1]}')).toEqual({ a: [1] });
    expect(failure(() => parseCliParams(['a=1'], '{}'))).toEqual({
      kind: 'rivet/usage-error',
      issue: undefined,
      msg: 'Parameters must be specified through either the --params option or param=value pairs, not both',
    });
    expect(failure(() => parseCliParams([], '{nope'))).toMatchObject({ msg: expect.stringMatching(/^Unable to parse --params value as JSON: /) });
    expect(failure(() => parseCliParams([], '[1]')).msg).toBe('--params must be a JSON object');
    expect(failure(() => parseCliParams(['=1'], undefined)).msg).toBe("Invalid parameter '=1': expected name=value");
  });
});

describe('sensitive parameters', () => {
  it('T-13: sensitive: true and Sensitive[...] types are both secret', async () => {
    const { sensitiveParamNames } = await import('../../../src/runtime/tasks/params.ts');
    const { metadata } = parseTaskMetadata(
      JSON.stringify({ parameters: { pw: { type: 'String', sensitive: true }, key: { type: 'Sensitive[String]' }, opt: { type: 'Optional[Sensitive[String]]' }, user: { type: 'String' } } }),
      'x.json',
    );
    expect(sensitiveParamNames(metadata)).toEqual(['pw', 'key', 'opt']);
    const { params } = prepareTaskParams({ name: 'x', metadata }, { pw: 'a', key: 'b', user: 'c' });
    expect(JSON.parse(JSON.stringify(params))).toEqual({ pw: REDACTED, key: REDACTED, user: 'c', _task: 'x' });
  });
});
