import { definePlan, out, runCommand, pp } from 'rivetops';

/** Plan `golden::iteration` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
    weights: { type: 'Hash[String, Integer]', default: { a: 1 } },
  },
  async run({ targets, weights }) {
    const names = targets.map((t) => t.name);
    for (const target of targets) {
      out.message(pp.str`target ${target.name}`);
    }
    for (const [key, weight] of pp.pairs(weights)) {
      if (weight === 0) {
        continue;
      }
      out.message(pp.str`${key}: ${weight}`);
    }
    const heavy = await pp.filter(weights, (key, weight) => pp.gt(weight, 1));
    const total = await pp.reduce(weights, 0, (memo, pair) => pp.add(memo, pp.at(pair, 1)));
    const doubled = [1, 2, 3].map((n) => pp.mul(n, 2));
    const any = await pp.some(names, (n) => pp.match(n, /web/));
    const results = await pp.map(targets, async (t) => runCommand('hostname', t));
    const checked = ((list) => pp.length(list))(names);
    return [names, heavy, total, doubled, any, checked];
  },
});
