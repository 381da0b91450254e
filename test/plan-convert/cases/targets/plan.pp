plan golden::targets(TargetSpec $targets) {
  $all = get_targets($targets)
  $one = get_target('localhost')
  $one.set_var('role', 'primary')
  add_facts($one, { 'os' => { 'family' => 'Debian' } })
  $role = vars($one)['role']
  $family = facts($one)['os']['family']
  $new = Target.new('uri' => 'ssh://example.com')
  add_to_group($new, 'web')
  $home = system::env('HOME')
  $conf = file::read('mymod/conf.txt')
  out::verbose("${all.length} targets, ${role}, ${family}, ${home}")
  return [$one.name, $one.host, $new.uri]
}
