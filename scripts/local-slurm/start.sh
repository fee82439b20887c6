#!/usr/bin/env bash
# Bring up a single-node Slurm 22.05 cluster with accounting on this machine.
#
# Idempotent: installs packages only when missing, rewrites configs, and
# starts only the daemons that are not already running. Needs root and
# Debian 12 (or any Debian/Ubuntu that ships Slurm 22.05). No systemd needed:
# every daemon is started directly and waited for.
#
# Environment:
#   SLURM_PARTITION   partition name (default: debug)
#   SLURM_CLUSTER     cluster name (default: localcluster)
#   SLURM_ACCOUNT     account root is added to (default: default)
#   SLURM_DB_PASS     password of the local MariaDB user slurm (default: slurmdbpass)
set -euo pipefail

START_TS=$(date +%s.%N)
PARTITION=${SLURM_PARTITION:-debug}
CLUSTER=${SLURM_CLUSTER:-localcluster}
ACCOUNT=${SLURM_ACCOUNT:-default}
DB_PASS=${SLURM_DB_PASS:-slurmdbpass}
RUN_DIR=/run/slurm
SPOOL=/var/spool/slurm
LOG_DIR=/var/log/slurm
CONF_DIR=/etc/slurm

log() { printf '[local-slurm] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shared helpers: wait_for, running, stop_pidfile
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

[[ $(id -u) -eq 0 ]] || die "run as root"

# --- 1. packages -----------------------------------------------------------
need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v slurmdbd >/dev/null || need+=(slurmdbd)
command -v munged >/dev/null || need+=(munge)
command -v mariadbd >/dev/null || need+=(mariadb-server)
if (( ${#need[@]} )); then
    log "installing ${need[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge slurmdbd mariadb-server >/dev/null
fi
T_APT=$(date +%s.%N)

HOST=$(hostname -s)
CPUS=$(nproc)
mkdir -p "$RUN_DIR" "$SPOOL/ctld" "$SPOOL/d" "$LOG_DIR" "$CONF_DIR"

# --- 2. munge --------------------------------------------------------------
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    if command -v mungekey >/dev/null; then
        mungekey -c -f -k /etc/munge/munge.key
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    rm -f /run/munge/munged.pid
    su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid"
    wait_for munged 15 sh -c 'munge -n | unmunge'
fi

# --- 3. MariaDB ------------------------------------------------------------
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld
if [[ ! -d /var/lib/mysql/mysql ]]; then
    log "initialising MariaDB data dir"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
fi
if ! mariadb-admin ping >/dev/null 2>&1; then
    log "starting mariadbd"
    # setsid + nohup: the server outlives this script and its terminal.
    setsid nohup mariadbd --user=mysql --bind-address=127.0.0.1 \
        --pid-file=/run/mysqld/mysqld.pid --socket=/run/mysqld/mysqld.sock \
        >>"$LOG_DIR/mariadb.log" 2>&1 < /dev/null &
    wait_for mariadbd 60 mariadb-admin ping
fi
mariadb -u root <<SQL
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

# --- 4. configs ------------------------------------------------------------
REAL_MEM=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
REAL_MEM=${REAL_MEM:-1000}
cat >"$CONF_DIR/slurm.conf.new" <<CONF
# Written by scripts/local-slurm/start.sh: single node, accounting on.
ClusterName=${CLUSTER}
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=${RUN_DIR}/slurmctld.pid
SlurmdPidFile=${RUN_DIR}/slurmd.pid
SlurmdSpoolDir=${SPOOL}/d
StateSaveLocation=${SPOOL}/ctld
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${REAL_MEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
CONF
if [[ -f $CONF_DIR/slurm.conf ]] && ! cmp -s "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf" \
    && running "$RUN_DIR/slurmctld.pid"; then
    log "slurm.conf changed while Slurm runs: apply it with stop.sh then start.sh"
fi
mv "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"

umask 077
cat >"$CONF_DIR/slurmdbd.conf" <<CONF
# Written by scripts/local-slurm/start.sh
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=${RUN_DIR}/slurmdbd.pid
LogFile=${LOG_DIR}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=${DB_PASS}
StorageLoc=slurm_acct_db
CONF
umask 022
chmod 600 "$CONF_DIR/slurmdbd.conf"
T_CONF=$(date +%s.%N)

# --- 5. slurmdbd -----------------------------------------------------------
if ! running "$RUN_DIR/slurmdbd.pid"; then
    log "starting slurmdbd"
    slurmdbd
    wait_for slurmdbd 60 sacctmgr -n list cluster
fi
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi
if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description=local organization=local >/dev/null
fi
if ! sacctmgr -n -P list user root format=user,defaultaccount | grep -qx "root|$ACCOUNT"; then
    sacctmgr -i add user root account="$ACCOUNT" defaultaccount="$ACCOUNT" cluster="$CLUSTER" >/dev/null || true
fi

# --- 6. slurmctld, slurmd --------------------------------------------------
if ! running "$RUN_DIR/slurmctld.pid"; then
    log "starting slurmctld"
    slurmctld
fi
wait_for slurmctld 30 scontrol ping
if ! running "$RUN_DIR/slurmd.pid"; then
    log "starting slurmd"
    slurmd
fi

node_idle() { sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)'; }
deadline=$(( $(date +%s) + 60 ))
until node_idle; do
    state=$(sinfo -h -o %T 2>/dev/null | head -n1)
    if [[ $state == down* || $state == drain* ]]; then
        scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
    fi
    (( $(date +%s) < deadline )) || die "node not idle after 60s (sinfo: ${state:-?})"
    sleep 0.2
done

END_TS=$(date +%s.%N)
awk -v s="$START_TS" -v a="$T_APT" -v c="$T_CONF" -v e="$END_TS" 'BEGIN {
    printf "[local-slurm] ready in %.1f s (packages %.1f s, munge+db+config %.1f s, slurm daemons %.1f s)\n",
        e - s, a - s, c - a, e - c }'
sinfo
