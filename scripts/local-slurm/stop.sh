#!/usr/bin/env bash
# Stop the local Slurm cluster started by start.sh, in reverse start order.
# Each daemon is stopped by the PID in its pid file (never by name); the
# script waits for each to exit. Data (accounting DB, state) is kept.
set -euo pipefail

log() { printf '[local-slurm] %s\n' "$*" >&2; }

# shared helpers: wait_for, running, stop_pidfile
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

[[ $(id -u) -eq 0 ]] || { log "run as root"; exit 1; }

stop_pidfile slurmd /run/slurm/slurmd.pid
stop_pidfile slurmctld /run/slurm/slurmctld.pid
stop_pidfile slurmdbd /run/slurm/slurmdbd.pid
stop_pidfile mariadbd /run/mysqld/mysqld.pid
stop_pidfile munged /run/munge/munged.pid
log "stopped"
