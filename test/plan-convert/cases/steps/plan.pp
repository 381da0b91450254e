plan golden::steps(TargetSpec $targets, String $version = '1.0') {
  $facts = run_task('facts', $targets)
  run_task('package', $targets, 'Install the package', 'action' => 'install', 'name' => 'nginx', '_run_as' => 'root', '_noop' => true)
  $cmd = run_command("mkdir -p /srv/${version}", $targets, '_catch_errors' => true, '_env_vars' => { 'A' => 'b' })
  run_script('mymod/setup.sh', $targets, 'arguments' => ['-x', $version])
  upload_file('mymod/site', '/var/www', $targets)
  download_file('/var/log/app.log', 'logs', $targets)
  $conf = run_task_with('mymod::conf', $targets) |$t| {
    { 'host' => $t.name }
  }
  wait_until_available($targets, 'wait_time' => 60)
  $sub = run_plan('mymod::verify', $targets, 'version' => $version, '_catch_errors' => true)
  write_file('content', '/etc/app.conf', $targets)
  return $cmd.ok_set.names
}
