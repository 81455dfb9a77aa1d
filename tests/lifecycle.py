#!/usr/bin/env python3
"""A seeded, randomized test of whole lifecycles of pharo-ctl.

Each cycle builds a few instances in a temporary directory (some share a directory, some share
a NAME, some misbehave through the test double's PHARO_DOUBLE_* switches, some have a REPL that
asks for the credentials of NAME.repl-secret, as init sets it up), on the three launch
layouts: the double run directly, Pharo's zeroconf layout (DIR/pharo, a bash script that runs
pharo-vm/pharo without exec, which execs pharo-vm/lib/pharo: the double) and an interpreted
VM (a Python script that is the VM), plus a Python launcher that runs the double as its child;
a VM whose REPL cannot bind its port runs on without one (PHARO_DOUBLE_NO_QUIT, as a Pharo
image under --no-quit). Beside them run decoys: foreign processes whose command line names an
image (tail -f IMAGE, a shell with the image in its arguments, a sleep whose argv[0] is the
image, a Python process that records every signal it gets); in most cycles an instance of
another directory whose script names the same REPL port as one of the cycle's instances,
running or not (started, stopped, evaluated and asked its status by pharo-ctl in its own
directory); and squatters, local processes that are no VM, answering `/repl` like Zinc and
recording every request, that appear on a free REPL port of an instance and vanish at random
steps, or bind it in the middle of its start. Then it plays random steps: start, start --wait,
stop, restart, status --json, pid, eval, ps, snapshot, stop --save, concurrent starts, a start
and a stop at once, SIGKILL of pharo-ctl in the middle of a start or a stop, SIGKILL of the VM
or of its wrapper behind pharo-ctl's back, a VM started by hand (without its REPL when another
process holds the port), and every kind of pid-file corruption. After every step it checks
that no foreign process got a signal, that nothing is left after a stop or a failed start, that
every exit code is one the README documents for the command and tells the truth (a start,
restart or run while another process holds the REPL port is refused, exit 6; eval of an
instance that does not run, or whose port is not its VM's, exits 7; a save whose REPL is not
the instance's, exit 7), that status and pid name the real VM, that every image file is whole,
and that no request reaches a REPL that is not the instance's: a squatter gets none at all, and the other
directory's image only those of the commands aimed at it (none of which reach the cycle's
instance on that port) and `GET /repl` from ps, which looks for every VM's REPL among its own
sockets, while it keeps running and answering.

It writes pid files naming pid 1 and other low pids, so it runs only inside a private pid and
network namespace (`unshare --pid --fork --mount-proc --net`), into which it re-executes
itself; where that is not permitted it says so and passes (fails under PHARO_CTL_REQUIRE_ALL=1).

Each finding is one line with the seed, cycle and step that reproduce it; the exit status is 1
when there is any. Build first: cargo build [--release] --bins --examples.
"""

import argparse
import fcntl
import itertools
import json
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_NAMESPACE = "PHARO_CTL_LIFECYCLE_NAMESPACE"
OUTER_PID = "PHARO_CTL_LIFECYCLE_OUTER_PID"

# The exit codes each command may end with, as its `--help` lists them (generated from the one
# table of them, src/exit_code.rs); read from the binary under test at start.
DOCUMENTED = {}


def documented(pharo_ctl):
    """Each tested command's exit codes, from its `--help` ("Exit codes:" and the lines of
    codes under it)."""
    codes = {}
    for command in ("start", "restart", "stop", "snapshot", "status", "pid", "eval", "ps", "run"):
        text = subprocess.run([pharo_ctl, command, "--help"], capture_output=True, text=True,
                              env=dict(os.environ, NO_COLOR="1")).stdout
        section = text.split("Exit codes:", 1)[1].split("\n\n", 1)[0]
        codes[command] = {int(line.split()[0]) for line in section.splitlines()
                          if line[:2] == "  " and line.split() and line.split()[0].isdigit()}
    # run: 0 after a cooperative stop, 1 when it fell back to signals, else the VM's own status
    # (128+N for a signal): every status is possible, and each step says which one is true.
    codes["run"] = set(range(256))
    return codes

# How long one pharo-ctl command may take before it counts as hung.
COMMAND_LIMIT = 30.0
# The cooperative grace and the SIGTERM-to-SIGKILL delay of every stop.
STOP_TIMING = ["--timeout", "300ms", "--kill-after", "300ms"]

# An interpreted VM: run like the VM, it serves the REPL of its startup script and honours the
# test double's switches that matter here.
PYVM = r'''
"""An interpreted Pharo VM for pharo-ctl's lifecycle test: `vm.py [OPTIONS] IMAGE [SCRIPT]`
serves GET and POST /repl on the port of the script's `startInServerOn:` and honours the test
double's PHARO_DOUBLE_ IGNORE_SHUTDOWN, IGNORE_SIGTERM, HANG, SLOW_MS, START_DELAY_MS,
DIE_ON_START, DIE_DELAY_MS, EXIT_AFTER_MS, EXIT_CODE, NO_QUIT and EVENTS; `Smalltalk snapshot:
true andQuit: false` rewrites the image in place and answers false."""
import os, sys, time


def switch(name):
    return os.environ.get("PHARO_DOUBLE_" + name, "").strip()


def on(name):
    return switch(name) not in ("", "0")


def seconds(name):
    return int(switch(name)) / 1000 if switch(name).isdigit() else 0


def event(line):
    if switch("EVENTS"):
        with open(switch("EVENTS"), "a") as events:
            events.write(line + "\n")


positional = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
if not positional or not os.path.isfile(positional[0]):
    sys.exit("vm.py: no image")
if switch("DIE_ON_START"):  # before the slower imports: a crash at start is quick
    time.sleep(seconds("DIE_DELAY_MS"))
    sys.exit(int(switch("DIE_ON_START")))
import re, signal, socket, struct, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

source = open(positional[1]).read() if len(positional) > 1 else ""
signal.signal(signal.SIGTERM, signal.SIG_IGN if on("IGNORE_SIGTERM") else signal.SIG_DFL)
time.sleep(seconds("START_DELAY_MS"))
if switch("EXIT_AFTER_MS"):
    exit_code = int(switch("EXIT_CODE") or 0)
    threading.Timer(seconds("EXIT_AFTER_MS"), lambda: (event(f"exit {exit_code}"), os._exit(exit_code))).start()
port = (re.search(r"ZnReadEvalPrintDelegate\s+startInServerOn:\s*(\d+)", source)
        or re.search(r"\(ZnServer on:\s*(\d+)\)[^.]*delegate:\s*ZnReadEvalPrintDelegate new", source))
# The REPL's authenticator, in the form pharo-ctl init writes: the password read at start-up
# from a file beside the image.
auth = re.search(r"ZnBasicAuthenticator\s+username:\s*'([^']*)'\s+password:\s*"
                 r"\(Smalltalk imageDirectory / '([^']*)'\) contents trimBoth", source)
if auth:
    import base64
    with open(os.path.join(os.path.dirname(os.path.abspath(positional[0])), auth[2])) as f:
        expected = "Basic " + base64.b64encode(f"{auth[1]}:{f.read().strip()}".encode()).decode()
defines_shutdown = "Smalltalk at: #ShutdownSequence put:" in source


class Repl(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def begin(self, line):
        if on("HANG"):
            event(line)
            threading.Event().wait()
        if auth and self.headers.get("Authorization") != expected:
            event(f"401 {self.command} {self.path}")
            body = b"Unauthorized\n"
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Basic realm=ZincHTTPComponents")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return False
        event(line)
        time.sleep(seconds("SLOW_MS"))
        return True

    def do_GET(self):
        if not self.begin("GET " + self.path):
            return
        if self.path == "/repl":
            self.answer(200, "# Pharo Smalltalk REPL. POST expressions to evaluate\n")
        else:
            self.answer(404, "Not Found " + self.path)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if not self.begin(("POST " + self.path + " " + (body.splitlines() or [""])[0]).strip()):
            return
        if self.path != "/repl" or not body or not self.headers.get("Content-Type", "").startswith("text/"):
            return self.answer(404, "Not Found " + self.path)
        if "ShutdownSequence" in body:
            if not defines_shutdown:
                return self.answer(200, 'MessageNotUnderstood: receiver of "fork" is nil\nUndefinedObject>>DoIt\n')
            self.answer(200, "true\n")
            if not on("IGNORE_SHUTDOWN"):
                self.connection.shutdown(socket.SHUT_WR)
                event("exit 0")
                os._exit(0)
            return
        if "snapshot: true" in body:
            # Saved as the VM saves: the file truncated, then written in place (Spur's
            # format word, the header's size, the size of the data after it).
            data = b"vm.py image\n"
            with open(positional[0], "wb") as image:
                image.write(struct.pack("<IIQ", 68021, 128, len(data)).ljust(128, b"\0") + data)
            event(f"saved {positional[0]}")
            return self.answer(200, "false\n")
        sum = re.fullmatch(r"\s*(\d+)\s*\+\s*(\d+)\s*", body)
        self.answer(200, f"{int(sum[1]) + int(sum[2])}\n" if sum else "Error: vm.py only adds\n")


server = None
if port:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", int(port[1])), Repl)
    except OSError as error:
        if not on("NO_QUIT"):
            sys.exit(f"vm.py: cannot start the REPL on port {port[1]}: {error}")
        # A Pharo image run with --no-quit logs its startup script's error and runs on.
        print(f"vm.py: cannot start the REPL on port {port[1]}: {error}; running on without it", flush=True)
print(f"vm.py: image {positional[0]}, " + (f"REPL on 127.0.0.1:{port[1]}" if server else "no REPL"), flush=True)
if server:
    server.daemon_threads = True
    server.serve_forever()
threading.Event().wait()
'''

# A VM launcher written in Python that runs the VM (the double) as its child, without exec,
# and passes its status on. It starts the VM as soon as it can: a wrapper that has not started
# its VM within the settle time counts as the VM itself.
LAUNCHER = r'''
import os, sys
child = os.fork()
if child == 0:
    os.execv({double!r}, [{double!r}] + sys.argv[1:])
status = os.waitpid(child, 0)[1]
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
'''

# A foreign process that records every catchable signal it gets (one number a line in the
# file argv[1]) and answers each line on stdin with one on stdout, so that the test can make
# sure it has handled the signals sent before.
DECOY = r'''
import signal, sys
log = sys.argv[1]


def record(number, frame):
    with open(log, "a") as out:
        out.write(f"{number}\n")


for number in signal.valid_signals():
    if number not in (signal.SIGKILL, signal.SIGSTOP):
        try:
            signal.signal(number, record)
        except (OSError, ValueError):
            pass
for line in sys.stdin:
    sys.stdout.write("ok\n")
    sys.stdout.flush()
'''

# A squatter: a local process that is no VM, answering `/repl` like Zinc on a port it binds
# when told to (a line on stdin: so that the moment of the bind is the test's, not Python's
# start-up). `squatter.py HOST PORT LOG` says `waiting` when it can be told, then `ready` once
# bound, or `busy ...` when the port is taken (and exits); it records in LOG every request
# (`METHOD PATH [first line of the body]`), every connection that sent none, and every
# catchable signal it gets.
SQUATTER = r'''
import signal, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()


def record(line):
    with lock, open(log, "a") as out:
        out.write(line + "\n")


for number in signal.valid_signals():
    if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGWINCH):
        try:
            signal.signal(number, lambda n, frame: record(f"signal {n}"))
        except (OSError, ValueError):
            pass


class Zinc(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        self.requests = 0
        super().handle()
        if self.requests == 0:
            record("a connection that sent no request")

    def parse_request(self):
        self.requests += 1
        parsed = super().parse_request()
        if not parsed or self.command != "POST":
            record(self.requestline[:200])
        return parsed

    def answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/repl":
            return self.answer(200, "# Pharo Smalltalk REPL. POST expressions to evaluate\n")
        self.answer(404, "Not Found " + self.path)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        record(("POST " + self.path + " " + (body.splitlines() or [""])[0]).strip()[:200])
        self.answer(200, "7\n" if self.path == "/repl" else "Not Found " + self.path)


class Server(ThreadingHTTPServer):
    daemon_threads = True


print("waiting", flush=True)
sys.stdin.readline()
try:
    server = Server((host, port), Zinc)
except OSError as error:
    print(f"busy {error}", flush=True)
    sys.exit(3)
print("ready", flush=True)
server.serve_forever()
'''

# Pharo's zeroconf layout, as `curl get.pharo.org | bash` writes it.
ZEROCONF_PHARO = r'''#!/usr/bin/env bash
# some magic to find out the real location of this script dealing with symlinks
DIR=`readlink "$0"` || DIR="$0";
DIR=`dirname "$DIR"`;
cd "$DIR"
DIR=`pwd`
cd - > /dev/null
# disable parameter expansion to forward all arguments unprocessed to the VM
set -f
# run the VM and pass along all arguments as is
"$DIR"/"pharo-vm/pharo" --headless "$@"
'''
ZEROCONF_VM = r'''#!/usr/bin/env bash
# some magic to find out the real location of this script dealing with symlinks
DIR=`readlink "$0"` || DIR="$0";
DIR=`dirname "$DIR"`;
cd "$DIR"
DIR=`pwd`
cd - > /dev/null
# disable parameter expansion to forward all arguments unprocessed to the VM
set -f
# run the VM and pass along all arguments as is
LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$DIR:$DIR/lib" exec "$DIR"/lib/pharo "$@"
'''

DECOY_NUMBERS = itertools.count(1)
SIGTERM_BIT = 1 << (signal.SIGTERM - 1)
SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def wait_until(condition, limit):
    """Waits until `condition()` holds, checking often; returns whether it did within `limit`."""
    deadline = time.monotonic() + limit
    delay = 0.001
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def proc_status_field(pid, field):
    for line in read_bytes(f"/proc/{pid}/status").decode("latin-1").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def pending_stop_signal(pid):
    """Whether a SIGTERM or SIGKILL is pending for `pid` (it is about to die of it)."""
    for field in ("SigPnd", "ShdPnd"):
        value = proc_status_field(pid, field)
        if value and int(value, 16) & (SIGTERM_BIT | SIGKILL_BIT):
            return True
    return False


def threads_of(pid):
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def alive(pid):
    text = read_bytes(f"/proc/{pid}/stat").decode("latin-1")
    if not text:
        return False
    return text[text.rfind(")") + 2 :][:1] not in ("Z", "X", "")


def kill_pid(pid, start_time):
    """SIGKILLs `pid` through a pidfd, only if it is still the process that started at
    `start_time` (so a reused pid is never hit)."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        text = read_bytes(f"/proc/{pid}/stat").decode("latin-1")
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 19 and int(fields[19]) == start_time:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(fd)


def listening_sockets(port):
    """The sockets listening on `port` (TCP over IPv4 and IPv6), as `socket:[INODE]`: read from
    the kernel's tables, so that the test never connects to a port that may be a stranger's."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in read_bytes(table).decode().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def listening(port):
    return bool(listening_sockets(port))


def holding(pids, inodes):
    """Those of `pids` whose descriptors hold one of the sockets `inodes`."""
    found = set()
    for pid in pids:
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                found.add(pid)
        except OSError:
            continue
    return found


def listener_of(port):
    """Who listens on a loopback port: `pid N \`command\` (up Nms)`, for a finding's message."""
    inodes = listening_sockets(port)
    ticks, uptime = os.sysconf("SC_CLK_TCK"), float(read_bytes("/proc/uptime").split()[0])
    for p in processes():
        try:
            if any(os.readlink(f"/proc/{p.pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{p.pid}/fd")):
                return f"pid {p.pid} `{p.command()}` (up {(uptime - p.start / ticks) * 1000:.0f}ms)"
        except OSError:
            continue
    return "nothing"


def requests_since(path, offset):
    """The REPL requests (`GET /repl`, `POST /repl ...`) an events file got after `offset`, and
    its size now."""
    data = read_bytes(path)
    lines = data[offset:].decode(errors="replace").splitlines()
    return [line for line in lines if line.startswith(("GET ", "POST "))], len(data)


def repl_get(port):
    """`GET /repl` on 127.0.0.1:port: the status and body, or None when it got no answer."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(f"GET /repl HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
    except OSError:
        return None
    head, _, body = reply.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]), body) if len(parts) > 1 and parts[1].isdigit() else None


def repl_connections(port):
    """The REPL's connections that are not closed yet (listening socket and TIME_WAIT aside)."""
    count = 0
    for line in read_bytes("/proc/net/tcp").decode().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if int(local.split(":")[1], 16) == port and state not in ("0A", "06"):
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# The process table
# ---------------------------------------------------------------------------------------------


class Proc:
    """A live process as /proc shows it."""

    __slots__ = ("pid", "ppid", "sid", "start", "argv", "cwd", "exe")

    def __init__(self, pid, ppid, sid, start, argv, cwd, exe):
        self.pid, self.ppid, self.sid, self.start = pid, ppid, sid, start
        self.argv, self.cwd, self.exe = argv, cwd, exe

    def command(self):
        return " ".join(a.decode(errors="replace") for a in self.argv)[:160]

    def names(self, image):
        """Whether one of its arguments (not its program) names the file `image` (an Image)."""
        for arg in self.argv[1:]:
            if os.path.basename(arg) != image.file_name:
                continue
            path = arg if arg.startswith(b"/") else os.path.join(self.cwd or b"/", arg)
            if file_id(path) == image.id:
                return True
        return False


def processes():
    """Every live process of the namespace (zombies aside)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        text = read_bytes(f"/proc/{pid}/stat").decode("latin-1")
        if not text:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            continue
        raw = read_bytes(f"/proc/{pid}/cmdline")
        argv = raw.rstrip(b"\0").split(b"\0") if raw else []
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd".encode())
        except OSError:
            cwd = None
        found.append(Proc(pid, int(fields[1]), int(fields[3]), int(fields[19]), argv, cwd,
                          file_id(f"/proc/{pid}/exe")))
    return found


class Image:
    def __init__(self, path):
        self.path = path
        self.file_name = os.path.basename(path).encode()

    @property
    def id(self):
        """The file now at the path: a backup put back in place is a new file there."""
        return file_id(self.path)


# ---------------------------------------------------------------------------------------------
# The world of one cycle: instances and decoys
# ---------------------------------------------------------------------------------------------

# Misbehaviours: (name, weight, the double's switches). "exits-later" ends by itself 3s after
# it started, so whether it runs is not known afterwards.
MISBEHAVIOURS = [
    ("cooperative", 30, {}),
    ("no-shutdown-sequence", 8, {}),
    ("ignores-shutdown", 10, {"PHARO_DOUBLE_IGNORE_SHUTDOWN": "1"}),
    ("ignores-sigterm", 10, {"PHARO_DOUBLE_IGNORE_SHUTDOWN": "1", "PHARO_DOUBLE_IGNORE_SIGTERM": "1"}),
    ("slow-repl", 6, {"PHARO_DOUBLE_SLOW_MS": "60"}),
    ("slow-start", 10, {"PHARO_DOUBLE_START_DELAY_MS": "400"}),
    ("dies-on-start", 8, {"PHARO_DOUBLE_DIE_ON_START": "3"}),
    ("hung-repl", 8, {"PHARO_DOUBLE_HANG": "1"}),
    ("exits-later", 5, {"PHARO_DOUBLE_EXIT_AFTER_MS": "3000", "PHARO_DOUBLE_EXIT_CODE": "0"}),
]


class Instance:
    def __init__(self, world, name, directory, layout, misbehaviour, rng):
        self.name = name
        self.dir = directory
        self.layout = layout
        self.kind, _, switches = misbehaviour
        self.repl_port = world.next_port()
        self.image = os.path.join(directory, name + ".image")
        self.script = os.path.join(directory, name + ".st")
        self.pid_file = os.path.join(directory, name + ".pid")
        self.events = os.path.join(directory, name + ".events")
        self.env = dict(switches)
        self.env["PHARO_DOUBLE_EVENTS"] = self.events
        # As a Pharo image run with --no-quit, a VM whose REPL cannot bind (a squatter or the
        # other directory's image holds the port) runs on without one.
        self.env["PHARO_DOUBLE_NO_QUIT"] = "1"
        if self.kind == "dies-on-start":
            self.env["PHARO_DOUBLE_DIE_DELAY_MS"] = str(rng.randrange(0, 30))
        # A VM that dies at start dies within the settle, however loaded the machine (a start
        # that fails ends at once, so this costs nothing); a launcher that is a script must have
        # started its VM by the end of the settle.
        if self.kind == "dies-on-start":
            self.settle = "2s"
        elif layout == "launcher":
            self.settle = rng.choice(["400ms", "600ms"])
        else:
            self.settle = rng.choice(["100ms", "150ms", "250ms"])
        # How pharo-ctl is told about the VM: an option, the environment, or (zeroconf) the
        # default DIR/pharo.
        self.vm_args = []
        vm = {"direct": world.double, "script": os.path.join(directory, "vm.py"),
              "launcher": os.path.join(directory, "smalltalk-vm"),
              "zeroconf": os.path.join(directory, "pharo")}[layout]
        how = rng.choice(["option", "env"] + (["default"] if layout == "zeroconf" else []))
        if how == "option":
            self.vm_args = ["--vm", vm]
        elif how == "env":
            self.env["PHARO_VM"] = vm
        self.vm = vm
        with open(self.image, "wb") as f:
            f.write(b"a Pharo image\n")
        # Some REPLs ask for credentials, whose password the image reads from NAME.repl-secret,
        # as pharo-ctl init sets it up: every request pharo-ctl sends must carry them.
        self.protected = rng.random() < 0.4
        self.secret_file = os.path.join(directory, name + ".repl-secret")
        if self.protected:
            fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(16).hex() + "\n")
        with open(self.script, "w") as f:
            if self.protected:
                f.write(f"(ZnServer on: {self.repl_port})\n"
                        "  bindingAddress: NetNameResolver loopBackAddress;\n"
                        "  delegate: ZnReadEvalPrintDelegate new;\n"
                        "  authenticator: (ZnBasicAuthenticator\n"
                        "    username: 'pharo-ctl'\n"
                        f"    password: (Smalltalk imageDirectory / '{name}.repl-secret') contents trimBoth);\n"
                        "  start.\n")
            else:
                f.write(f"ZnReadEvalPrintDelegate startInServerOn: {self.repl_port}.\n")
            if self.kind != "no-shutdown-sequence":
                f.write("\nSmalltalk at: #ShutdownSequence put: [\n"
                        "  'Starting ShutdownSequence...' crTrace.\n"
                        "  'Completed ShutdownSequence successfully' crTrace.\n"
                        "  Smalltalk snapshot: false andQuit: true ].\n")
        self.image_file = Image(self.image)
        # What the test knows: whether it should run (None: it cannot tell), whether its pid
        # file is one pharo-ctl must not trust, and the sessions its processes were seen in.
        self.expect = False
        self.untrusted = None
        self.sessions = set()

    def label(self):
        return f"{self.name}@{os.path.basename(self.dir)}"

    def describe(self):
        how = "--vm" if self.vm_args else ("PHARO_VM" if "PHARO_VM" in self.env else "default VM")
        auth = ", credentials" if self.protected else ""
        return f"{self.label()} ({self.layout}, {how}, {self.kind}, REPL {self.repl_port}{auth})"

    @property
    def cooperative(self):
        return self.kind in ("cooperative", "slow-repl", "slow-start")

    def start_timeout(self, rng):
        if self.kind == "hung-repl":
            return "300ms"
        if self.kind == "slow-start":
            return rng.choice(["150ms", "5s"])
        return "5s"

    def start_succeeds(self, wait, start_timeout):
        """Whether a start of this instance (not running) must succeed, from its misbehaviour."""
        if self.kind == "dies-on-start":
            return False
        if wait and self.kind == "hung-repl":
            return False
        if wait and self.kind == "slow-start" and start_timeout == "150ms":
            return False
        return True

    def hand_command(self):
        """The VM as an operator starts it by hand in the directory, with relative paths."""
        files = [self.name + ".image", self.name + ".st"]
        if self.layout == "zeroconf":
            return [os.path.join(self.dir, "pharo")] + files
        return [self.vm, "--headless"] + files


class Decoy:
    """A foreign process whose command line may name an image; it must never be signalled."""

    def __init__(self, world, kind, instance):
        self.kind = kind
        self.instance = instance
        self.log = None
        self.seen = 0
        self.reported = False
        image = None
        cwd = world.base
        if instance is not None:
            relative = world.rng.random() < 0.5
            image = instance.name + ".image" if relative else instance.image
            cwd = instance.dir
        if kind == "recorder":
            self.log = os.path.join(world.base, f"decoy-{next(DECOY_NUMBERS)}.signals")
            argv = [sys.executable, world.decoy_script, self.log] + ([image] if image else [])
            self.popen = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, start_new_session=True)
        else:
            if kind == "tail":
                argv, executable = ["tail", "-f", image], None
            elif kind == "shell":
                argv, executable = ["bash", "-c", "sleep 100000; :", image], None
            elif kind == "zombie":  # a sleep whose first child is left a zombie
                argv, executable = ["bash", "-c", "true & exec sleep 100000"], None
            else:  # a sleep whose argv[0] is the image
                argv, executable = [image, "100000"], shutil.which("sleep")
            self.popen = subprocess.Popen(argv, executable=executable, cwd=cwd, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True)
        self.pid = self.popen.pid

    def describe(self):
        of = f" naming {self.instance.label()}'s image" if self.instance else ""
        return f"decoy {self.kind} pid {self.pid}{of}"

    def check(self):
        """What went wrong with this decoy since the last check: [] when nothing."""
        if self.reported:
            return []
        problems = []
        if self.popen.poll() is not None:
            self.reported = True
            return [f"{self.describe()} died (status {self.popen.returncode})"]
        if (proc_status_field(self.pid, "State") or "").startswith("T"):
            self.reported = True
            return [f"{self.describe()} was stopped (SIGSTOP)"]
        if self.log is not None:
            try:
                self.popen.stdin.write(b"s\n")
                self.popen.stdin.flush()
                ready, _, _ = select.select([self.popen.stdout], [], [], 10)
                if not ready or not self.popen.stdout.readline():
                    problems.append(f"{self.describe()} does not answer")
            except OSError as e:
                problems.append(f"{self.describe()} cannot be reached: {e}")
            lines = read_bytes(self.log).decode().split()
            for number in lines[self.seen :]:
                problems.append(f"{self.describe()} got {signal_name(int(number))}")
            self.seen = len(lines)
        return problems

    def kill(self):
        """Kills the decoy and what it started (its own session and process group)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream:
                stream.close()


class Squatter:
    """A local process that is no VM, on an instance's REPL port (bound only while the port is
    free): it must never get a request, nor a signal."""

    def __init__(self, world, inst):
        self.inst = inst
        self.port = inst.repl_port
        self.host = world.rng.choice(["127.0.0.1", "0.0.0.0"])
        self.log = os.path.join(world.base, f"squatter-{next(DECOY_NUMBERS)}.requests")
        open(self.log, "w").close()
        self.seen = 0
        self.armed = False
        self.bound = False
        self.popen = subprocess.Popen([sys.executable, world.squatter_script, self.host, str(self.port), self.log],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        self.pid = self.popen.pid

    def said(self, word):
        ready, _, _ = select.select([self.popen.stdout], [], [], 10)
        return bool(ready) and self.popen.stdout.readline().strip() == word

    def arm(self):
        """Waits until it is ready to bind the port at once."""
        self.armed = self.armed or self.said(b"waiting")

    def bind(self):
        """Binds the port now; answers whether it could (the port may have been taken)."""
        try:
            self.arm()
            self.popen.stdin.write(b"bind\n")
            self.popen.stdin.flush()
            self.bound = self.said(b"ready")
        except OSError:
            self.bound = False
        return self.bound

    def describe(self):
        return f"the squatter on {self.host}:{self.port} ({self.inst.label()}'s REPL port, pid {self.pid})"

    def check(self):
        """What it got since the last check: [] when nothing."""
        lines = read_bytes(self.log).decode(errors="replace").splitlines()
        problems = [f"{self.describe()} got `{line}`" for line in lines[self.seen :]]
        self.seen = len(lines)
        if self.bound and self.popen.poll() is not None:
            self.bound = False
            problems.append(f"{self.describe()} died (status {self.popen.returncode})")
        return problems

    def kill(self):
        self.bound = False
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                stream.close()
            except OSError:
                pass


class Twin:
    """An instance of another directory whose startup script names the same REPL port as one of
    the cycle's instances (`inst`): started and stopped by pharo-ctl in its own directory,
    with an events file. Only the commands aimed at it may reach its REPL, and none of those
    may reach `inst`'s."""

    def __init__(self, world, inst):
        self.inst = inst
        self.port = inst.repl_port
        self.dir = os.path.join(world.base, "other")
        os.mkdir(self.dir)
        self.name = world.rng.choice([inst.name, "shop"])
        self.image = os.path.join(self.dir, self.name + ".image")
        self.pid_file = os.path.join(self.dir, self.name + ".pid")
        self.events = os.path.join(self.dir, self.name + ".events")
        with open(self.image, "wb") as f:
            f.write(b"another Pharo image\n")
        with open(os.path.join(self.dir, self.name + ".st"), "w") as f:
            f.write(f"ZnReadEvalPrintDelegate startInServerOn: {self.port}.\n\n"
                    "Smalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n")
        self.image_file = Image(self.image)
        self.vm_args = ["--vm", world.double]
        self.env = {"PHARO_DOUBLE_EVENTS": self.events}
        self.seen = 0  # how much of its events file has been looked at
        self.expect = False

    def label(self):
        return f"{self.name}@other"

    def describe(self):
        return f"{self.label()}, the image of another directory on {self.inst.label()}'s REPL port {self.port}"


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# ---------------------------------------------------------------------------------------------
# Running pharo-ctl
# ---------------------------------------------------------------------------------------------


class Result:
    def __init__(self, command, args, code, out, err, killed=False):
        self.command, self.args, self.code, self.out, self.err = command, args, code, out, err
        self.killed = killed

    def brief(self):
        err = self.err.decode(errors="replace").strip().splitlines()
        return f"`{self.command}` exited {self.code}" + (f" ({err[-1][:200]})" if err else "")

    def story(self):
        """All it said, on one line."""
        err = self.err.decode(errors="replace").strip().splitlines()
        return f"`{self.command}` exited {self.code}" + (f" [{' / '.join(err)[:1500]}]" if err else "")


# ---------------------------------------------------------------------------------------------
# One cycle
# ---------------------------------------------------------------------------------------------


class Cycle:
    def __init__(self, run, number):
        self.run = run
        self.number = number
        self.rng = random.Random(f"{run.args.seed}/{number}")
        self.step = 0
        self.action = "setup"
        self.findings = 0
        self.base = os.path.join(run.workdir, f"cycle-{number}")
        os.mkdir(self.base)
        self.double = run.double
        self.decoy_script = run.decoy_script
        self.squatter_script = run.squatter_script
        self.port = 20000 + (number * 16) % 40000
        self.instances = []
        self.decoys = []
        self.twin = None
        self.squatters = {}  # REPL port -> Squatter
        self.sigkilled_ctl = False
        self.reported = set()

    # -- set-up and tear-down ------------------------------------------------------------------

    def next_port(self):
        self.port += 1
        return self.port

    def setup(self):
        rng = self.rng
        dirs = [os.path.join(self.base, f"d{i}") for i in range(rng.randint(2, 3))]
        for d in dirs:
            os.mkdir(d)
        count = rng.randint(3, 5)
        names = ["zinc", "seaside", "blog", "teapot"]
        layouts = ["direct", "zeroconf", "script", "launcher"]
        plan = []
        for index in range(count):
            if index == 1:  # shares the first one's directory
                d = plan[0][1]
                name = rng.choice([n for n in names if n != plan[0][0]])
            elif index == 2:  # shares the first one's NAME, in another directory
                name, d = plan[0][0], rng.choice([x for x in dirs if x != plan[0][1]])
            else:
                d = rng.choice(dirs)
                taken = {n for n, x in plan if x == d}
                name = rng.choice([n for n in names if n not in taken])
            plan.append((name, d))
        misbehaviour = [m for m in MISBEHAVIOURS for _ in range(m[1])]
        for index, (name, d) in enumerate(plan):
            layout = layouts[index] if index < 3 else rng.choice(layouts)
            inst = Instance(self, name, d, layout, rng.choice(misbehaviour), rng)
            self.instances.append(inst)
        rng.shuffle(self.instances)
        for d in dirs:
            layouts_here = {i.layout for i in self.instances if i.dir == d}
            if "zeroconf" in layouts_here:
                self.write_zeroconf(d)
            if "script" in layouts_here:
                self.write_executable(os.path.join(d, "vm.py"), self.run.pyvm_shebang + PYVM)
            if "launcher" in layouts_here:
                self.write_executable(os.path.join(d, "smalltalk-vm"),
                                      f"#!{os.path.realpath(sys.executable)} -S\n" + LAUNCHER.format(double=self.double))
        kinds = ["recorder", "tail", "shell", "argv0"]
        for inst in self.instances:
            for _ in range(rng.choice([0, 1, 1, 2])):
                self.decoys.append(Decoy(self, rng.choice(kinds), inst))
        if not any(d.kind == "recorder" for d in self.decoys):
            self.decoys.append(Decoy(self, "recorder", rng.choice(self.instances)))
        for decoy in self.decoys:
            for problem in decoy.check():  # also waits until the recorders are ready
                self.finding(problem)
        if rng.random() < 0.7:
            self.twin = Twin(self, rng.choice(self.instances))
        if self.run.args.verbose:
            for inst in self.instances:
                self.say(f"instance {inst.describe()}")
            for decoy in self.decoys:
                self.say(decoy.describe())
            if self.twin:
                self.say(self.twin.describe())
        if self.twin and rng.random() < 0.6:
            self.action = f"start {self.twin.label()}"
            self.twin_start()

    def write_executable(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def write_zeroconf(self, d):
        self.write_executable(os.path.join(d, "pharo"), ZEROCONF_PHARO)
        os.makedirs(os.path.join(d, "pharo-vm", "lib"))
        self.write_executable(os.path.join(d, "pharo-vm", "pharo"), ZEROCONF_VM)
        os.link(self.run.double_copy, os.path.join(d, "pharo-vm", "lib", "pharo"))

    def teardown(self):
        """The final stop of every instance, the last checks, and clean-up."""
        self.step += 1
        self.action = "final stop"
        for inst in self.instances:
            self.repair(inst)
        for inst in self.rng.sample(self.instances, len(self.instances)):
            self.action = f"final stop {inst.label()}"
            self.do_stop(inst)
        self.action = "final check"
        self.check()
        for squatter in self.squatters.values():
            squatter.kill()
        if self.twin:
            self.action = f"final stop {self.twin.label()}"
            self.twin_stop()
            self.check_strangers()
        allowed = self.run.own_pids() | {d.pid for d in self.decoys}
        allowed |= {p.pid for p in processes() if p.sid in {d.pid for d in self.decoys}}
        for p in processes():
            if p.pid not in allowed:
                self.finding(f"left behind after the final stop: pid {p.pid} `{p.command()}`")
                kill_pid(p.pid, p.start)
        for inst in self.instances:
            for path in self.temp_files(inst):
                self.finding(f"temporary file {path} left behind"
                             + (" (a pharo-ctl was SIGKILLed in this cycle)" if self.sigkilled_ctl else ""))
            if os.path.lexists(inst.pid_file):
                self.finding(f"pid file {inst.pid_file} left after the final stop")
        for decoy in self.decoys:
            for problem in decoy.check():
                self.finding(problem)
            decoy.kill()
        wait_until(lambda: all(p.pid in self.run.own_pids() for p in processes()), 5)
        if not self.run.args.keep_files:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- reporting -----------------------------------------------------------------------------

    def say(self, text):
        print(f"lifecycle: cycle {self.number} step {self.step}: {text}", flush=True)

    def finding(self, message, key=None):
        """Reports a finding; one with a `key` already reported in this cycle is not repeated
        (a wrong state is seen again by every later step until something changes it)."""
        if key is not None:
            if key in self.reported:
                return
            self.reported.add(key)
        self.findings += 1
        self.run.findings += 1
        print(f"FINDING seed {self.run.args.seed} cycle {self.number} step {self.step} [{self.action}]: "
              f"{message} (reproduce: {self.run.reproduce(self.number)})", flush=True)

    # -- running pharo-ctl ---------------------------------------------------------------------

    def command(self, inst, command, *args, timing=()):
        argv = [self.run.pharo_ctl, "-C", inst.dir, *inst.vm_args, *timing, command, *args]
        env = dict(self.run.base_env)
        env.update(inst.env)
        return argv, env

    def spawn(self, inst, command, *args, timing=()):
        argv, env = self.command(inst, command, *args, timing=timing)
        popen = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        popen.label = " ".join([command, *args])
        popen.command = command
        return popen

    def finish(self, popen, killed=False, quiet=False):
        try:
            out, err = popen.communicate(timeout=COMMAND_LIMIT)
        except subprocess.TimeoutExpired:
            popen.kill()
            out, err = popen.communicate()
            self.finding(f"`{popen.label}` did not finish within {COMMAND_LIMIT:.0f}s")
        result = Result(popen.label, popen.args, popen.returncode, out, err, killed)
        if self.run.args.verbose and not quiet:
            self.say(f"  `{result.command}` exited {result.code}" + (" [SIGKILLed by the test]" if killed else ""))
            for line in err.decode(errors="replace").splitlines():
                self.say(f"    | {line}")
        if not killed:
            self.check_code(result, popen.command)
        return result

    def ctl(self, inst, command, *args, timing=()):
        return self.finish(self.spawn(inst, command, *args, timing=timing))

    def check_code(self, result, command):
        if result.code < 0:
            self.finding(f"{result.brief()}: pharo-ctl died of {signal_name(-result.code)}")
        elif result.code not in DOCUMENTED[command]:
            self.finding(f"{result.brief()}: {result.code} is not an exit code the README gives for {command}")

    def expect_code(self, result, expected, why, key=None):
        if result.code >= 0 and result.code not in expected:
            want = " or ".join(str(c) for c in sorted(expected))
            self.finding(f"{result.story()}, expected {want}: {why}", key=key and key + (result.code,))

    # -- what is true ---------------------------------------------------------------------------

    def is_vm(self, p):
        """Whether `p` is a VM proper: the double, or the interpreted VM running vm.py."""
        if p.exe in self.run.double_ids:
            return True
        return len(p.argv) > 1 and p.argv[1].endswith(b"/vm.py") and b"python" in os.path.basename(p.argv[0])

    def truth(self, procs=None):
        """For each instance: its VMs proper, and every other process of its tree."""
        procs = processes() if procs is None else procs
        decoys = {d.pid for d in self.decoys}
        decoy_sessions = decoys
        vms, members = {}, {}
        for inst in self.instances:
            vms[inst] = [p for p in procs if self.is_vm(p) and p.names(inst.image_file)]
            members[inst] = [p for p in procs if p.pid not in decoys and p.sid not in decoy_sessions
                             and (p.names(inst.image_file) or p.sid in inst.sessions)
                             and p.pid not in self.run.own_pids()]
        return vms, members

    def vm_of(self, inst):
        vms, _ = self.truth()
        return vms[inst][0] if vms[inst] else None

    def temp_files(self, inst):
        prefix = "." + os.path.basename(inst.pid_file) + "."
        try:
            names = os.listdir(os.path.dirname(inst.pid_file))
        except OSError:
            return []
        return [os.path.join(inst.dir, n) for n in names if n.startswith(prefix) and n.endswith(".tmp")]

    def settle(self, insts, limit=3.0):
        """After a step whose effects may still be on their way (a SIGKILLed pharo-ctl, a VM
        killed behind its back): waits until no signal to an instance's process is pending,
        every wrapper has its VM or has gone, and a VM that dies on start is gone."""

        def quiet():
            vms, members = self.truth()
            for inst in insts:
                if any(pending_stop_signal(p.pid) for p in members[inst]):
                    return False
                if members[inst] and not vms[inst]:
                    return False
                if inst.kind == "dies-on-start" and members[inst]:
                    return False
            return True

        wait_until(quiet, limit)

    def check(self):
        """The checks after every step."""
        for decoy in self.decoys + self.run.sentinels:
            for problem in decoy.check():
                self.finding(problem)
        # A protected REPL never turns away an evaluation pharo-ctl sent (status's probe without
        # credentials, which tells whether the REPL asks for them, is a GET).
        for inst in self.instances:
            if inst.protected and b"401 POST" in read_bytes(inst.events):
                self.finding(f"{inst.label()}'s REPL turned away a POST without its credentials",
                             key=("credentials", inst))
        for problem in self.run.own_signals():
            self.finding(problem)
        vms, members = self.truth()

        def no_leftovers():
            nonlocal vms, members
            vms, members = self.truth()
            return not any(members[i] for i in self.instances if not vms[i])

        # A wrapper whose VM just ended exits a moment later.
        if not no_leftovers():
            wait_until(no_leftovers, 1.0)
        for inst in self.instances:
            running = bool(vms[inst])
            for p in members[inst]:
                if p.sid not in (0, 1) and p.sid not in self.run.own_sessions():
                    inst.sessions.add(p.sid)
            if len(vms[inst]) > 1:
                self.finding(f"{inst.label()} runs {len(vms[inst])} VMs: "
                             + ", ".join(f"pid {p.pid} `{p.command()}`" for p in vms[inst]))
            if inst.kind == "exits-later":
                pass  # it may have ended by itself
            elif inst.expect is True and not running:
                self.finding(f"{inst.label()}'s VM is gone, though nothing should have stopped it")
            elif inst.expect is False and running:
                self.finding(f"{inst.label()} runs (pid {vms[inst][0].pid}), though it should not")
            if not running:
                for p in members[inst]:
                    self.finding(f"{inst.label()} is not running, yet pid {p.pid} `{p.command()}` of it is left",
                                 key=("left", p.pid))
            inst.expect = running
        if not self.sigkilled_ctl:
            for inst in self.instances:
                for path in self.temp_files(inst):
                    self.finding(f"temporary file {path} left behind")
        self.check_status_and_pid()
        self.check_images()
        self.check_strangers()

    # -- the REPLs that are not the instances' -------------------------------------------------

    def port_state(self, inst, vms=None, members=None):
        """Who holds the socket listening on the instance's REPL port: "own" (a process of its
        tree), "stranger" (another process) or "nobody"."""
        inodes = listening_sockets(inst.repl_port)
        if not inodes:
            return "nobody"
        if vms is None:
            vms, members = self.truth()
        return "own" if holding({p.pid for p in vms[inst] + members[inst]}, inodes) else "stranger"

    def own_repl(self, inst):
        """Whether the instance's REPL port is held by a process of its tree."""
        return self.port_state(inst) == "own"

    def stranger(self, inst):
        """Who holds the instance's REPL port when that is a process outside its tree, else None."""
        return listener_of(inst.repl_port) if self.port_state(inst) == "stranger" else None

    def check_strangers(self):
        """The invariant: no request reaches a REPL that is not the instance's. The squatters
        get none at all; the other directory's image gets only those of the commands aimed at
        it, and keeps running and answering while it should."""
        for squatter in self.squatters.values():
            for problem in squatter.check():
                self.finding(problem)
        twin = self.twin
        if twin is None:
            return
        self.flag_twin_requests()
        if not twin.expect:
            return
        vm = self.twin_vm()
        if vm is None:
            return self.finding(f"{twin.describe()} is gone, though nothing aimed at it stopped it",
                                key=("twin", "gone"))
        if not holding([vm.pid], listening_sockets(twin.port)):
            return self.finding(f"{twin.describe()} runs (pid {vm.pid}) but no longer holds its port, "
                                f"which {listener_of(twin.port)} does", key=("twin", "port", vm.pid))
        answer = self.aimed_at_twin(lambda: repl_get(twin.port))
        if answer is None or answer[0] != 200 or b"Smalltalk REPL" not in answer[1]:
            self.finding(f"{twin.describe()} runs (pid {vm.pid}) but its REPL does not answer GET /repl: {answer!r}",
                         key=("twin", "answer", vm.pid))

    def flag_twin_requests(self, allowed=(), by="a command aimed at the cycle's instances"):
        """The requests the other directory's image got since the last look, other than
        `allowed`, are findings."""
        twin = self.twin
        lines, twin.seen = requests_since(twin.events, twin.seen)
        for line in lines:
            if line not in allowed:
                self.finding(f"{twin.describe()} got `{line}` from {by}")

    def twin_vm(self):
        twin = self.twin
        return next((p for p in processes() if self.is_vm(p) and p.names(twin.image_file)), None)

    def aimed_at_twin(self, what):
        """Runs `what`, a command aimed at the other directory's image: the requests its image
        gets meanwhile are its own; one that reaches the cycle's instance on that port is a
        finding."""
        twin, inst = self.twin, self.twin.inst
        self.flag_twin_requests()
        _, mark = requests_since(inst.events, 0)
        result = what()
        _, twin.seen = requests_since(twin.events, 0)
        for line in requests_since(inst.events, mark)[0]:
            self.finding(f"{inst.label()}'s REPL got `{line}` from a command aimed at {twin.describe()}")
        return result

    def twin_start(self):
        twin = self.twin
        running = self.twin_vm()
        vms, members = self.truth()
        state = self.port_state(twin.inst, vms, members)
        args = ["--wait", "--start-timeout", "5s"] if self.rng.random() < 0.5 else ["--settle", "150ms"]
        result = self.aimed_at_twin(lambda: self.ctl(twin, "start", *args, twin.name, timing=STOP_TIMING))
        after = self.twin_vm()
        if running is not None:
            self.expect_code(result, {0}, f"{twin.label()} was running (pid {running.pid})")
        elif state != "nobody":
            self.expect_code(result, {6}, f"its REPL port is held by {listener_of(twin.port)}")
        elif vms[twin.inst] and twin.inst.kind == "slow-start":
            # The instance's VM binds the port after its start delay: either may win.
            self.expect_code(result, {0, 1}, f"{twin.label()} starts unless {twin.inst.label()}'s VM binds first")
        else:
            self.expect_code(result, {0}, f"{twin.label()} starts: its REPL port is free")
        if result.code == 0 and after is None:
            self.finding(f"{result.brief()}, but no VM runs {twin.describe()}")
        if result.code != 0 and after is not None and running is None:
            self.finding(f"{result.brief()}, yet {twin.label()}'s VM runs (pid {after.pid})")
        twin.expect = after is not None

    def twin_stop(self):
        twin = self.twin
        result = self.aimed_at_twin(lambda: self.ctl(twin, "stop", twin.name, timing=STOP_TIMING))
        self.expect_code(result, {0}, "a stop always succeeds here")
        if wait_until(lambda: self.twin_vm() is None, 1.0) is False:
            self.finding(f"{result.brief()}, but {twin.label()}'s VM runs (pid {self.twin_vm().pid})")
        if os.path.lexists(twin.pid_file):
            self.finding(f"{result.brief()}, but its pid file is left")
        twin.expect = False

    def twin_eval(self):
        twin = self.twin
        vm = self.twin_vm()
        result = self.aimed_at_twin(
            lambda: self.ctl(twin, "eval", twin.name, "3 + 4", timing=["--timeout", "2s"]))
        if vm is None:
            self.expect_code(result, {7}, f"{twin.label()} does not run: it is evaluated nowhere")
        else:
            self.expect_code(result, {0}, f"{twin.label()} runs and its REPL is its own")
            if result.code == 0 and result.out != b"7\n":
                self.finding(f"{result.brief()} printed {result.out[:80]!r}, expected '7\\n'")

    def twin_status(self):
        twin = self.twin
        vm = self.twin_vm()
        result = self.aimed_at_twin(
            lambda: self.ctl(twin, "status", "--json", twin.name, timing=["--timeout", "2s"]))
        self.expect_code(result, {0} if vm else {3}, f"{twin.label()} " + ("runs" if vm else "does not run"))
        try:
            report = json.loads(result.out) if result.code in (0, 3) else {}
        except ValueError:
            return self.finding(f"{result.brief()}: its output is not JSON: {result.out[:200]!r}")
        repl = report.get("repl") or {}
        if vm is not None and result.code == 0 and repl.get("ok") is not True:
            self.finding(f"status --json of {twin.label()} says its REPL is not ok ({repl.get('error')}), "
                         f"though it holds its port and answers")

    def check_status_and_pid(self):
        """status --json and pid of every instance against the processes."""
        before, members = self.truth()
        strangers = {inst for inst in self.instances if before[inst]
                     and self.port_state(inst, before, members) == "stranger"}
        results = {}
        popens = []
        for inst in self.instances:
            status = self.spawn(inst, "status", "--json", inst.name, timing=["--timeout", "150ms"])
            pid = self.spawn(inst, "pid", inst.name)
            popens.append((inst, status, pid))
        for inst, status, pid in popens:
            results[inst] = (self.finish(status, quiet=True), self.finish(pid, quiet=True))
        after, members = self.truth()
        strangers &= {inst for inst in self.instances if self.port_state(inst, after, members) == "stranger"}
        if self.run.args.verbose:
            self.say("  status, pid: " + ", ".join(
                f"{inst.label()} {s.code}/{p.code}" + (f" (VM {before[inst][0].pid})" if before[inst] else "")
                for inst, (s, p) in results.items()))
        for inst, (status, pid) in results.items():
            if [p.pid for p in before[inst]] != [p.pid for p in after[inst]]:
                continue  # it changed while they looked
            self.judge_status(inst, before[inst], status, pid)
            if inst in strangers and status.code == 0:
                try:
                    repl = json.loads(status.out).get("repl") or {}
                except (ValueError, AttributeError):
                    continue
                if repl.get("ok") is not False or not repl.get("error"):
                    self.finding(f"status --json of {inst.label()} says its REPL is {json.dumps(repl)}, though "
                                 f"{listener_of(inst.repl_port)} holds its port", key=("status", inst, "stranger"))

    def judge_status(self, inst, vms, status, pid):
        if inst.untrusted:
            why = f"the pid file is {inst.untrusted}, which is not to be trusted"
            self.expect_code(status, {4}, why, key=("status", inst, "untrusted"))
            self.expect_code(pid, {4}, why, key=("pid", inst, "untrusted"))
            return
        try:
            report = json.loads(status.out) if status.code in (0, 1, 3) else None
        except ValueError:
            report = None
            self.finding(f"{status.brief()}: its output is not JSON: {status.out[:200]!r}")
        if vms:
            vm = vms[0]
            truth = f"pid {vm.pid} `{vm.command()}` runs the image"
            self.expect_code(status, {0}, truth, key=("status", inst, vm.pid))
            self.expect_code(pid, {0}, truth, key=("pid", inst, vm.pid))
            if report is not None and status.code == 0:
                if report.get("state") != "running" or report.get("pid") != vm.pid:
                    self.finding(f"status --json of {inst.label()} says state {report.get('state')} pid "
                                 f"{report.get('pid')}, but {truth}", key=("status", inst, vm.pid))
            if pid.code == 0 and pid.out.strip() != str(vm.pid).encode():
                self.finding(f"pid of {inst.label()} printed {pid.out.strip().decode(errors='replace')!r}, "
                             f"but {truth}", key=("pid", inst, vm.pid))
            return
        if os.path.lexists(inst.pid_file):
            why = f"no VM runs {inst.label()}'s image and a pid file is left ({self.pid_file_text(inst)})"
            self.expect_code(status, {1}, why, key=("status", inst, "stale"))
            self.expect_code(pid, {1}, why, key=("pid", inst, "stale"))
            state = "stale"
        else:
            why = f"no VM runs {inst.label()}'s image and there is no pid file"
            self.expect_code(status, {3}, why, key=("status", inst, "stopped"))
            self.expect_code(pid, {3}, why, key=("pid", inst, "stopped"))
            state = "stopped"
        if report is not None and (report.get("state") != state or report.get("pid") is not None):
            self.finding(f"status --json of {inst.label()} says state {report.get('state')} pid "
                         f"{report.get('pid')}, expected {state} and null: {why}", key=("status", inst, state))
        if pid.out.strip():
            self.finding(f"pid of {inst.label()} printed {pid.out.strip()[:40]!r}, but {why}")

    def pid_file_text(self, inst):
        if os.path.islink(inst.pid_file):
            return "a symlink"
        return repr(read_bytes(inst.pid_file)[:40])

    # -- the steps ------------------------------------------------------------------------------

    def play(self):
        steps = [
            (self.step_start, 14), (self.step_stop, 14), (self.step_restart, 6), (self.step_eval, 6),
            (self.step_ps, 3), (self.step_concurrent_starts, 5), (self.step_start_and_stop, 5),
            (self.step_kill_ctl_in_start, 4), (self.step_kill_ctl_in_stop, 4), (self.step_kill_vm, 5),
            (self.step_kill_wrapper, 2), (self.step_corrupt, 14), (self.step_by_hand, 3),
            (self.step_repair, 3), (self.step_run, 6), (self.step_snapshot, 6), (self.step_stop_save, 4),
            (self.step_squat, 5), (self.step_squat_in_start, 4), (self.step_other_directory, 6),
        ]
        weighted = [s for s, w in steps for _ in range(w)]
        for _ in range(self.run.args.steps):
            self.step += 1
            inst = self.pick()
            weighted_step = self.rng.choice(weighted)
            self.action = weighted_step.__name__[5:].replace("_", " ") + " " + inst.label()
            if self.run.args.verbose:
                self.say(self.action)
            weighted_step(inst)
            self.check()
            if self.findings and not self.run.args.keep_going:
                return

    def pick(self):
        """The instance a step is aimed at: often one whose REPL port another process holds."""
        held = [i for i in self.instances if i.repl_port in self.squatters
                or (self.twin and self.twin.expect and self.twin.inst is i)]
        if held and self.rng.random() < 0.4:
            return self.rng.choice(held)
        return self.rng.choice(self.instances)

    def start_args(self, inst, wait):
        if wait:
            timeout = inst.start_timeout(self.rng)
            return ["--wait", "--start-timeout", timeout], timeout
        return ["--settle", inst.settle], None

    def instead(self, step, inst):
        """Plays `step` where the chosen one does not apply to the instance's state."""
        self.action = step.__name__[5:].replace("_", " ") + " " + inst.label()
        if self.run.args.verbose:
            self.say(f"(instead) {self.action}")
        step(inst)

    def step_start(self, inst, wait=None):
        wait = self.rng.random() < 0.5 if wait is None else wait
        args, timeout = self.start_args(inst, wait)
        before, held = self.vm_of(inst), self.stranger(inst)
        result = self.ctl(inst, "start", *args, inst.name, timing=STOP_TIMING)
        self.judge_start(inst, result, before, inst.start_succeeds(wait, timeout), held=held)

    def judge_start(self, inst, result, before, succeeds, restart=False, held=None):
        """`held`: who held the instance's REPL port before the command, when not its own VM."""
        after = self.vm_of(inst)
        if inst.untrusted:
            self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
            self.same_vm(inst, before, after, result)
            return
        if before is not None and not restart:
            self.expect_code(result, {0}, f"{inst.label()} was running (pid {before.pid})")
            self.same_vm(inst, before, after, result)
            return
        if held:
            # Refused before anything is launched or stopped.
            self.expect_code(result, {6}, f"{inst.label()}'s REPL port {inst.repl_port} is held by {held}")
            self.same_vm(inst, before, after, result)
            return
        if succeeds:
            self.expect_code(result, {0}, f"{inst.label()} ({inst.kind}) starts")
            if result.code == 0:
                if after is None and self.truth()[1][inst]:
                    # A wrapper runs, but not (yet) its VM: a start must not count before it.
                    waited = time.monotonic()
                    wait_until(lambda: self.vm_of(inst) is not None, 3.0)
                    after = self.vm_of(inst)
                    if after is not None:
                        late = (time.monotonic() - waited) * 1000
                        self.finding(f"{result.brief()}, yet the VM proper (pid {after.pid}) came up only {late:.0f}ms "
                                     f"after it returned: the start counted its wrapper")
                if after is None and inst.kind != "exits-later":
                    self.finding(f"{result.brief()}, but no VM runs {inst.label()}'s image")
                elif after is not None:
                    if restart and before is not None and after.pid == before.pid:
                        self.finding(f"{result.brief()}, but the VM pid {after.pid} is the one before")
                    recorded = read_bytes(inst.pid_file).strip()
                    if recorded != str(after.pid).encode():
                        self.finding(f"{result.brief()}: the pid file says {recorded[:40]!r}, "
                                     f"the VM is pid {after.pid} `{after.command()}`")
                inst.expect = after is not None
        else:
            self.expect_code(result, {1}, f"{inst.label()} ({inst.kind}) cannot start"
                             + (f"; its REPL port is held by {listener_of(inst.repl_port)}" if result.code == 0 else ""))
            inst.expect = False
            self.expect_clean(inst, result)

    def same_vm(self, inst, before, after, result):
        if after is None and inst.kind == "exits-later":
            return  # it may have ended by itself
        if (before and before.pid) != (after and after.pid):
            self.finding(f"{result.brief()} changed {inst.label()}'s VM from "
                         f"{before and before.pid} to {after and after.pid}")

    def expect_clean(self, inst, result):
        """After a stop or a failed start: no pid file (processes are checked by check())."""
        if os.path.lexists(inst.pid_file):
            self.finding(f"{result.brief()}, but the pid file is left ({self.pid_file_text(inst)})")

    def step_stop(self, inst):
        self.do_stop(inst)

    def do_stop(self, inst):
        before = self.vm_of(inst)
        result = self.ctl(inst, "stop", inst.name, timing=STOP_TIMING)
        if inst.untrusted:
            self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
            self.same_vm(inst, before, self.vm_of(inst), result)
            return
        self.expect_code(result, {0}, "a stop always succeeds here")
        inst.expect = False
        self.expect_clean(inst, result)

    def saves(self, inst):
        """Whether a save of the running instance must succeed: its REPL answers."""
        return inst.kind not in ("hung-repl", "exits-later")

    def step_snapshot(self, inst):
        before, up = self.vm_of(inst), self.own_repl(inst)
        result = self.ctl(inst, "snapshot", inst.name, timing=["--timeout", "500ms"])
        after = self.vm_of(inst)
        if up != self.own_repl(inst):
            pass  # its REPL came up (a slow start) or went away meanwhile
        elif inst.untrusted:
            self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
        elif before is None and after is None:
            self.expect_code(result, {3}, f"{inst.label()} is not running: nothing to save")
        elif before is not None and after is not None and before.pid == after.pid:
            if not up:
                self.expect_code(result, {7}, f"nothing listens on {inst.label()}'s REPL port yet")
            elif self.saves(inst):
                self.expect_code(result, {0}, f"{inst.label()} ({inst.kind}) runs and its REPL answers")
            elif inst.kind == "hung-repl":
                self.expect_code(result, {1}, f"{inst.label()}'s REPL never answers: the save times out")
        self.same_vm(inst, before, after, result)

    def step_stop_save(self, inst):
        before, up = self.vm_of(inst), self.own_repl(inst)
        result = self.ctl(inst, "stop", "--save", "--save-timeout", "500ms", inst.name,
                          timing=STOP_TIMING)
        after = self.vm_of(inst)
        if inst.untrusted:
            self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
            self.same_vm(inst, before, after, result)
        elif before is not None and not up and after is not None and not self.own_repl(inst):
            self.expect_code(result, {7}, f"nothing listens on {inst.label()}'s REPL port: no save, no stop")
            self.same_vm(inst, before, after, result)
        elif before is not None and (not up or up != self.own_repl(inst)):
            inst.expect = None if after is not None else False  # its REPL came up meanwhile
        elif before is None:
            self.expect_code(result, {0}, f"{inst.label()} is not running: nothing to save or stop")
            inst.expect = False
        elif inst.kind == "hung-repl":
            self.expect_code(result, {1}, f"{inst.label()}'s REPL never answers: the save fails")
            self.same_vm(inst, before, after, result)
        elif self.saves(inst):
            self.expect_code(result, {0}, f"{inst.label()} ({inst.kind}) saves, then stops")
            inst.expect = False
            self.expect_clean(inst, result)
        else:
            inst.expect = None if after is not None else False

    def check_images(self):
        """The invariant of saves: an instance's image file is always a complete image (the
        placeholder it was made with, or an image the double saved, as long as its header
        says), and no half-made backup or put-back is left."""
        for inst in self.instances:
            data = read_bytes(inst.image)
            if data == b"a Pharo image\n":
                continue
            if len(data) < 16 or struct.unpack("<I", data[:4])[0] != 68021:
                self.finding(f"{inst.label()}'s image file is not an image: {len(data)} bytes, "
                             f"starting {data[:16]!r}", key=("image", inst))
                continue
            header, size = struct.unpack("<I", data[4:8])[0], struct.unpack("<Q", data[8:16])[0]
            if len(data) < header + size:
                self.finding(f"{inst.label()}'s image file is short: {len(data)} bytes of "
                             f"{header + size}", key=("image", inst))
            for folder in (inst.dir, os.path.join(inst.dir, "backups")):
                try:
                    names = os.listdir(folder)
                except OSError:
                    continue
                for n in names:
                    if n.endswith(".part"):
                        self.finding(f"a half-made copy {os.path.join(folder, n)} is left")

    def step_restart(self, inst):
        wait = self.rng.random() < 0.5
        args, timeout = self.start_args(inst, wait)
        before, held = self.vm_of(inst), self.stranger(inst)
        result = self.ctl(inst, "restart", *args, inst.name, timing=STOP_TIMING)
        self.judge_start(inst, result, before, inst.start_succeeds(wait, timeout), restart=True, held=held)

    def step_eval(self, inst):
        if not self.run.eval_takes_name:
            # An older pharo-ctl: eval goes to the URL it is given, as asked.
            if self.port_state(inst) == "stranger":
                return self.instead(self.step_ps, inst)
            return self.eval_by_url(inst)
        vms, members = self.truth()
        state = self.port_state(inst, vms, members)
        result = self.ctl(inst, "eval", inst.name, "3 + 4", timing=["--timeout", "400ms"])
        vms_after, members_after = self.truth()
        if [p.pid for p in vms[inst]] != [p.pid for p in vms_after[inst]] or \
                state != self.port_state(inst, vms_after, members_after):
            return  # it changed meanwhile
        if inst.untrusted:
            self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
        elif not vms[inst]:
            holder = f", though {listener_of(inst.repl_port)} holds its REPL port" if state != "nobody" else ""
            self.expect_code(result, {7}, f"{inst.label()} does not run: it is evaluated nowhere{holder}")
        elif state == "stranger":
            self.expect_code(result, {7}, f"{inst.label()}'s REPL port is held by {listener_of(inst.repl_port)}")
        elif state != "own":
            self.expect_code(result, {7}, f"nothing of {inst.label()} listens on its REPL port")
        elif inst.kind == "hung-repl":
            self.expect_code(result, {1}, f"{inst.label()}'s REPL never answers: a timeout")
        else:
            self.expect_code(result, {0}, f"{inst.label()}'s REPL answers")
            if result.code == 0 and result.out != b"7\n":
                self.finding(f"{result.brief()} printed {result.out[:80]!r}, expected '7\\n'")

    def eval_by_url(self, inst):
        timing = ["--timeout", "400ms", "--repl", f"http://127.0.0.1:{inst.repl_port}/repl"]
        if inst.protected:
            timing += ["--repl-secret", inst.secret_file]
        vm, up = self.vm_of(inst), listening(inst.repl_port)
        result = self.ctl(inst, "eval", "3 + 4", timing=timing)
        if (vm and vm.pid) != (self.vm_of(inst) and self.vm_of(inst).pid) or up != listening(inst.repl_port):
            return  # it changed meanwhile
        if not up:
            self.expect_code(result, {7}, f"nothing listens on {inst.label()}'s REPL port")
        elif inst.kind == "hung-repl":
            self.expect_code(result, {1}, f"{inst.label()}'s REPL never answers: a timeout")
        else:
            self.expect_code(result, {0}, f"{inst.label()}'s REPL answers")
            if result.code == 0 and result.out != b"7\n":
                self.finding(f"{result.brief()} printed {result.out[:80]!r}, expected '7\\n'")

    def step_ps(self, inst):
        vms, _ = self.truth()
        if self.twin is not None:
            self.flag_twin_requests()
        result = self.ctl(inst, "ps", "--json")
        if self.twin is not None:
            # ps looks for every VM's REPL among the sockets that VM holds, with `GET /repl`.
            self.flag_twin_requests(allowed=("GET /repl",), by="ps, which may only look for each VM's REPL")
        try:
            rows = json.loads(result.out)
        except ValueError:
            return self.finding(f"{result.brief()}: its output is not JSON: {result.out[:200]!r}")
        after, _ = self.truth()
        if {i: [p.pid for p in v] for i, v in vms.items()} != {i: [p.pid for p in v] for i, v in after.items()}:
            return
        by_pid = {row.get("pid"): row for row in rows}
        decoys = {d.pid: d for d in self.decoys + self.run.sentinels}
        for pid, row in by_pid.items():
            if pid in decoys:
                self.finding(f"ps lists {decoys[pid].describe()} as a VM", key=("ps", pid))
        for other in self.instances:
            listed = sorted(row.get("pid") for row in rows
                            if file_id(row.get("image") or "/nonexistent") == other.image_file.id)
            truth = [p.pid for p in vms[other]]
            # An interpreted VM is a VM to ps only when this ps is told that script is the VM
            # (--vm or PHARO_VM); the others are named like a VM.
            named = other.layout != "script" or (inst.layout == "script" and inst.vm == other.vm)
            if (listed != truth) if named else not set(listed) <= set(truth):
                told = f" (ps was run with the VM {inst.vm})" if other.layout == "script" else ""
                self.finding(f"ps lists {other.label()} as pids {listed}, but its VMs are {truth}{told}",
                             key=("ps", other, tuple(truth)))

    def step_concurrent_starts(self, inst):
        before, held = self.vm_of(inst), self.stranger(inst)
        plans = []
        for _ in range(self.rng.randint(2, 4)):
            wait = self.rng.random() < 0.5
            args, timeout = self.start_args(inst, wait)
            plans.append((self.spawn(inst, "start", *args, inst.name, timing=STOP_TIMING),
                          inst.start_succeeds(wait, timeout)))
        results = [(self.finish(p), ok) for p, ok in plans]
        after = self.vm_of(inst)
        if inst.untrusted:
            for result, _ in results:
                self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
            return self.same_vm(inst, before, after, results[0][0])
        if before is not None:
            for result, _ in results:
                self.expect_code(result, {0}, f"{inst.label()} was running")
            return self.same_vm(inst, before, after, results[0][0])
        if held:
            for result, _ in results:
                self.expect_code(result, {6}, f"{inst.label()}'s REPL port {inst.repl_port} is held by {held}")
            return self.same_vm(inst, before, after, results[0][0])
        # Starts are serialised: one that can succeed does (it starts the VM, or finds it
        # started); one that cannot fails, unless another started the VM before it looked.
        can_start = any(ok for _, ok in results)
        for result, ok in results:
            if ok:
                self.expect_code(result, {0}, f"{inst.label()} ({inst.kind}) starts this way")
            else:
                self.expect_code(result, {0, 1} if can_start else {1},
                                 f"{inst.label()} ({inst.kind}) cannot start this way"
                                 + (", unless another start beside it did" if can_start else ""))
        started = any(r.code == 0 for r, _ in results)
        if started != (after is not None) and not (after is None and inst.kind == "exits-later"):
            self.finding(f"concurrent starts of {inst.label()} exited "
                         f"{[r.code for r, _ in results]}, yet its VM is {after and after.pid}")
        if not started:
            self.expect_clean(inst, results[0][0])
        elif after is not None and read_bytes(inst.pid_file).strip() != str(after.pid).encode():
            self.finding(f"after concurrent starts the pid file of {inst.label()} says "
                         f"{read_bytes(inst.pid_file).strip()[:40]!r}, the VM is pid {after.pid}")
        inst.expect = after is not None

    def step_start_and_stop(self, inst):
        held = self.stranger(inst)
        wait = self.rng.random() < 0.5
        args, _ = self.start_args(inst, wait)
        commands = [("start", self.spawn(inst, "start", *args, inst.name, timing=STOP_TIMING)),
                    ("stop", self.spawn(inst, "stop", inst.name, timing=STOP_TIMING))]
        if self.rng.random() < 0.5:
            commands.reverse()
        results = {name: self.finish(p) for name, p in commands}
        if inst.untrusted:
            for result in results.values():
                self.expect_code(result, {4}, f"the pid file is {inst.untrusted}")
            return
        self.expect_code(results["stop"], {0}, "a stop always succeeds here")
        self.expect_code(results["start"], {0, 1, 6} if held else {0, 1}, "a start beside a stop"
                         + (f", while {held} holds the REPL port" if held else ""))
        if self.vm_of(inst) is None:
            self.expect_clean(inst, results["stop"])
        inst.expect = None

    def step_kill_ctl_in_start(self, inst):
        if self.vm_of(inst) is not None or inst.untrusted:
            return self.instead(self.step_stop, inst)
        wait = self.rng.random() < 0.5
        args, _ = self.start_args(inst, wait)
        popen = self.spawn(inst, "start", *args, inst.name, timing=STOP_TIMING)
        self.kill_at(popen, inst, self.rng.choice(["at once", "when the VM runs", "when the pid file exists",
                                                   "after a while"]))

    def step_kill_ctl_in_stop(self, inst):
        if self.vm_of(inst) is None or inst.untrusted:
            return self.instead(self.step_start, inst)
        mark = os.path.getsize(inst.events) if os.path.exists(inst.events) else 0
        popen = self.spawn(inst, "stop", inst.name, timing=STOP_TIMING)
        self.kill_at(popen, inst, self.rng.choice(["at once", "when the REPL got the request", "after a while"]))
        # A shutdown request that reached the image ends it a moment later.
        wait_until(lambda: repl_connections(inst.repl_port) == 0, 2.0)
        events = read_bytes(inst.events)[mark:].decode(errors="replace")
        if inst.cooperative and "POST /repl ShutdownSequence" in events:
            wait_until(lambda: self.vm_of(inst) is None, 3.0)

    def kill_at(self, popen, inst, when):
        if when == "when the VM runs":
            wait_until(lambda: popen.poll() is not None or self.vm_of(inst) is not None, 3.0)
        elif when == "when the pid file exists":
            wait_until(lambda: popen.poll() is not None or os.path.exists(inst.pid_file), 3.0)
        elif when == "when the REPL got the request":
            wait_until(lambda: popen.poll() is not None or b"POST /repl Shutdown" in read_bytes(inst.events), 3.0)
        elif when == "after a while":
            time.sleep(self.rng.uniform(0, 0.4))  # a random point of the command, not a wait
        if self.run.args.verbose:
            self.say(f"  SIGKILL of pharo-ctl {when}")
        popen.kill()
        self.sigkilled_ctl = True
        self.finish(popen, killed=True)
        self.settle([inst])
        inst.expect = None

    def step_kill_vm(self, inst):
        vm = self.vm_of(inst)
        if vm is None:
            return self.instead(self.step_start, inst)
        kill_pid(vm.pid, vm.start)
        wait_until(lambda: not alive(vm.pid), 3.0)
        self.settle([inst])
        inst.expect = False

    def step_kill_wrapper(self, inst):
        vms, members = self.truth()
        wrappers = [p for p in members[inst] if p not in vms[inst] and p.names(inst.image_file)]
        if not wrappers:
            return self.instead(self.step_kill_vm, inst)
        wrapper = self.rng.choice(wrappers)
        kill_pid(wrapper.pid, wrapper.start)
        wait_until(lambda: not alive(wrapper.pid), 3.0)

    def step_run(self, inst):
        """`pharo-ctl run` as a service's main process, ended by SIGTERM to it, by a stop from
        beside it, or by SIGKILL of its VM."""
        if self.vm_of(inst) is not None or inst.untrusted:
            return self.instead(self.step_stop, inst)
        held = self.stranger(inst)
        if held:
            result = self.ctl(inst, "run", inst.name, "--start-timeout", "5s", timing=STOP_TIMING)
            self.expect_code(result, {6}, f"{inst.label()}'s REPL port {inst.repl_port} is held by {held}")
            return self.expect_clean(inst, result)
        popen = self.spawn(inst, "run", inst.name, "--start-timeout", "5s", timing=STOP_TIMING)
        wait_until(lambda: popen.poll() is not None or self.vm_of(inst) is not None, 5.0)
        if inst.kind == "dies-on-start":
            result = self.finish(popen)
            return self.expect_code(result, {3}, "the VM exited with 3 during its start: run passes that on")
        vm = self.vm_of(inst)
        if vm is None:
            result = self.finish(popen)
            return self.finding(f"{result.brief()}, but its VM never ran")
        if inst.kind not in ("slow-start", "dies-on-start"):
            # A stop is cooperative only once the REPL listens.
            wait_until(lambda: popen.poll() is not None or listening(inst.repl_port), 5.0)
        self.check_status_and_pid()
        if popen.poll() is not None:
            return self.finish(popen) if inst.kind == "exits-later" else \
                self.finding(f"{self.finish(popen).brief()} before it was stopped")
        cooperative = inst.cooperative and inst.kind != "slow-start"
        ending = self.rng.choice(["SIGTERM to run", "a stop beside it", "SIGKILL of the VM"])
        if self.run.args.verbose:
            self.say(f"  ending run with {ending}")
        if ending == "SIGTERM to run":
            popen.send_signal(signal.SIGTERM)
            expected = {0} if cooperative else {0, 1} if inst.kind in ("slow-start", "exits-later") else {1}
            why = "cooperative" if expected == {0} else "the stop falls back to signals"
        elif ending == "a stop beside it":
            stop = self.ctl(inst, "stop", inst.name, timing=STOP_TIMING)
            self.expect_code(stop, {0}, "a stop always succeeds here")
            expected = {0} if cooperative else {137} if inst.kind == "ignores-sigterm" else {143}
            if inst.kind in ("slow-start", "exits-later"):
                expected = {0, 143}
            why = "the VM's own status, which it ended with when stopped from beside"
        else:
            kill_pid(vm.pid, vm.start)
            expected, why = {137}, "its VM was killed by SIGKILL: 128+9"
            if inst.kind == "exits-later":
                expected = {0, 137}
        result = self.finish(popen)
        self.expect_code(result, expected, f"{ending}: {why}")
        inst.expect = False
        self.expect_clean(inst, result)

    def step_by_hand(self, inst):
        if self.vm_of(inst) is not None or inst.untrusted or inst.kind == "dies-on-start":
            return self.instead(self.step_stop, inst)
        env = dict(self.run.base_env)
        env.update(inst.env)
        with open(os.path.join(inst.dir, inst.name + ".log"), "ab") as log:
            subprocess.run(["setsid", "-f", *inst.hand_command()], cwd=inst.dir, env=env, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, check=True)
        if not wait_until(lambda: self.vm_of(inst) is not None, 5.0):
            return self.finding(f"the VM started by hand ({' '.join(inst.hand_command())}) did not come up")
        self.settle([inst])
        inst.expect = True

    def step_squat(self, inst):
        """A squatter appears on the instance's REPL port while it is free, or vanishes."""
        squatter = self.squatters.pop(inst.repl_port, None)
        if squatter is not None:
            self.action = f"squatter leaves {inst.label()}'s REPL port"
            if self.run.args.verbose:
                self.say(f"  {squatter.describe()} leaves")
            for problem in squatter.check():
                self.finding(problem)
            return squatter.kill()
        if self.port_state(inst) != "nobody":
            return self.instead(self.step_eval, inst)
        squatter = Squatter(self, inst)
        if not squatter.bind():
            # The instance's VM, in its start delay when the port was looked at, bound it first.
            if self.run.args.verbose:
                self.say(f"  {squatter.describe()} came too late: {listener_of(inst.repl_port)} holds the port")
            return squatter.kill()
        self.action = f"squatter on {inst.label()}'s REPL port"
        if self.run.args.verbose:
            self.say(f"  {squatter.describe()} is there")
        self.squatters[inst.repl_port] = squatter

    def step_squat_in_start(self, inst):
        """A squatter binds the instance's REPL port at a random moment of its start."""
        if self.vm_of(inst) is not None or inst.untrusted or inst.repl_port in self.squatters or \
                self.port_state(inst) != "nobody":
            return self.instead(self.step_squat, inst)
        wait = self.rng.random() < 0.5
        args, timeout = self.start_args(inst, wait)
        succeeds = inst.start_succeeds(wait, timeout)
        squatter = Squatter(self, inst)
        squatter.arm()
        popen = self.spawn(inst, "start", *args, inst.name, timing=STOP_TIMING)
        time.sleep(self.rng.uniform(0, 0.3))  # a random point of the start, not a wait
        done = popen.poll() is not None
        bound = squatter.bind()
        if self.run.args.verbose:
            self.say(f"  the squatter {'bound' if bound else 'could not bind'} the port "
                     f"{'after' if done else 'during'} the start")
        result = self.finish(popen)
        if not bound:
            squatter.kill()
        else:
            self.squatters[inst.repl_port] = squatter
        if done or not bound:
            return self.judge_start(inst, result, None, succeeds)
        # Refused, if the squatter was there before the check; a failed start, if it came during
        # the wait for the REPL, or during a plain start that looks for the REPL its script
        # names; a plain start may also count the VM's staying up only.
        allowed = {6, 1} | ({0} if succeeds and not wait else set())
        self.expect_code(result, allowed, f"a squatter bound {inst.label()}'s REPL port during its start"
                         + (" with --wait" if wait else ""))
        after = self.vm_of(inst)
        if result.code == 0:
            if after is None and inst.kind != "exits-later":
                self.finding(f"{result.brief()}, but no VM runs {inst.label()}'s image")
        else:
            if after is not None:
                self.finding(f"{result.brief()}, yet its VM runs (pid {after.pid})")
            self.expect_clean(inst, result)
        inst.expect = after is not None

    def step_other_directory(self, inst):
        """A command aimed at the image of another directory on an instance's REPL port."""
        if self.twin is None:
            return self.instead(self.step_squat, inst)
        what = self.rng.choice(["start", "start", "stop", "eval", "status"])
        self.action = f"{what} {self.twin.label()}"
        if self.run.args.verbose:
            self.say(f"  {self.action}: {self.twin.describe()}")
        {"start": self.twin_start, "stop": self.twin_stop, "eval": self.twin_eval,
         "status": self.twin_status}[what]()

    def step_repair(self, inst):
        if not inst.untrusted:
            return self.instead(self.step_corrupt, inst)
        self.repair(inst)

    def zombie(self):
        """The pid of a zombie: a child its parent (a decoy) never reaps."""
        holder = next((d for d in self.decoys if d.kind == "zombie"), None)
        if holder is None:
            holder = Decoy(self, "zombie", None)
            self.decoys.append(holder)

        def zombie_child():
            for p in os.listdir("/proc"):
                if p.isdigit():
                    text = read_bytes(f"/proc/{p}/stat").decode("latin-1")
                    fields = text[text.rfind(")") + 2 :].split()
                    if fields and fields[0] == "Z" and int(fields[1]) == holder.pid:
                        return int(p)
            return None

        wait_until(lambda: zombie_child() is not None, 3.0)
        return zombie_child() or self.run.dead_pid()

    def repair(self, inst):
        """Removes a pid file pharo-ctl must not trust, as its operator would."""
        if inst.untrusted:
            os.unlink(inst.pid_file)
            inst.untrusted = None

    def step_corrupt(self, inst):
        rng = self.rng
        vms, members = self.truth()
        others = [vms[o][0].pid for o in self.instances if o is not inst and vms[o]]
        foreign = [d.pid for d in self.decoys if d.instance is inst and d.popen.poll() is None]
        own = vms[inst][0].pid if vms[inst] else None
        kinds = {
            "empty": b"",
            "garbage": b"zinc\n",
            "binary": bytes([0xFF, 0xFE, 0x00, 0x9C, 0x0A]),
            "negative": b"-7\n",
            "zero": b"0\n",
            "huge": b"99999999999999999999999\n",
            "just above i32": b"2147483648\n",
            "pid 1": b"1\n",
            "a low pid": f"{rng.choice(sorted(self.run.own_pids()))}\n".encode(),
            "a pid outside the namespace": f"{self.run.outside_pid()}\n".encode(),
            "a dead pid": f"{self.run.dead_pid()}\n".encode(),
            "two pids": f"{own or 2}\n{rng.choice(others or [1])}\n".encode(),
            "a zombie": f"{self.zombie()}\n".encode(),
        }
        threads = [t for o in self.instances for p in vms[o] for t in threads_of(p.pid) if t != p.pid]
        if threads:
            kinds["a thread of a VM"] = f"{rng.choice(sorted(threads))}\n".encode()
        wrappers = [p.pid for p in members[inst] if p not in vms[inst] and p.names(inst.image_file)]
        if wrappers and vms[inst]:
            kinds["its wrapper"] = f"{rng.choice(wrappers)}\n".encode()
        if foreign:
            kinds["a foreign process naming the image"] = f"{rng.choice(foreign)}\n".encode()
        if others:
            kinds["another instance's VM"] = f"{rng.choice(others)}\n".encode()
        twin_vm = self.twin_vm() if self.twin else None
        if twin_vm is not None:
            kinds["the VM of another directory's image"] = f"{twin_vm.pid}\n".encode()
        if own:
            kinds["the VM's pid padded"] = f"  {own} \n\n".encode()
        untrusted = ["a symlink", "world-writable", "owned by another user"]
        kind = rng.choice(sorted(kinds) + untrusted)
        self.action += f" ({kind})"
        if self.run.args.verbose:
            self.say(f"  the pid file becomes: {kind}")
        if os.path.lexists(inst.pid_file):
            os.unlink(inst.pid_file)
        if kind == "a symlink":
            target = rng.choice([o.pid_file for o in self.instances if o is not inst] + [inst.pid_file + ".real"])
            if target.endswith(".real"):
                with open(target, "wb") as f:
                    f.write(f"{own or rng.choice(others or [1])}\n".encode())
            os.symlink(target, inst.pid_file)
            inst.untrusted = kind
            return
        content = kinds.get(kind, f"{own or rng.choice(others or foreign or [1])}\n".encode())
        with open(inst.pid_file, "wb") as f:
            f.write(content)
        if kind == "world-writable":
            os.chmod(inst.pid_file, 0o666)
            inst.untrusted = kind
        elif kind == "owned by another user":
            os.chown(inst.pid_file, 65534, 65534)
            inst.untrusted = kind
        else:
            inst.untrusted = None


# ---------------------------------------------------------------------------------------------
# The run: namespace, sentinels, cycles
# ---------------------------------------------------------------------------------------------


class Run:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.base = workdir
        self.findings = 0
        self.steps = 0
        self.decoy_script = os.path.join(workdir, "decoy.py")
        with open(self.decoy_script, "w") as f:
            f.write(DECOY)
        self.squatter_script = os.path.join(workdir, "squatter.py")
        with open(self.squatter_script, "w") as f:
            f.write(SQUATTER)
        # Foreign processes with low pids (the first this process starts) that must never be
        # signalled.
        self.sentinels = [Decoy(self, "recorder", None) for _ in range(3)]
        bin_dir = binaries(args)
        self.pharo_ctl = os.path.join(bin_dir, "pharo-ctl")
        DOCUMENTED.update(documented(self.pharo_ctl))
        self.double = os.path.join(bin_dir, "examples", "pharo-vm-double")
        self.double_copy = os.path.join(workdir, "pharo")
        shutil.copy2(self.double, self.double_copy)
        self.double_ids = {file_id(self.double), file_id(self.double_copy)}
        python = shutil.which("python3")
        same = python and os.path.realpath(python) == os.path.realpath(sys.executable)
        self.pyvm_shebang = "#!/usr/bin/env python3\n" if same else f"#!{os.path.realpath(sys.executable)}\n"
        self.base_env = {k: v for k, v in os.environ.items()
                         if not k.startswith(("PHARO_", "NOTIFY_SOCKET", "WATCHDOG_")) or k == "PHARO_CTL_REQUIRE_ALL"}
        self.base_env.pop("PHARO_CTL_REQUIRE_ALL", None)
        self.base_env["NO_COLOR"] = "1"
        self.outer_pid = int(os.environ.get(OUTER_PID, "0"))
        help_text = subprocess.run([self.pharo_ctl, "eval", "--help"], capture_output=True).stdout
        self.eval_takes_name = b"[NAME]" in help_text
        self.signals_file = os.environ.get("PHARO_CTL_LIFECYCLE_PID1_SIGNALS")
        self.signals_seen = 0
        self.received = []

    def own_pids(self):
        return {1, os.getpid()} | {d.pid for d in self.sentinels}

    def own_sessions(self):
        return {os.getsid(0)} | {d.pid for d in self.sentinels}

    def own_signals(self):
        problems = [f"the test process (pid {os.getpid()}) got {signal_name(n)}" for n in self.received]
        self.received.clear()
        if self.signals_file:
            lines = read_bytes(self.signals_file).decode().split()
            problems += [f"pid 1 got {signal_name(int(n))}" for n in lines[self.signals_seen :]]
            self.signals_seen = len(lines)
        return problems

    def outside_pid(self):
        """A pid of a process outside the namespace: the unshare that started it (or, once this
        namespace has handed out that number itself, one above the kernel's pid_max)."""
        if self.outer_pid > 1 and not os.path.exists(f"/proc/{self.outer_pid}"):
            return self.outer_pid
        return int(read_bytes("/proc/sys/kernel/pid_max") or b"4194304") + 1

    def dead_pid(self):
        child = subprocess.Popen(["true"])
        child.wait()
        return child.pid

    def reproduce(self, cycle):
        how = ["python3", "tests/lifecycle.py", "--seed", str(self.args.seed), "--cycle", str(cycle),
               "--steps", str(self.args.steps), "-v"]
        if self.args.bin_dir:
            how += ["--bin-dir", self.args.bin_dir]
        elif self.args.release:
            how += ["--release"]
        return " ".join(how)

    def main(self):
        started = time.monotonic()
        cycles = [self.args.cycle] if self.args.cycle is not None else range(1, self.args.cycles + 1)
        ran = 0
        for number in cycles:
            cycle = Cycle(self, number)
            try:
                cycle.setup()
                cycle.play()
            finally:
                cycle.teardown()
            ran += 1
            self.steps += cycle.step
            if ran % 50 == 0 and self.args.cycle is None and ran < self.args.cycles:
                print(f"lifecycle: {ran} cycles, {self.findings} findings so far "
                      f"({time.monotonic() - started:.0f}s)", flush=True)
            if self.findings and not self.args.keep_going:
                break
        print(f"lifecycle: seed {self.args.seed}: {ran} cycles, {self.steps} steps, {self.findings} findings "
              f"in {time.monotonic() - started:.1f}s", flush=True)
        for sentinel in self.sentinels:
            sentinel.kill()
        return 1 if self.findings else 0


def binaries(args):
    if args.bin_dir:
        bin_dir = os.path.abspath(args.bin_dir)
    else:
        bin_dir = os.path.join(ROOT, "target", "release" if args.release else "debug")
    for path in (os.path.join(bin_dir, "pharo-ctl"), os.path.join(bin_dir, "examples", "pharo-vm-double")):
        if not os.access(path, os.X_OK):
            sys.exit(f"lifecycle: {path} is missing: build it first with "
                     f"`cargo build{' --release' if args.release else ''} --bins --examples`, or pass --bin-dir")
    return bin_dir


def bring_up_loopback():
    """`ip link set lo up`, with an ioctl: a new network namespace starts with lo down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, request))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def enter_namespace(args):
    """Re-executes this script as pid 1 of a private pid and network namespace; returns only
    when that is impossible (after saying so)."""
    unshare = shutil.which("unshare")
    required = os.environ.get("PHARO_CTL_REQUIRE_ALL") == "1"
    why = None
    if unshare is None:
        why = "unshare is not installed"
    else:
        probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "--net", "true"], capture_output=True)
        if probe.returncode != 0:
            why = "unshare --pid --fork --mount-proc --net is not permitted here (" + \
                  (probe.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1] + ")"
    if why and required:
        sys.exit(f"lifecycle: cannot run: {why}, and PHARO_CTL_REQUIRE_ALL=1 requires it")
    if why:
        print(f"lifecycle: skipped: {why}; it writes pid files naming low pids, so it runs only in a private "
              f"pid namespace", flush=True)
        sys.exit(0)
    print(f"lifecycle: seed {args.seed}, {args.cycles if args.cycle is None else 1} cycles", flush=True)
    if "--seed" not in sys.argv:
        sys.argv += ["--seed", str(args.seed)]
    os.environ[IN_NAMESPACE] = "1"
    os.environ[OUTER_PID] = str(os.getpid())
    sys.stdout.flush()
    # --kill-child: if unshare is killed (a CI time-out), so is the namespace's pid 1, and with
    # it everything in the namespace.
    os.execv(unshare, [unshare, "--pid", "--fork", "--kill-child", "--mount-proc", "--net", sys.executable,
                       os.path.abspath(__file__)] + sys.argv[1:])


def record_signals(path_or_list):
    """Records every catchable signal this process gets (SIGINT aside: an interrupt)."""

    def handler(number, frame):
        if isinstance(path_or_list, list):
            path_or_list.append(number)
        else:
            with open(path_or_list, "a") as f:
                f.write(f"{number}\n")

    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGINT, signal.SIGPIPE,
                      signal.SIGWINCH):
            continue
        try:
            signal.signal(number, handler)
        except (OSError, ValueError):
            pass


def pid1(args):
    """As pid 1 of the namespace: runs the test in a child and reaps every orphan meanwhile, as
    an init does; records any signal it gets."""
    bring_up_loopback()
    workdir = tempfile.mkdtemp(prefix="pharo-ctl-lifecycle.")
    signals_file = os.path.join(workdir, "pid1.signals")
    open(signals_file, "w").close()
    worker = os.fork()
    if worker == 0:
        os.environ["PHARO_CTL_LIFECYCLE_PID1_SIGNALS"] = signals_file
        code = 2
        try:
            run = Run(args, workdir)
            record_signals(run.received)
            code = run.main()
        except KeyboardInterrupt:
            print("lifecycle: interrupted", flush=True)
            code = 130
        except BaseException:  # a bug of this script: say where, exit 2
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(code)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    record_signals(signals_file)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid == worker:
            code = os.waitstatus_to_exitcode(status)
            if not args.keep_files:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"lifecycle: files kept in {workdir}")
            sys.exit(code if code >= 0 else 128 - code)
    sys.exit(2)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None, help="the seed (default: a random one, printed)")
    parser.add_argument("--cycles", type=int, default=20, help="how many cycles (default 20)")
    parser.add_argument("--cycle", type=int, default=None, help="run only this cycle (to reproduce a finding)")
    parser.add_argument("--steps", type=int, default=10, help="random steps per cycle (default 10)")
    parser.add_argument("--keep-going", action="store_true", help="go on after a cycle with findings")
    parser.add_argument("--release", action="store_true", help="use target/release (default target/debug)")
    parser.add_argument("--bin-dir", help="where pharo-ctl and examples/pharo-vm-double are")
    parser.add_argument("--keep-files", action="store_true", help="keep the cycles' directories")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every step and command")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 31)
    return args


def main():
    args = parse_args()
    if os.environ.get(IN_NAMESPACE) != "1":
        binaries(args)
        enter_namespace(args)
    if os.getpid() != 1:
        sys.exit("lifecycle: expected to be pid 1 of a new pid namespace")
    pid1(args)


if __name__ == "__main__":
    main()
