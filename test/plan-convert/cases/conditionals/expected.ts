import { definePlan, out, pp } from 'rivetops';

/** Plan `golden::conditionals` */
export default definePlan({
  params: {
    count: 'Integer',
    mode: 'Optional[String]',
  },
  run({ count, mode }) {
    let size: any;
    if (count > 10) {
      size = 'large';
    } else if (count > 3) {
      size = 'medium';
    } else {
      size = 'small';
    }
    if (!pp.truthy(mode)) {
      out.message('no mode');
    }
    // Puppet truthiness: '' and 0 are true
    if (pp.truthy(count)) {
      out.message('count is truthy');
    }
    let label: any;
    if (pp.eq(mode, 'fast')) {
      label = 'quick';
    } else {
      label = 'careful';
    }
    return pp.str`${size}/${label}`;
  },
});
