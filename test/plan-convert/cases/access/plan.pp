plan golden::access(Hash $config, Array $list) {
  $port = $config['port']
  $deep = $config['db']['host']
  $last = $list[-1]
  $slice = $list[1, 2]
  $dug = $config.dig('db', 'user')
  [$a, $b] = $list
  return { 'port' => $port, 'deep' => $deep, 'last' => $last, 'slice' => $slice, 'dug' => $dug, 'a' => $a }
}
