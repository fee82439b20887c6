#!/usr/bin/env bash
# Make the container image of the GPU-shaped cluster without any registry:
# debootstrap a minimal Debian 12 rootfs from Debian's mirror, then
# mksquashfs it into an enroot/pyxis image (`srun --container-image=OUT`).
#
# Usage: make-image.sh [OUT]   (default /var/cache/nrs/debian.sqsh)
#
# Cached on this machine: when OUT exists, its stamp OUT.stamp names this
# recipe and `unsquashfs -s` reads it, nothing is done. (Not shared across
# machines: CI builds it once per run, every later step reuses it.)
#
# The image has no Python of its own: jobs run the project's venv and its
# base interpreter, bind-mounted from the host at the same paths (see
# README.md, "Containers"). It carries the shared libraries those need.
# /dev, /proc and /sys stay empty, as in a Docker image: enroot mounts its
# own, and a non-root unsquashfs cannot create debootstrap's device nodes.
# Needs root.
set -euo pipefail
OUT=${1:-/var/cache/nrs/debian.sqsh}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the host's Python, torch (CPU) and the project's job scripts load.
PACKAGES=libssl3,libffi8,zlib1g,libbz2-1.0,liblzma5,libsqlite3-0,libreadline8,libncursesw6,libstdc++6,libgomp1,libuuid1,procps,ca-certificates
RECIPE="suite=$SUITE variant=minbase include=$PACKAGES exclude=dev,proc,sys comp=lz4 v1"
log() { printf '[make-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root"

if [[ -s $OUT && -f $OUT.stamp && $(cat "$OUT.stamp") == "$RECIPE" ]] \
    && unsquashfs -s "$OUT" >/dev/null 2>&1; then
    log "$OUT is up to date ($(( $(stat -c %s "$OUT") / 1000000 )) MB)"
    exit 0
fi

t0=$(date +%s.%N)
if ! command -v debootstrap >/dev/null || ! command -v mksquashfs >/dev/null; then
    log "apt-get install debootstrap squashfs-tools"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap squashfs-tools >/dev/null
fi
mkdir -p "$(dirname "$OUT")"
ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/nrs-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT
log "debootstrap $SUITE (minbase) into $ROOTFS"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
    || { tail -20 "$ROOTFS.log" >&2; die "debootstrap failed"; }
t1=$(date +%s.%N)
# Write beside OUT, then rename: a half-written image never looks valid.
rm -f "$OUT.stamp" "$OUT.tmp"
mksquashfs "$ROOTFS" "$OUT.tmp" -comp lz4 -noappend -quiet -no-progress \
    -wildcards -e 'dev/*' 'proc/*' 'sys/*' 'var/cache/apt/archives/*.deb' >/dev/null
chmod 644 "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$RECIPE" >"$OUT.stamp"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v f="$OUT" -v s="$(stat -c %s "$OUT")" 'BEGIN {
    printf "[make-image] %s: %.0f MB in %.1f s (debootstrap %.1f s, mksquashfs %.1f s)\n", f, s / 1e6, c - a, b - a, c - b }'
