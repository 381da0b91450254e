import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.ts';
import { checkFileReference, parseTaskMetadata } from '../../../src/runtime/tasks/metadata.ts';

const FILE = 'modules/demo/tasks/deploy.json';

function errorOf(text: string): ConfigError {
  try {
    parseTaskMetadata(text, FILE, { taskName: 'demo::deploy' });
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected an error');
}

describe('task metadata', () => {
  it('T-07: empty file is {}', () => {
    expect(parseTaskMetadata('', FILE)).toEqual({ metadata: {}, raw: {}, warnings: [] });
    expect(parseTaskMetadata('  \n', FILE).metadata).toEqual({});
  });

  it('T-07: unparsable JSON is puppet.tasks/unparseable-metadata', () => {
    const error = errorOf('{ "a": ');
    expect(error.kind).toBe('puppet.tasks/unparseable-metadata');
    expect(error.message).toMatch(/^modules\/demo\/tasks\/deploy\.json: unparseable JSON: /);
    expect(error.file).toBe(FILE);
  });

  it('T-11..T-22: every known field is read', () => {
    const { metadata, warnings } = parseTaskMetadata(
      JSON.stringify({
        description: 'd',
        puppet_task_version: 1,
        input_method: 'environment',
        supports_noop: true,
        private: true,
        remote: false,
        files: ['demo/files/x.sh', 'demo/lib/'],
        extensions: { discovery: { friendlyName: 'X' } },
        parameters: { port: { type: 'Integer[1, 65535]', description: 'p', default: 80, sensitive: false } },
        implementations: [{ name: 'x.sh', requirements: ['shell'], input_method: 'stdin', files: ['demo/files/y.sh'], remote: false }],
      }),
      FILE,
    );
    expect(warnings).toEqual([]);
    expect(metadata).toEqual({
      description: 'd',
      puppet_task_version: 1,
      input_method: 'environment',
      supports_noop: true,
      private: true,
      remote: false,
      files: ['demo/files/x.sh', 'demo/lib/'],
      extensions: { discovery: { friendlyName: 'X' } },
      parameters: { port: { type: 'Integer[1, 65535]', parsedType: { kind: 'Integer', min: 1, max: 65535 }, description: 'p', default: 80, sensitive: false } },
      implementations: [{ name: 'x.sh', requirements: ['shell'], input_method: 'stdin', files: ['demo/files/y.sh'], remote: false }],
    });
  });

  it('T-13: parameters missing vs {} are kept apart', () => {
    expect(parseTaskMetadata('{}', FILE).metadata.parameters).toBeUndefined();
    expect(parseTaskMetadata('{"parameters": null}', FILE).metadata.parameters).toBeUndefined();
    expect(parseTaskMetadata('{"parameters": {}}', FILE).metadata.parameters).toEqual({});
  });

  it('T-13: a parameter without a type has no parsed type (Any)', () => {
    expect(parseTaskMetadata('{"parameters": {"x": {}}}', FILE).metadata.parameters).toEqual({ x: {} });
  });

  it('T-10: unknown top-level keys are a warning, not an error', () => {
    const { warnings } = parseTaskMetadata('{"paramters": {}, "descriptoin": "x"}', FILE, { taskName: 'demo::deploy' });
    expect(warnings).toEqual([
      {
        id: 'unknown_task_metadata_keys',
        msg: "Metadata for task 'demo::deploy' contains unknown keys: paramters, descriptoin. This could be a typo in the task metadata or might result in incorrect behavior.",
      },
    ]);
  });

  it('T-12: puppet_task_version other than 1 warns', () => {
    expect(parseTaskMetadata('{"puppet_task_version": 2}', FILE).warnings[0]?.msg).toBe(`${FILE}: puppet_task_version 2 is not supported; only 1 is`);
  });

  const bad: [string, string, string][] = [
    ['["a"]', 'puppet.tasks/invalid-metadata', `${FILE}: task metadata must be a JSON object, got an array`],
    ['{"description": 5}', 'puppet.tasks/invalid-metadata', `${FILE}: description: expects a String, got number 5`],
    ['{"puppet_task_version": "1"}', 'puppet.tasks/invalid-metadata', `${FILE}: puppet_task_version: expects an Integer, got string "1"`],
    ['{"input_method": "args"}', 'puppet.tasks/invalid-metadata', `${FILE}: input_method: expects one of stdin, environment, powershell, both, got string "args"`],
    ['{"supports_noop": "yes"}', 'puppet.tasks/invalid-metadata', `${FILE}: supports_noop: expects a Boolean, got string "yes"`],
    ['{"private": 1}', 'puppet.tasks/invalid-metadata', `${FILE}: private: expects a Boolean, got number 1`],
    ['{"remote": "no"}', 'puppet.tasks/invalid-metadata', `${FILE}: remote: expects a Boolean, got string "no"`],
    ['{"extensions": []}', 'puppet.tasks/invalid-metadata', `${FILE}: extensions: expects an object, got an array`],
    ['{"parameters": []}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters: expects an object of parameter name => {type, description, sensitive, default}, got an array`],
    [
      '{"parameters": {"Port": {}}}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: parameters.Port: invalid parameter name 'Port': names must start with a lowercase letter and contain only lowercase letters, digits and underscores`,
    ],
    ['{"parameters": {"port": "Integer"}}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters.port: expects an object with type, description, sensitive, default; got string "Integer"`],
    ['{"parameters": {"port": {"type": "Integr"}}}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters.port.type: unknown type 'Integr' at column 1 (did you mean 'Integer'?)`],
    ['{"parameters": {"port": {"type": 5}}}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters.port.type: expects a type string like "String[1]", got number 5`],
    [
      '{"parameters": {"x": {"type": "Hash[Integer, String]"}}}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: parameters.x.type: Hash key type Integer at column 6 is not Data: hash keys must be String, Enum or Pattern`,
    ],
    [
      '{"parameters": {"x": {"type": "Object"}}}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: parameters.x.type: type 'Object' at column 1 is not Data: task parameters accept only Data (JSON-compatible) types`,
    ],
    ['{"parameters": {"x": {"description": 1}}}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters.x.description: expects a String, got number 1`],
    ['{"parameters": {"x": {"sensitive": "true"}}}', 'puppet.tasks/invalid-metadata', `${FILE}: parameters.x.sensitive: expects a Boolean, got string "true"`],
    [
      '{"parameters": {"port": {"type": "Integer[1, 65535]", "default": "eighty"}}}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: parameters.port.default: expects an Integer[1, 65535], got "eighty" (the default must match the type Integer[1, 65535])`,
    ],
    ['{"implementations": "x.sh"}', 'puppet.tasks/invalid-metadata', `${FILE}: implementations: Task metadata for task demo::deploy does not specify implementations as an array`],
    ['{"implementations": ["x.sh"]}', 'puppet.tasks/invalid-metadata', `${FILE}: implementations[0]: expects an object with name and requirements, got string "x.sh"`],
    ['{"implementations": [{"requirements": []}]}', 'puppet.tasks/invalid-metadata', `${FILE}: implementations[0].name: expects the file name of an executable in the tasks directory, got nothing`],
    [
      '{"implementations": [{"name": "x.sh", "requirements": "shell"}]}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: implementations[0].requirements: Task metadata for task demo::deploy does not specify requirements as an array`,
    ],
    ['{"implementations": [{"name": "x.sh", "input_method": "pipe"}]}', 'puppet.tasks/invalid-metadata', `${FILE}: implementations[0].input_method: expects one of stdin, environment, powershell, both, got string "pipe"`],
    ['{"implementations": [{"name": "x.sh", "files": "demo/files/x"}]}', 'puppet.tasks/invalid-metadata', `${FILE}: implementations[0].files: The 'files' task metadata expects an array, got string "demo/files/x"`],
    ['{"files": "demo/files/x"}', 'puppet.tasks/invalid-metadata', `${FILE}: files: The 'files' task metadata expects an array, got string "demo/files/x"`],
    ['{"files": [1]}', 'puppet.tasks/invalid-metadata', `${FILE}: files[0]: expects a String, got number 1`],
    [
      '{"files": ["demo/manifests/init.pp"]}',
      'puppet.tasks/invalid-metadata',
      `${FILE}: files[0]: Files must be saved in module directories that Puppet makes available via mount points: files, lib, scripts, tasks`,
    ],
    ['{"files": ["demo/files/../lib/x"]}', 'puppet.tasks/invalid-metadata', `${FILE}: files[0]: File pathnames cannot include relative paths`],
    ['{"files": ["/etc/passwd"]}', 'puppet.tasks/invalid-metadata', `${FILE}: files[0]: file references must start with a module name, not '/': /etc/passwd`],
    ['{"files": ["demo\\\\files\\\\x"]}', 'puppet.tasks/invalid-metadata', `${FILE}: files[0]: file references use '/' as separator: demo\\files\\x`],
  ];
  for (const [text, kind, message] of bad) {
    it(`T-11..T-22: rejects ${text}`, () => {
      const error = errorOf(text);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.kind).toBe(kind);
      expect(error.message).toBe(message);
    });
  }

  it('T-18: file reference syntax', () => {
    expect(checkFileReference('demo/files/x.sh')).toBeUndefined();
    expect(checkFileReference('demo/lib/')).toBeUndefined();
    expect(checkFileReference('demo/scripts/a/b/c')).toBeUndefined();
    expect(checkFileReference('demo/tasks/x.sh')).toBeUndefined();
    expect(checkFileReference('demo/files/./x')).toBe('File pathnames cannot include relative paths');
    expect(checkFileReference('demo/files/a//b')).toBe("file reference 'demo/files/a//b' has an empty path segment");
    expect(checkFileReference('Demo/files/x')).toBe("file reference 'Demo/files/x' must start with a module name");
  });
});
