import { definePlan, catchErrors, failPlan, isRivetError, log, out, runCommand, pp } from 'rivetops';

/** Plan `golden::failures` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
  },
  async run({ targets }) {
    const result = await catchErrors(async () => runCommand('false', targets), ['bolt/run-failure']);
    if (isRivetError(result)) {
      out.message(pp.str`caught ${result.kind}: ${result.msg}`);
    }
    const r = await runCommand('true', targets, { catchErrors: true });
    if (!r.ok) {
      failPlan('Command failed', 'mymod/failed', { names: r.errorSet.names });
    }
    for (const res of r.errorSet) {
      log.warn(res.error()!.message);
    }
    return r;
  },
});
