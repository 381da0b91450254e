/**
 * The local transport's lazily loaded module: the posix connection, which serves only run-as, tar
 * bundles and downloads. Its `import()` lives in this small module (see `src/cli/lazy.ts` for why).
 *
 * @example
 * ```ts
 * const { PosixConnection } = await loadPosixConnection();
 * ```
 * @module
 */

/** `../posix/connection.ts`. */
export const loadPosixConnection = () => import('../posix/connection.ts');
