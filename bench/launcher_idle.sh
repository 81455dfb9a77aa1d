#!/usr/bin/env bash
# The launcher at rest: what `pharo-ctl run` costs while the VM runs and nothing happens.
#
# It starts `pharo-ctl run` on the VM test double, `pharo-ctl run --watchdog 10s` on another,
# and, beside them in the same run, a reference: a bash launcher equivalent to
# pharo-launcher.sh (`VM & echo $! > pid; trap …; wait`). Once the images answer on their
# REPL, it lets them idle for --seconds and reports, for each launcher process (not the VMs):
# the CPU time consumed while idle (utime+stime from /proc/PID/stat, and the scheduler's
# nanosecond count from /proc/PID/schedstat), the wake-ups (context switches) meanwhile, the
# resident memory (VmRSS, and RssAnon: without mapped code) and the threads, with ratios; and
# for the watchdog, the probes it made (counted by the double), its CPU time per probe, and
# its wake-ups per minute and per probe.
#
# It builds nothing: it runs target/release/pharo-ctl and target/release/examples/pharo-vm-double
# (`cargo build --release --bins --examples`) unless told otherwise. Everything runs on loopback
# in a temporary directory, and every process it starts is stopped before it ends.
#
# Usage: bench/launcher_idle.sh [--seconds N] [--pharo-ctl PATH] [--vm PATH]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=30
ctl=$root/target/release/pharo-ctl
vm=$root/target/release/examples/pharo-vm-double

while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    --pharo-ctl) ctl=$2; shift 2 ;;
    --pharo-ctl=*) ctl=${1#*=}; shift ;;
    --vm) vm=$2; shift 2 ;;
    --vm=*) vm=${1#*=}; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "launcher_idle.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $seconds in ''|*[!0-9]*) echo "launcher_idle.sh: --seconds takes whole seconds" >&2; exit 2 ;; esac
for bin in "$ctl" "$vm"; do
  if [ ! -x "$bin" ]; then
    echo "launcher_idle.sh: $bin is not built: cargo build --release --bins --examples" >&2
    exit 2
  fi
done
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
vm=$(cd "$(dirname "$vm")" && pwd)/$(basename "$vm")

dir=$(mktemp -d "${TMPDIR:-/tmp}/pharo-ctl-idle.XXXXXX")
ctl_pid=
dog_pid=
ref_pid=
cleanup() {
  # SIGTERM runs each launcher's stop; whatever is left of this run is killed after that.
  for pid in $ctl_pid $dog_pid $ref_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $ctl_pid $dog_pid $ref_pid; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pidfile in "$dir"/*.pid; do
    [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A loopback port nothing listens on, below the kernel's ephemeral ports (32768 and up), which
# outgoing connections may take at any moment.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# An image and a startup script like the seed's: an application server and the REPL.
instance() {
  local name=$1 repl=$2
  echo "a Pharo image" >"$dir/$name.image"
  cat >"$dir/$name.st" <<EOF
ZnServer startDefaultOn: $(free_port).
ZnReadEvalPrintDelegate startInServerOn: $repl.
Smalltalk at: #ShutdownSequence put: [
  ZnServer default stopServer.
  Smalltalk snapshot: false andQuit: true ].
EOF
}

ctl_repl=$(free_port)
dog_repl=$(free_port)
while [ "$dog_repl" = "$ctl_repl" ]; do dog_repl=$(free_port); done
ref_repl=$(free_port)
while [ "$ref_repl" = "$ctl_repl" ] || [ "$ref_repl" = "$dog_repl" ]; do ref_repl=$(free_port); done
instance zinc "$ctl_repl"
instance dog "$dog_repl"
instance ref "$ref_repl"

# The reference: pharo-launcher.sh's way, in bash.
cat >"$dir/ref-launcher.sh" <<'EOF'
#!/usr/bin/env bash
"$VM" --headless ref.image ref.st &
pid=$!
echo $pid > ref.pid
trap 'curl -s -X POST -H "Content-Type: text/plain" -H "Connection: close" \
        --data-binary "ShutdownSequence fork . true" "http://localhost:$REPL/repl" >/dev/null
      wait $pid; rm -f ref.pid; exit 0' TERM INT
wait $pid
EOF
chmod +x "$dir/ref-launcher.sh"

cd "$dir"
env -u NOTIFY_SOCKET PHARO_VM="$vm" NO_COLOR=1 "$ctl" run zinc >zinc.out 2>zinc.err &
ctl_pid=$!
# The double counts the probes it is sent, as GET /repl events.
env -u NOTIFY_SOCKET PHARO_VM="$vm" PHARO_DOUBLE_EVENTS="$dir/dog.events" NO_COLOR=1 \
  "$ctl" run dog --watchdog 10s >dog.out 2>dog.err &
dog_pid=$!
env -u NOTIFY_SOCKET VM="$vm" REPL="$ref_repl" ./ref-launcher.sh >ref.out 2>&1 &
ref_pid=$!

# All ready: the REPLs answer, and pharo-ctl has said so (its readiness thread is gone).
deadline=$((SECONDS + 30))
until grep -q "zinc is running" zinc.err 2>/dev/null &&
  grep -q "dog: watchdog: probing" dog.err 2>/dev/null &&
  (exec 3<>"/dev/tcp/127.0.0.1/$ref_repl") 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    echo "launcher_idle.sh: the images did not become ready within 30s" >&2
    cat zinc.err dog.err ref.out >&2
    exit 1
  fi
  sleep 0.05
done
sleep 1

ticks=$(getconf CLK_TCK)
# utime+stime in clock ticks; the command name may hold spaces, so cut after its ')'.
cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
cpu_ns() { local a; read -r a _ <"/proc/$1/schedstat"; echo "$a"; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
wakeups() { echo $(($(status_field "$1" voluntary_ctxt_switches) + $(status_field "$1" nonvoluntary_ctxt_switches))); }

probes() { grep -c "GET /repl" dog.events 2>/dev/null || true; }

declare -A t0 n0 w0
for p in $ctl_pid $dog_pid $ref_pid; do t0[$p]=$(cpu_ticks "$p"); n0[$p]=$(cpu_ns "$p"); w0[$p]=$(wakeups "$p"); done
p0=$(probes)
sleep "$seconds"
declare -A dt dn dw rss anon threads
probed=$(($(probes) - p0))
for p in $ctl_pid $dog_pid $ref_pid; do
  dt[$p]=$(($(cpu_ticks "$p") - t0[$p]))
  dn[$p]=$(($(cpu_ns "$p") - n0[$p]))
  dw[$p]=$(($(wakeups "$p") - w0[$p]))
  rss[$p]=$(status_field "$p" VmRSS)
  anon[$p]=$(status_field "$p" RssAnon)
  threads[$p]=$(status_field "$p" Threads)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print (a == 0 ? "=" : "n/a"); else printf "%.2f", a / b }'; }
row() {
  local label=$1 p=$2
  printf "%-28s %12s %14s %10s %10s %10s %8s\n" "$label" \
    "$((dt[$p] * 1000 / ticks)) ms" "${dn[$p]} ns" "${dw[$p]}" "${rss[$p]} kB" "${anon[$p]} kB" \
    "${threads[$p]}"
}
echo "Launcher at rest for ${seconds}s (the VM test double running under each):"
printf "%-28s %12s %14s %10s %10s %10s %8s\n" "launcher" "CPU (ticks)" "CPU (sched)" "wake-ups" "VmRSS" "RssAnon" \
  "threads"
ratios() {
  local label=$1 a=$2 b=$3
  printf "%-28s %12s %14s %10s %10s %10s %8s\n" "$label" \
    "$(ratio "${dt[$a]}" "${dt[$b]}")" "$(ratio "${dn[$a]}" "${dn[$b]}")" \
    "$(ratio "${dw[$a]}" "${dw[$b]}")" "$(ratio "${rss[$a]}" "${rss[$b]}")" \
    "$(ratio "${anon[$a]}" "${anon[$b]}")" "$(ratio "${threads[$a]}" "${threads[$b]}")"
}
row "pharo-ctl run" "$ctl_pid"
row "pharo-ctl run --watchdog 10s" "$dog_pid"
row "bash pharo-launcher.sh" "$ref_pid"
ratios "ratio pharo-ctl / bash" "$ctl_pid" "$ref_pid"
ratios "ratio --watchdog / bash" "$dog_pid" "$ref_pid"
ratios "ratio --watchdog / without" "$dog_pid" "$ctl_pid"
echo "(ratio \"=\": both zero. VmRSS counts the program's mapped code; RssAnon is the memory it holds.)"
echo
awk -v n="$probed" -v ns="${dn[$dog_pid]}" -v w="${dw[$dog_pid]}" -v s="$seconds" 'BEGIN {
  printf "watchdog: %d probes in %ds; CPU %s per probe (goal < 1 ms); %.1f wake-ups per minute, %s per probe\n",
    n, s, (n > 0 ? sprintf("%.3f ms", ns / n / 1e6) : "n/a"), w * 60 / s, (n > 0 ? sprintf("%.1f", w / n) : "n/a")
}'
