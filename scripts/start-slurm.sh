#!/usr/bin/env bash
# start-slurm.sh — start a single-node Slurm cluster on this machine for the cohort engine's test
# (label "slurm") and bench: munged, slurmctld and slurmd as root, no systemd needed (CI runs in a
# container). The node is this host (name and resources from `slurmd -C`); state lives under
# /var/spool/slurm-rert, logs under /var/log/slurm-rert. Idempotent: returns at once when the node
# already answers idle.
#
# Usage: scripts/start-slurm.sh [--stop | --status]      (root; packages from scripts/deps.d/cohort.txt)
# Exit: 0 node idle and accepting jobs; 2 Slurm or munge not installed (the test then skips and says
# so); 1 the daemons did not come up (logs are printed).
set -uo pipefail
STATE=/var/spool/slurm-rert
LOGS=/var/log/slurm-rert
CONF_DIR=/etc/slurm
TIMEOUT=${SLURM_START_TIMEOUT:-90}

log() { echo "start-slurm: $*" >&2; }

for c in munged slurmctld slurmd sinfo sbatch scontrol; do
  if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$c" ]; then
    log "$c not found: Slurm/munge are not installed (apt-get install slurm-wlm munge)"
    exit 2
  fi
done
export PATH="$PATH:/usr/sbin:/sbin"

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -1; }

stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  for p in slurmd slurmctld; do
    [ -f "/run/$p-rert.pid" ] && kill "$(cat /run/$p-rert.pid)" 2>/dev/null
  done
  sleep 1
  if [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
  log "stopped"
}

case "${1:-}" in
  --stop) stop; exit 0 ;;
  --status) s=$(node_state); echo "${s:-down}"; [ "$s" = idle ] || [ "$s" = mixed ] || [ "$s" = allocated ]; exit $? ;;
esac

if [ "$(id -u)" != 0 ]; then
  log "must run as root (starts munged, slurmctld and slurmd)"
  exit 1
fi

s=$(node_state)
if [ "$s" = idle ] || [ "$s" = mixed ] || [ "$s" = allocated ]; then
  log "node already up ($s)"
  exit 0
fi

# ---- munge ----
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
if id munge >/dev/null 2>&1; then
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0700 /etc/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
  if id munge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged || { log "munged did not start"; exit 1; }
  else
    /usr/sbin/munged --force || { log "munged did not start"; exit 1; }
  fi
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n | unmunge >/dev/null || { log "munge does not authenticate"; exit 1; }

# ---- slurm.conf: this host as the only node ----
mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS"
host=$(hostname -s)
nodeline=$(slurmd -C 2>/dev/null | grep '^NodeName=' | head -1)
[ -n "$nodeline" ] || nodeline="NodeName=$host CPUs=$(nproc)"
# keep CPU topology, leave memory unconstrained (containers report odd numbers)
nodeline=$(echo "$nodeline" | sed -E 's/ RealMemory=[0-9]+//; s/ UpTime=.*//')
cat > "$CONF_DIR/slurm.conf" <<EOF
# written by rert scripts/start-slurm.sh: single-node test cluster
ClusterName=rert
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld-rert.pid
SlurmdPidFile=/run/slurmd-rert.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
$nodeline State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
# no cgroup.conf: proctrack/linuxproc and task/none need no cgroup hierarchy (containers)

if ! scontrol ping 2>/dev/null | grep -q UP; then
  slurmctld -i || { log "slurmctld did not start"; tail -20 "$LOGS/slurmctld.log" >&2; exit 1; }
fi
for _ in $(seq 1 40); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
if ! pgrep -x slurmd >/dev/null; then
  slurmd || { log "slurmd did not start"; tail -20 "$LOGS/slurmd.log" >&2; exit 1; }
fi

# wait for the node to be idle (resume it once if it registered down/drained)
t0=$(date +%s)
resumed=0
while :; do
  s=$(node_state)
  case "$s" in
    idle|mixed|allocated) log "node $host is $s"; exit 0 ;;
    down*|drain*|fail*)
      if [ $resumed = 0 ]; then scontrol update nodename="$host" state=resume >/dev/null 2>&1; resumed=1; fi ;;
  esac
  if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
    log "node $host not idle after ${TIMEOUT}s (state '${s:-none}')"
    tail -20 "$LOGS/slurmctld.log" "$LOGS/slurmd.log" >&2
    exit 1
  fi
  sleep 1
done
