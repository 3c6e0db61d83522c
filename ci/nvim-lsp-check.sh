#!/usr/bin/env bash
# Real-client check of the language server: headless Neovim starts
# `jailconf lsp` on fixtures/lsp/nvim.conf through its built-in LSP client
# and checks diagnostics, hover, completion and formatting
# (ci/nvim-lsp-check.lua). Installs Debian's neovim when it is missing (as
# root). Exits non-zero on any failure; bounded to a few minutes.
#
# Environment: JAILCONF_BIN to test a given binary (default: build
# target/debug/jailconf).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if ! command -v nvim >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "nvim-lsp-check: installing neovim" >&2
        timeout 600 apt-get update -qq
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq neovim >/dev/null
    else
        echo "nvim-lsp-check: nvim is not installed (apt-get install neovim)" >&2
        exit 1
    fi
fi

bin=${JAILCONF_BIN:-}
if [ -z "$bin" ]; then
    (cd "$root" && timeout 1200 cargo build --quiet --bin jailconf)
    bin=${CARGO_TARGET_DIR:-$root/target}/debug/jailconf
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/fixtures/lsp/nvim.conf" "$work/jail.conf"
"$bin" fmt - < "$work/jail.conf" > "$work/expected.conf"

echo "nvim-lsp-check: $(nvim --version | head -n 1), $("$bin" --version)" >&2
status=0
JAILCONF_BIN=$bin JAILCONF_FIXTURE=$work/jail.conf JAILCONF_EXPECTED=$work/expected.conf \
    timeout 180 nvim --headless -u NONE -i NONE -n \
    -c "luafile $root/ci/nvim-lsp-check.lua" </dev/null || status=$?
if [ "$status" -ne 0 ]; then
    echo "nvim-lsp-check: failed (status $status)" >&2
fi
exit "$status"
