#!/usr/bin/env bash
# Bring up a GPU-shaped Slurm 22.05 cluster on this machine, BESIDE the
# single-node cluster of scripts/local-slurm/start.sh: NODES slurmd "nodes"
# (node1, node2, ...), each with GPUS_PER_NODE fake GPUs scheduled through
# GRES, enroot + pyxis for `srun --container-image=...`, and a small Debian
# squashfs image to run in.
#
# Everything of this cluster lives apart from the single-node one: config
# dir /etc/slurm-gpu (slurm.conf, gres.conf, plugstack.conf), pid files in
# /run/slurm-gpu, logs in /var/log/slurm-gpu, state in /var/spool/slurm-gpu,
# its own ports (slurmctld 6917, slurmd 17001..) and ClusterName. munge,
# MariaDB and slurmdbd are shared: when they are down this script runs
# scripts/local-slurm/start.sh, which starts them (and the single-node
# cluster). Select this cluster with SLURM_CONF=/etc/slurm-gpu/slurm.conf.
#
# Each "node" is `slurmd -N NAME` in its own UTS namespace, so `hostname` in
# a job prints the node name; /etc/hosts gets 127.0.2.N lines for them. A
# fake GPU is a GRES whose File= is a symlink to /dev/null: Slurm schedules
# it and sets CUDA_VISIBLE_DEVICES / SLURM_JOB_GPUS; there is no device.
#
# Idempotent: builds enroot/pyxis and the image only when missing (both are
# cached on this machine), rewrites configs, starts only daemons that are
# not running. Needs root and Debian 12. Stop with scripts/gpu-slurm/stop.sh.
#
# Environment:
#   NODES            number of nodes (default 2; 1..9)
#   CPUS_PER_NODE    CPUs advertised per node (default: nproc)
#   GPUS_PER_NODE    fake GPUs per node (default 4; 1..8)
#   GPU_SLURM_CLUSTER      cluster name (default gpucluster)
#   GPU_SLURM_PARTITION    partition (default gpu)
#   GPU_SLURM_CTLD_PORT    slurmctld port (default 6917)
#   GPU_SLURM_BASE_PORT    slurmd port of node1; nodeN uses BASE+N-1 (default 17001)
#   SLURM_ACCOUNT    account root is added to (default: default)
#   NRS_GPU_IMAGE    squashfs image path (default /var/cache/nrs/debian.sqsh)
#   NRS_GPU_NO_CONTAINERS=1  skip enroot/pyxis and the image
set -euo pipefail

START_TS=$(date +%s.%N)
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NODES=${NODES:-2}
CPUS_PER_NODE=${CPUS_PER_NODE:-$(nproc)}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CLUSTER=${GPU_SLURM_CLUSTER:-gpucluster}
PARTITION=${GPU_SLURM_PARTITION:-gpu}
CTLD_PORT=${GPU_SLURM_CTLD_PORT:-6917}
BASE_PORT=${GPU_SLURM_BASE_PORT:-17001}
ACCOUNT=${SLURM_ACCOUNT:-default}
IMAGE=${NRS_GPU_IMAGE:-/var/cache/nrs/debian.sqsh}
CONF_DIR=/etc/slurm-gpu
RUN_DIR=/run/slurm-gpu
SPOOL=/var/spool/slurm-gpu
LOG_DIR=/var/log/slurm-gpu
FAKE_DEV_DIR=$RUN_DIR/fakegpu
HOSTS_TAG="# nrs-gpu-slurm"
export SLURM_CONF=$CONF_DIR/slurm.conf   # every Slurm command below talks to this cluster

log() { printf '[gpu-slurm] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shared helpers: wait_for, running, stop_pidfile
. "$(dirname "${BASH_SOURCE[0]}")/../lib/daemons.sh"

[[ $(id -u) -eq 0 ]] || die "run as root"
(( NODES >= 1 && NODES <= 9 )) || die "NODES must be 1..9 (got $NODES)"
(( GPUS_PER_NODE >= 1 && GPUS_PER_NODE <= 8 )) || die "GPUS_PER_NODE must be 1..8 (got $GPUS_PER_NODE)"

# --- 1. shared services (munge, MariaDB, slurmdbd) ---------------------------
if ! command -v slurmctld >/dev/null || ! (munge -n 2>/dev/null | unmunge >/dev/null 2>&1) \
    || ! running /run/slurm/slurmdbd.pid; then
    log "munge/slurmdbd are not up: starting them with scripts/local-slurm/start.sh"
    bash "$REPO/scripts/local-slurm/start.sh"
fi
T_SHARED=$(date +%s.%N)

# --- 2. enroot + pyxis, image (cached on this machine) -----------------------
T_BUILD=$T_SHARED
T_IMAGE=$T_SHARED
if [[ ${NRS_GPU_NO_CONTAINERS:-0} != 1 ]]; then
    bash "$HERE/build-enroot-pyxis.sh"
    T_BUILD=$(date +%s.%N)
    bash "$HERE/make-image.sh" "$IMAGE"
    T_IMAGE=$(date +%s.%N)
fi

# --- 3. dirs, fake GPU devices, /etc/hosts ------------------------------------
NODE_NAMES=()
for i in $(seq 1 "$NODES"); do NODE_NAMES+=("node$i"); done
NODE_RANGE="node[1-$NODES]"
(( NODES == 1 )) && NODE_RANGE=node1
mkdir -p "$RUN_DIR" "$SPOOL/ctld" "$LOG_DIR" "$CONF_DIR/plugstack.conf.d" "$FAKE_DEV_DIR"
for n in "${NODE_NAMES[@]}"; do mkdir -p "$SPOOL/d-$n"; done
# Slurm drops a gpu GRES without File=, and sets CUDA_VISIBLE_DEVICES only
# when File= is a character device; a symlink to /dev/null is one.
for g in $(seq 0 $(( GPUS_PER_NODE - 1 ))); do ln -sfn /dev/null "$FAKE_DEV_DIR/nvidia$g"; done
# Node names must resolve (srun, torchrun's MASTER_ADDR): 127.0.2.N is local.
# /etc/hosts may be a bind mount: rewrite it in place.
hosts_new=$(grep -v "${HOSTS_TAG}\$" /etc/hosts || true)
{
    printf '%s\n' "$hosts_new"
    for i in $(seq 1 "$NODES"); do printf '127.0.2.%d node%d %s\n' "$i" "$i" "$HOSTS_TAG"; done
} >/etc/hosts
# enroot's per-user dirs live under parents that /run and /dev/shm lose at boot.
if [[ -f /etc/enroot/enroot.conf.d/50-nrs-per-node.conf ]]; then
    mkdir -p /run/enroot /var/lib/enroot/cache /dev/shm/enroot-data
    chmod 1777 /run/enroot /var/lib/enroot/cache /dev/shm/enroot-data
fi

# --- 4. configs ---------------------------------------------------------------
HOST=$(hostname -s)
REAL_MEM=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
REAL_MEM=${REAL_MEM:-1000}
NODE_MEM=$(( REAL_MEM / NODES ))
{
cat <<CONF
# Written by scripts/gpu-slurm/start.sh: ${NODES} nodes x ${GPUS_PER_NODE} fake GPUs on one host.
# Runs beside the single-node cluster of /etc/slurm/slurm.conf; select it with
# SLURM_CONF=${CONF_DIR}/slurm.conf.
ClusterName=${CLUSTER}
SlurmctldHost=${HOST}(127.0.0.1)
SlurmctldPort=${CTLD_PORT}
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
FirstJobId=700001
SlurmctldPidFile=${RUN_DIR}/slurmctld.pid
SlurmdPidFile=${RUN_DIR}/slurmd-%n.pid
SlurmdSpoolDir=${SPOOL}/d-%n
StateSaveLocation=${SPOOL}/ctld
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd-%n.log
PlugStackConfig=${CONF_DIR}/plugstack.conf
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
CONF
for i in $(seq 1 "$NODES"); do
    echo "NodeName=node$i NodeAddr=127.0.2.$i Port=$(( BASE_PORT + i - 1 )) CPUs=${CPUS_PER_NODE} RealMemory=${NODE_MEM} Gres=gpu:${GPUS_PER_NODE} State=UNKNOWN"
done
echo "PartitionName=${PARTITION} Nodes=${NODE_RANGE} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO"
} >"$CONF_DIR/slurm.conf.new"
mv "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"
printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/nvidia[0-%d]\n' \
    "$NODE_RANGE" "$FAKE_DEV_DIR" $(( GPUS_PER_NODE - 1 )) >"$CONF_DIR/gres.conf"
# pyxis is registered here only, so the single-node cluster never loads it.
echo "include ${CONF_DIR}/plugstack.conf.d/*.conf" >"$CONF_DIR/plugstack.conf"
if [[ ${NRS_GPU_NO_CONTAINERS:-0} != 1 ]]; then
    [[ -f /usr/local/share/pyxis/pyxis.conf ]] || die "pyxis is not installed (/usr/local/share/pyxis/pyxis.conf)"
    ln -sfn /usr/local/share/pyxis/pyxis.conf "$CONF_DIR/plugstack.conf.d/pyxis.conf"
else
    rm -f "$CONF_DIR/plugstack.conf.d/pyxis.conf"
fi
# Running daemons keep the config they started with: restart them when it changed.
config_sum=$( { cat "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf" "$CONF_DIR/plugstack.conf";
    readlink "$CONF_DIR/plugstack.conf.d/pyxis.conf" || true; } | sha256sum)
restart=0
if [[ -f $RUN_DIR/config.sum && $(cat "$RUN_DIR/config.sum") != "$config_sum" ]]; then restart=1; fi
T_CONF=$(date +%s.%N)

# --- 5. accounting: this cluster in the shared slurmdbd -----------------------
wait_for slurmdbd 60 sacctmgr -n list cluster
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi
if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description=local organization=local >/dev/null
fi
if ! sacctmgr -n -P list assoc cluster="$CLUSTER" user=root format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description=local organization=local >/dev/null 2>&1 || true
    sacctmgr -i add user root account="$ACCOUNT" defaultaccount="$ACCOUNT" cluster="$CLUSTER" >/dev/null
fi

# --- 6. slurmctld, one slurmd per node ----------------------------------------
if (( restart )); then
    log "config changed since the daemons started: restarting this cluster's daemons"
    bash "$HERE/stop.sh" --keep-hosts
fi
printf '%s\n' "$config_sum" >"$RUN_DIR/config.sum"
if ! running "$RUN_DIR/slurmctld.pid"; then
    log "starting slurmctld (port $CTLD_PORT)"
    slurmctld -f "$SLURM_CONF"
fi
wait_for slurmctld 30 scontrol ping
for i in $(seq 1 "$NODES"); do
    n=node$i
    running "$RUN_DIR/slurmd-$n.pid" && continue
    log "starting slurmd -N $n (port $(( BASE_PORT + i - 1 )), own UTS namespace)"
    # slurmd daemonizes inside the new UTS namespace; its job steps inherit it.
    unshare --uts -- sh -c "hostname $n && exec slurmd -f '$SLURM_CONF' -N $n"
done

all_idle() {
    local states
    states=$(sinfo -h -N -o '%N %T' 2>/dev/null) || return 1
    [[ $(grep -cE ' (idle|mixed|allocated)$' <<<"$states") -eq $NODES ]]
}
deadline=$(( $(date +%s) + 60 ))
until all_idle; do
    if sinfo -h -N -o %T 2>/dev/null | grep -qE '^(down|drain|inval)'; then
        scontrol update nodename="$NODE_RANGE" state=resume >/dev/null 2>&1 || true
    fi
    (( $(date +%s) < deadline )) || die "nodes not idle after 60s: $(sinfo -h -N -o '%N:%T:%E' | tr '\n' ' ')"
    sleep 0.2
done

# --- 7. what tests and users need to find this cluster ------------------------
cat >"$CONF_DIR/nrs-gpu.env" <<ENV
# Written by scripts/gpu-slurm/start.sh; source it to use the GPU-shaped cluster.
NRS_GPU_SLURM_CONF=${SLURM_CONF}
NRS_GPU_SLURM_PARTITION=${PARTITION}
NRS_GPU_SLURM_CLUSTER=${CLUSTER}
NRS_GPU_SLURM_NODES=${NODES}
NRS_GPU_SLURM_GPUS_PER_NODE=${GPUS_PER_NODE}
NRS_GPU_SLURM_IMAGE=$( [[ ${NRS_GPU_NO_CONTAINERS:-0} != 1 ]] && echo "$IMAGE" )
ENV

END_TS=$(date +%s.%N)
awk -v s="$START_TS" -v a="$T_SHARED" -v b="$T_BUILD" -v i="$T_IMAGE" -v c="$T_CONF" -v e="$END_TS" 'BEGIN {
    printf "[gpu-slurm] ready in %.1f s (shared services %.1f s, enroot+pyxis %.1f s, image %.1f s, config %.1f s, slurm daemons %.1f s)\n",
        e - s, a - s, b - a, i - b, c - i, e - c }'
sinfo -N -o '%N %P %T %c %G'
echo "use it with: SLURM_CONF=$SLURM_CONF (partition $PARTITION); image: $IMAGE"
