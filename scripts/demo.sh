#!/usr/bin/env bash
# A tour of pharo-ctl without Pharo: the VM test double plays the image. It starts an
# instance, shows its status, evaluates Smalltalk in it (one expression, then a scripted
# console session), stops it cooperatively and prints its log's last lines, and shows
# the escalation when an image ignores the shutdown request, then runs it under the launcher
# (`pharo-ctl run`), lets its watchdog stop a hung image, and prints its systemd unit; then
# several images of one directory at once: status of all, a rolling restart, a template unit.
# Build first:
#   cargo build --release --bins --examples
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Where cargo put the binaries: CARGO_TARGET_DIR, a build.target-dir of a .cargo/config.toml,
# or target/ of the project; cargo itself says which.
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
  target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
ctl="$target/release/pharo-ctl"
double="$target/release/examples/pharo-vm-double"
for f in "$ctl" "$double"; do
  [ -x "$f" ] || { echo "demo: $f is missing: run cargo build --release --bins --examples" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/pharo-ctl-demo.XXXXXX")
cleanup() {
  "$ctl" -C "$dir" stop -q -t 1s --kill-after 1s zinc >/dev/null 2>&1 || true
  "$ctl" -C "$dir/shop" stop -q -t 1s --kill-after 1s --all >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
repl_port=$(free_port)
app_port=$(free_port)
printf 'a Pharo image' > "$dir/zinc.image"
cat > "$dir/zinc.st" <<ST
ZnServer startDefaultOn: $app_port.
ZnReadEvalPrintDelegate startInServerOn: $repl_port.

Smalltalk at: #ShutdownSequence put: [
  'Starting ShutdownSequence...' crTrace.
  ZnServer default stopServer.
  ZnServer default hasOpenConnections ifTrue: [ 3 seconds wait ].
  ZnServer default closeConnections.
  'Completed ShutdownSequence successfully' crTrace.
  Smalltalk snapshot: false andQuit: true ].
ST
export PHARO_VM="$double" PHARO_CTL_DIR="$dir"

run() { printf '\n$'; printf ' %q' "$@"; printf '\n'; "$@"; }
run "$ctl" start --wait zinc
run "$ctl" status zinc
run "$ctl" eval '42 factorial'
run "$ctl" eval "'héllo' reversed"
run "$ctl" eval '3 plus: 4' || echo "(exit $?: an evaluation error)"
script=$'(3 +\n 4) * 6\n\'two\nlines\' size'
printf '\n$ %q console zinc <<EOF   # scripted; at a terminal it is interactive\n%s\nEOF\n' "$ctl" "$script"
"$ctl" console zinc <<<"$script"
run "$ctl" dump zinc | head -n 16
run "$ctl" status --probe zinc && echo "(exit 0: its REPL answers)"
run "$ctl" stop zinc
run "$ctl" logs -n 3 zinc

printf '\n# An image that ignores the shutdown request is terminated after the grace:\n'
PHARO_DOUBLE_IGNORE_SHUTDOWN=1 run "$ctl" start -q --wait zinc
run "$ctl" stop --timeout 1s zinc
run "$ctl" status zinc || echo "(exit $?: not running)"

printf '\n# The launcher, as systemd or a container runs it: signals in, the exit status out.\n'
printf '$ %q run zinc &   # then SIGUSR1 and SIGTERM to it\n' "$ctl"
"$ctl" run zinc 2>"$dir/run.err" &
launcher=$!
for _ in $(seq 300); do grep -q "is running" "$dir/run.err" && break; sleep 0.05; done
kill -USR1 "$launcher"
for _ in $(seq 100); do grep -q "forwarding SIGUSR1" "$dir/run.err" && break; sleep 0.05; done
kill -TERM "$launcher"
status=0
wait "$launcher" || status=$?
cat "$dir/run.err"
echo "(exit $status)"

printf '\n# A hung image: its REPL stops answering while the VM lives; the watchdog stops it (exit 8).\n'
PHARO_DOUBLE_WEDGE_AFTER_MS=1000 run "$ctl" run zinc --watchdog 300ms --kill-after 1s 2>&1 |
  grep -v "^0x\|^Process\|^primitive" || echo "(exit $?: the image was hung)"
run "$ctl" unit zinc --user "$(id -un)" --watchdog 10s

printf '\n# Several images of one directory, as behind a load balancer:\n'
mkdir "$dir/shop"
for n in 1 2 3; do
  printf 'a Pharo image' > "$dir/shop/shop$n.image"
  printf 'ZnReadEvalPrintDelegate startInServerOn: %s.\nSmalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n' \
    "$(free_port)" > "$dir/shop/shop$n.st"
done
export PHARO_CTL_DIR="$dir/shop"
run "$ctl" start --all --parallel --wait -q
run "$ctl" status --all
run "$ctl" restart --rolling --all --pause 100ms
run "$ctl" stop --all
run "$ctl" unit --template --user "$(id -un)"
