#!/bin/sh
# Rivet built-in task `facts`: report OS facts in the shape of Bolt's facts task
# (os.name/family/release/distro) plus architecture, kernel and host names.
# POSIX sh (dash, busybox ash). Reads no parameters. Prints one JSON object.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL

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

# unquote VALUE: sets $unquoted to VALUE without one pair of enclosing double quotes, then one
# pair of single quotes (as os-release allows).
unquote() {
  unquoted=$1
  case "$unquoted" in \"*\") unquoted=${unquoted#\"}; unquoted=${unquoted%\"} ;; esac
  case "$unquoted" in \'*\') unquoted=${unquoted#\'}; unquoted=${unquoted%\'} ;; esac
}

# os_release_read FILE: sets id, id_like, version_id and codename from the first ID=, ID_LIKE=,
# VERSION_ID= and VERSION_CODENAME= lines of an os-release style file, quotes removed (read by the
# shell itself: no sed or head processes).
os_release_read() {
  seen=' '
  while IFS= read -r line || [ -n "$line" ]; do
    key=${line%%=*}
    case "$key" in ID|ID_LIKE|VERSION_ID|VERSION_CODENAME) ;; *) continue ;; esac
    case "$line" in *=*) ;; *) continue ;; esac
    case "$seen" in *" $key "*) continue ;; esac
    seen="$seen$key "
    unquote "${line#*=}"
    case "$key" in
      ID) id=$unquoted ;;
      ID_LIKE) id_like=$unquoted ;;
      VERSION_ID) version_id=$unquoted ;;
      VERSION_CODENAME) codename=$unquoted ;;
    esac
  done <"$1"
}

# Facter-style display name for an os-release ID.
munge_name() {
  case "$1" in
    debian) echo Debian ;;
    ubuntu) echo Ubuntu ;;
    linuxmint) echo LinuxMint ;;
    raspbian) echo Raspbian ;;
    rhel|redhat|red) echo RedHat ;;
    centos) echo CentOS ;;
    rocky) echo Rocky ;;
    almalinux) echo AlmaLinux ;;
    fedora) echo Fedora ;;
    ol|oracle) echo OracleLinux ;;
    amzn) echo Amazon ;;
    cloudlinux|cloud) echo CloudLinux ;;
    alpine) echo Alpine ;;
    sles|sles_sap) echo SLES ;;
    suse) echo SuSE ;;
    opensuse|opensuse-leap|opensuse-tumbleweed) echo OpenSuSE ;;
    arch|archarm) echo Archlinux ;;
    manjaro) echo ManjaroLinux ;;
    gentoo) echo Gentoo ;;
    photon) echo PhotonOS ;;
    '') echo "" ;;
    *) first=$(printf '%s' "$1" | cut -c1 | tr '[:lower:]' '[:upper:]')
       rest=$(printf '%s' "$1" | cut -c2- | tr '[:upper:]' '[:lower:]')
       echo "$first$rest" ;;
  esac
}

# Facter os.family for one os-release ID (empty when unknown).
family_of() {
  case "$1" in
    debian|ubuntu|linuxmint|raspbian|devuan|kali|pop|elementary) echo Debian ;;
    rhel|redhat|centos|rocky|almalinux|fedora|ol|amzn|cloudlinux|scientific|eurolinux|virtuozzo) echo RedHat ;;
    sles|sles_sap|suse|opensuse|opensuse-leap|opensuse-tumbleweed) echo Suse ;;
    alpine) echo Alpine ;;
    arch|archarm|manjaro) echo Archlinux ;;
    gentoo) echo Gentoo ;;
    *) echo "" ;;
  esac
}

id='' id_like='' version_id='' codename=''
R=${RIVET_FACTS_ROOT:-}   # test hook: read release files below another root
for f in "$R/etc/os-release" "$R/usr/lib/os-release"; do
  if [ -r "$f" ]; then
    os_release_read "$f"
    break
  fi
done

# Older RedHat-likes without os-release, or os-release with only a major version:
# "CentOS Linux release 7.9.2009 (Core)".
for f in "$R/etc/centos-release" "$R/etc/rocky-release" "$R/etc/almalinux-release" "$R/etc/oracle-release" "$R/etc/fedora-release" "$R/etc/redhat-release"; do
  [ -r "$f" ] || continue
  line=$(head -n 1 "$f")
  if [ -z "$id" ]; then
    case "$f" in
      */centos-release) id=centos ;; */rocky-release) id=rocky ;; */almalinux-release) id=almalinux ;;
      */oracle-release) id=ol ;; */fedora-release) id=fedora ;; *) id=rhel ;;
    esac
  fi
  rel=$(printf '%s\n' "$line" | sed -n 's/.*release[[:space:]]*\([0-9][0-9.]*\).*/\1/p')
  case "$version_id" in *.*) ;; *) [ -n "$rel" ] && version_id=$rel ;; esac
  if [ -z "$codename" ]; then
    codename=$(printf '%s\n' "$line" | sed -n 's/.*(\(.*\)).*/\1/p')
  fi
  break
done

# Debian's point release lives in /etc/debian_version ("12.8"); os-release only has "12".
if [ "$id" = debian ] && [ -r "$R/etc/debian_version" ]; then
  dv=; { IFS= read -r dv || :; } <"$R/etc/debian_version"
  case "$dv" in [0-9]*.[0-9]*) version_id=$dv ;; esac
fi

# Alpine: /etc/alpine-release carries the full version when os-release is missing.
if [ -z "$version_id" ] && [ -r "$R/etc/alpine-release" ]; then
  [ -n "$id" ] || id=alpine
  version_id=$(head -n 1 "$R/etc/alpine-release")
fi

if [ -z "$id" ] && [ -z "$R" ] && command -v lsb_release >/dev/null 2>&1; then
  id=$(lsb_release -si 2>/dev/null | tr '[:upper:]' '[:lower:]')
  version_id=$(lsb_release -sr 2>/dev/null)
  codename=$(lsb_release -sc 2>/dev/null)
fi

# One uname for the four (each is one word on every system; the node name is the host name that
# `hostname` prints, both being the kernel's); one each when that is not so.
node=''
set -- $(uname -s -n -r -m 2>/dev/null)
if [ $# -eq 4 ]; then
  kernel=$1 node=$2 kernelrelease=$3 hardware=$4
else
  kernel=$(uname -s 2>/dev/null)
  kernelrelease=$(uname -r 2>/dev/null)
  hardware=$(uname -m 2>/dev/null)
fi
[ -n "$id" ] || { id=$(printf '%s' "$kernel" | tr '[:upper:]' '[:lower:]'); [ -n "$version_id" ] || version_id=$kernelrelease; }

family=$(family_of "$id")
if [ -z "$family" ]; then
  for like in $id_like; do
    family=$(family_of "$like")
    [ -n "$family" ] && break
  done
fi
[ -n "$family" ] || family=$(munge_name "${id_like%% *}")
[ -n "$family" ] || family=$(munge_name "$id")
name=$(munge_name "$id")

full=$version_id
major=${full%%.*}
case "$full" in
  *.*) minor=${full#*.}; minor=${minor%%.*} ;;
  *) minor='' ;;
esac

# Facter reports the package architecture on Debian-family systems (amd64, arm64).
architecture=$hardware
if [ "$family" = Debian ] && command -v dpkg >/dev/null 2>&1; then
  a=$(dpkg --print-architecture 2>/dev/null) && [ -n "$a" ] && architecture=$a
fi

if command -v hostname >/dev/null 2>&1; then
  [ -n "$node" ] || node=$(hostname 2>/dev/null)
  fqdn=$(hostname -f 2>/dev/null) || fqdn=''
else
  fqdn=''
fi
[ -n "$node" ] || node=$(uname -n 2>/dev/null)
hostname=${node%%.*}
case "$fqdn" in *.*) ;; *) case "$node" in *.*) fqdn=$node ;; *) [ -n "$fqdn" ] || fqdn=$hostname ;; esac ;; esac
domain=''
case "$fqdn" in *.*) domain=${fqdn#*.} ;; esac

kernelversion=${kernelrelease%%[-+]*}
# The first two dot-separated fields (cut -d. -f1-2).
case "$kernelversion" in
  *.*) rest=${kernelversion#*.}; kernelmajversion=${kernelversion%%.*}.${rest%%.*} ;;
  *) kernelmajversion=$kernelversion ;;
esac

j() { printf '"%s"' "$(json_escape "$1")"; }

printf '{"os":{"name":%s,"family":%s,"release":{"full":%s,"major":%s,"minor":%s},"distro":{"codename":%s},"architecture":%s,"hardware":%s},' \
  "$(j "$name")" "$(j "$family")" "$(j "$full")" "$(j "$major")" "$(j "$minor")" "$(j "$codename")" \
  "$(j "$architecture")" "$(j "$hardware")"
printf '"kernel":%s,"kernelrelease":%s,"kernelversion":%s,"kernelmajversion":%s,"hostname":%s,"fqdn":%s,"domain":%s}\n' \
  "$(j "$kernel")" "$(j "$kernelrelease")" "$(j "$kernelversion")" "$(j "$kernelmajversion")" \
  "$(j "$hostname")" "$(j "$fqdn")" "$(j "$domain")"
