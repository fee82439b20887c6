#!/usr/bin/env bash
# Build and install enroot and pyxis from the source archives vendored in
# scripts/gpu-slurm/vendor/ (CI reaches only package registries, and neither
# project is in Debian), with Debian packages as the only other input.
# Installs into /usr/local and writes enroot's per-node config; registering
# pyxis with Slurm is start.sh's job (in /etc/slurm-gpu only).
#
# Cached: skips the build when the installed stamp names the same archives
# (sha256) and enroot + spank_pyxis.so are in place. Needs root.
#
# The archives are `git archive` of enroot v4.1.2
# (bd51f53b6fa954805ae3e1985c5dc7594ff66d05) and pyxis v0.24.0
# (107519944221822ea1dace4db8e7234b2eaa4cd5), both Apache-2.0. An archive
# lacks enroot's three git submodules (musl, linux-headers, makeself); Debian's
# musl-tools (its specs file taught -static-pie), linux-libc-dev and makeself
# stand in for them. (FORCE_GLIBC=1 does not build: glibc 2.36 has no strlcpy.)
#
# Environment: ENROOT_SRC, PYXIS_SRC (archive or directory; default: the
#   vendored archives, else ../shared/vendor/ beside the repo), BUILD_DIR
#   (default /tmp/nrs-enroot-pyxis-build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=/usr/local
BUILD_DIR=${BUILD_DIR:-/tmp/nrs-enroot-pyxis-build}
STAMP=$PREFIX/share/nrs-enroot-pyxis.stamp
log() { printf '[enroot-pyxis] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
t0=$(date +%s.%N)
[[ $(id -u) -eq 0 ]] || die "run as root"

# find_src NAME: the vendored archive, else the one in ../shared/vendor.
find_src() {
    local name=$1 c
    for c in "$HERE/vendor/$name" "$HERE/../../../shared/vendor/$name"; do
        [[ -e $c ]] && { echo "$c"; return 0; }
    done
    die "no $name in $HERE/vendor/ or ../shared/vendor/"
}
ENROOT_SRC=${ENROOT_SRC:-$(find_src enroot-4.1.2.tar.gz)}
PYXIS_SRC=${PYXIS_SRC:-$(find_src pyxis-0.24.0.tar.gz)}
src_id() { if [[ -d $1 ]]; then echo "dir:$1"; else sha256sum <"$1" | cut -d' ' -f1; fi; }
want_stamp="enroot=$(src_id "$ENROOT_SRC") pyxis=$(src_id "$PYXIS_SRC")"

# --- packages: build deps, enroot's runtime deps, the image tools -------------
export DEBIAN_FRONTEND=noninteractive
pkgs=(make gcc libc6-dev musl-tools linux-libc-dev makeself libslurm-dev
      squashfs-tools squashfuse fuse-overlayfs jq parallel libcap2-bin pigz
      zstd curl gawk tar util-linux findutils coreutils grep sed bash debootstrap)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
t_apt=$(date +%s.%N)

# --- enroot config: one runtime/data dir per Slurm "node" ---------------------
# Without it, the steps of one job on two nodes of this host unpack into the
# same $ENROOT_DATA_PATH/pyxis_<job>.<step> and fail ("File exists"). enroot
# evaluates the values each run. Data on tmpfs: unpacking on disk took 3-8 s.
mkdir -p /etc/enroot/enroot.conf.d
cat >/etc/enroot/enroot.conf.d/50-nrs-per-node.conf <<'CONF'
ENROOT_RUNTIME_PATH /run/enroot/user-$(id -u)/${SLURMD_NODENAME:-$(hostname)}
ENROOT_CACHE_PATH /var/lib/enroot/cache/user-$(id -u)
ENROOT_DATA_PATH /dev/shm/enroot-data/user-$(id -u)/${SLURMD_NODENAME:-$(hostname)}
CONF
mkdir -p /run/enroot /var/lib/enroot/cache /dev/shm/enroot-data
chmod 1777 /run/enroot /var/lib/enroot/cache /dev/shm/enroot-data

if [[ -f $STAMP && $(cat "$STAMP") == "$want_stamp" && -x $PREFIX/bin/enroot \
    && -f $PREFIX/lib/slurm/spank_pyxis.so && -f $PREFIX/share/pyxis/pyxis.conf ]]; then
    log "enroot $("$PREFIX/bin/enroot" version) and pyxis already built from these archives"
    exit 0
fi

unpack() {  # unpack SRC DEST: copy a dir or extract a tarball (one top dir)
    rm -rf "$2"; mkdir -p "$2"
    if [[ -d $1 ]]; then cp -a "$1"/. "$2"/
    else tar -xzf "$1" -C "$2" --strip-components=1; fi
}
mkdir -p "$BUILD_DIR"
unpack "$ENROOT_SRC" "$BUILD_DIR/enroot"
unpack "$PYXIS_SRC" "$BUILD_DIR/pyxis"

# --- enroot, with Debian's packages in place of its submodules ----------------
cd "$BUILD_DIR/enroot"
D=$PWD/deps/dist
MUSL_LIB=/usr/lib/x86_64-linux-musl
mkdir -p "$D/musl/bin" "$D/musl/include/sys" "$D/linux/include" deps/makeself deps/musl deps/linux-headers
# musl-gcc's specs cannot link static PIEs; enroot's own musl build can.
sed -e "s|^%{!shared: $MUSL_LIB/Scrt1.o}|%{static-pie: $MUSL_LIB/rcrt1.o} %{!static-pie: %{!shared: $MUSL_LIB/Scrt1.o}}|" \
    -e 's|^-dynamic-linker /lib/ld-musl-x86_64.so.1 -nostdlib|%{static-pie:-no-dynamic-linker -static -pie} %{!static-pie:-dynamic-linker /lib/ld-musl-x86_64.so.1} -nostdlib|' \
    -e "s|-isystem /usr/include/x86_64-linux-musl|-isystem /usr/include/x86_64-linux-musl -isystem $D/musl/include|g" \
    "$MUSL_LIB/musl-gcc.specs" >"$D/musl/musl-gcc.specs"
grep -q 'static-pie: .*rcrt1.o' "$D/musl/musl-gcc.specs" || die "the musl specs edit did not apply"
touch "$D/musl/include/sys/cdefs.h"   # musl has none; the libbsd headers include it
printf '#!/bin/sh\nexec "${REALGCC:-x86_64-linux-gnu-gcc}" "$@" -specs "%s"\n' "$D/musl/musl-gcc.specs" >"$D/musl/bin/musl-gcc"
chmod +x "$D/musl/bin/musl-gcc"
cp -r /usr/include/linux /usr/include/asm-generic "$D/linux/include/"
cp -r /usr/include/x86_64-linux-gnu/asm "$D/linux/include/asm"
cp /usr/bin/makeself deps/makeself/makeself.sh
touch deps/musl/.stamp deps/linux-headers/.stamp   # deps/Makefile: already built
log "building enroot"
make -j"$(nproc)" prefix="$PREFIX" sysconfdir=/etc install >"$BUILD_DIR/enroot-build.log" 2>&1 \
    || { tail -20 "$BUILD_DIR/enroot-build.log"; die "enroot build failed (log: $BUILD_DIR/enroot-build.log)"; }
t_enroot=$(date +%s.%N)

# --- pyxis (against Debian's libslurm-dev 22.05, unchanged) -------------------
cd "$BUILD_DIR/pyxis"
log "building pyxis"
make -j"$(nproc)" prefix="$PREFIX" install >"$BUILD_DIR/pyxis-build.log" 2>&1 \
    || { tail -20 "$BUILD_DIR/pyxis-build.log"; die "pyxis build failed (log: $BUILD_DIR/pyxis-build.log)"; }
t_end=$(date +%s.%N)

"$PREFIX/bin/enroot" version >/dev/null || die "the installed enroot does not run"
[[ -f $PREFIX/lib/slurm/spank_pyxis.so ]] || die "no $PREFIX/lib/slurm/spank_pyxis.so after the build"
echo "$want_stamp" >"$STAMP"
awk -v s="$t0" -v a="$t_apt" -v e="$t_enroot" -v p="$t_end" 'BEGIN {
    printf "[enroot-pyxis] built in %.1f s (apt %.1f s, enroot %.1f s, pyxis %.1f s)\n", p - s, a - s, e - a, p - e }'
