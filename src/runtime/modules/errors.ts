/**
 * Error kinds of the module installer, as Bolt's (`lib/bolt/module_installer/resolver.rb`
 * raises `bolt/resolver-error`; `installer.rb` wraps r10k failures in `bolt/puppetfile-error`).
 *
 * @module
 */
import { RivetError } from '../../core/errors.ts';

/** Resolution failed: unknown module, no such version, conflicting ranges. */
export const RESOLVER_ERROR = 'bolt/resolver-error';
/** Installing failed: download, checksum, tarball, git, local copy, the Forge itself. */
export const INSTALL_ERROR = 'bolt/puppetfile-error';

/** A resolution error with details. */
export function resolverError(msg: string, details: Record<string, unknown> = {}): RivetError {
  return new RivetError(RESOLVER_ERROR, msg, { details });
}

/** An install error with details. */
export function installError(msg: string, details: Record<string, unknown> = {}, cause?: unknown): RivetError {
  return new RivetError(INSTALL_ERROR, msg, { details, ...(cause === undefined ? {} : { cause }) });
}
