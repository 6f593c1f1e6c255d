#!/usr/bin/env bash
# scripts/systemd_box.sh: a real systemd (Debian 12, systemd 252) booted in systemd-nspawn, for
# tests that need a service manager on a machine whose PID 1 is not systemd. Needs root and
# the packages debootstrap and systemd-container (installed when missing).
#
#   make TREE [PACKAGE...]        debootstrap a minimal Debian with systemd, dbus and PACKAGEs
#                                 into the folder TREE, once: it is made in TREE.new and
#                                 renamed when complete, so TREE is whole or absent; a lock
#                                 (TREE.lock) keeps two makers apart. An existing TREE is
#                                 reused as it is, whatever PACKAGEs it was made with: name
#                                 TREE after what it holds. About 80 s and 200 MB (more with
#                                 PACKAGEs), from the mirror apt uses (or $SDBOX_MIRROR).
#   boot TREE BOX [NSPAWN-OPTS]   boots TREE as a machine whose state lives in the folder BOX
#                                 (created; one BOX per machine, several may boot one TREE at
#                                 once) and waits until systemd reports running or degraded,
#                                 e.g. --bind-ro=/stage/usr/local:/usr/local --bind=/p:/srv/p
#                                 TREE is never changed: every change goes to a tmpfs overlay
#                                 that is dropped at halt.
#   run BOX CMD...                runs CMD inside the machine (stdin, stdout and the exit
#                                 status pass through), with a clean environment
#   copy BOX SRC DEST             copies the host file or folder SRC into the folder DEST inside
#   halt BOX                      powers the machine off, kills what is left and removes its
#                                 cgroups on the host; does nothing if it is not running
#   status BOX                    prints its pids and state; exit 1 if it is not running
#
# Environment: SDBOX_BOOT_TIMEOUT (90 s), SDBOX_HALT_TIMEOUT (30 s), SDBOX_MIRROR,
#   SDBOX_V1_RW (default "memory"): on hosts with cgroup v1 controllers (hybrid or legacy),
#   the controllers the machine may use. nspawn mounts them read-only, so a unit's MemoryMax=
#   would silently not apply; each one named here gets a cgroup of the machine's own, is
#   remounted read-write inside, and systemd is re-executed to pick it up.
#
# Limits: CPU, I/O and pids limits of units are not enforced on a cgroup v1 host (those
# controllers stay read-only inside); PrivateNetwork= gives a namespace whose loopback is down.
set -euo pipefail

die() {
  echo "systemd_box: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root"

cmd=${1:-}
shift || true
[ -n "$cmd" ] || die "usage: $0 make|boot|run|copy|halt|status ..."

CLEAN_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 HOME=/root)

# A box's state: BOX/nspawn.pid, leader.pid (the machine's PID 1 seen from the host),
# cg (the host cgroups made for it), console.log. Its machine name comes from BOX's path.
set_box() {
  [ -n "${1:-}" ] || die "missing BOX"
  BOX=$(readlink -m "$1")
  ID="sdbox-$(printf %s "$BOX" | md5sum | cut -c1-10)"
}

# The cgroup hierarchies nspawn and the machine live in on this host.
cg_roots() {
  if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then # hybrid
    echo /sys/fs/cgroup/unified
    echo /sys/fs/cgroup/systemd
  elif [ -e /sys/fs/cgroup/cgroup.procs ] && [ ! -e /sys/fs/cgroup/systemd ]; then # v2
    echo /sys/fs/cgroup
  elif [ -e /sys/fs/cgroup/systemd/cgroup.procs ]; then # legacy v1
    echo /sys/fs/cgroup/systemd
  fi
}

alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
nspawn_pid() {
  local n
  n=$(cat "$BOX/nspawn.pid" 2>/dev/null) && alive "$n" && echo "$n"
}
leader_pid() {
  local n l
  n=$(nspawn_pid) || return 1
  l=$(awk '{print $1}' "/proc/$n/task/$n/children" 2>/dev/null)
  [ -n "$l" ] || return 1
  echo "$l"
}
in_box() {
  local l
  l=$(leader_pid) || die "the machine of $BOX is not running"
  nsenter -t "$l" -a --wdns=/ "${CLEAN_ENV[@]}" "$@"
}

# Removes a half-made tree, unmounting first whatever debootstrap left mounted in it.
remove_tree() {
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$1/" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$1"
}

do_make() {
  [ -n "${1:-}" ] || die "make TREE [PACKAGE...]"
  local tree
  tree=$(readlink -m "$1")
  shift
  command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
      --no-install-recommends debootstrap systemd-container >/dev/null ||
    die "cannot install debootstrap and systemd-container"
  mkdir -p "$(dirname "$tree")"
  exec 9>"$tree.lock"
  flock 9
  if [ -e "$tree/usr/lib/systemd/systemd" ]; then
    echo "reusing $tree"
    return 0
  fi
  local mirror=${SDBOX_MIRROR:-}
  if [ -z "$mirror" ]; then # the mirror apt uses (deb822 or one-line sources)
    mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
      grep -v -- '-security' | head -1 || true)
    [ -n "$mirror" ] || mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      awk '{print $2}' | grep -i debian | grep -v -- '-security' | head -1 || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  fi
  local new="$tree.new" include=systemd,systemd-sysv,dbus t0=$SECONDS p
  for p in "$@"; do include+=",$p"; done
  remove_tree "$new"
  echo "making $tree from $mirror (once; takes a few minutes)"
  if ! debootstrap --variant=minbase --include="$include" bookworm "$new" "$mirror" \
    >"$tree.debootstrap.log" 2>&1; then
    tail -20 "$tree.debootstrap.log" >&2
    remove_tree "$new"
    die "debootstrap failed (log: $tree.debootstrap.log); is $mirror reachable?"
  fi
  # A quiet boot: no getty on the console, no periodic maintenance.
  echo thumbpipe-box >"$new/etc/hostname"
  : >"$new/etc/machine-id" # a new machine id at every boot
  local u
  for u in console-getty.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
    dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    systemd-tmpfiles-clean.timer systemd-pstore.service; do
    ln -sfn /dev/null "$new/etc/systemd/system/$u"
  done
  rm -rf "$new/var/cache/apt/archives/"*.deb
  mv "$new" "$tree"
  echo "made $tree in $((SECONDS - t0)) s, $(du -sh "$tree" | cut -f1)"
}

do_boot() {
  [ $# -ge 2 ] || die "boot TREE BOX [NSPAWN-OPTS...]"
  local tree
  tree=$(readlink -m "$1")
  set_box "$2"
  shift 2
  [ -e "$tree/usr/lib/systemd/systemd" ] || die "no tree at $tree (make it first)"
  if nspawn_pid >/dev/null; then die "already booted (nspawn pid $(nspawn_pid))"; fi
  mkdir -p "$BOX"
  rm -f "$BOX"/*.pid
  # nspawn's own cgroup in the writable hierarchies; without it, --keep-unit would put the
  # machine's cgroups in the host's root cgroup.
  local h cgs=()
  for h in $(cg_roots); do
    mkdir -p "$h/$ID"
    cgs+=("$h/$ID")
  done
  local c parent v1=()
  for c in ${SDBOX_V1_RW-memory}; do
    findmnt -n -t cgroup "/sys/fs/cgroup/$c" >/dev/null 2>&1 || continue
    parent=$(awk -F: -v c="$c" '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c) print $3}' /proc/self/cgroup)
    mkdir -p "/sys/fs/cgroup/$c${parent%/}/$ID"
    cgs+=("/sys/fs/cgroup/$c${parent%/}/$ID")
    v1+=("$c")
  done
  printf '%s\n' "${cgs[@]}" >"$BOX/cg"
  local t0=$SECONDS
  # setsid: nspawn outlives the caller's job; the shell moves itself into the cgroups first.
  setsid bash -c '
      for c in $(cat "$1/cg"); do echo $$ > "$c/cgroup.procs"; done
      echo $$ > "$1/nspawn.pid"; shift
      exec "$@"' _ "$BOX" \
    systemd-nspawn --quiet -D "$tree" -M "$ID" -b --register=no --keep-unit \
    --console=read-only --volatile=overlay "$@" \
    </dev/null >"$BOX/console.log" 2>&1 &
  local deadline=$((SECONDS + ${SDBOX_BOOT_TIMEOUT:-90})) l="" st=""
  while [ $SECONDS -lt $deadline ]; do
    if ! nspawn_pid >/dev/null && [ -s "$BOX/nspawn.pid" ]; then
      tail -30 "$BOX/console.log" >&2
      die "nspawn exited during boot"
    fi
    if l=$(leader_pid 2>/dev/null); then
      st=$(timeout 5 nsenter -t "$l" -a "${CLEAN_ENV[@]}" systemctl is-system-running 2>/dev/null || true)
      case "$st" in running | degraded) break ;; esac
    fi
    sleep 0.3
  done
  case "$st" in
    running | degraded) ;;
    *)
      tail -30 "$BOX/console.log" >&2
      die "boot did not reach running or degraded within ${SDBOX_BOOT_TIMEOUT:-90} s (state: ${st:-none})"
      ;;
  esac
  echo "$l" >"$BOX/leader.pid"
  if [ ${#v1[@]} -gt 0 ]; then
    for c in "${v1[@]}"; do in_box mount -o remount,rw,bind "/sys/fs/cgroup/$c"; done
    in_box systemctl daemon-reexec
    st=""
    while [ $SECONDS -lt $deadline ]; do
      st=$(timeout 5 nsenter -t "$l" -a "${CLEAN_ENV[@]}" systemctl is-system-running 2>/dev/null || true)
      case "$st" in running | degraded) break ;; esac
      sleep 0.2
    done
  fi
  echo "booted $tree as $ID (nspawn $(cat "$BOX/nspawn.pid"), PID 1 $l): $st in $((SECONDS - t0)) s"
  [ "$st" = running ] || in_box systemctl --failed --no-legend --plain >&2 || true
}

do_copy() {
  [ $# -eq 2 ] || die "copy BOX SRC DEST"
  local src
  src=$(readlink -m "$1")
  [ -e "$src" ] || die "no such file: $src"
  in_box mkdir -p "$2"
  tar -C "$(dirname "$src")" -cf - "$(basename "$src")" | in_box tar -C "$2" -xf - --no-same-owner
}

# SIGKILLs everything left in the box's cgroups: only what it started.
kill_cgroup_members() {
  local c p
  [ -s "$BOX/cg" ] || return 0
  for c in $(cat "$BOX/cg"); do
    [ -d "$c" ] || continue
    for p in $(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
}

do_halt() {
  local n l t0=$SECONDS deadline=$((SECONDS + ${SDBOX_HALT_TIMEOUT:-30}))
  [ -d "$BOX" ] || return 0
  n=$(nspawn_pid) || n=""
  l=$(leader_pid 2>/dev/null) || l=$(cat "$BOX/leader.pid" 2>/dev/null) || l=""
  alive "$l" || l=""
  if [ -n "$l" ]; then
    # SIGRTMIN+4 asks systemd as PID 1 to power off, even if nspawn is gone.
    nsenter -t "$l" -a "${CLEAN_ENV[@]}" systemctl poweroff --no-block >/dev/null 2>&1 ||
      kill -s SIGRTMIN+4 "$l" 2>/dev/null || true
  elif [ -n "$n" ]; then
    kill -TERM "$n" 2>/dev/null || true # nspawn passes it on as a halt request
  fi
  while { alive "$n" || alive "$l"; } && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if alive "$n" || alive "$l"; then
    echo "systemd_box: the machine did not power off within ${SDBOX_HALT_TIMEOUT:-30} s; killing it" >&2
    [ -n "$n" ] && kill -KILL "$n" 2>/dev/null || true
  fi
  # An ended nspawn is reaped by the host's PID 1: wait for that too.
  while [ -n "$n" ] && [ -e "/proc/$n" ] && [ "$(awk '{print $3}' "/proc/$n/stat" 2>/dev/null)" != Z ] &&
    [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  local i c left
  for i in 1 2 3 4 5; do
    kill_cgroup_members
    left=0
    for c in $(cat "$BOX/cg" 2>/dev/null); do
      [ -d "$c" ] && { find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; }
      [ -d "$c" ] && left=1
    done
    [ $left = 0 ] && break
    sleep 0.5
  done
  rm -rf "/run/systemd/nspawn/propagate/$ID" 2>/dev/null || true
  rm -f "$BOX/nspawn.pid" "$BOX/leader.pid"
  for c in $(cat "$BOX/cg" 2>/dev/null); do [ -d "$c" ] && echo "systemd_box: cgroup $c is still there" >&2; done
  echo "halted $BOX in $((SECONDS - t0)) s"
}

do_status() {
  local n
  if n=$(nspawn_pid); then
    echo "nspawn=$n leader=$(leader_pid || echo ?) state=$(in_box systemctl is-system-running 2>/dev/null || true)"
  else
    echo "not running"
    return 1
  fi
}

case "$cmd" in
  make) do_make "$@" ;;
  boot) do_boot "$@" ;;
  run)
    set_box "${1:-}"
    shift
    [ $# -gt 0 ] || die "run BOX CMD..."
    in_box "$@"
    ;;
  copy)
    set_box "${1:-}"
    shift
    do_copy "$@"
    ;;
  halt)
    set_box "${1:-}"
    do_halt
    ;;
  status)
    set_box "${1:-}"
    do_status
    ;;
  *) die "unknown command '$cmd'" ;;
esac
