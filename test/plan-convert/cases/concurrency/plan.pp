plan golden::concurrency(TargetSpec $targets) {
  $results = parallelize($targets) |$t| {
    run_command('uptime', $t)
  }
  $future = background('slow') || {
    ctrl::sleep(2)
    'done'
  }
  $values = wait($future)
  $polled = ctrl::do_until('limit' => 3, 'interval' => 1) || {
    run_command('test -f /tmp/ready', $targets, '_catch_errors' => true).ok
  }
  return [$results, $values, $polled]
}
