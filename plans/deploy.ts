/**
 * example::deploy: deploy a static site to web targets, the Rivet way.
 *
 * Safe on a laptop: by default it targets `localhost` (no SSH), deploys under
 * /tmp/rivet-example/site, only *checks* the web server package (`package` task, action status)
 * and only restarts the service when asked (`restart=true`). On many targets it rolls out in
 * batches (a canary, then half, then the rest), checking each batch's health before the next.
 *
 *   npx rivet plan run example::deploy version=1.1.0
 *   npx tsx plans/deploy.ts --targets localhost version=1.1.0 --format json
 */
import { addFacts, definePlan, log, out, rollout, runCommand, runPlan, runTask, sh, uploadFile, writeFile } from 'rivetops';
import verify from '../modules/site/plans/verify.ts';

export default definePlan({
  description: 'Deploy the example static site: facts, package check, upload, activate, (re)start, verify',
  params: {
    targets: { type: 'TargetSpec', default: 'localhost', description: 'Where to deploy' },
    version: { type: 'String[1]', default: '1.0.0', description: 'Release name (a directory under releases/)' },
    root: { type: 'String[1]', default: '/tmp/rivet-example/site', description: 'Deployment directory on the targets' },
    web_package: { type: 'String[1]', default: 'nginx', description: 'Package whose status is checked' },
    restart: { type: 'Boolean', default: false, description: 'Restart the web service (needs root on the targets)' },
    service: { type: 'String[1]', default: 'nginx', description: 'Service to restart when restart=true' },
    max_failures: { type: 'Integer[0]', default: 0, description: 'Targets that may fail before the rollout stops' },
  },
  async run({ targets, version, root, web_package, restart, service, max_failures }) {
    out.message(`Deploying version ${version} to ${targets.length} target(s) under ${root}`);

    // 1. Facts: the built-in facts task; each target's os.* facts go into the inventory.
    const facts = await runTask('facts', targets);
    for (const result of facts) addFacts(result.target, result.value);
    log.info(facts.map((r) => `${r.target.name}: ${JSON.stringify(r.value['os'] ?? {})}`).join('; '));

    // 2. Package: only the status (never changes the machine). A missing package is not fatal.
    const pkg = await runTask('package', targets, { action: 'status', name: web_package }, { catchErrors: true });
    for (const result of pkg) out.message(`${result.target.name}: ${web_package} ${result.ok ? JSON.stringify(result.value['status'] ?? result.value) : 'status unknown'}`);

    // 3-5, batch by batch: one canary target first, then half of the rest, then the others. A
    // batch whose health check fails, or more failed targets than max_failures, stops the rollout
    // before the next batch (the error lists the targets it never touched).
    const release = `${root}/releases/${version}`;
    const installed = pkg.filterSet((r) => r.ok && r.value['status'] !== 'not installed').targets;
    await rollout(
      targets,
      async (batch) => {
        // 3. Upload the release (a directory from the site module) and write its VERSION file.
        //    `sh` quotes every value for the target's shell: a root with spaces or quotes is safe.
        //    A version deployed again is replaced: an upload onto an existing directory would nest
        //    inside it (Bolt's semantics), so the release directory is removed first.
        await runCommand(sh`mkdir -p ${root}/releases && rm -rf ${release}`, batch, { description: 'prepare directories' });
        await uploadFile('site/www', release, batch);
        await writeFile(`version=${version}\n`, `${release}/VERSION`, batch);

        // 4. Activate: point `current` at the new release.
        await runCommand(sh`ln -sfn ${`releases/${version}`} ${root}/current`, batch, { description: 'activate release' });

        // 5. Service: restart only when asked (needs root); otherwise report its status where installed.
        if (restart) {
          await runTask('service', batch, { action: 'restart', name: service });
        } else {
          const here = batch.filter((t) => installed.some((i) => i.name === t.name));
          if (here.length > 0) await runTask('service', here, { action: 'status', name: service }, { catchErrors: true });
        }
      },
      {
        description: `roll out ${version}`,
        batches: [1, '50%', '100%'],
        failureBudget: max_failures,
        // The batch's sites must answer with the new version before the next batch starts.
        healthCheck: async (batch) => (await runTask('site::health', batch.targets, { root: `${root}/current`, expect_version: version }, { catchErrors: true })).ok,
      },
    );
    if (!restart) out.message(`Not restarting ${service} (pass restart=true to restart it)`);

    // 6. Verify with the module's plan (throws, with the failing file:line, if a target is unhealthy).
    return runPlan(verify, { targets, root: `${root}/current`, version });
  },
});
