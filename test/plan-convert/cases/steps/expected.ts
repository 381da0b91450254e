import { definePlan, downloadFile, runCommand, runPlan, runScript, runTask, runTaskWith, uploadFile, waitUntilAvailable, writeFile, pp } from 'rivetops';

/** Plan `golden::steps` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
    version: { type: 'String', default: '1.0' },
  },
  async run({ targets, version }) {
    const facts_ = await runTask('facts', targets);
    await runTask('package', targets, { action: 'install', name: 'nginx' }, { description: 'Install the package', runAs: 'root', noop: true });
    const cmd = await runCommand(pp.str`mkdir -p /srv/${version}`, targets, { catchErrors: true, envVars: { A: 'b' } });
    await runScript('mymod/setup.sh', targets, { arguments: ['-x', version] });
    await uploadFile('mymod/site', '/var/www', targets);
    await downloadFile('/var/log/app.log', 'logs', targets);
    const conf = await runTaskWith('mymod::conf', targets, (t) => ({ host: t.name }));
    await waitUntilAvailable(targets, { waitTime: 60000 });
    const sub = await runPlan('mymod::verify', { targets: targets, version: version }, { catchErrors: true });
    await writeFile('content', '/etc/app.conf', targets);
    return cmd.okSet.names;
  },
});
