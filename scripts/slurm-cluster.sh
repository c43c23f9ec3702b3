#!/usr/bin/env bash
# A real single-node Slurm cluster for the launch backend's tests (Debian's slurm-wlm and munge,
# daemons as root, no cgroups; one fake GPU so that `--gres=gpu:1` is accepted).
#   scripts/slurm-cluster.sh start DIR   # writes DIR/slurm.conf, starts munged, slurmctld, slurmd
#   scripts/slurm-cluster.sh stop DIR
# Then `export SLURM_CONF=DIR/slurm.conf` and use sbatch, squeue, scontrol, scancel, sacct -c.
set -euo pipefail
action="${1:?usage: slurm-cluster.sh start|stop DIR}"
dir="$(realpath -m "${2:?usage: slurm-cluster.sh start|stop DIR}")"
export SLURM_CONF="$dir/slurm.conf"

running() { pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; }

start() {
  for tool in slurmctld slurmd munged sbatch; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing: apt-get install -y slurm-wlm munge" >&2; exit 1; }
  done
  mkdir -p "$dir/state/ctld" "$dir/state/d" "$dir/run" "$dir/log"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=sieve-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$dir/state/ctld
SlurmdSpoolDir=$dir/state/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=300
MpiDefault=none
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 Gres=gpu:fake:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  printf 'AutoDetect=off\nNodeName=localhost Name=gpu Type=fake File=/dev/null\n' > "$dir/gres.conf"
  if ! pgrep -x munged >/dev/null; then
    install -d -o munge -g munge -m 755 /run/munge
    runuser -u munge -- /usr/sbin/munged
  fi
  # A cluster left over by an interrupted run holds the ports: stop it first.
  pkill -x slurmctld 2>/dev/null || true
  pkill -x slurmd 2>/dev/null || true
  for _ in $(seq 50); do running || break; sleep 0.1; done
  /usr/sbin/slurmctld -f "$SLURM_CONF"
  /usr/sbin/slurmd -f "$SLURM_CONF" -N localhost
  for _ in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then
      echo "slurm cluster up (SLURM_CONF=$SLURM_CONF)"
      return
    fi
    sleep 0.2
  done
  echo "error: the slurm node did not become idle; see $dir/log" >&2
  tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

stop() {
  scontrol shutdown >/dev/null 2>&1 || true
  for _ in $(seq 50); do running || return 0; sleep 0.1; done
  pkill -x slurmctld 2>/dev/null || true
  pkill -x slurmd 2>/dev/null || true
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: slurm-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
