import { definePlan, addFacts, addToGroup, createTarget, env, facts, file, getTarget, getTargets, out, setVar, vars, pp } from 'rivetops';

/** Plan `golden::targets` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
  },
  async run({ targets }) {
    const all = getTargets(targets);
    const one = getTarget('localhost');
    setVar(one, 'role', 'primary');
    addFacts(one, { os: { family: 'Debian' } });
    const role = pp.at(vars(one), 'role');
    const family = pp.at(pp.at(facts(one), 'os'), 'family');
    const new_ = createTarget({ uri: 'ssh://example.com' });
    addToGroup(new_, 'web');
    const home = env('HOME');
    const conf = await file.read('mymod/conf.txt');
    out.verbose(pp.str`${pp.length(all)} targets, ${role}, ${family}, ${home}`);
    return [one.name, one.host, new_.uri];
  },
});
