#!/usr/bin/env bash
# Builds the Debian package, target/debian/pharo-ctl_VERSION_ARCH.deb, with cargo-deb: the
# binary in /usr/bin, the man pages, and the completion scripts where bash, zsh and fish look
# for them (Cargo.toml, [package.metadata.deb]). Prints the package's path on stdout.
#
#   scripts/package.sh
#
# Needs cargo-deb: cargo install cargo-deb --locked
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || {
  echo "package: cargo-deb is not installed: cargo install cargo-deb --locked" >&2
  exit 1
}
# cargo deb builds the release binary; the man pages and completions are the checked-in ones
# (tests/it/docs.rs fails when they are stale).
out=$(cargo deb --quiet 2>&1) || { echo "$out" >&2; exit 1; }
deb=$(tail -n 1 <<<"$out")
[ -f "$deb" ] || { echo "$out" >&2; exit 1; }
echo "package: built $deb" >&2
echo "$deb"
