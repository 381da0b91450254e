#!/bin/sh
# Rivet built-in task `facts`: report OS facts in the shape of Bolt's facts task
# (os.name/family/release/distro) plus architecture, kernel and host names.
# POSIX sh (dash, busybox ash). Reads no parameters. Prints one JSON object.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL

# json_escape STRING: print STRING as the body of a JSON string (no quotes).
json_escape() {
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

# os_release_get KEY FILE: value of KEY in an os-release style file, quotes removed.
os_release_get() {
  sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
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
    id=$(os_release_get ID "$f")
    id_like=$(os_release_get ID_LIKE "$f")
    version_id=$(os_release_get VERSION_ID "$f")
    codename=$(os_release_get VERSION_CODENAME "$f")
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
  dv=$(head -n 1 "$R/etc/debian_version")
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

kernel=$(uname -s 2>/dev/null)
kernelrelease=$(uname -r 2>/dev/null)
hardware=$(uname -m 2>/dev/null)
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
  node=$(hostname 2>/dev/null)
  fqdn=$(hostname -f 2>/dev/null) || fqdn=''
else
  node=$(uname -n 2>/dev/null)
  fqdn=''
fi
[ -n "$node" ] || node=$(uname -n 2>/dev/null)
hostname=${node%%.*}
case "$fqdn" in *.*) ;; *) case "$node" in *.*) fqdn=$node ;; *) [ -n "$fqdn" ] || fqdn=$hostname ;; esac ;; esac
domain=''
case "$fqdn" in *.*) domain=${fqdn#*.} ;; esac

kernelversion=${kernelrelease%%[-+]*}
kernelmajversion=$(printf '%s' "$kernelversion" | cut -d. -f1-2)

j() { printf '"%s"' "$(json_escape "$1")"; }

printf '{"os":{"name":%s,"family":%s,"release":{"full":%s,"major":%s,"minor":%s},"distro":{"codename":%s},"architecture":%s,"hardware":%s},' \
  "$(j "$name")" "$(j "$family")" "$(j "$full")" "$(j "$major")" "$(j "$minor")" "$(j "$codename")" \
  "$(j "$architecture")" "$(j "$hardware")"
printf '"kernel":%s,"kernelrelease":%s,"kernelversion":%s,"kernelmajversion":%s,"hostname":%s,"fqdn":%s,"domain":%s}\n' \
  "$(j "$kernel")" "$(j "$kernelrelease")" "$(j "$kernelversion")" "$(j "$kernelmajversion")" \
  "$(j "$hostname")" "$(j "$fqdn")" "$(j "$domain")"
