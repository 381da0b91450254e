import { definePlan, pp } from 'rivetops';

/** Plan `golden::operators` */
export default definePlan({
  params: {
    a: 'Integer',
    b: 'Integer',
    s: 'String',
    list: 'Array',
  },
  run({ a, b, s, list }) {
    const sum = a + b;
    const div = pp.div(a, b);
    const mod = pp.mod(a, b);
    const concat = pp.add(list, ['x']);
    const less = pp.sub(list, ['x']);
    const eq = pp.eq(s, 'Web');
    const ne = !pp.eq(s, 'db');
    const lt = a < b;
    const in_ = pp.isIn('web', s);
    const member = pp.isIn('x', list);
    const match = pp.match(s, /^web/);
    const nomatch = !pp.match(s, /^db/);
    const typed = pp.type('Integer[0, 10]').matches(a);
    const logic = (a > 1 && b > 1) || !eq;
    const neg = -a;
    return [sum, div, mod, concat, less, eq, ne, lt, in_, member, match, nomatch, typed, logic, neg];
  },
});
