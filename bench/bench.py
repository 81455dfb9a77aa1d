#!/usr/bin/env python3
"""pharo-ctl's benchmark: each figure beside a reference measured in the same run.

1. stop: the wall time of `pharo-ctl stop` against the image's own shutdown time (the
   shutdown request and the exit, timed here with a pidfd), and stop's overhead: how long
   after the VM's exit (seen here through a pidfd of our own) pharo-ctl stop is done; the
   same on Pharo's zeroconf layout, where a bash wrapper that does not exec stands above the
   VM proper and stop waits for the whole process tree.
2. eval and status: `pharo-ctl eval '3 + 4'` against curl doing the same POST, and
   `pharo-ctl status` wall time against it too; eval against `pharo-ctl --version`, the cost
   of starting the binary at all (goal: 1.25x at most).
3. console: from starting `pharo-ctl console` on a pseudo-terminal to its first answer (the
   prompt, then `3 + 4` typed at it), and a scripted console (`3 + 4` on standard input),
   against `pharo-ctl eval '3 + 4'`.
4. scan: the process-table scan (`pharo-ctl pid` without a pid file) among several thousand
   processes against `pgrep -f`.
5. many: `pharo-ctl status --all` over 50 running instances of one directory against 50
   `pharo-ctl status NAME` run one after another (goal: 0.1x, and under 50 ms).
6. identity: what proving that the REPL's socket is the instance's costs (the time pharo-ctl
   reports with -v for the check: the kernel's socket table for the port, the VM's
   descriptors), `eval NAME` (checked) against `eval --repl URL` (sent as asked, unchecked),
   and stop's lag after the VM's exit; each without and with 10,000 other loopback sockets
   open (5,000 connections), which the check must not depend on (goal: the check under
   0.2 ms, the lag under 2 ms).
7. snapshot: `pharo-ctl snapshot` of a 50 MB image file against the image's own save (the
   same `Smalltalk snapshot: true andQuit: false` POSTed on a socket of the benchmark's, and by
   curl), and the time the snapshot adds around the image's own save, both timed by one
   `pharo-ctl snapshot --json` (`seconds` less `save_seconds`; goal: under 5%); the backup is a
   reflink where the file system of the temporary directory supports it, else a copy, and the
   line says which.

It builds nothing: it runs target/release/pharo-ctl and target/release/examples/pharo-vm-double
(`cargo build --release --bins --examples`). Everything runs on loopback in a temporary
directory, and every process it starts is killed before it ends.
"""

import argparse
import json
import os
import pty
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A free loopback port, below the kernel's ephemeral ports (32768 and up), which outgoing
    connections may take at any moment, and never one handed out before in this run."""
    while True:
        port = random.randrange(20000, 32000)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


_handed_out = set()


def median_ms(samples):
    return statistics.median(samples) * 1000


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def timed(argv, **kw):
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


# Pharo's zeroconf layout (as get.pharo.org writes it): DIR/pharo runs pharo-vm/pharo without
# exec; pharo-vm/pharo execs pharo-vm/lib/pharo, the VM proper (here the double).
ZEROCONF = {
    "pharo": '#!/usr/bin/env bash\nDIR=`readlink "$0"` || DIR="$0";\nDIR=`dirname "$DIR"`;\n'
             'cd "$DIR"\nDIR=`pwd`\ncd - > /dev/null\nset -f\n"$DIR"/"pharo-vm/pharo" --headless "$@"\n',
    "pharo-vm/pharo": '#!/usr/bin/env bash\nDIR=`readlink "$0"` || DIR="$0";\nDIR=`dirname "$DIR"`;\n'
                      'cd "$DIR"\nDIR=`pwd`\ncd - > /dev/null\nset -f\n'
                      'LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$DIR/lib" exec "$DIR/lib/pharo" "$@"\n',
}


class Bench:
    def __init__(self, args, zeroconf=False):
        self.ctl = os.path.abspath(args.pharo_ctl)
        self.double = os.path.abspath(args.double)
        self.dir = tempfile.mkdtemp(prefix="pharo-ctl-bench.")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PHARO")}
        self.env.update(NO_COLOR="1", PHARO_CTL_DIR=self.dir)
        self.children = []
        if zeroconf:
            os.makedirs(os.path.join(self.dir, "pharo-vm/lib"))
            os.symlink(self.double, os.path.join(self.dir, "pharo-vm/lib/pharo"))
            for name, text in ZEROCONF.items():
                with open(os.path.join(self.dir, name), "w") as f:
                    f.write(text)
                os.chmod(os.path.join(self.dir, name), 0o755)
        else:
            self.env.update(PHARO_VM=self.double)

    def close(self):
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([self.ctl, "stop", "-q", "--timeout", "1s", "--kill-after", "1s", "zinc"],
                       env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def instance(self):
        self.port = free_port()
        with open(os.path.join(self.dir, "zinc.image"), "w") as f:
            f.write("image")
        with open(os.path.join(self.dir, "zinc.st"), "w") as f:
            f.write(f"ZnReadEvalPrintDelegate startInServerOn: {self.port}.\n"
                    "Smalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n")
        self.url = f"http://127.0.0.1:{self.port}/repl"

    def ctl_run(self, *args):
        subprocess.run([self.ctl, *args], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        self.ctl_run("start", "--wait", "-q", "zinc")
        with open(os.path.join(self.dir, "zinc.pid")) as f:
            return int(f.read())

    def post(self, body):
        """One POST /repl on a raw socket; answers when the answer or the close arrives."""
        data = body.encode()
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(b"POST /repl HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain;charset=utf-8\r\n"
                      b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
            while s.recv(65536):
                pass

    def stop_figures(self, rounds, layout=""):
        own, stops, lag, wrapped = [], [], [], []
        for _ in range(rounds):
            # Reference: the image's own shutdown, timed from the request to the exit, which a
            # pidfd tells the moment it happens.
            pid = self.start()
            fd = os.pidfd_open(pid)
            # A wrapper above the VM ends right after it: wait for it too before going on.
            wrapper = os.pidfd_open(parent_of(pid)) if layout else None
            t0 = time.perf_counter()
            self.post("ShutdownSequence fork . true")
            select.select([fd], [], [], 30)
            exited = time.perf_counter()
            own.append(exited - t0)
            os.close(fd)
            if wrapper is not None:
                select.select([wrapper], [], [], 30)
                wrapped.append(time.perf_counter() - exited)
                os.close(wrapper)
            os.unlink(os.path.join(self.dir, "zinc.pid"))
            # pharo-ctl stop, watched from here: its wall time, and how long after the VM's
            # exit pharo-ctl itself is done (noticing the exit, removing the pid file,
            # reporting, exiting).
            pid = self.start()
            fd = os.pidfd_open(pid)
            t0 = time.perf_counter()
            proc = subprocess.Popen([self.ctl, "stop", "zinc"], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            select.select([fd], [], [], 30)
            exited = time.perf_counter()
            proc.wait()
            done = time.perf_counter()
            os.close(fd)
            stops.append(done - t0)
            lag.append(done - exited)
        o, s, g = median_ms(own), median_ms(stops), median_ms(lag)
        rows = [
            (f"image's own shutdown (request to exit){layout}", o, "reference"),
            (f"pharo-ctl stop (wall){layout}", s, f"{s / o:.2f}x"),
            (f"VM exit to pharo-ctl stop done{layout}", g, f"{g / o:.2f}x; goal < 2 ms"),
        ]
        if wrapped:
            # The wrapper ends after its VM whoever waits: the part of the lag that is not
            # pharo-ctl's own.
            w = median_ms(wrapped)
            rows.insert(1, (f"VM exit to the wrapper's exit{layout}", w, "reference"))
        return rows

    def eval_figures(self, rounds):
        self.start()
        commands = {
            "curl": (["curl", "-s", "-X", "POST", "-H", "Content-Type: text/plain;charset=utf-8",
                      "--data-binary", "3 + 4", self.url], None),
            "eval": ([self.ctl, "eval", "3 + 4"], self.env),
            "status": ([self.ctl, "status", "zinc"], self.env),
            "version": ([self.ctl, "--version"], self.env),
        }
        times = {name: [] for name in commands}
        order = list(commands)
        # Interleaved, in a new order each round: a drift of the machine's speed (another
        # process, the CPU's clock) falls on every figure alike, not on one block of them.
        # A figure of a few milliseconds wavers by a tenth of one from run to run: five times
        # the rounds (each takes about 15 ms) make its median steady.
        for _ in range(rounds * 5):
            random.shuffle(order)
            for name in order:
                argv, env = commands[name]
                times[name].append(timed(argv, env=env))
        curl, ctl, status, version = (times[n] for n in ("curl", "eval", "status", "version"))
        c, e, st, v = median_ms(curl), median_ms(ctl), median_ms(status), median_ms(version)
        return [
            ("curl POST '3 + 4'", c, "reference"),
            ("pharo-ctl eval '3 + 4'", e, f"{e / c:.2f}x"),
            ("pharo-ctl status (incl. REPL probe)", st, f"{st / c:.2f}x"),
            ("pharo-ctl --version", v, "reference"),
            ("pharo-ctl eval '3 + 4'", e, f"{e / v:.2f}x of --version; goal <= 1.25x"),
        ]

    def console_to_first_answer(self):
        """Starts the console on a pseudo-terminal, waits for its prompt, types `3 + 4` and
        answers the time from the start to the answer on the terminal."""
        master, slave = pty.openpty()
        env = dict(self.env, TERM="xterm-256color", XDG_STATE_HOME=os.path.join(self.dir, "state"))
        t0 = time.perf_counter()
        proc = subprocess.Popen([self.ctl, "console", "zinc"], env=env, stdin=slave,
                                stdout=slave, stderr=slave, start_new_session=True)
        self.children.append(proc)
        os.close(slave)
        seen = b""

        def until(text):
            nonlocal seen
            deadline = time.monotonic() + 30
            while text not in seen:
                ready, _, _ = select.select([master], [], [], max(0, deadline - time.monotonic()))
                if not ready:
                    raise RuntimeError(f"console: no {text!r} on the terminal: {seen!r}")
                seen += os.read(master, 65536)
            seen = seen[seen.index(text) + len(text):]

        until(b"ok> ")
        os.write(master, b"3 + 4\r")
        until(b"7\r\n")
        answered = time.perf_counter() - t0
        until(b"ok> ")
        os.write(master, b"\x04")
        proc.wait(timeout=30)
        os.close(master)
        return answered

    def console_figures(self, rounds):
        self.start()
        evals, consoles, scripted = [], [], []
        # Interleaved, so that a change in the machine's load shows in all three alike.
        for _ in range(rounds):
            evals.append(timed([self.ctl, "eval", "3 + 4"], env=self.env))
            consoles.append(self.console_to_first_answer())
            scripted.append(timed([self.ctl, "console", "zinc"], env=self.env, input=b"3 + 4\n"))
        e, c, p = median_ms(evals), median_ms(consoles), median_ms(scripted)
        return [
            ("pharo-ctl eval '3 + 4'", e, "reference"),
            ("pharo-ctl console on a terminal, start to first answer", c, f"{c / e:.2f}x; goal < 2x"),
            ("pharo-ctl console < script (3 + 4)", p, f"{p / e:.2f}x"),
        ]

    def scan_figures(self, rounds, crowd):
        # Several thousand unrelated processes, then a scan without a pid file.
        sleepers = []
        try:
            for _ in range(crowd):
                sleepers.append(subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL))
            os.unlink(os.path.join(self.dir, "zinc.pid"))
            image = os.path.join(self.dir, "zinc.image")
            pgrep = [timed(["pgrep", "-f", image]) for _ in range(rounds)]
            scan = [timed([self.ctl, "pid", "zinc"], env=self.env) for _ in range(rounds)]
        finally:
            for p in sleepers:
                p.kill()
            for p in sleepers:
                p.wait()
        g, s = median_ms(pgrep), median_ms(scan)
        return [
            (f"pgrep -f IMAGE ({crowd} extra processes)", g, "reference"),
            ("pharo-ctl pid, scanning (no pid file)", s, f"{s / g:.2f}x"),
        ]


# A crowd of loopback sockets: `n` connections (2n sockets) held open by a process of its own
# until its standard input closes.
CROWD = r'''
import resource, socket, sys
n = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 2 * n + 64
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
except (ValueError, OSError):
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1024)
held = []
for _ in range(n):
    client = socket.create_connection(server.getsockname())
    held += [client, server.accept()[0]]
print(len(held), flush=True)
sys.stdin.read()
'''


def identity_figures(bench, rounds, sockets):
    """The REPL identity check's cost, eval and stop's lag, without and with a crowd."""
    rows = []
    for crowd in (0, sockets):
        holder = None
        if crowd:
            holder = subprocess.Popen([sys.executable, "-c", CROWD, str(crowd // 2)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            opened = int(holder.stdout.readline())
        try:
            bench.start()
            checks, checked, asked = [], [], []
            for _ in range(rounds):
                out = subprocess.run([bench.ctl, "-v", "eval", "zinc", "3 + 4"], env=bench.env,
                                     check=True, capture_output=True, text=True).stderr
                checks.append(float(out.split("(checked in ")[1].split(" ms")[0]) / 1000)
                checked.append(timed([bench.ctl, "eval", "zinc", "3 + 4"], env=bench.env))
                asked.append(timed([bench.ctl, "eval", "--repl", bench.url, "3 + 4"], env=bench.env))
            bench.ctl_run("stop", "-q", "zinc")
            lag = bench.stop_figures(rounds)[-1][1]
        finally:
            if holder:
                holder.stdin.close()
                holder.wait()
        around = f" ({opened} other loopback sockets)" if crowd else ""
        k, c, a = median_ms(checks), median_ms(checked), median_ms(asked)
        rows += [
            (f"eval --repl URL, unchecked{around}", a, "reference"),
            (f"eval NAME, checked{around}", c, f"{c / a:.2f}x"),
            (f"the check itself{around}", k, f"{k / a:.3f}x of eval; goal < 0.2 ms"),
            (f"VM exit to pharo-ctl stop done{around}", lag, "goal < 2 ms"),
        ]
    return rows


def fleet_figures(ctl, double, rounds, count):
    """status --all over `count` running doubles against `count` sequential status NAME."""
    fleet = tempfile.mkdtemp(prefix="pharo-ctl-bench-many.")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARO")}
    env.update(PHARO_VM=double, NO_COLOR="1", PHARO_CTL_DIR=fleet)
    names = [f"app{n:02d}" for n in range(1, count + 1)]
    quiet = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for name in names:
            with open(os.path.join(fleet, f"{name}.image"), "w") as f:
                f.write("image")
            with open(os.path.join(fleet, f"{name}.st"), "w") as f:
                f.write(f"ZnReadEvalPrintDelegate startInServerOn: {free_port()}.\n"
                        "Smalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n")
        subprocess.run([ctl, "start", "--all", "--parallel", "--wait"], check=True, **quiet)
        one_by_one, at_once = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            for name in names:
                subprocess.run([ctl, "status", name], check=True, **quiet)
            one_by_one.append(time.perf_counter() - start)
            at_once.append(timed([ctl, "status", "--all"], env=env))
    finally:
        subprocess.run([ctl, "stop", "--all", "--timeout", "1s", "--kill-after", "1s"], **quiet)
        shutil.rmtree(fleet, ignore_errors=True)
    seq, all_ = median_ms(one_by_one), median_ms(at_once)
    return [
        (f"{count} x pharo-ctl status NAME, one after another", seq, "reference"),
        (f"pharo-ctl status --all ({count} instances)", all_,
         f"{all_ / seq:.3f}x; goal <= 0.1x and < 50 ms"),
    ]


def snapshot_figures(ctl, double, rounds, parent=None, megabytes=50):
    """pharo-ctl snapshot of a `megabytes` MB image (in a temporary directory under `parent`)
    against the image's own save."""
    where = tempfile.mkdtemp(prefix="pharo-ctl-bench-snapshot.", dir=parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARO")}
    env.update(PHARO_VM=double, NO_COLOR="1", PHARO_CTL_DIR=where)
    quiet = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    image = os.path.join(where, "zinc.image")
    with open(image, "wb") as f:
        f.truncate(megabytes * 1000 * 1000)
    with open(os.path.join(where, "zinc.st"), "w") as f:
        f.write(f"ZnReadEvalPrintDelegate startInServerOn: {port}.\n")
    body = b"Smalltalk snapshot: true andQuit: false"
    request = (b"POST /repl HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain;charset=utf-8\r\n"
               b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def own_save():
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(request)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert answer.endswith(b"false\n"), answer
        return time.perf_counter() - start

    curl = ["curl", "-s", "-X", "POST", "-H", "Content-Type: text/plain;charset=utf-8",
            "--data-binary", body.decode(), f"http://127.0.0.1:{port}/repl"]
    own, by_curl, with_backup, inside, own_inside, without = [], [], [], [], [], []
    method = "?"
    try:
        subprocess.run([ctl, "start", "--wait", "zinc"], check=True, **quiet)
        own_save()  # the first save makes the file an image
        def snapshot():
            nonlocal method
            start = time.perf_counter()
            out = subprocess.run([ctl, "snapshot", "--json", "--keep", "1", "zinc"], check=True,
                                 env=env, capture_output=True, text=True)
            with_backup.append(time.perf_counter() - start)
            saved = json.loads(out.stdout)
            method = saved["backup_method"]
            # What the snapshot does around the image's own save, as one command times both.
            inside.append(saved["seconds"] - saved["save_seconds"])
            own_inside.append(saved["save_seconds"])

        steps = [lambda: own.append(own_save()), lambda: by_curl.append(timed(curl)), snapshot,
                 lambda: without.append(timed([ctl, "snapshot", "--no-backup", "zinc"], env=env))]
        for _ in range(rounds):
            # In a new order each round: a save's cost depends on what the one before left.
            random.shuffle(steps)
            for step in steps:
                # Each save starts as an hourly one does: what the last one wrote is on disk.
                os.sync()
                step()
    finally:
        subprocess.run([ctl, "stop", "--timeout", "1s", "--kill-after", "1s", "zinc"], **quiet)
        shutil.rmtree(where, ignore_errors=True)
    own_ms, curl_ms = median_ms(own), median_ms(by_curl)
    with_ms, without_ms = median_ms(with_backup), median_ms(without)
    inside_ms, own_inside_ms = median_ms(inside), median_ms(own_inside)

    def over(ms, ref):
        return f"{ms - ref:+.1f} ms, {(ms - ref) / ref * 100:+.0f}%"

    return [
        (f"the image's own save, {megabytes} MB, POSTed on a socket (no process)", own_ms,
         "reference"),
        ("the image's own save, POSTed by curl (a process, as done today)", curl_ms, "reference"),
        (f"pharo-ctl snapshot, backup by {method}", with_ms,
         f"{over(with_ms, own_ms)} over the socket; {over(with_ms, curl_ms)} over curl"),
        (f"  of it, the probe, room, {method}, check and prune", inside_ms,
         f"{inside_ms / own_inside_ms * 100:.1f}% of the image's own save in the same command "
         f"({own_inside_ms:.1f} ms); goal < 5%"),
        ("pharo-ctl snapshot --no-backup", without_ms,
         f"{over(without_ms, own_ms)} over the socket; {over(without_ms, curl_ms)} over curl"),
    ]


def table(title, rows):
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for name, ms, note in rows:
        print(f"  {name:<{width}}  {ms:8.2f} ms  {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pharo-ctl", default=os.path.join(ROOT, "target/release/pharo-ctl"))
    parser.add_argument("--double", default=os.path.join(ROOT, "target/release/examples/pharo-vm-double"))
    parser.add_argument("--rounds", type=int, default=30, help="samples per figure (median)")
    parser.add_argument("--crowd", type=int, default=3000, help="extra processes for the scan")
    parser.add_argument("--quick", action="store_true", help="few rounds, small crowd (CI)")
    parser.add_argument("--sockets", type=int, default=10000, help="other loopback sockets (identity)")
    parser.add_argument("--snapshot-dir", help="where the snapshot part's image lives (a file "
                        "system to measure, e.g. an XFS or Btrfs mount for reflinks)")
    parser.add_argument("--only", choices=["stop", "eval", "console", "scan", "many", "identity",
                                           "snapshot"],
                        action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.crowd, args.sockets = 3, 200, 1000
    for path in (args.pharo_ctl, args.double):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is missing: run `cargo build --release --bins --examples`")
    bench, zeroconf = Bench(args), Bench(args, zeroconf=True)
    try:
        bench.instance()
        zeroconf.instance()
        print(f"pharo-ctl benchmark: medians of {args.rounds} rounds, {os.cpu_count()} CPUs")
        parts = args.only or ["stop", "eval", "console", "scan", "many", "identity", "snapshot"]
        if "stop" in parts:
            table("1. stop", bench.stop_figures(args.rounds)
                  + zeroconf.stop_figures(args.rounds, ", zeroconf wrapper"))
        if "eval" in parts:
            table(f"2. eval and status ({args.rounds * 5} rounds, interleaved)",
                  bench.eval_figures(args.rounds))
        if "console" in parts:
            table("3. console", bench.console_figures(args.rounds))
        if "scan" in parts:
            if not {"eval", "console"} & set(parts):
                bench.start()  # the VM the scan looks for
            table("4. scan", bench.scan_figures(args.rounds, args.crowd))
        if "many" in parts:
            table("5. many instances", fleet_figures(bench.ctl, bench.double, args.rounds, 50))
        if "identity" in parts:
            # The scan leaves the VM running without its pid file: stop whatever runs.
            bench.ctl_run("stop", "-q", "zinc")
            table("6. the REPL's identity", identity_figures(bench, args.rounds, args.sockets))
        if "snapshot" in parts:
            # Each round writes 50 MB three times and copies it once: ten rounds at most.
            table("7. snapshot", snapshot_figures(bench.ctl, bench.double, min(args.rounds, 10),
                                                    args.snapshot_dir))
    finally:
        bench.close()
        zeroconf.close()


if __name__ == "__main__":
    main()
