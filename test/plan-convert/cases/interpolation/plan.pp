plan golden::interpolation(String $name, Array[String] $items = ['a', 'b']) {
  $greeting = "Hello ${name}!"
  $nested = "Items: ${items} (${items.length}) first=${items[0]} $name"
  $heredoc = @("END")
    Dear ${name},
      indented
    | END
  out::message($greeting)
  return "${nested}\n${heredoc}"
}
