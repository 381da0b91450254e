/**
 * bench::steps: `steps` command steps on the targets, one after the other (each waits for all
 * targets), over the connections the first step opened.
 */
import { definePlan, runCommand } from 'rivetops';

export default definePlan({
  description: 'Run `true` as several steps on the targets (for npm run bench)',
  params: {
    targets: { type: 'TargetSpec', description: 'Where to run' },
    steps: { type: 'Integer[1]', default: 5, description: 'How many steps' },
  },
  async run({ targets, steps }) {
    for (let step = 0; step < steps; step++) await runCommand('true', targets);
  },
});
