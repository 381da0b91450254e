/**
 * The modules Bolt 3.30 ships in its packages (I-25, Bolt's `Puppetfile` and `modules/`), and
 * which of them Rivet ships: `facts`, `package` and `service` are Rivet's own built-in modules;
 * the others are on the Puppet Forge (`rivet module add puppetlabs/<name>` installs them) or
 * have no Rivet equivalent. An unknown task in one of them says so.
 *
 * @example
 * ```ts
 * boltPackagedHint('reboot'); // " 'reboot' is a module Bolt ships with and Rivet does not: install it with 'rivet module add puppetlabs/reboot'."
 * boltPackagedHint('mymod');  // ''
 * ```
 * @module
 */

/** Bolt's packaged modules that Rivet ships as built-in modules. */
export const RIVET_SHIPS = ['facts', 'package', 'service'] as const;

/** Bolt's packaged Forge modules that Rivet does not ship (Puppetfile of Bolt 3.30). */
export const FORGE_NOT_SHIPPED = [
  'puppet_agent',
  'reboot',
  'puppet_conf',
  'stdlib',
  'python_task_helper',
  'ruby_task_helper',
  'ruby_plugin_helper',
  'bash_task_helper',
  'powershell_task_helper',
  'http_request',
  'secure_env_vars',
  'aws_inventory',
  'azure_inventory',
  'gcloud_inventory',
  'terraform',
  'vault',
  'pkcs7',
  'yaml',
  'augeas_core',
  'host_core',
  'scheduled_task',
  'sshkeys_core',
  'zfs_core',
  'cron_core',
  'mount_core',
  'selinux_core',
  'yumrepo_core',
  'zone_core',
] as const;

/** Bolt's own local modules (not on the Forge) that Rivet has no equivalent of. */
export const LOCAL_NOT_SHIPPED = ['canary', 'aggregate', 'puppetdb_fact', 'puppet_connect'] as const;

/** A sentence for an unknown task in a module Bolt ships and Rivet does not, else ''. */
export function boltPackagedHint(moduleName: string): string {
  if ((FORGE_NOT_SHIPPED as readonly string[]).includes(moduleName)) {
    return ` '${moduleName}' is a module Bolt ships with and Rivet does not: install it with 'rivet module add puppetlabs/${moduleName}'.`;
  }
  if ((LOCAL_NOT_SHIPPED as readonly string[]).includes(moduleName)) {
    return ` '${moduleName}' is a module Bolt ships with and Rivet does not (it is not on the Puppet Forge either).`;
  }
  return '';
}
