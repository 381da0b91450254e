/**
 * What the translator knows about Bolt's plan functions and Puppet's built-in functions: which
 * SDK function each becomes, and the option names Bolt's `_`-prefixed metaparameters map to.
 *
 * @module
 */

/** Bolt's metaparameters and option keys -> Rivet step option names. */
export const OPTION_NAMES: Record<string, string> = {
  _catch_errors: 'catchErrors',
  _run_as: 'runAs',
  _env_vars: 'envVars',
  _noop: 'noop',
  _description: 'description',
  /** Not in Bolt 3.30 (bolt-server only, T-42): Rivet's per-step timeout, in seconds as written. */
  _timeout: 'timeout',
  arguments: 'arguments',
  pwsh_params: 'pwshParams',
  wait_time: 'waitTime',
  retry_interval: 'retryInterval',
  description: 'description',
};

/** Option values that Bolt gives in seconds and Rivet in milliseconds. */
export const SECONDS_OPTIONS = new Set(['waitTime', 'retryInterval', 'timeout']);

/** `log::<level>` and Puppet's logging functions -> the SDK's `log.<level>`. */
export const LOG_FUNCTIONS: Record<string, string> = {
  'log::trace': 'trace',
  'log::debug': 'debug',
  'log::info': 'info',
  'log::warn': 'warn',
  'log::error': 'error',
  'log::fatal': 'fatal',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  err: 'error',
  alert: 'error',
  crit: 'error',
  emerg: 'fatal',
};

/** Target and inventory functions: Puppet name -> SDK function (arguments passed as they are). */
export const DIRECT_FUNCTIONS: Record<string, { sdk: string; async?: boolean }> = {
  get_targets: { sdk: 'getTargets' },
  get_target: { sdk: 'getTarget' },
  set_var: { sdk: 'setVar' },
  vars: { sdk: 'vars' },
  facts: { sdk: 'facts' },
  add_facts: { sdk: 'addFacts' },
  set_feature: { sdk: 'setFeature' },
  set_config: { sdk: 'setConfig' },
  add_to_group: { sdk: 'addToGroup' },
  remove_from_group: { sdk: 'removeFromGroup' },
  'system::env': { sdk: 'env' },
};

/** `file::*`, `dir::*`: Puppet name -> `file.<method>` / `dir.<method>` of the SDK. */
export const LOCAL_FUNCTIONS: Record<string, { object: 'file' | 'dir'; method: string; async: boolean }> = {
  'file::read': { object: 'file', method: 'read', async: true },
  'file::write': { object: 'file', method: 'write', async: true },
  'file::exists': { object: 'file', method: 'exists', async: true },
  'file::readable': { object: 'file', method: 'readable', async: true },
  'file::delete': { object: 'file', method: 'delete', async: true },
  'file::join': { object: 'file', method: 'join', async: false },
  'dir::children': { object: 'dir', method: 'children', async: true },
};

/**
 * Puppet built-ins whose Puppet semantics the SDK's `pp` helpers keep: name -> helper. Called
 * as functions (`length($x)`) or methods (`$x.length`).
 */
export const PP_FUNCTIONS: Record<string, string> = {
  length: 'length',
  size: 'length',
  count: 'length',
  empty: 'empty',
  keys: 'keys',
  values: 'values',
  join: 'join',
  split: 'split',
  flatten: 'flatten',
  unique: 'unique',
  sort: 'sort',
  dig: 'dig',
  regsubst: 'regsubst',
  assert_type: 'assertType',
};

/** String methods that are JavaScript's own once the value is text. */
export const STRING_FUNCTIONS: Record<string, string> = {
  upcase: 'toUpperCase()',
  downcase: 'toLowerCase()',
  strip: 'trim()',
  lstrip: 'trimStart()',
  rstrip: 'trimEnd()',
  chomp: "replace(/\\r?\\n$/, '')",
};

/** Functions that need Puppet's catalog compiler or services Rivet does not have. */
export const UNSUPPORTED_FUNCTIONS: Record<string, string> = {
  apply_prep: 'needs a Puppet agent and catalog compiler on the targets',
  puppetdb_query: 'needs PuppetDB',
  puppetdb_fact: 'needs PuppetDB',
  puppetdb_command: 'needs PuppetDB',
  lookup: 'needs Hiera',
  get_resources: 'needs a Puppet agent on the targets',
  resolve_references: 'needs Bolt plugins',
  run_container: 'has no Rivet equivalent yet',
  include: 'needs a Puppet catalog compiler',
  require: 'needs a Puppet catalog compiler',
  contain: 'needs a Puppet catalog compiler',
  realize: 'needs a Puppet catalog compiler',
  create_resources: 'needs a Puppet catalog compiler',
  'Boltlib::Pal::apply': 'needs a Puppet catalog compiler',
};

/** Result / ResultSet / Target / Error methods: Puppet name -> TypeScript member access. */
export const MEMBER_METHODS: Record<string, string> = {
  ok: '.ok',
  status: '.status',
  value: '.value',
  error: '.error()!',
  message: '.message',
  target: '.target',
  action: '.action',
  ok_set: '.okSet',
  error_set: '.errorSet',
  first: '.first!',
  names: '.names',
  targets: '.targets',
  to_data: '.toJSON()',
  results: '.results',
  name: '.name',
  uri: '.uri',
  host: '.host',
  port: '.port',
  user: '.user',
  password: '.password',
  transport: '.transport',
  protocol: '.transport',
  features: '.features',
  config: '.config',
  target_alias: '.alias',
  kind: '.kind',
  msg: '.msg',
  details: '.details',
  issue_code: '.issueCode',
  unwrap: '.unwrap()',
  state: '.state',
};
