import { definePlan, out, pp } from 'rivetops';

/** Plan `golden::case_selector` */
export default definePlan({
  params: {
    os: 'String',
    value: 'Variant[String, Integer]',
  },
  run({ os, value }) {
    let pkg: any;
    if (pp.eq(os, 'Debian') || pp.eq(os, 'Ubuntu')) {
      pkg = 'apt';
    } else if (pp.match(os, /^(RedHat|CentOS)$/)) {
      pkg = 'yum';
    } else {
      pkg = 'unknown';
    }
    if (pp.type('Integer').matches(value)) {
      out.message('a number');
    } else if (pp.type('String').matches(value)) {
      out.message('a string');
    }
    const service = pp.eq(os, 'Debian') ? 'ssh' : 'sshd';
    return [pkg, service];
  },
});
