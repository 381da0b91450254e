import { definePlan, out, pp } from 'rivetops';

/** Plan `golden::interpolation` */
export default definePlan({
  params: {
    name: 'String',
    items: { type: 'Array[String]', default: ['a', 'b'] },
  },
  run({ name, items }) {
    const greeting = pp.str`Hello ${name}!`;
    const nested = pp.str`Items: ${items} (${pp.length(items)}) first=${pp.at(items, 0)} ${name}`;
    const heredoc = pp.str`Dear ${name},\n  indented\n`;
    out.message(greeting);
    return pp.str`${nested}\n${heredoc}`;
  },
});
