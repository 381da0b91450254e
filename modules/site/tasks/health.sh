#!/bin/sh
# Checks a deployed static site (read-only). Parameters arrive as PT_* environment variables.
root="$PT_root"
# Backslashes and double quotes escaped (sed only when there are any).
json_escape() {
  case "$1" in
    *[\\\"]*) printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' ;;
    *) printf '%s' "$1" ;;
  esac
}
fail() {
  printf '{"_error":{"kind":"site/unhealthy","msg":"%s","details":{"root":"%s"}}}\n' "$(json_escape "$1")" "$(json_escape "$root")"
  exit 1
}
[ -d "$root" ] || fail "$root does not exist"
[ -s "$root/index.html" ] || fail "$root/index.html is missing or empty"
version=""
if [ -f "$root/VERSION" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in version=*) version=${line#version=} ;; esac
  done <"$root/VERSION"
fi
if [ -n "$PT_expect_version" ] && [ "$version" != "$PT_expect_version" ]; then
  fail "$root serves version '$version', expected '$PT_expect_version'"
fi
# Lines counted by the shell itself, as `wc -l` would (one program fewer per check).
files=$(find "$root/" -type f | { n=0; while IFS= read -r _; do n=$((n + 1)); done; echo "$n"; })
bytes=$(($(wc -c <"$root/index.html")))
printf '{"healthy":true,"version":"%s","files":%s,"index_bytes":%s}\n' "$(json_escape "$version")" "$files" "$bytes"
