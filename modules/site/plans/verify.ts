/**
 * site::verify: checks a deployed site on every target with the site::health task and fails the
 * plan, naming the targets, when any of them is unhealthy.
 */
import { definePlan, runTask } from 'rivetops';

export default definePlan({
  description: 'Check that a deployed static site is served with the expected version',
  params: {
    targets: 'TargetSpec',
    root: { type: 'String[1]', description: 'Directory the site is served from' },
    version: { type: 'Optional[String[1]]', description: 'Version the site must report' },
  },
  async run({ targets, root, version }) {
    // Throws RunFailure (with this file:line) when any target is unhealthy.
    return runTask('site::health', targets, { root, ...(version ? { expect_version: version } : {}) }, { description: `verify site at ${root}` });
  },
});
