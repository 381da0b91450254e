// Converted from the YAML plan plan.yaml by rivet plan convert.
// Deploy with a YAML plan
// @param version The version to deploy
import { definePlan, out, runCommand, runPlan, runScript, runTask, uploadFile, pp } from 'rivetops';

/** Plan `golden::yaml_plan`: Deploy with a YAML plan */
export default definePlan({
  description: 'Deploy with a YAML plan',
  params: {
    targets: 'TargetSpec',
    version: { type: 'String', default: '1.0', description: 'The version to deploy' },
  },
  async run({ targets, version }) {
    const check = await runCommand('test -d /srv/app', targets, { catchErrors: true });
    out.message(pp.str`Deploying ${version}`);
    const install = await runTask('package', check.okSet.targets, { action: 'install', name: 'app' }, { description: 'Install the app', runAs: 'root' });
    await uploadFile('mymod/app.conf', '/etc/app.conf', targets);
    await runScript('mymod/restart.sh', targets, { envVars: { VERSION: version }, arguments: ['--now'] });
    const count = (() => {
      const n = pp.length(install);
      return n * 2;
    })();
    out.verbose(pp.str`count is ${count}`);
    await runPlan('mymod::verify', { targets: targets, version: version });
    return { installed: install.names, count };
  },
});
