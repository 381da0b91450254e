import { definePlan, pp } from 'rivetops';

/** Plan `golden::access` */
export default definePlan({
  params: {
    config: 'Hash',
    list: 'Array',
  },
  run({ config, list }) {
    const port = pp.at(config, 'port');
    const deep = pp.at(pp.at(config, 'db'), 'host');
    const last = pp.at(list, -1);
    const slice = pp.at(list, 1, 2);
    const dug = pp.dig(config, 'db', 'user');
    const [a, b] = pp.items(list);
    return { port, deep, last, slice, dug, a };
  },
});
