# Shell helpers shared by the cluster scripts (scripts/local-slurm, scripts/gpu-slurm).
# Source it after defining log() and die() (and LOG_DIR, named when a wait times out).

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll COMMAND every 0.2 s.
wait_for() {
    local what=$1 timeout=$2; shift 2
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        if (( $(date +%s) >= deadline )); then
            die "$what not ready after ${timeout}s (logs: ${LOG_DIR:-?})"
        fi
        sleep 0.2
    done
}

# running PIDFILE: true when the PID in PIDFILE is alive.
running() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

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
