#!/usr/bin/env bash
# tests/systemd/systemd_test.sh BUILD_DIR CORPUS_DIR [CMAKE]: the systemd units of thumbpipe,
# installed by cmake --install, under a real systemd (scripts/systemd_box.sh): verified and
# rated by systemd-analyze, the timer's pass, an incremental pass, the watch service (ready,
# status, a new file, restarts, stop), the journal, the sandbox and its memory limit.
#
# Exit status: 0 every check passed; 1 a check failed, or the box could not be made (no
# network to the Debian archive?); 77 it cannot run here (not root) or does not apply (a
# sanitizer build), which CTest shows as skipped, with the reason in the test's output. A check that needs a part of thumbpipe not built yet prints
# "WAITS: <what>" and is not counted as passed.
#
# The box's tree is made once per machine (minutes) under /var/tmp/thumbpipe-systemd-box/,
# keyed by the recipe's version and the packages the installed programs need; other versions
# found there unused are removed. Each run then takes under a minute; it halts the box and
# removes its own files however it ends.
set -uo pipefail

build=$(readlink -m "${1:?usage: systemd_test.sh BUILD_DIR CORPUS_DIR [CMAKE]}")
corpus=$(readlink -m "${2:?usage: systemd_test.sh BUILD_DIR CORPUS_DIR [CMAKE]}")
cmake=${3:-cmake}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
box_script="$here/../../scripts/systemd_box.sh"
recipe=1 # bump when what goes into the tree changes beyond its packages
trees=/var/tmp/thumbpipe-systemd-box
instance=srv-photos # systemd-escape --path /srv/photos
oneshot="thumbpipe@$instance.service"
timer="thumbpipe@$instance.timer"
watch="thumbpipe-watch@$instance.service"
t_start=$SECONDS

failures=0
passes=0
waiting=()
say() { echo "systemd_test: $*"; }
pass() {
  echo "ok: $*"
  passes=$((passes + 1))
}
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
waits() {
  echo "WAITS: $*"
  waiting+=("$*")
}
# contains_all TEXT REGEX...: every extended REGEX matches a line of TEXT.
contains_all() {
  local text=$1 regex
  shift
  for regex in "$@"; do grep -qE -- "$regex" <<<"$text" || return 1; done
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

if [ "$(id -u)" != 0 ]; then
  say "cannot run here: booting a systemd box needs root (systemd-nspawn, debootstrap)"
  exit 77
fi

sanitize=$(sed -n 's/^THUMBPIPE_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)
if [ -n "$sanitize" ]; then
  say "does not apply to a sanitizer build ($sanitize): the units' system call filter forbids what the sanitizers need (ptrace for the leak check); the release and test builds are checked"
  exit 77
fi

work=$(mktemp -d /var/tmp/thumbpipe-systemd-test.XXXXXX)
deadline_pid=""
finish() {
  [ -z "$deadline_pid" ] || kill "$deadline_pid" 2>/dev/null
  "$box_script" halt "$work/box" >/dev/null 2>&1 || say "could not halt the box in $work/box"
  rm -rf --one-file-system "$work"
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

# Runs a command in the box; none may take more than two minutes.
box() { timeout 120 "$box_script" run "$work/box" "$@" 8<&-; }
prop() { box systemctl show -p "$2" --value "$1"; }

# ---------------------------------------------------------------- install, make, boot
stage="$work/stage"
if ! DESTDIR="$stage" "$cmake" --install "$build" --prefix /usr/local >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  fail "cmake --install of $build"
  exit 1
fi
launcher="$stage/usr/local/bin/thumbpipe"
unit_dir=$(dirname "$(find "$stage" -name 'thumbpipe@.timer' | head -1)")
[ "$unit_dir" = "$stage/usr/local/lib/systemd/system" ] || {
  fail "cmake --install put the units in $unit_dir, not in lib/systemd/system under the prefix"
  exit 1
}

# The Debian packages of the libraries the installed programs load, and of the data files
# they read (the default CMYK profile), for the box's tree.
runtime_packages() {
  local program lib path profile
  for program in "$launcher" "$stage/usr/local/libexec/thumbpipe/"*; do
    for lib in $(readelf -d "$program" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}'); do
      path=$(ldd "$program" | awk -v lib="$lib" '$1 == lib {print $3}')
      path=$(readlink -f "$path")
      { dpkg -S "$path" || dpkg -S "/usr$path" || dpkg -S "${path#/usr}"; } 2>/dev/null | head -1 | cut -d: -f1
    done
  done
  profile=$(sed -n 's/^THUMBPIPE_DEFAULT_CMYK_PROFILE:FILEPATH=//p' "$build/CMakeCache.txt")
  [ -z "$profile" ] || dpkg -S "$profile" 2>/dev/null | head -1 | cut -d: -f1
}
mapfile -t packages < <(runtime_packages | sort -u)
[ ${#packages[@]} -gt 3 ] || {
  fail "cannot tell which Debian packages the installed programs need (got: ${packages[*]})"
  exit 1
}
key="r$recipe-$(printf '%s\n' "${packages[@]}" | md5sum | cut -c1-10)"
tree="$trees/$key/tree"
t0=$SECONDS
if ! "$box_script" make "$tree" "${packages[@]}"; then
  fail "cannot make the systemd box's tree in $tree (no network to the Debian archive?)"
  exit 1
fi
[ $((SECONDS - t0)) -gt 5 ] && say "made the box's tree in $((SECONDS - t0)) s (once per machine)"
exec 8<"$tree.lock"
flock -s 8 # ours is in use: no other run removes it
for other in "$trees"/*/; do
  [ "${other%/}" = "$trees/$key" ] && continue
  (flock -x -n 7 && rm -rf --one-file-system "$other" && say "removed the unused tree $other") 7<"$other/tree.lock" 2>/dev/null || true
done

# From here on the run ends within ten minutes, whatever hangs. Neither this watcher nor the
# box holds the tree's lock (fd 8).
main_pid=$$
(
  sleep 600 &
  sleeper=$!
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  wait "$sleeper" || exit 0
  echo "systemd_test: FAIL: still running after ten minutes; stopping" >&2
  kill -TERM "$main_pid"
) 8<&- &
deadline_pid=$!

# The photo folder: real images in folders, one broken PNG, one file that is no image.
photos="$work/photos"
mkdir -p "$photos/2019/summer trip" "$photos/scans"
cp "$corpus"/exif-orientation/Landscape_{1,3,6}.jpg "$corpus"/exif-orientation/Portrait_{1,8}.jpg "$photos/2019/"
cp "$corpus"/exif-orientation/Landscape_8.jpg "$photos/2019/summer trip/beach.jpg"
cp "$corpus"/pngsuite/{basn2c08,basi0g16,basn6a08}.png "$photos/scans/"
cp "$corpus/pngsuite/xcsn0g01.png" "$photos/scans/broken.png"
cp "$corpus"/pillow/formats/{hopper.webp,hopper.tif,hopper.bmp,pil_sample_cmyk.jpg} "$photos/"
echo "not an image" >"$photos/notes.txt"
nfiles=$(find "$photos" -type f | wc -l)

# What the service must produce: the same programs, run here on the same files.
mkdir -p "$work/ref"
if ! "$launcher" --incremental --symlinks inside --no-progress --output "$work/ref/thumbnails" \
  --manifest "$work/ref/processed.txt" "$photos" 2 2>"$work/ref/log"; then
  cat "$work/ref/log"
  fail "a reference run of the installed thumbpipe on the host"
  exit 1
fi
while IFS= read -r line; do echo "${line/: $photos\//: /srv/photos/}"; done <"$work/ref/processed.txt" >"$work/expected.txt"
(cd "$work/ref/thumbnails" && md5sum -- *.png | sort -k2) >"$work/expected-thumbnails.txt"
mkdir -p "$work/new"
cp "$corpus/libjpeg-turbo/testorig.jpg" "$work/new/"
"$launcher" --no-progress --output "$work/ref/new" --manifest "$work/ref/new.txt" "$work/new" 1 2>/dev/null
new_name=$(cut -d: -f1 "$work/ref/new.txt")

# Is --watch built? It keeps running after its first pass until stopped.
mkdir -p "$work/probe-watch/empty"
"$launcher" --watch --no-progress --output "$work/probe-watch/t" --manifest "$work/probe-watch/m.txt" \
  "$work/probe-watch/empty" 1 2>"$work/probe-watch/log" 8<&- &
probe_pid=$!
sleep 3
if kill -0 "$probe_pid" 2>/dev/null; then
  has_watch=yes
  kill -TERM "$probe_pid"
  wait "$probe_pid"
  probe_status=$?
  check "thumbpipe --watch stopped by SIGTERM exits 0 (was $probe_status)" [ "$probe_status" = 0 ]
else
  has_watch=no
  wait "$probe_pid"
fi

t0=$SECONDS
"$box_script" boot "$tree" "$work/box" --bind="$photos:/srv/photos" \
  --bind-ro="$stage/usr/local:/usr/local" >"$work/boot.log" 2>&1 8<&- || {
  cat "$work/boot.log"
  fail "booting the systemd box"
  exit 1
}
say "booted the box in $((SECONDS - t0)) s"

# ---------------------------------------------------------------- verify, security
units="/usr/local/lib/systemd/system"
out=$(box systemd-analyze verify "$units/$oneshot" "$units/$watch" "$units/$timer" 2>&1)
rc=$?
[ -z "$out" ] || echo "$out"
check "systemd-analyze verify prints nothing for the three units" [ -z "$out" -a $rc = 0 ]
for unit in "$oneshot" "$watch"; do
  score=$(box systemd-analyze security --no-pager "$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  check "systemd-analyze security rates $unit ${score:-(no rating)} (at most 2.5)" \
    awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
done

# ---------------------------------------------------------------- the timer's pass
# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s; fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}
pass_ended() { [ "$(prop "$1" ExecMainExitTimestampMonotonic)" != 0 ] && [ "$(prop "$1" ActiveState)" != activating ]; }

box systemctl enable "$timer" >/dev/null 2>&1
check "the timer is enabled (systemctl enable)" [ "$(box systemctl is-enabled "$timer")" = enabled ]
check "the timer triggers $oneshot" [ "$(prop "$timer" Triggers)" = "$oneshot" ]
# The daily timer, due in hours, is made to fire now by a test drop-in that adds a trigger
# (and takes away the random delay, which would apply to it too).
box mkdir -p "/run/systemd/system/$timer.d"
printf '[Timer]\nOnActiveSec=1s\nRandomizedDelaySec=0\n' | box sh -c "cat > /run/systemd/system/$timer.d/now.conf"
box systemctl daemon-reload
box systemctl start "$timer"
if wait_until 60 pass_ended "$oneshot"; then
  check "the timer's pass ended with success" \
    [ "$(prop "$oneshot" Result)" = success -a "$(prop "$oneshot" ExecMainStatus)" = 0 ]
else
  fail "the timer did not start $oneshot, or its pass did not end within 60 s"
fi
box systemctl stop "$timer"
box rm -rf "/run/systemd/system/$timer.d"
box systemctl daemon-reload
box cat "/var/lib/thumbpipe/$instance/processed.txt" >"$work/manifest.txt" 2>/dev/null
if diff -u "$work/expected.txt" "$work/manifest.txt"; then
  pass "the manifest in /var/lib/thumbpipe/$instance/ has the expected $(wc -l <"$work/expected.txt") lines"
else
  fail "the manifest differs from a run on the host (above)"
fi
box sh -c "cd /var/cache/thumbpipe/$instance && md5sum -- *.png | sort -k2" >"$work/thumbnails.txt" 2>/dev/null
check "the thumbnails in /var/cache/thumbpipe/$instance/ are those of a run on the host, byte for byte" \
  diff -q "$work/expected-thumbnails.txt" "$work/thumbnails.txt"
journal=$(box journalctl -u "$oneshot" -o cat --no-pager)
check "journalctl -u has the pass's summary and the broken file's line" \
  contains_all "$journal" "Finished in.*thumbnails" "broken\.png"
warnings=$(box journalctl -u "$oneshot" -t thumbpipe -p warning -o cat --no-pager)
if grep -q "broken.png" <<<"$warnings" && ! grep -q "Finished in" <<<"$warnings"; then
  pass "journalctl -p warning shows the broken file's line and not the summary"
elif [ -z "$warnings" ]; then
  waits "journal priorities of thumbpipe's lines (every line is logged at the default priority): the journalctl -p warning check"
else
  echo "$warnings"
  fail "journalctl -p warning should show the broken file's line and not the summary (above)"
fi

# ---------------------------------------------------------------- a second pass: nothing to do
thumbnail_times() { box sh -c "cd /var/cache/thumbpipe/$instance && stat -c '%n %.9Y' -- *.png"; }
if box test -e "/var/lib/thumbpipe/$instance/processed.txt.catalog"; then
  times=$(thumbnail_times)
  box systemctl start "$oneshot"
  summary=$(box journalctl -u "$oneshot" -t thumbpipe -o cat --no-pager | grep "Finished in" | tail -1)
  say "second pass: $summary"
  # Files carried over from the catalog are counted as before and again as unchanged.
  counts=$(sed -n 's/.*: \([0-9]*\) thumbnails, \([0-9]*\) not images, \([0-9]*\) failed; \([0-9]*\) unchanged, \([0-9]*\) failed before.*/\1 \2 \3 \4 \5/p' <<<"$summary")
  read -r t n f u s <<<"${counts:-x x x x x}"
  check "a second pass with nothing changed redoes nothing (all $nfiles files unchanged)" \
    [ -n "$counts" -a "$u" = $((t + n)) -a "$s" = "$f" -a $((t + n + f)) = "$nfiles" ]
  box cat "/var/lib/thumbpipe/$instance/processed.txt" >"$work/manifest2.txt" 2>/dev/null
  check "... leaves the manifest as it was" cmp -s "$work/manifest.txt" "$work/manifest2.txt"
  check "... and writes no thumbnail again" [ "$times" = "$(thumbnail_times)" ]
else
  waits "the catalog (--incremental wrote no /var/lib/thumbpipe/$instance/processed.txt.catalog): the check that a second pass redoes nothing"
fi

# ---------------------------------------------------------------- the sandbox
# A test drop-in runs a probe in place of thumbpipe, in the same sandbox, on another instance.
probe="thumbpipe@srv-probe.service"
box sh -c 'for d in /srv/probe /opt/open /home/open /run/open /var/open /etc/open; do mkdir -p $d && chmod 0777 $d; done
           chmod 1777 /run/lock
           touch /tmp/box-marker /var/tmp/box-marker'
box sh -c 'cat > /run/thumbpipe-probe.sh' <<'EOF'
#!/bin/sh
for d in /srv/probe /opt/open /home/open /run/open /run/lock /var/open /etc/open /usr/local/bin /var/lib /var/cache \
         /tmp /var/tmp /dev/shm "$CACHE_DIRECTORY" "$STATE_DIRECTORY"; do
  if (: > "$d/.probe") 2>/dev/null; then rm -f "$d/.probe"; echo "writable $d"; else echo "not writable $d"; fi
done
[ -e /tmp/box-marker ] || [ -e /var/tmp/box-marker ] && echo "shared tmp" || echo "private tmp"
grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status
echo "uid $(id -u)"
sh -c 'x=$(head -c 300000000 /dev/zero | tr "\0" a); echo "not killed: ${#x} bytes"'
echo "memory hog exit $?"
EOF
box mkdir -p "/run/systemd/system/$probe.d"
printf '[Service]\nExecStart=\nExecStart=/bin/sh /run/thumbpipe-probe.sh\nMemoryMax=64M\nOOMPolicy=continue\n' |
  box sh -c "cat > /run/systemd/system/$probe.d/probe.conf"
box systemctl daemon-reload
box systemctl start "$probe"
probe_out=$(box journalctl -u "$probe" -o cat --no-pager)
echo "$probe_out" | sed 's/^/  probe: /'
for d in /srv/probe /opt/open /home/open /run/open /run/lock /var/open /etc/open /usr/local/bin /var/lib /var/cache; do
  check "inside the unit, $d (mode 0777 or root's) is not writable" grep -qx "not writable $d" <<<"$probe_out"
done
for d in /tmp /var/tmp /dev/shm "/var/cache/thumbpipe/srv-probe" "/var/lib/thumbpipe/srv-probe"; do
  check "inside the unit, $d is writable" grep -qx "writable $d" <<<"$probe_out"
done
check "inside the unit, /tmp and /var/tmp are its own" grep -qx "private tmp" <<<"$probe_out"
check "inside the unit, no capabilities and no new privileges" \
  contains_all "$probe_out" '^CapEff:\s+0+$' '^CapBnd:\s+0+$' '^NoNewPrivs:\s+1$'
check "inside the unit, a dynamic user (not root)" grep -qE '^uid [1-9][0-9]*$' <<<"$probe_out"
check "MemoryMax= is enforced: a process of the unit that takes 300 MB of a 64M limit is killed" \
  grep -qx "memory hog exit 137" <<<"$probe_out"
box rm -rf "/run/systemd/system/$probe.d"
box systemctl daemon-reload
if box sh -c 'grep -q " /sys/fs/cgroup/pids .*ro," /proc/mounts || grep -q " /sys/fs/cgroup/cpu .*ro," /proc/mounts'; then
  say "note: this machine cannot enforce cgroup CPU, I/O and pids limits inside the box (its cgroup v1 controllers are read-only there): the units set none, and the default TasksMax= is not checked"
fi

# ---------------------------------------------------------------- the watch service
main_pid() { prop "$watch" MainPID; }
is_active() { [ "$(prop "$watch" ActiveState)" = active ]; }
restarted() { [ "$(prop "$watch" NRestarts)" -ge "$1" ] && is_active && [ "$(main_pid)" != "$2" ]; }
# thumbpipe processes in the box: "<pid> <parent pid> <name>"
thumbpipe_processes() {
  box sh -c 'for p in /proc/[0-9]*; do
               n=$(cat $p/comm 2>/dev/null); case "$n" in thumbpipe*) echo "${p#/proc/} $(awk "/^PPid:/ {print \$2}" $p/status) $n";; esac
             done'
}
shm_objects() { box sh -c 'ls /dev/shm | grep "^thumbpipe\." || true'; }
watched_thumbnails() { prop "$watch" StatusText | sed -n 's/^\([0-9]*\) thumbnails.*/\1/p'; }
more_thumbnails_than() { [ "$(watched_thumbnails)" -gt "$1" ] 2>/dev/null; }

if [ "$has_watch" = no ]; then
  waits "--watch (thumbpipe --watch ended by itself after its first pass): the watch service's checks: active only after its first pass, counts in systemctl status, a file copied in, a restart after SIGKILL, the watchdog, a clean stop"
else
  # The admin's options: one worker, so the first pass takes a while.
  box mkdir -p /etc/thumbpipe
  echo 'THUMBPIPE_OPTIONS="-j 1"' | box sh -c "cat > /etc/thumbpipe/$instance.conf"
  box systemctl clean --what=cache --what=state "$oneshot"
  check "systemctl clean removed the folder's cache and state" \
    box sh -c "[ ! -e /var/cache/thumbpipe/$instance/$(head -1 "$work/expected.txt" | cut -d: -f1) ] && [ ! -e /var/lib/thumbpipe/$instance/processed.txt ]"
  box systemctl enable "$watch" >/dev/null 2>&1
  check "the watch service is enabled (systemctl enable)" [ "$(box systemctl is-enabled "$watch")" = enabled ]
  box systemctl start --no-block "$watch"
  seen_activating=0
  deadline=$((SECONDS + 90))
  while [ $SECONDS -lt $deadline ]; do
    state=$(prop "$watch" ActiveState)
    [ "$state" = activating ] && seen_activating=$((seen_activating + 1))
    [ "$state" = activating ] || break
    sleep 0.05
  done
  status_text=$(prop "$watch" StatusText)
  if [ "$state" = active ]; then
    say "the watch service was seen activating $seen_activating times, then active: \"$status_text\""
    counts=$(sed -n 's/^\([0-9]*\) thumbnails, \([0-9]*\) not images, \([0-9]*\) failed; watching$/\1 \2 \3/p' <<<"$status_text")
    check "the watch service became active with its first pass done (status \"$status_text\", $nfiles files)" \
      [ -n "$counts" -a "$(($(tr ' ' + <<<"${counts:-0}")))" = "$nfiles" ]
  else
    box journalctl -u "$watch" -o cat --no-pager | tail -20
    fail "the watch service did not become active (state $state)"
  fi
  check "systemctl status shows its counts" \
    grep -q 'Status: ".* thumbnails, .* not images, .* failed; watching"' <<<"$(box systemctl status --no-pager "$watch")"
  pid=$(main_pid)
  check "/etc/thumbpipe/$instance.conf is read: one worker" \
    [ "$(thumbpipe_processes | grep -c ' thumbpipe-worke')" = 1 ]
  stat=$(box cat "/proc/$pid/stat")
  policy=$(awk '{print $41}' <<<"$stat")
  nice=$(awk '{print $19}' <<<"$stat")
  check "the launcher runs with CPU scheduling policy idle (policy $policy) and nice 19 (nice $nice)" \
    [ "$policy" = 5 -a "$nice" = 19 ]
  check "the launcher's I/O scheduling class is idle ($(box ionice -p "$pid"))" \
    grep -q '^idle' <<<"$(box ionice -p "$pid")"
  cgroup=$(prop "$watch" ControlGroup)
  limit=$(box cat "/sys/fs/cgroup/memory$cgroup/memory.limit_in_bytes" 2>/dev/null)
  check "the watch service's cgroup has the memory limit of MemoryMax= ($(prop "$watch" MemoryMax) bytes)" \
    [ -n "$limit" -a "$limit" = "$(prop "$watch" MemoryMax)" ]
  if [ -n "$(shm_objects)" ]; then
    shm_visible=yes
  else
    shm_visible=no
    say "note: the run's shared memory is not visible in the box's /dev/shm: no check of leftovers there"
  fi

  before=$(watched_thumbnails)
  mkdir -p "$photos/new"
  cp "$work/new/testorig.jpg" "$photos/new/"
  if wait_until 30 box test -e "/var/cache/thumbpipe/$instance/$new_name"; then
    pass "a file copied in afterwards gets its thumbnail ($new_name)"
    wait_until 5 more_thumbnails_than "$before"
    check "... and the status counts it ($before thumbnails, then $(watched_thumbnails))" [ "$(watched_thumbnails)" -gt "$before" ]
  else
    fail "a file copied in afterwards got no thumbnail within 30 s"
  fi

  # The launcher dies: its roles die with it, and systemd starts the service again.
  box sh -c "kill -KILL $pid"
  if wait_until 60 restarted 1 "$pid"; then
    new_pid=$(main_pid)
    pass "after its launcher was killed (SIGKILL), the watch service restarted and is active again"
    strays=$(thumbpipe_processes | awk -v m="$new_pid" '$1 != m && $2 != m')
    check "no process of the killed run is left ($(thumbpipe_processes | wc -l) thumbpipe processes)" [ -z "$strays" ]
    [ "$shm_visible" = no ] || check "no shared memory of the killed run is left" \
      [ -z "$(shm_objects | grep -v "^thumbpipe\.$new_pid\.")" ]
  else
    fail "the watch service did not restart within 60 s after its launcher was killed ($(prop "$watch" ActiveState))"
  fi

  # A wedged launcher: with a 3 s watchdog (test drop-in), a stopped launcher is restarted.
  box mkdir -p "/run/systemd/system/$watch.d"
  printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=2s\n' | box sh -c "cat > /run/systemd/system/$watch.d/watchdog.conf"
  box systemctl daemon-reload
  box systemctl restart "$watch"
  sleep 5 # more than the watchdog: pings keep it alive
  check "the launcher pings the watchdog (still active after 5 s with WatchdogSec=3s)" is_active
  restarts=$(prop "$watch" NRestarts)
  pid=$(main_pid)
  box sh -c "kill -STOP $pid"
  if wait_until 40 restarted $((restarts + 1)) "$pid"; then
    pass "a wedged launcher (SIGSTOP) is killed by the watchdog and the service restarted"
  else
    fail "a wedged launcher was not restarted within 40 s ($(prop "$watch" ActiveState))"
  fi
  box rm -rf "/run/systemd/system/$watch.d"
  box systemctl daemon-reload

  # A stop: the run drains and exits 0, and leaves nothing behind.
  t0=$SECONDS
  box systemctl stop "$watch"
  result="$(prop "$watch" Result) $(prop "$watch" ExecMainCode) $(prop "$watch" ExecMainStatus)"
  check "systemctl stop: result success, the launcher exited 0 (result, code, status: $result), in $((SECONDS - t0)) s" \
    [ "$result" = "success 1 0" ]
  check "no thumbpipe process is left after the stop" [ -z "$(thumbpipe_processes)" ]
  [ "$shm_visible" = no ] || check "no /dev/shm/thumbpipe.* is left after the stop" [ -z "$(shm_objects)" ]
  box cat "/var/lib/thumbpipe/$instance/processed.txt" >"$work/manifest3.txt" 2>/dev/null
  check "the manifest has the file copied in" grep -q "^$new_name: /srv/photos/new/testorig.jpg$" "$work/manifest3.txt"
  journal=$(box journalctl -u "$watch" -o cat --no-pager)
  check "journalctl -u $watch has the stop and the summary" \
    contains_all "$journal" "SIGTERM: stopping" "Finished in"
fi

# ---------------------------------------------------------------- the end
say "$passes checks passed, $failures failed, ${#waiting[@]} wait for parts not built yet, in $((SECONDS - t_start)) s"
for w in "${waiting[@]}"; do say "waits: $w"; done
[ $failures = 0 ]
