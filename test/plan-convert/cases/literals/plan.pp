# @summary Variables and literals
plan golden::literals() {
  $text = 'it\'s'
  $number = 42
  $octal = 0755
  $float = 1.5e3
  $flag = true
  $nothing = undef
  $list = [1, 'two', [3]]
  $map = { 'a' => 1, 'b-c' => [2], 3 => 'x' }
  $word = present
  $re = /^web\d+\z/
  return [$text, $number, $octal, $float, $flag, $nothing, $list, $map, $word]
}
