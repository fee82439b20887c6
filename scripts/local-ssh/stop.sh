#!/usr/bin/env bash
# Stop the sshd started by start.sh, by the PID in its own pid file (never by
# name; the system's sshd is left alone). Keys and config are kept.
set -euo pipefail

PIDFILE=/run/nrs-local-ssh/sshd.pid
log() { printf '[local-ssh] %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "run as root"; exit 1; }
if [[ ! -s $PIDFILE ]]; then
    log "no pid file ($PIDFILE), not running"
    exit 0
fi
pid=$(cat "$PIDFILE")
if ! kill -0 "$pid" 2>/dev/null; then
    log "pid $pid not running"
    rm -f "$PIDFILE"
    exit 0
fi
log "stopping sshd (pid $pid)"
kill -TERM "$pid"
for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; exit 0; }
    sleep 0.2
done
log "sshd (pid $pid) did not exit after 10 s; sending SIGKILL"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$PIDFILE"
