#!/usr/bin/env bash
# Stop the local Slurm cluster started by start.sh, in reverse start order.
# Each daemon is stopped by the PID in its pid file (never by name); the
# script waits for each to exit. Data (accounting DB, state) is kept.
set -euo pipefail

log() { printf '[local-slurm] %s\n' "$*" >&2; }

# stop_pidfile NAME PIDFILE: SIGTERM the PID, wait up to 20 s, then SIGKILL.
stop_pidfile() {
    local name=$1 pidfile=$2 pid
    if [[ ! -s $pidfile ]]; then
        log "$name: no pid file ($pidfile), not running"
        return 0
    fi
    pid=$(cat "$pidfile")
    if ! kill -0 "$pid" 2>/dev/null; then
        log "$name: pid $pid not running"
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

stop_pidfile slurmd /run/slurm/slurmd.pid
stop_pidfile slurmctld /run/slurm/slurmctld.pid
stop_pidfile slurmdbd /run/slurm/slurmdbd.pid
stop_pidfile mariadbd /run/mysqld/mysqld.pid
stop_pidfile munged /run/munge/munged.pid
log "stopped"
