#!/bin/sh
# Rivet built-in task `package`: install, uninstall, upgrade or inspect one package
# with the system package manager (apt-get, dnf, yum, apk or zypper).
# POSIX sh (dash, busybox ash). Parameters arrive as PT_* environment variables.
# Prints one JSON object; on failure {"_error": {...}} and exit 1.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND

action=${PT_action:-}
name=${PT_name:-}
version=${PT_version:-}
manager=${PT_manager:-}
manager_options=${PT_manager_options:-}
refresh=${PT_refresh:-false}
noop=${PT__noop:-false}
# Unset optional parameters may arrive as the JSON literal null.
[ "$version" = null ] && version=''
[ "$manager" = null ] && manager=''
[ "$manager_options" = null ] && manager_options=''
[ "$refresh" = null ] && refresh=false

# json_escape STRING: print STRING as the body of a JSON string (no quotes). A string of
# letters, digits and a few safe punctuation marks (every fact on most machines) is printed as is,
# without starting awk.
json_escape() {
  case "$1" in
    *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\ ._/:@,+=%~-]*) ;;
    *) printf '%s' "$1"; return ;;
  esac
  printf '%sX' "$1" | awk '
    BEGIN { for (i = 1; i < 32; i++) m[sprintf("%c", i)] = sprintf("\\u%04x", i)
            m["\t"] = "\\t"; m["\r"] = "\\r"; m["\b"] = "\\b"; m["\f"] = "\\f" }
    { out = ""; n = length($0)
      for (i = 1; i <= n; i++) { c = substr($0, i, 1)
        if (c == "\\") c = "\\\\"; else if (c == "\"") c = "\\\""; else if (c in m) c = m[c]
        out = out c }
      res = (NR > 1) ? res "\\n" out : out }
    END { sub(/X$/, "", res); printf "%s", res }'
}
j() { printf '"%s"' "$(json_escape "$1")"; }

# The package manager's output goes to a temp file, made when the first command runs (a status
# check runs none: no mktemp and no rm for it).
out_file=''
trap '[ -z "$out_file" ] || rm -f "$out_file"' EXIT

# fail MSG [DETAILS_JSON_MEMBERS]: print an _error object and exit 1.
fail() {
  details="\"action\":$(j "$action"),\"name\":$(j "$name")"
  [ -n "$manager" ] && details="$details,\"manager\":$(j "$manager")"
  [ -n "${2:-}" ] && details="$details,$2"
  printf '{"_error":{"kind":"rivet/package-error","msg":%s,"details":{%s}}}\n' "$(j "$1")" "$details"
  exit 1
}

# run CMD...: run a package-manager command, capturing its output; on failure
# fail with the command's exit code and the tail of its output.
run() {
  if [ -z "$out_file" ]; then
    out_file=$(mktemp 2>/dev/null || echo "/tmp/rivet-package.$$")
    : >"$out_file"
  fi
  "$@" </dev/null >"$out_file" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    tail_out=$(tail -n 20 "$out_file")
    fail "$1 failed with exit code $rc: $(printf '%s\n' "$tail_out" | grep -v '^[[:space:]]*$' | tail -n 1)" \
      "\"exit_code\":$rc,\"command\":$(j "$*"),\"output\":$(j "$tail_out")"
  fi
}

case "$action" in
  install|uninstall|upgrade|status) ;;
  '') fail "parameter 'action' is required (install, uninstall, upgrade or status)" ;;
  *) fail "unknown action '$action': expected install, uninstall, upgrade or status" ;;
esac
[ -n "$name" ] || fail "parameter 'name' is required"
# A package name is one word that cannot be mistaken for an option.
case "$name" in
  -*|*[!A-Za-z0-9._+:@~/-]*) fail "invalid package name '$name'" ;;
esac
case "$version" in
  -*|*[!A-Za-z0-9._+:~-]*) fail "invalid version '$version'" ;;
esac
case "$noop" in true|false) ;; *) fail "invalid _noop value '$noop'" ;; esac
case "$refresh" in true|false) ;; *) fail "invalid refresh value '$refresh'" ;; esac

if [ -z "$manager" ]; then
  for m in apt-get dnf yum apk zypper; do
    if command -v "$m" >/dev/null 2>&1; then manager=$m; break; fi
  done
  [ -n "$manager" ] || fail "no supported package manager found (apt-get, dnf, yum, apk, zypper)"
fi
case "$manager" in
  apt) manager=apt-get ;;
  apt-get|dnf|yum|apk|zypper) ;;
  *) fail "unknown manager '$manager': expected apt, dnf, yum, apk or zypper" ;;
esac
command -v "$manager" >/dev/null 2>&1 || fail "package manager '$manager' is not available on this target"

# ---------------------------------------------------------------------------
# Per-manager primitives. installed_version prints the installed version (empty
# when not installed); candidate_version prints the version the manager would
# install (empty when unknown); do_install/do_remove/do_upgrade change the system;
# would_install checks (without changing anything) that an install can proceed.

rpm_installed_version() {
  # `rpm -q --whatprovides` maps virtual names (vim -> vim-enhanced).
  rpm -q --whatprovides --qf '%{VERSION}-%{RELEASE}\n' "$name" 2>/dev/null | head -n 1 | grep -v 'no package provides' || true
}

installed_version() {
  case "$manager" in
    apt-get)
      st=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null) || st=''
      [ "$st" = installed ] && dpkg-query -W -f='${Version}' "$name" 2>/dev/null
      ;;
    dnf|yum|zypper) rpm_installed_version ;;
    apk)
      apk info -e "$name" >/dev/null 2>&1 || return 0
      apk info -v "$name" 2>/dev/null | head -n 1 | sed "s/^$(printf '%s' "$name" | sed 's/[.+]/\\&/g')-//"
      ;;
  esac
}

candidate_version() {
  case "$manager" in
    apt-get)
      c=$(apt-cache policy "$name" 2>/dev/null | sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' | head -n 1)
      [ "$c" = '(none)' ] || printf '%s' "$c"
      ;;
    dnf) dnf -q repoquery --latest-limit 1 --qf '%{version}-%{release}\n' "$name" 2>/dev/null | tail -n 1 ;;
    yum) repoquery -q --qf '%{version}-%{release}' "$name" 2>/dev/null | tail -n 1 ;;
    apk) : ;;  # no stable way to ask apk for the candidate alone; report none
    zypper) zypper -n -q info "$name" 2>/dev/null | sed -n 's/^Version[[:space:]]*:[[:space:]]*//p' | head -n 1 ;;
  esac
}

# Package spec with the requested version, in the manager's syntax.
spec() {
  if [ -z "$version" ]; then printf '%s' "$name"; return; fi
  case "$manager" in
    apt-get|apk|zypper) printf '%s=%s' "$name" "$version" ;;
    dnf|yum) printf '%s-%s' "$name" "$version" ;;
  esac
}

do_refresh() {
  case "$manager" in
    apt-get) run apt-get -q -o DPkg::Lock::Timeout=120 update ;;
    dnf) run dnf -q -y makecache ;;
    yum) run yum -q -y makecache ;;
    apk) run apk update ;;
    zypper) run zypper -n -q refresh ;;
  esac
}

# $manager_options is split on whitespace on purpose (several options in one string).
APT_OPTS="-y -q -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

do_install() {
  # shellcheck disable=SC2086
  case "$manager" in
    apt-get) run apt-get $APT_OPTS $manager_options install "$(spec)" ;;
    dnf|yum) run "$manager" -y $manager_options install "$(spec)" ;;
    apk) run apk add --no-progress $manager_options "$(spec)" ;;
    zypper) run zypper -n $manager_options install "$(spec)" ;;
  esac
}

do_remove() {
  # shellcheck disable=SC2086
  case "$manager" in
    apt-get) run apt-get $APT_OPTS $manager_options remove "$name" ;;
    dnf|yum) run "$manager" -y $manager_options remove "$name" ;;
    apk) run apk del --no-progress $manager_options "$name" ;;
    zypper) run zypper -n $manager_options remove "$name" ;;
  esac
}

do_upgrade() {
  # shellcheck disable=SC2086
  case "$manager" in
    apt-get) run apt-get $APT_OPTS $manager_options install --only-upgrade "$(spec)" ;;
    dnf|yum) run "$manager" -y $manager_options upgrade "$(spec)" ;;
    apk) run apk add --no-progress --upgrade $manager_options "$(spec)" ;;
    zypper) run zypper -n $manager_options install "$(spec)" ;;
  esac
}

# Dry run of an install/upgrade: fails (like the real thing would) when the
# package cannot be found; changes nothing.
would_install() {
  # shellcheck disable=SC2086
  case "$manager" in
    apt-get) run apt-get -s $APT_OPTS $manager_options install "$(spec)" ;;
    apk) run apk add --simulate --no-progress $manager_options "$(spec)" ;;
    zypper) run zypper -n $manager_options install --dry-run "$(spec)" ;;
    dnf|yum) : ;;  # no side-effect-free resolve across dnf/yum versions; report only
  esac
}

# ---------------------------------------------------------------------------

emit() { printf '{%s}\n' "$1"; exit 0; }

if { [ "$action" = install ] || [ "$action" = upgrade ]; } && [ "$noop" != true ] && [ "$refresh" = true ]; then
  do_refresh
fi

before=$(installed_version)

case "$action" in
  status)
    if [ -z "$before" ]; then
      emit "\"status\":\"not installed\",\"version\":\"\""
    fi
    latest=$(candidate_version)
    if [ -n "$latest" ] && [ "$latest" != "$before" ]; then
      emit "\"status\":\"installed\",\"version\":$(j "$before"),\"latest\":$(j "$latest")"
    fi
    emit "\"status\":\"installed\",\"version\":$(j "$before")"
    ;;

  install)
    if [ -n "$before" ] && { [ -z "$version" ] || [ "$version" = "$before" ]; }; then
      emit "\"status\":\"installed\",\"version\":$(j "$before"),\"changed\":false"
    fi
    if [ "$noop" = true ]; then
      would_install
      target=$version
      [ -n "$target" ] || target=$(candidate_version)
      st="not installed"; [ -n "$before" ] && st=installed
      emit "\"status\":$(j "$st"),\"version\":$(j "$before"),\"noop\":true,\"changed\":true,\"would\":\"install\",\"would_version\":$(j "$target")"
    fi
    do_install
    after=$(installed_version)
    [ -n "$after" ] || fail "$manager reported success but '$name' is not installed" "\"output\":$(j "$(tail -n 20 "${out_file:-/dev/null}")")"
    if [ -n "$before" ]; then
      emit "\"status\":\"installed\",\"version\":$(j "$after"),\"old_version\":$(j "$before"),\"changed\":true"
    fi
    emit "\"status\":\"installed\",\"version\":$(j "$after"),\"changed\":true"
    ;;

  uninstall)
    if [ -z "$before" ]; then
      emit "\"status\":\"uninstalled\",\"changed\":false"
    fi
    if [ "$noop" = true ]; then
      emit "\"status\":\"installed\",\"version\":$(j "$before"),\"noop\":true,\"changed\":true,\"would\":\"uninstall\""
    fi
    do_remove
    after=$(installed_version)
    [ -z "$after" ] || fail "$manager reported success but '$name' is still installed (version $after)"
    emit "\"status\":\"uninstalled\",\"old_version\":$(j "$before"),\"changed\":true"
    ;;

  upgrade)
    [ -n "$before" ] || fail "package '$name' is not installed; use action=install"
    if [ "$noop" = true ]; then
      would_install
      target=$version
      [ -n "$target" ] || target=$(candidate_version)
      if [ -z "$target" ] || [ "$target" = "$before" ]; then
        emit "\"status\":\"up to date\",\"version\":$(j "$before"),\"old_version\":$(j "$before"),\"noop\":true,\"changed\":false"
      fi
      emit "\"status\":\"installed\",\"version\":$(j "$before"),\"old_version\":$(j "$before"),\"noop\":true,\"changed\":true,\"would\":\"upgrade\",\"would_version\":$(j "$target")"
    fi
    do_upgrade
    after=$(installed_version)
    if [ "$after" = "$before" ]; then
      emit "\"status\":\"up to date\",\"version\":$(j "$after"),\"old_version\":$(j "$before"),\"changed\":false"
    fi
    emit "\"status\":\"upgraded\",\"version\":$(j "$after"),\"old_version\":$(j "$before"),\"changed\":true"
    ;;
esac
