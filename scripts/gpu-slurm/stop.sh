#!/usr/bin/env bash
# Stop the GPU-shaped cluster of scripts/gpu-slurm/start.sh: its slurmds,
# then its slurmctld, each by the PID in its pid file under /run/slurm-gpu
# (never by name), and drop its /etc/hosts lines. The shared munge, MariaDB
# and slurmdbd, and the single-node cluster, are left running. State and
# accounting data are kept. `--keep-hosts` leaves /etc/hosts alone.
set -euo pipefail

RUN_DIR=/run/slurm-gpu
HOSTS_TAG="# nrs-gpu-slurm"
log() { printf '[gpu-slurm] %s\n' "$*" >&2; }

# stop_pidfile NAME PIDFILE: SIGTERM the PID, wait up to 20 s, then SIGKILL.
stop_pidfile() {
    local name=$1 pidfile=$2 pid
    [[ -s $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
        sleep 0.2
    done
    log "$name (pid $pid) did not exit after 20 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

[[ $(id -u) -eq 0 ]] || { log "run as root"; exit 1; }

shopt -s nullglob
for pf in "$RUN_DIR"/slurmd-*.pid; do
    stop_pidfile "slurmd $(basename "$pf" .pid | sed 's/^slurmd-//')" "$pf"
done
stop_pidfile slurmctld "$RUN_DIR/slurmctld.pid"
rm -f "$RUN_DIR/config.sum"
if [[ ${1:-} != --keep-hosts ]]; then
    hosts_new=$(grep -v "${HOSTS_TAG}\$" /etc/hosts || true)
    printf '%s\n' "$hosts_new" >/etc/hosts   # in place: /etc/hosts may be a bind mount
fi
log "stopped"
