plan golden::conditionals(Integer $count, Optional[String] $mode = undef) {
  if $count > 10 {
    $size = 'large'
  } elsif $count > 3 {
    $size = 'medium'
  } else {
    $size = 'small'
  }
  unless $mode {
    out::message('no mode')
  }
  # Puppet truthiness: '' and 0 are true
  if $count { out::message('count is truthy') }
  $label = if $mode == 'fast' { 'quick' } else { 'careful' }
  return "${size}/${label}"
}
