plan golden::todo(TargetSpec $targets) {
  apply_prep($targets)
  apply($targets) {
    package { 'nginx': ensure => installed }
  }
  $value = lookup('mymod::key')
  $custom = mymod::helper($targets)
  return $value
}
