"""pods/exec over WebSocket (RFC 6455 by hand), as kubectl >= 1.30 speaks it.

Subprotocols v5.channel.k8s.io and v4.channel.k8s.io (the best offered wins):
binary messages of one channel byte + data; stdout on 1, stderr on 2, then a
Status on 3, then a close frame. The "container" is this machine: the command
runs as a local subprocess with CAIRN_TEST_POD=ns/pod and
CAIRN_TEST_CONTAINER=c in its environment, bounded by a timeout. stdin and
TTY are not supported (stdin data from the client is read and dropped). SPDY
(kubectl < 1.30) is refused with a Status saying so.

All socket I/O happens on the request's thread (an SSL socket must not be read
and written from two threads at once); the recorder is thread-safe.
"""

import base64
import datetime
import hashlib
import json
import os
import select
import struct
import subprocess
import threading
import time

from . import errors

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def _stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ExecRecorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._execs = []

    def add(self, record):
        with self._lock:
            self._execs.append(record)

    def all(self):
        with self._lock:
            return [dict(r) for r in self._execs]


def _frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


class _FrameReader:
    """Parses client frames (masked) from bytes fed to it."""

    def __init__(self):
        self.buf = bytearray()

    def frames(self):
        while True:
            if len(self.buf) < 2:
                return
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            masked = b1 & 0x80
            mask = bytes(self.buf[off:off + 4]) if masked else b""
            off += 4 if masked else 0
            if len(self.buf) < off + n:
                return
            data = bytes(self.buf[off:off + n])
            if masked:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            del self.buf[:off + n]
            yield b0 & 0x0F, data


def _pod_containers(pod):
    spec = pod.get("spec") or {}
    return [c.get("name") for key in ("containers", "initContainers", "ephemeralContainers")
            for c in spec.get(key) or []]


def serve(handler, ctx, ns, pod_name, query_all):
    pods = ctx.registry.get("", "pods")
    if not ctx.allow_exec:
        raise errors.ApiError(403, "Forbidden", 'pods "%s" is forbidden: exec is disabled on this '
                              'test server (start kube-test-apiserver with --allow-exec)' % pod_name,
                              {"name": pod_name, "kind": "pods"})
    pod = ctx.store.get(pods, ns, pod_name)
    containers = _pod_containers(pod)
    container = (query_all.get("container") or [""])[0]
    if not container:
        if len(containers) != 1:
            raise errors.bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                                     % (pod_name, " ".join(containers)))
        container = containers[0]
    if container not in containers:
        raise errors.bad_request("container %s is not valid for pod %s" % (container, pod_name))
    command = query_all.get("command") or []
    if not command:
        raise errors.bad_request("you must specify at least one command for the container")
    upgrade = handler.headers.get("Upgrade", "").lower()
    if upgrade != "websocket":
        raise errors.bad_request("kube-test-apiserver serves exec over WebSocket only (v5.channel.k8s.io, "
                                 "v4.channel.k8s.io); SPDY is not supported: use kubectl >= 1.30")
    offered = [p.strip() for p in handler.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    chosen = next((p for p in PROTOCOLS if p in offered), None)
    if chosen is None:
        raise errors.bad_request("no supported exec subprotocol offered (want one of %s)" % ", ".join(PROTOCOLS))
    key = handler.headers.get("Sec-WebSocket-Key", "")
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    handler.close_connection = True
    conn = handler.connection
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n" % (accept, chosen)).encode())
    record = {"namespace": ns, "pod": pod_name, "container": container, "command": list(command),
              "exit_code": None, "started": _stamp(), "ended": None}
    try:
        code, message = _run(conn, command, ns, pod_name, container, ctx.exec_timeout)
    finally:
        record["ended"] = _stamp()
    record["exit_code"] = code
    ctx.execs.add(record)
    if code == 0 and message is None:
        status = {"metadata": {}, "status": "Success"}
    elif message is None:
        status = {"metadata": {}, "status": "Failure",
                  "message": "command terminated with non-zero exit code: exit status %d" % code,
                  "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
    else:
        status = {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
    try:
        conn.sendall(_frame(2, b"\x03" + json.dumps(status).encode()))
        conn.sendall(_frame(8, struct.pack("!H", 1000)))
        _drain_until_close(conn)
    except OSError:
        pass


def _run(conn, command, ns, pod, container, timeout):
    """Runs the command, streaming its output; answers the client's pings.
    Returns (exit code, failure message or None)."""
    env = dict(os.environ, CAIRN_TEST_POD="%s/%s" % (ns, pod), CAIRN_TEST_CONTAINER=container)
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
    except OSError as e:
        msg = 'exec: "%s": %s' % (command[0], e.strerror)
        conn.sendall(_frame(2, b"\x02" + (msg + "\n").encode()))
        return 127, msg
    reader = _FrameReader()
    open_pipes = {proc.stdout.fileno(): 1, proc.stderr.fileno(): 2}
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while open_pipes:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                proc.kill()
                break
            ready, _, _ = select.select(list(open_pipes) + [conn], [], [], min(left, 1.0))
            if conn in ready or conn.pending():
                _client_input(conn, reader)
            for fd in ready:
                if fd is conn:
                    continue
                data = os.read(fd, 65536)
                if not data:
                    del open_pipes[fd]
                else:
                    conn.sendall(_frame(2, bytes([open_pipes[fd]]) + data))
        code = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if timed_out:
        return 137, "command timed out after %ds (the test server's --exec-timeout)" % timeout
    return (code if code >= 0 else 128 - code), None


def _client_input(conn, reader):
    data = conn.recv(65536)
    if not data:
        raise OSError("client went away")
    reader.buf += data
    for opcode, payload in reader.frames():
        if opcode == 9:  # ping
            conn.sendall(_frame(10, payload))


def _drain_until_close(conn, wait=2.0):
    """After our close frame, reads until the client's close (or a short wait)."""
    reader = _FrameReader()
    deadline = time.monotonic() + wait
    conn.settimeout(wait)
    while time.monotonic() < deadline:
        try:
            data = conn.recv(65536)
        except OSError:
            return
        if not data:
            return
        reader.buf += data
        for opcode, _ in reader.frames():
            if opcode == 8:
                return
