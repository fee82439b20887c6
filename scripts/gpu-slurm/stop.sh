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

# shared helpers: wait_for, running, stop_pidfile
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

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
