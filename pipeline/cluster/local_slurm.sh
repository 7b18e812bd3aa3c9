#!/usr/bin/env bash
# A one-machine Slurm cluster (this host is controller and compute node), for the tests and for trying the Slurm
# path on a laptop: its own munge key and daemon, a generated slurm.conf, slurmctld and slurmd, all under one
# state folder and on free ports, so nothing in /etc is touched and a system Slurm keeps running beside it.
#
#   pipeline/cluster/local_slurm.sh start [STATE_DIR]    # default STATE_DIR: work/slurm
#   eval "$(pipeline/cluster/local_slurm.sh env [STATE_DIR])"    # SLURM_CONF for sbatch, squeue, scancel, srun
#   pipeline/cluster/local_slurm.sh status [STATE_DIR]
#   pipeline/cluster/local_slurm.sh stop [STATE_DIR]     # cancels the cluster's jobs, then stops the daemons
#
# Needs Debian's slurmctld, slurmd, slurm-client and munge (Slurm 22.05): apt-get install slurmctld slurmd
# slurm-client munge. One partition, `cpu` (the pipeline config's default), with this machine's CPUs
# (SLURM_LOCAL_CPUS=N to declare more or fewer) and 90% of its memory. Jobs run as the user who started it.
set -euo pipefail

command=${1:-}
STATE=$(realpath -m "${2:-${SLURM_LOCAL_DIR:-work/slurm}}")
CONF=$STATE/slurm.conf
export SLURM_CONF=$CONF

die() { echo "local_slurm.sh: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
    local user host cpus memory
    user=$(id -un)
    host=$(hostname -s)
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    mkdir -p "$STATE"/{munge,ctld,spool,logs}
    chmod 700 "$STATE/munge"
    [ -f "$STATE/munge/munge.key" ] || mungekey --create --keyfile="$STATE/munge/munge.key"
    chmod 600 "$STATE/munge/munge.key"
    cat >"$CONF" <<CONF
# Written by pipeline/cluster/local_slurm.sh: a one-machine cluster under $STATE
ClusterName=hindislm
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/logs/slurmctld.log
SlurmdLogFile=$STATE/logs/slurmd.log
# no cgroups: containers and laptops rarely let a daemon have them
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# a job whose dependency can no longer be met (an earlier stage cancelled) is removed, not left pending forever
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
ReturnToService=2
# a loaded two-core machine answers slowly
MessageTimeout=60
SlurmdTimeout=300
KillWait=10
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=cpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

wait_for_node() {
    local state=""
    for _ in $(seq 120); do
        state=$(sinfo -h -N -o %T 2>/dev/null | head -1)
        case $state in idle | mixed | allocated) return 0 ;; esac
        sleep 1
    done
    die "the node did not come up (state: ${state:-none}); see $STATE/logs/"
}

start() {
    for tool in munged mungekey slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || die "$tool is missing: apt-get install slurmctld slurmd slurm-client munge"
    done
    alive "$STATE/slurmctld.pid" && die "already running under $STATE (stop it first)"
    write_config
    munged --force --socket="$STATE/munge/munge.socket" --key-file="$STATE/munge/munge.key" \
        --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/logs/munged.log" --seed-file="$STATE/munge/seed"
    slurmctld -i -f "$CONF"
    slurmd -f "$CONF"
    wait_for_node
    echo "local Slurm cluster up: partition cpu on $(hostname -s), $(sinfo -h -o %c) CPUs; export SLURM_CONF=$CONF"
}

stop_daemon() {
    local pidfile=$1
    alive "$pidfile" || return 0
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    if alive "$STATE/slurmctld.pid"; then
        scancel --user="$(id -un)" 2>/dev/null || true
        # let the cancelled jobs' steps end while slurmd can still reap them
        for _ in $(seq 60); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 1; done
    fi
    stop_daemon "$STATE/slurmd.pid"
    stop_daemon "$STATE/slurmctld.pid"
    stop_daemon "$STATE/munge/munged.pid"
    echo "local Slurm cluster under $STATE stopped"
}

case $command in
    start) start ;;
    stop) stop ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    status) alive "$STATE/slurmctld.pid" && sinfo && squeue || die "not running under $STATE" ;;
    *) die "usage: $0 start|stop|status|env [STATE_DIR]" ;;
esac
