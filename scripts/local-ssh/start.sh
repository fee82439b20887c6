#!/usr/bin/env bash
# Start a dedicated sshd on 127.0.0.1:2222 for the `ssh` integration tests.
#
# Idempotent: installs openssh-server with apt only when sshd is missing,
# makes a dedicated key pair and authorized_keys entry once, writes its own
# sshd config, and starts the daemon only when its pid file names no live
# process. The system's own sshd (if any) is never touched. Needs root.
# No systemd: the daemon is started directly and waited for.
#
# Environment:
#   NRS_SSH_PORT   port (default: 2222)
#   NRS_SSH_KEY    private key made for the tests (default: /root/.ssh/nrs_local_ssh)
set -euo pipefail

START_MS=$(( $(date +%s%N) / 1000000 ))
PORT=${NRS_SSH_PORT:-2222}
KEY=${NRS_SSH_KEY:-/root/.ssh/nrs_local_ssh}
STATE=/etc/nrs-local-ssh
CONF=$STATE/sshd_config
PIDFILE=/run/nrs-local-ssh/sshd.pid
LOG=/var/log/nrs-local-ssh.log

log() { printf '[local-ssh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root"

# 1. packages
if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh >/dev/null || ! command -v rsync >/dev/null; then
    log "installing openssh-server openssh-client rsync"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends openssh-server openssh-client rsync >/dev/null
fi

# 2. keys: the client's dedicated pair, and the server's own host key (not the system's)
mkdir -p "$(dirname "$KEY")" "$STATE" "$(dirname "$PIDFILE")"
chmod 700 "$(dirname "$KEY")"
[[ -f $KEY ]] || ssh-keygen -q -t ed25519 -N '' -C nrs-local-ssh -f "$KEY"
[[ -f $STATE/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh_host_ed25519_key"
AUTH=$(dirname "$KEY")/authorized_keys
touch "$AUTH"
chmod 600 "$AUTH"
grep -qxF "$(cat "$KEY.pub")" "$AUTH" || cat "$KEY.pub" >>"$AUTH"
mkdir -p /run/sshd  # sshd's privilege-separation dir

# 3. config (rewritten every time)
cat >"$CONF" <<CONF
# Written by scripts/local-ssh/start.sh: test-only sshd, loopback only, keys only.
Port $PORT
ListenAddress 127.0.0.1
HostKey $STATE/ssh_host_ed25519_key
PidFile $PIDFILE
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp internal-sftp
MaxStartups 100:30:200
MaxSessions 50
LogLevel INFO
CONF
/usr/sbin/sshd -t -f "$CONF" || die "sshd rejects $CONF"

# 4. daemon
running() { [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
if running; then
    log "sshd already running (pid $(cat "$PIDFILE"))"
else
    log "starting sshd on 127.0.0.1:$PORT"
    /usr/sbin/sshd -f "$CONF" -E "$LOG"
fi

# 5. ready when a login with the key works
SSH_OPTS=(-p "$PORT" -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=5)
deadline=$(( $(date +%s) + 20 ))
until ssh "${SSH_OPTS[@]}" root@127.0.0.1 true >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
        die "no ssh login to 127.0.0.1:$PORT after 20 s (log: $LOG)"
    fi
    sleep 0.2
done
ms=$(( $(date +%s%N) / 1000000 - START_MS ))
log "ready: ssh -p $PORT -i $KEY root@127.0.0.1 ($((ms / 1000)).$(( (ms % 1000) / 100 )) s)"
