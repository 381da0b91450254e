plan golden::case_selector(String $os, Variant[String, Integer] $value) {
  case $os {
    'Debian', 'Ubuntu': { $pkg = 'apt' }
    /^(RedHat|CentOS)$/: { $pkg = 'yum' }
    default: { $pkg = 'unknown' }
  }
  case $value {
    Integer: { out::message('a number') }
    String: { out::message('a string') }
  }
  $service = $os ? {
    'Debian' => 'ssh',
    default  => 'sshd',
  }
  return [$pkg, $service]
}
