import type { Target } from '../../src/core/target.ts';

/** A bare target for transport tests (the inventory builds real ones). */
export function makeTarget(overrides: Partial<Target> & Pick<Target, 'name'>): Target {
  return {
    uri: overrides.name,
    alias: [],
    transport: 'ssh',
    host: undefined,
    port: undefined,
    user: undefined,
    config: { transport: overrides.transport ?? 'ssh' },
    vars: {},
    facts: {},
    features: [],
    groups: ['all'],
    ...overrides,
  };
}

export function localTarget(): Target {
  return makeTarget({ name: 'localhost', transport: 'local', config: { transport: 'local', local: {} } });
}
