#!/usr/bin/env bash
# scripts/slurm_local.sh: a single-node Slurm cluster (Debian 12: slurm-wlm 22.05 and munge) that
# lives entirely in one folder, for tests of the Slurm deployment (deploy/slurm/). Needs root
# and the packages slurm-wlm and munge (installed by scripts/test.sh). Nothing in /etc is read
# or changed: every Slurm command must see SLURM_CONF=DIR/slurm.conf.
#
#   start DIR    makes DIR/{slurm.conf,munge,state,spool,log,run}, starts munged, slurmctld and
#                slurmd, waits until the node is idle and the scheduler has run once (about 4 s)
#   stop DIR     cancels the jobs, then ends exactly the daemons started for DIR (by their pid
#                files, each checked to be the program it should be); does nothing if none runs
#   status DIR   prints the daemons' pids and sinfo; exit 1 unless all three run
#
# Environment: SLURM_LOCAL_CTLD_PORT and SLURM_LOCAL_SLURMD_PORT (16817, 16818),
#   SLURM_LOCAL_CPUS (the node's CPUs as Slurm sees them; default: nproc), SLURM_LOCAL_TIMEOUT
#   (30 s to come up).
set -euo pipefail

me=${0##*/}
die() {
  echo "$me: $*" >&2
  exit 1
}
say() { echo "$me: $*" >&2; }

[ $# -eq 2 ] && [ -n "$2" ] || die "usage: $me start|stop|status DIR"
command=$1
dir=$(readlink -m -- "$2")
ctld_port=${SLURM_LOCAL_CTLD_PORT:-16817}
slurmd_port=${SLURM_LOCAL_SLURMD_PORT:-16818}
cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
timeout=${SLURM_LOCAL_TIMEOUT:-30}
node=$(hostname -s)
socket=$dir/munge/munge.socket.2
export SLURM_CONF=$dir/slurm.conf

pid_file() {
  case $1 in
    munged) echo "$dir/munge/munged.pid" ;;
    *) echo "$dir/run/$1.pid" ;;
  esac
}

# The pid of daemon $1 if it runs: its pid file names a live process (not a zombie) called $1.
running_pid() {
  local file pid state
  file=$(pid_file "$1")
  [ -s "$file" ] || return 1
  pid=$(tr -dc 0-9 <"$file")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
  echo "$pid"
}

show_logs() {
  local f
  for f in "$dir/munge/munged.log" "$dir/log/slurmctld.log" "$dir/log/slurmd.log" \
    "$dir/log/slurmctld.stderr" "$dir/log/slurmd.stderr"; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

# The node's address: loopback only when the host name resolves to 127.0.0.1 (else srun's
# replies would come from another address than it listens on).
write_config() {
  local memory resolves
  memory=$(awk '/^MemAvailable:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  resolves=$(getent ahostsv4 "$node" 2>/dev/null | awk 'NR == 1 { print $1 }' || true)
  cat >"$dir/slurm.conf" <<CONF
# made by scripts/slurm_local.sh for $dir
ClusterName=thumbpipe-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,kill_invalid_depend
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=4
KillWait=5
InactiveLimit=0
MailProg=/bin/true
$([ "$resolves" = 127.0.0.1 ] && echo "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny")
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=${memory:-1000} State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  : >"$dir/plugstack.conf"
}

stop() {
  local name pid pids=() i
  [ -d "$dir" ] || return 0
  if running_pid slurmctld >/dev/null && running_pid munged >/dev/null; then
    local jobs
    jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      timeout 10 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 40; i++)); do
        [ -z "$(timeout 5 squeue -h -t R,CG -o %i 2>/dev/null || true)" ] && break
        sleep 0.25
      done
    fi
  fi
  # Job step daemons of this cluster listen on sockets in its spool folder.
  if [ -d "$dir/spool" ]; then
    for pid in $(ss -Hxlp 2>/dev/null | grep -F "$dir/spool/" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slurmstepd ] && kill -TERM "$pid" 2>/dev/null
    done
  fi
  for name in slurmd slurmctld munged; do
    pid=$(running_pid "$name") || continue
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      running_pid "$name" >/dev/null || break
      sleep 0.1
    done
    if running_pid "$name" >/dev/null; then
      say "$name ($pid) did not end within 10 s of SIGTERM; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(pid_file "$name")"
    say "stopped $name ($pid)"
  done
}

start() {
  local name pid state deadline cycles
  [ "$(id -u)" = 0 ] || die "needs root (SlurmUser=root)"
  for name in munged munge unmunge slurmctld slurmd sinfo sdiag squeue scancel ss; do
    command -v "$name" >/dev/null || die "'$name' is missing: apt-get install slurm-wlm munge iproute2"
  done
  [ ${#socket} -lt 100 ] || die "DIR is too long for munge's socket: '$socket'"
  for name in munged slurmctld slurmd; do
    pid=$(running_pid "$name") && die "$name already runs for $dir (pid $pid); stop it first"
  done
  for pid in "$ctld_port" "$slurmd_port"; do
    [ -z "$(ss -Hltn "sport = :$pid" 2>/dev/null)" ] ||
      die "TCP port $pid is in use (another Slurm?); set SLURM_LOCAL_CTLD_PORT and SLURM_LOCAL_SLURMD_PORT"
  done
  mkdir -p "$dir"
  rm -rf "${dir:?}"/{munge,state,spool,run,log}
  mkdir -p "$dir"/{munge,state,spool,run,log}
  chmod 0755 "$dir" "$dir/munge"
  write_config
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 0600 "$dir/munge/munge.key"
  munged --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null ||
    { show_logs; die "munged did not start"; }
  for ((i = 0; i < 40; i++)); do
    munge -n -S "$socket" </dev/null 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1 && break
    sleep 0.25
  done
  [ $i -lt 40 ] || { show_logs; stop; die "munged does not answer on $socket"; }
  slurmctld -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.stderr" 2>&1 ||
    { show_logs; stop; die "slurmctld did not start"; }
  slurmd -f "$SLURM_CONF" -N "$node" </dev/null >>"$dir/log/slurmd.stderr" 2>&1 ||
    { show_logs; stop; die "slurmd did not start"; }
  deadline=$((SECONDS + timeout))
  state=
  while [ $SECONDS -lt $deadline ]; do
    state=$(timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
  done
  [ "$state" = idle ] || { show_logs; stop; die "node $node is not idle after $timeout s (it is '${state:-unknown}')"; }
  # Batch jobs wait for the scheduler's first cycle, about 3 s after start: wait for it here.
  cycles=0
  while [ $SECONDS -lt $deadline ]; do
    cycles=$(timeout 5 sdiag 2>/dev/null | awk '/Main schedule statistics/ { m = 1 } m && /Total cycles:/ { print $3; exit }')
    [ "${cycles:-0}" -ge 1 ] && break
    sleep 0.2
  done
  [ "${cycles:-0}" -ge 1 ] || { show_logs; stop; die "the scheduler did not run within $timeout s"; }
  say "cluster up in $dir: node $node idle with $cpus CPUs; export SLURM_CONF=$SLURM_CONF"
}

status() {
  local name pid code=0
  for name in munged slurmctld slurmd; do
    if pid=$(running_pid "$name"); then echo "$name runs (pid $pid)"; else
      echo "$name does not run"
      code=1
    fi
  done
  [ $code = 0 ] && timeout 5 sinfo
  return $code
}

case $command in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $me start|stop|status DIR" ;;
esac
