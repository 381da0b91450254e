import { definePlan } from 'rivetops';

/** Plan `golden::todo` */
export default definePlan({
  params: {
    targets: 'TargetSpec',
  },
  run({ targets }) {
    /* TODO(rivet convert): function apply_prep needs a Puppet agent and catalog compiler on the targets: apply_prep($targets) */
    // TODO(rivet convert): apply block needs a Puppet catalog compiler. Original (todo/plan.pp:3):
    //   apply($targets) {
    //       package { 'nginx': ensure => installed }
    //     }
    const value = undefined /* TODO(rivet convert): function lookup needs Hiera: lookup('mymod::key') */;
    const custom = undefined /* TODO(rivet convert): function mymod::helper is not a Bolt plan function Rivet knows (a custom or Ruby function?): mymod::helper($targets) */;
    return value;
  },
});
