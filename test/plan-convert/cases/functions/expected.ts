// Regexp match variables, sprintf, range, step, slice, getvar, group_by
import { definePlan, out, pp } from 'rivetops';

/** Plan `cases::functions`: Regexp match variables, sprintf, range, step, slice, getvar, group_by */
export default definePlan({
  description: 'Regexp match variables, sprintf, range, step, slice, getvar, group_by',
  params: {
    host: { type: 'String', default: 'web-12' },
    settings: { type: 'Hash', default: { db: { port: 5432 } } },
  },
  async run({ host, settings }) {
    const captures: (string | undefined)[] = [];
    if (pp.match(host, /^(\w+)-(\d+)$/, captures)) {
      out.message(pp.str`role ${captures[1]}, number ${captures[2]}, whole ${captures[0]}`);
    }
    let kind: any;
    if (pp.match(host, /^db-(\d+)/, captures)) {
      kind = pp.str`database ${captures[1]}`;
    } else if (pp.match(host, /^(web|app)-/, captures)) {
      kind = pp.str`frontend ${captures[1]}`;
    } else {
      kind = 'other';
    }
    const label = pp.sprintf('%-6s|%05.1f|%x|%s', kind, 3.14159, 255, host);
    const hosts = pp.range('web01', 'web03');
    const evens = pp.range(0, 10, 2);
    const odd = pp.step([1, 2, 3, 4, 5], 2);
    const pairs = pp.slice(hosts, 2);
    for (const chunk of pp.slice(hosts, 2)) {
      out.message(pp.str`chunk ${chunk}`);
    }
    const port = pp.dig(settings, 'db', 'port');
    const missing = pp.dig(settings, 'cache', 'port') ?? 6379;
    const byLength = await pp.groupBy(['a', 'bb', 'cc'], (s) => pp.length(s));
    return [kind, label, hosts, evens, odd, pairs, port, missing, byLength];
  },
});
