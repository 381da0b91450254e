#!/bin/sh
# Rivet built-in task `service`: start, stop, restart, reload, enable, disable or
# inspect one service with systemd (systemctl) or sysvinit (/etc/init.d scripts,
# update-rc.d or chkconfig for boot links).
# POSIX sh (dash, busybox ash). Parameters arrive as PT_* environment variables.
# Prints one JSON object; on failure {"_error": {...}} and exit 1.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL

action=${PT_action:-}
name=${PT_name:-}
manager=${PT_manager:-}
noop=${PT__noop:-false}
[ "$manager" = null ] && manager=''

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

out_file=$(mktemp 2>/dev/null || echo "/tmp/rivet-service.$$")
: >"$out_file"
trap 'rm -f "$out_file"' EXIT

# fail MSG [DETAILS_JSON_MEMBERS]: print an _error object and exit 1.
fail() {
  details="\"action\":$(j "$action"),\"name\":$(j "$name")"
  [ -n "$manager" ] && details="$details,\"manager\":$(j "$manager")"
  [ -n "${2:-}" ] && details="$details,$2"
  printf '{"_error":{"kind":"rivet/service-error","msg":%s,"details":{%s}}}\n' "$(j "$1")" "$details"
  exit 1
}

# run CMD...: run a command, capturing its output; fail with its exit code and
# the tail of its output when it fails.
run() {
  "$@" </dev/null >"$out_file" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    tail_out=$(tail -n 20 "$out_file")
    last=$(printf '%s\n' "$tail_out" | grep -v '^[[:space:]]*$' | tail -n 1)
    label="$*"
    [ "$1" = sv_invoke ] && label="$script $2"
    msg="'$label' failed with exit code $rc"
    [ -n "$last" ] && msg="$msg: $last"
    fail "$msg" "\"exit_code\":$rc,\"output\":$(j "$tail_out")"
  fi
}

case "$action" in
  start|stop|restart|reload|enable|disable|status) ;;
  '') fail "parameter 'action' is required (start, stop, restart, reload, enable, disable or status)" ;;
  *) fail "unknown action '$action': expected start, stop, restart, reload, enable, disable or status" ;;
esac
[ -n "$name" ] || fail "parameter 'name' is required"
case "$name" in
  -*|*[!A-Za-z0-9@._:+-]*) fail "invalid service name '$name'" ;;
esac
case "$noop" in true|false) ;; *) fail "invalid _noop value '$noop'" ;; esac

if [ -z "$manager" ]; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    manager=systemd
  else
    manager=sysvinit
  fi
fi
case "$manager" in
  systemd) command -v systemctl >/dev/null 2>&1 || fail "systemctl is not available on this target" ;;
  sysvinit) ;;
  *) fail "unknown manager '$manager': expected systemd or sysvinit" ;;
esac

# ---------------------------------------------------------------------------
# systemd

sd_check_exists() {
  load=$(systemctl show -p LoadState "$name" 2>/dev/null | sed -n 's/^LoadState=//p')
  if [ "$load" = not-found ] || [ -z "$load" ]; then
    fail "unknown service '$name': systemd has no unit named '$name'"
  fi
}
sd_status() {
  st=$(systemctl is-active "$name" 2>/dev/null)
  case "$st" in
    active|reloading) echo running ;;
    activating) echo starting ;;
    deactivating) echo stopping ;;
    failed) echo failed ;;
    *) echo stopped ;;
  esac
}
sd_enabled() {
  e=$(systemctl is-enabled "$name" 2>/dev/null | head -n 1)
  [ -n "$e" ] || e=unknown
  echo "$e"
}
sd_do() { run systemctl "$1" "$name"; }

# ---------------------------------------------------------------------------
# sysvinit

script=''
sv_check_exists() {
  for d in /etc/init.d /etc/rc.d/init.d; do
    if [ -f "$d/$name" ]; then script=$d/$name; return; fi
  done
  fail "unknown service '$name': no init script /etc/init.d/$name"
}
# Init scripts run with a clean environment, as service(8) runs them.
sv_invoke() {
  if [ -x "$script" ]; then
    env -i PATH="$PATH" LANG=C TERM=dumb "$script" "$1"
  else
    env -i PATH="$PATH" LANG=C TERM=dumb /bin/sh "$script" "$1"
  fi
}
sv_status() {
  # LSB: 0 running, 1 dead with pid file, 2 dead with lock file, 3 not running, 4 unknown.
  sv_invoke status </dev/null >/dev/null 2>&1
  case $? in
    0) echo running ;;
    1|2|3) echo stopped ;;
    *) echo unknown ;;
  esac
}
sv_enabled() {
  if command -v rc-update >/dev/null 2>&1; then
    # OpenRC (Alpine): enabled = in the default runlevel.
    if rc-update show default 2>/dev/null | grep -q "^[[:space:]]*${name}[[:space:]]*|"; then echo enabled; else echo disabled; fi
    return
  fi
  if command -v chkconfig >/dev/null 2>&1; then
    if chkconfig "$name" >/dev/null 2>&1; then echo enabled; else echo disabled; fi
    return
  fi
  for d in /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc.d/rc3.d /etc/rc.d/rc5.d; do
    for l in "$d"/S[0-9][0-9]"$name"; do
      [ -e "$l" ] || [ -L "$l" ] || continue
      echo enabled; return
    done
  done
  echo disabled
}
sv_do() {
  case "$1" in
    start|stop|restart|reload) run sv_invoke "$1" ;;
    enable)
      if command -v rc-update >/dev/null 2>&1; then
        run rc-update add "$name" default
      elif command -v update-rc.d >/dev/null 2>&1; then
        run update-rc.d "$name" defaults
        run update-rc.d "$name" enable
      elif command -v chkconfig >/dev/null 2>&1; then
        chkconfig --add "$name" >/dev/null 2>&1
        run chkconfig "$name" on
      else
        fail "cannot enable '$name': none of rc-update, update-rc.d, chkconfig is available"
      fi ;;
    disable)
      if command -v rc-update >/dev/null 2>&1; then
        run rc-update del "$name" default
      elif command -v update-rc.d >/dev/null 2>&1; then
        run update-rc.d "$name" disable
      elif command -v chkconfig >/dev/null 2>&1; then
        run chkconfig "$name" off
      else
        fail "cannot disable '$name': none of rc-update, update-rc.d, chkconfig is available"
      fi ;;
  esac
}

# ---------------------------------------------------------------------------

if [ "$manager" = systemd ]; then
  sd_check_exists
  status() { sd_status; }; enabled() { sd_enabled; }; do_action() { sd_do "$1"; }
else
  sv_check_exists
  status() { sv_status; }; enabled() { sv_enabled; }; do_action() { sv_do "$1"; }
fi

# wait_for STATE: poll the status for up to 10 seconds until it is STATE.
wait_for() {
  i=0
  while [ "$i" -lt 10 ]; do
    [ "$(status)" = "$1" ] && return 0
    sleep 1
    i=$((i + 1))
  done
  return 1
}

emit() {
  printf '{"status":%s,"enabled":%s,"manager":%s%s}\n' "$(j "$(status)")" "$(j "$(enabled)")" "$(j "$manager")" "${1:-}"
  exit 0
}

cur=$(status)
en=$(enabled)
case "$action" in
  status) emit ;;
  start) [ "$cur" = running ] && change=false || change=true ;;
  stop) [ "$cur" = stopped ] && change=false || change=true ;;
  restart) change=true ;;
  reload)
    [ "$cur" = running ] || fail "cannot reload '$name': it is not running (status: $cur)"
    change=true ;;
  enable) [ "$en" = enabled ] && change=false || change=true ;;
  disable) case "$en" in disabled|masked) change=false ;; *) change=true ;; esac ;;
esac

if [ "$noop" = true ]; then
  extra=",\"noop\":true,\"changed\":$change"
  [ "$change" = true ] && extra="$extra,\"would\":$(j "$action")"
  emit "$extra"
fi
[ "$change" = true ] || emit ",\"changed\":false"

do_action "$action"
case "$action" in
  start|restart|reload)
    wait_for running || fail "'$name' did not reach status running after $action (status: $(status))" \
      "\"output\":$(j "$(tail -n 20 "$out_file")")" ;;
  stop)
    wait_for stopped || fail "'$name' did not stop (status: $(status))" \
      "\"output\":$(j "$(tail -n 20 "$out_file")")" ;;
esac
emit ",\"changed\":true"
