# Regexp match variables, sprintf, range, step, slice, getvar, group_by
plan cases::functions(String $host = 'web-12', Hash $settings = { 'db' => { 'port' => 5432 } }) {
  if $host =~ /^(\w+)-(\d+)$/ {
    out::message("role ${1}, number ${2}, whole ${0}")
  }
  $kind = case $host {
    /^db-(\d+)/: { "database ${1}" }
    /^(web|app)-/: { "frontend ${1}" }
    default: { 'other' }
  }
  $label = sprintf('%-6s|%05.1f|%x|%s', $kind, 3.14159, 255, $host)
  $hosts = range('web01', 'web03')
  $evens = range(0, 10, 2)
  $odd = [1, 2, 3, 4, 5].step(2)
  $pairs = slice($hosts, 2)
  slice($hosts, 2) |$chunk| { out::message("chunk ${chunk}") }
  $port = getvar('settings.db.port')
  $missing = getvar('settings.cache.port', 6379)
  $by_length = ['a', 'bb', 'cc'].group_by |$s| { $s.length }
  return [$kind, $label, $hosts, $evens, $odd, $pairs, $port, $missing, $by_length]
}
