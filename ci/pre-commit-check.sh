#!/usr/bin/env bash
# End-to-end check of the `jailfmt` and `jailconf-lint` pre-commit hooks
# (.pre-commit-hooks.yaml).
#
# Installs pre-commit from PyPI into a virtualenv under a temporary
# directory, creates a scratch git repository with badly formatted
# jail.conf files and a .pre-commit-config.yaml pointing at this repository
# at its HEAD commit, and runs the hook twice: the first run must fail and
# fix the files (and leave files the hook does not match alone), the second
# must pass.
#
# pre-commit installs hooks from a committed revision, so run this from a
# clone whose HEAD contains the changes to test. Needs python3 (with venv),
# git, cargo and network access to PyPI and crates.io.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$repo" rev-parse HEAD)"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "note: uncommitted changes in $repo are not part of HEAD ($rev) and are not tested" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== installing pre-commit into $work/venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
pre_commit="$work/venv/bin/pre-commit"
export PRE_COMMIT_HOME="$work/pre-commit-home"

echo "== scratch repository in $work/project"
mkdir -p "$work/project/jail.conf.d"
cd "$work/project"
git init --quiet
git config user.email "ci@example.invalid"
git config user.name "jailconf CI"
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $repo
    rev: $rev
    hooks:
      - id: jailfmt
      - id: jailconf-lint
YAML
printf 'exec.clean;\nweb{path=/jails/web;\nexec.start="/bin/sh /etc/rc";persist;}\n' > jail.conf
printf 'db {\n\tpath = /jails/db;\n\tip4.addr=192.0.2.2;\n}\n' > jail.conf.d/db.conf
# Not a jail.conf(5) file by name: the hook must not touch it.
printf 'web{path=/jails/web;}\n' > other.conf
git add .
git commit --quiet -m "badly formatted configuration"

expected_jail_conf='exec.clean;
web {
    path       = /jails/web;
    exec.start = "/bin/sh /etc/rc";
    persist;
}'
expected_db_conf='db {
    path     = /jails/db;
    ip4.addr = 192.0.2.2;
}'

echo "== first run: must fail and fix the files"
if "$pre_commit" run --all-files; then
    echo "FAIL: the hook passed on badly formatted files" >&2
    exit 1
fi
if [ "$(cat jail.conf)" != "$expected_jail_conf" ]; then
    echo "FAIL: jail.conf was not formatted as expected:" >&2
    cat jail.conf >&2
    exit 1
fi
if [ "$(cat jail.conf.d/db.conf)" != "$expected_db_conf" ]; then
    echo "FAIL: jail.conf.d/db.conf was not formatted as expected:" >&2
    cat jail.conf.d/db.conf >&2
    exit 1
fi
if [ "$(cat other.conf)" != 'web{path=/jails/web;}' ]; then
    echo "FAIL: other.conf is not a jail.conf file name but was changed" >&2
    exit 1
fi

echo "== second run: must pass"
git add .
"$pre_commit" run --all-files

echo "== a lint error: the jailconf-lint hook must fail"
printf 'web {\n    path = /jails/web;\n    allow.raw_socket;\n    persist;\n}\n' > jail.conf
git add .
if "$pre_commit" run jailconf-lint --all-files; then
    echo "FAIL: the jailconf-lint hook passed on an unknown parameter" >&2
    exit 1
fi

echo "OK: the jailfmt hook fixes badly formatted files and then passes; jailconf lint catches errors"
