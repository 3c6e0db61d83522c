#!/usr/bin/env bash
# End-to-end check of the Ansible collection (integrations/ansible): runs
# integrations/ansible/tests/seed.yml with ansible-core from PyPI against
# localhost (local connection), with the simulated FreeBSD userland of the
# apply tests (tests/freebsd-sim) first on PATH: the playbook creates the
# seed article's jails, checks that a second run is unchanged, that check
# mode changes nothing, that diff mode shows the change of one parameter and
# that a lint error fails before anything is written.
#
# Needs python3 (with venv), cargo and network access to PyPI.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== installing ansible-core into $work/venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check 'ansible-core>=2.15,<2.20'

echo "== building jailconf and the simulated FreeBSD userland"
cargo build --quiet --manifest-path "$repo/Cargo.toml" -p jailconf -p freebsd-sim
target="$(cargo metadata --manifest-path "$repo/Cargo.toml" --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
"$target/debug/freebsd-sim" install "$work/bin"
ln -s "$target/debug/jailconf" "$work/bin/jailconf"

export JAILCONF_SIM_STATE="$work/state"
"$target/debug/freebsd-sim" init --interface em0 --bridge bridge0=20.0.0.20/24:em0 \
    --dir /jail/classic --dir /jail/vnet
mkdir -p "$work/etc/jail.conf.d"

echo "== running the playbook"
export ANSIBLE_COLLECTIONS_PATH="$repo/integrations/ansible"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False
export ANSIBLE_NOCOLOR=1
"$work/venv/bin/ansible-playbook" -i localhost, \
    -e "ansible_python_interpreter=$work/venv/bin/python" \
    -e "confdir=$work/etc/jail.conf.d" \
    -e "state_file=$work/applied.json" \
    -e "lock_file=$work/jailconf.lock" \
    -e "seed=$repo/fixtures/seed/jail.conf.d" \
    -e "sim_path=$work/bin:$PATH" \
    -e "sim_state=$JAILCONF_SIM_STATE" \
    "$repo/integrations/ansible/tests/seed.yml"
echo "== the Ansible module works"
