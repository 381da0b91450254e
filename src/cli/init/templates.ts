/**
 * The files `rivet init` writes, as data: a package.json, a tsconfig.json, the project file, an
 * inventory with `localhost`, one module with one typed task (metadata and shell script), and a
 * typed plan that runs it. Pure: the command checks, writes and then generates the task types.
 *
 * @example
 * ```ts
 * const files = projectFiles({ projectName: 'site', packageName: 'site', devDependencies: { rivetops: '^0.1.0' } });
 * files.map((f) => f.path); // ['package.json', 'tsconfig.json', 'rivet-project.yaml', ...]
 * ```
 * @module
 */

/** The npm package user code imports Rivet's SDK from (the command is still `rivet`). */
export const SDK_PACKAGE = 'rivetops';

/** What the files are made from. */
export interface InitSpec {
  /** The project name (`name:` in rivet-project.yaml): valid, see `initProjectName`. */
  projectName: string;
  /** The npm package name. */
  packageName: string;
  /** devDependencies of the package.json, package -> version range. */
  devDependencies: Readonly<Record<string, string>>;
}

/** One file to write. */
export interface InitFile {
  /** Relative to the project directory, `/`-separated. */
  path: string;
  content: string;
  /** Made executable (mode 755). */
  executable?: boolean;
  /** One line on what it is, printed after it. */
  about: string;
}

/** The example module: `hello`, unless that is the project's own name (its tasks would hide the module's). */
export function exampleModule(projectName: string): string {
  return projectName === 'hello' ? 'greeting' : 'hello';
}

/** The example plan's name (`plans/hello.ts`). */
export function examplePlan(projectName: string): string {
  return `${projectName}::hello`;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function sorted(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function packageJson(spec: InitSpec): string {
  return json({
    name: spec.packageName,
    version: '0.1.0',
    private: true,
    description: `Rivet project ${spec.projectName}: tasks and typed plans`,
    type: 'module',
    scripts: {
      hello: `rivet plan run ${examplePlan(spec.projectName)}`,
      types: 'rivet types',
      'types:check': 'rivet types --check',
      typecheck: 'tsc --noEmit',
    },
    devDependencies: sorted(spec.devDependencies),
  });
}

function tsconfigJson(): string {
  return json({
    '//': 'Type checks the plans and modules against the task types that `npx rivet types` writes to .rivet/tasks.gen.ts (a directory starting with a dot must be named in "include").',
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      allowImportingTsExtensions: true,
      noEmit: true,
      strict: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      forceConsistentCasingInFileNames: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['plans', 'modules', '.rivet/*.ts'],
  });
}

function projectYaml(spec: InitSpec): string {
  return [
    '# The Rivet project file (Bolt reads it too, as bolt-project.yaml).',
    `# The name prefixes the project's plans: plans/hello.ts is ${examplePlan(spec.projectName)}.`,
    `name: ${spec.projectName}`,
    '',
  ].join('\n');
}

function inventoryYaml(): string {
  return [
    '# Targets, in Bolt inventory v2 format. Try: npx rivet inventory show --detail',
    'groups:',
    '  - name: local',
    '    targets:',
    '      - localhost',
    '    config:',
    '      transport: local',
    '# Add your machines, for example:',
    '#  - name: web',
    '#    targets: [web1.example.com, web2.example.com]',
    '#    config:',
    '#      ssh:',
    '#        user: deploy',
    '#        private-key: ~/.ssh/id_ed25519',
    '',
  ].join('\n');
}

function taskMetadata(): string {
  return json({
    puppet_task_version: 1,
    description: 'Greet someone, and say which machine the greeting comes from. Changes nothing.',
    input_method: 'environment',
    supports_noop: true,
    parameters: {
      name: { description: 'Who to greet.', type: 'String[1]' },
      style: { description: 'plain (the default) or loud (in capitals).', type: 'Optional[Enum[plain, loud]]' },
    },
    extensions: {
      rivet: { output: 'Struct[{greeting => String, host => String}]' },
    },
  });
}

function taskScript(module: string): string {
  return [
    '#!/bin/sh',
    `# ${module}::greet: prints a greeting as a JSON object (the task's result value).`,
    '# Parameters arrive as PT_<name> environment variables (input_method: environment).',
    'json_escape() { printf \'%s\' "$1" | sed \'s/\\\\/\\\\\\\\/g; s/"/\\\\"/g\'; }',
    'greeting="Hello, $PT_name!"',
    'if [ "$PT_style" = loud ]; then',
    '  greeting=$(printf \'%s\' "$greeting" | tr \'[:lower:]\' \'[:upper:]\')',
    'fi',
    'printf \'{"greeting":"%s","host":"%s"}\\n\' "$(json_escape "$greeting")" "$(json_escape "$(uname -n)")"',
    '',
  ].join('\n');
}

function planSource(spec: InitSpec, module: string): string {
  const plan = examplePlan(spec.projectName);
  return `/**
 * ${plan}: greet the targets with the ${module}::greet task, then show their kernel with a command.
 *
 *   npx rivet plan run ${plan} name=Ada
 *   npx rivet plan run ${plan} --targets web name=Ada style=loud --format json
 *   npx tsx plans/hello.ts name=Ada
 *
 * \`runTask\` is typed by .rivet/tasks.gen.ts (\`npx rivet types\` writes it): a misspelt task or
 * parameter, or a wrong value, is a compile error (\`npm run typecheck\`).
 */
import { definePlan, out, runCommand, runTask } from '${SDK_PACKAGE}';

export default definePlan({
  description: 'Greet the targets with the ${module}::greet task, then show their kernel',
  params: {
    targets: { type: 'TargetSpec', default: 'localhost', description: 'Where to run: target names, groups or URIs' },
    name: { type: 'String[1]', default: 'world', description: 'Who to greet' },
    style: { type: 'Enum[plain, loud]', default: 'plain', description: 'plain or loud' },
  },
  async run({ targets, name, style }) {
    const greetings = await runTask('${module}::greet', targets, { name, style });
    for (const result of greetings) out.message(\`\${result.target.name}: \${result.value.greeting} (from \${result.value.host})\`);
    return runCommand('uname -sr', targets, { description: 'show the kernel' });
  },
});
`;
}

/**
 * Every file of a new project, in the order they are written and listed. The generated task types
 * (`.rivet/tasks.gen.ts`) are not among them: they are generated from these once written.
 *
 * @example
 * ```ts
 * projectFiles({ projectName: 'site', packageName: 'site', devDependencies: {} })
 *   .find((f) => f.path === 'rivet-project.yaml')?.content; // '# The Rivet project file ...\nname: site\n'
 * ```
 */
export function projectFiles(spec: InitSpec): InitFile[] {
  const module = exampleModule(spec.projectName);
  return [
    { path: 'package.json', content: packageJson(spec), about: `npm package: ${Object.keys(spec.devDependencies).sort().join(', ')}` },
    { path: 'tsconfig.json', content: tsconfigJson(), about: 'type checks plans/, modules/ and .rivet/*.ts' },
    { path: 'rivet-project.yaml', content: projectYaml(spec), about: `the project file: name ${spec.projectName}` },
    { path: 'inventory.yaml', content: inventoryYaml(), about: 'targets: localhost (local transport)' },
    { path: `modules/${module}/tasks/greet.json`, content: taskMetadata(), about: `the ${module}::greet task: its parameters and result` },
    { path: `modules/${module}/tasks/greet.sh`, content: taskScript(module), executable: true, about: `the ${module}::greet task: its script` },
    { path: 'plans/hello.ts', content: planSource(spec, module), about: `the ${examplePlan(spec.projectName)} plan` },
  ];
}
