import { definePlan, ctrl, parallelize, runCommand, pp } from 'rivetops';

/** Plan `golden::concurrency` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
  },
  async run({ targets }) {
    const results = await parallelize(targets, async (t) => runCommand('uptime', t));
    const future = pp.background('slow', async () => {
      await ctrl.sleep(2000);
      return 'done';
    });
    const values = await pp.wait(future);
    const polled = await pp.doUntil(async () => (await runCommand('test -f /tmp/ready', targets, { catchErrors: true })).ok, { limit: 3, interval: 1000 });
    return [results, values, polled];
  },
});
