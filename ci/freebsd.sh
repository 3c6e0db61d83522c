#!/bin/sh
# Real FreeBSD run of the apply end-to-end tests (tests/cli_apply_e2e.rs,
# tests/cli_apply_failures.rs): the same tests that run against the
# simulated userland (tests/freebsd-sim) on Linux, here with
# JAILCONF_E2E_REAL=1 driving FreeBSD's own jail, jls, jexec, ifconfig,
# route, zfs and chflags. Each test creates and destroys its own throwaway
# ZFS dataset ($JAILCONF_E2E_POOL/jailconf-e2e-PID-N), test bridge, epairs
# and jails (tests/support/userland.rs); this script touches nothing it did
# not create.
#
# Runs on a FreeBSD host (a VM: the tests' `apply --prune` removes every
# jail that is running, so it refuses a host with jails) as root. It cannot
# run in this project's own CI, which is Linux: .github/workflows/freebsd.yml
# runs it in a FreeBSD VM on GitHub Actions.
#
# Usage: ci/freebsd.sh [--make-pool]
#
#   --make-pool  (or JAILCONF_E2E_MAKE_POOL=1) create a file-backed pool
#                (mdconfig + zpool create) for the run and destroy it, its
#                md device and its file at the end; for a host without ZFS.
#
# Environment:
#   JAILCONF_E2E_POOL       the pool (default zroot; jailconf-e2e with
#                           --make-pool, which must not exist yet)
#   JAILCONF_E2E_IFACE      the uplink the jails' address aliases go on
#                           (default: the first interface of `ifconfig -l`
#                           that is not a loopback, bridge, epair or pf one)
#   JAILCONF_E2E_POOL_SIZE  size of the --make-pool file (default 2g)
#
# Installs Rust with `pkg install -y rust` when cargo is missing or older
# than the workspace's rust-version (falling back to rustup).
set -eu

me="ci/freebsd.sh"
die() {
    echo "$me: $*" >&2
    exit 1
}
say() {
    echo "== $*"
}

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

make_pool=${JAILCONF_E2E_MAKE_POOL:-0}
for arg in "$@"; do
    case $arg in
    --make-pool) make_pool=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) die "unknown argument: $arg (see --help)" ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
PATH="/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:${HOME:-/root}/.cargo/bin:$PATH"
export PATH

# --- preflight -----------------------------------------------------------

[ "$(uname -s)" = FreeBSD ] ||
    die "this is $(uname -s), not FreeBSD: the real-mode tests drive FreeBSD's jail, jls, ifconfig and zfs (on Linux, run cargo test: it uses the simulated userland)"
[ "$(id -u)" = 0 ] ||
    die "run as root: the tests create jails, interfaces and ZFS datasets"
[ "$(sysctl -n kern.features.vimage 2>/dev/null || echo 0)" = 1 ] ||
    die "the kernel has no VNET support (sysctl kern.features.vimage is not 1); the vnet jail needs it"
for tool in jail jls jexec ifconfig route chflags ldd mount umount zfs zpool; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
running=$(jls name)
[ -z "$running" ] ||
    die "jails are running on this host ($(echo "$running" | tr '\n' ' ')): the tests' apply --prune would remove them; run on a host (VM) without jails"
if ifconfig -a | grep -q 'inet 192\.0\.2\.'; then
    die "192.0.2.0/24 is already in use on this host (left by an interrupted run?); the tests use it for the test bridge and jails"
fi
if [ -n "${JAILCONF_E2E_IFACE:-}" ]; then
    ifconfig "$JAILCONF_E2E_IFACE" >/dev/null 2>&1 ||
        die "JAILCONF_E2E_IFACE=$JAILCONF_E2E_IFACE: no such interface"
fi

# --- the pool ------------------------------------------------------------

made_pool=""
pool_md=""
pool_file=""
cleanup() {
    status=$?
    trap - EXIT
    if [ -n "$made_pool" ]; then
        say "destroying the pool $pool"
        zpool destroy -f "$pool" || echo "$me: zpool destroy $pool failed" >&2
    fi
    if [ -n "$pool_md" ]; then
        mdconfig -d -u "$pool_md" || echo "$me: mdconfig -d -u $pool_md failed" >&2
    fi
    if [ -n "$pool_file" ]; then
        rm -f "$pool_file"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$make_pool" = 1 ]; then
    pool=${JAILCONF_E2E_POOL:-jailconf-e2e}
    if ! kldstat -q -m zfs; then
        say "loading the ZFS module"
        kldload zfs || die "cannot load the ZFS module"
    fi
    if zpool list -H -o name "$pool" >/dev/null 2>&1; then
        die "a pool named $pool exists already: not touching it (set JAILCONF_E2E_POOL to another name)"
    fi
    size=${JAILCONF_E2E_POOL_SIZE:-2g}
    say "creating the file-backed pool $pool ($size)"
    pool_file=$(mktemp /var/tmp/jailconf-e2e-pool.XXXXXX)
    truncate -s "$size" "$pool_file"
    pool_md=$(mdconfig -a -t vnode -f "$pool_file")
    zpool create -m none "$pool" "/dev/$pool_md"
    made_pool=1
else
    pool=${JAILCONF_E2E_POOL:-zroot}
    if ! zpool list -H -o name "$pool" >/dev/null 2>&1; then
        die "no ZFS pool $pool: set JAILCONF_E2E_POOL to an existing pool, or pass --make-pool for a file-backed one"
    fi
fi
export JAILCONF_E2E_POOL="$pool"

# --- Rust ----------------------------------------------------------------

want=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$repo/Cargo.toml" | head -n 1)
want=${want:-1.89}
rust_ok() {
    command -v cargo >/dev/null 2>&1 || return 1
    have=$(rustc --version | awk '{print $2}')
    # Compare major.minor numerically.
    [ "$(printf '%s\n%s\n' "$want" "$have" | sort -t . -k 1,1n -k 2,2n | head -n 1)" = "$want" ]
}
if ! rust_ok; then
    say "installing Rust (pkg install -y rust)"
    ASSUME_ALWAYS_YES=yes pkg install -y rust || true
fi
if ! rust_ok; then
    say "pkg's Rust is missing or older than $want: installing it with rustup"
    fetch -o /tmp/rustup-init.sh https://sh.rustup.rs
    sh /tmp/rustup-init.sh -y --profile minimal --no-modify-path
    rm -f /tmp/rustup-init.sh
fi
rust_ok || die "no Rust >= $want"
say "$(rustc --version), $(cargo --version)"

# --- build and test -------------------------------------------------------

cd "$repo"
say "building"
cargo build --locked --tests -p jailconf
say "running the apply end-to-end tests on the real userland (pool $pool)"
# One test at a time: the tests expect to be the only jails on the host.
tests_status=0
JAILCONF_E2E_REAL=1 cargo test --locked --test cli_apply_e2e --test cli_apply_failures \
    -- --test-threads=1 || tests_status=$?

# Every test tears down what it made, even when it fails; report (never
# remove) anything that is left, which is a bug in the teardown.
left=""
if [ -n "$(jls name)" ]; then
    left="$left jails:$(jls name | tr '\n' ' ')"
fi
datasets=$(zfs list -H -o name -r "$pool" 2>/dev/null | grep '/jailconf-e2e-' || true)
if [ -n "$datasets" ]; then
    left="$left datasets:$(echo "$datasets" | tr '\n' ' ')"
fi
if ifconfig -a | grep -q 'description: jailconf-e2e'; then
    left="$left a test bridge (description jailconf-e2e)"
fi
if ifconfig -a | grep -q 'inet 192\.0\.2\.'; then
    left="$left addresses in 192.0.2.0/24"
fi
if [ -n "$left" ]; then
    echo "$me: the tests left behind:$left" >&2
    [ "$tests_status" != 0 ] || tests_status=1
fi
[ "$tests_status" = 0 ] || die "the real-mode tests failed (status $tests_status)"
say "done: the apply end-to-end tests pass on $(uname -r)"
