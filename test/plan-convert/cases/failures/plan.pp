plan golden::failures(TargetSpec $targets) {
  $result = catch_errors(['bolt/run-failure']) || {
    run_command('false', $targets)
  }
  if $result =~ Error {
    out::message("caught ${result.kind}: ${result.msg}")
  }
  $r = run_command('true', $targets, '_catch_errors' => true)
  unless $r.ok {
    fail_plan('Command failed', 'mymod/failed', { 'names' => $r.error_set.names })
  }
  $r.error_set.each |$res| { log::warn($res.error.message) }
  return $r
}
