#!/bin/sh
# Checks a deployed static site (read-only). Parameters arrive as PT_* environment variables.
root="$PT_root"
json_escape() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
fail() {
  printf '{"_error":{"kind":"site/unhealthy","msg":"%s","details":{"root":"%s"}}}\n' "$(json_escape "$1")" "$(json_escape "$root")"
  exit 1
}
[ -d "$root" ] || fail "$root does not exist"
[ -s "$root/index.html" ] || fail "$root/index.html is missing or empty"
version=""
[ -f "$root/VERSION" ] && version=$(sed -n 's/^version=//p' "$root/VERSION")
if [ -n "$PT_expect_version" ] && [ "$version" != "$PT_expect_version" ]; then
  fail "$root serves version '$version', expected '$PT_expect_version'"
fi
files=$(find "$root/" -type f | wc -l | tr -d ' ')
bytes=$(cat "$root"/index.html | wc -c | tr -d ' ')
printf '{"healthy":true,"version":"%s","files":%s,"index_bytes":%s}\n' "$(json_escape "$version")" "$files" "$bytes"
