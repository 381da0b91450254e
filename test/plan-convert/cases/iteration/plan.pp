plan golden::iteration(TargetSpec $targets, Hash[String, Integer] $weights = { 'a' => 1 }) {
  $names = $targets.map |$t| { $t.name }
  $targets.each |$target| {
    out::message("target ${target.name}")
  }
  $weights.each |$key, $weight| {
    if $weight == 0 { next() }
    out::message("${key}: ${weight}")
  }
  $heavy = $weights.filter |$key, $weight| { $weight > 1 }
  $total = $weights.reduce(0) |$memo, $pair| { $memo + $pair[1] }
  $doubled = [1, 2, 3].map |$n| { $n * 2 }
  $any = $names.any |$n| { $n =~ /web/ }
  $results = $targets.map |$t| {
    run_command('hostname', $t)
  }
  $checked = with($names) |$list| { $list.length }
  return [$names, $heavy, $total, $doubled, $any, $checked]
}
