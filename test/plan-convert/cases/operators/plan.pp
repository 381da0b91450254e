plan golden::operators(Integer $a, Integer $b, String $s, Array $list) {
  $sum = $a + $b
  $div = $a / $b
  $mod = $a % $b
  $concat = $list + ['x']
  $less = $list - ['x']
  $eq = $s == 'Web'
  $ne = $s != 'db'
  $lt = $a < $b
  $in = 'web' in $s
  $member = 'x' in $list
  $match = $s =~ /^web/
  $nomatch = $s !~ /^db/
  $typed = $a =~ Integer[0, 10]
  $logic = ($a > 1 and $b > 1) or !$eq
  $neg = -$a
  return [$sum, $div, $mod, $concat, $less, $eq, $ne, $lt, $in, $member, $match, $nomatch, $typed, $logic, $neg]
}
