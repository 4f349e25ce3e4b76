"""Command line and lifecycle: parse flags, set up PKI, load objects, serve,
write the ready file, and on SIGTERM/SIGINT stop cleanly and write --dump.
Runs on the main thread; the server serves on its own threads.
"""

import argparse
import json
import os
import signal
import sys
import threading

from . import auth, exec_ws, faults, loader, pki, registry, server, store


def parse_args(argv):
    p = argparse.ArgumentParser(prog="kube-test-apiserver",
                                description="Cairn's Kubernetes test API server (tests only).")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (PORT 0 = ephemeral)")
    p.add_argument("--load", action="append", default=[], metavar="DIR",
                   help="load *.yaml/*.yml/*.json objects under DIR (repeatable)")
    p.add_argument("--pki-dir", help="create/reuse a test CA, certificates, token and kubeconfig here")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--client-ca")
    p.add_argument("--token", action="append", default=[], help="an accepted bearer token (repeatable)")
    p.add_argument("--ready-file", help='written once listening: {"port","url","pid"}')
    p.add_argument("--dump", metavar="FILE", help="on SIGTERM/SIGINT write every object here as a JSON List")
    p.add_argument("--allow-exec", action="store_true",
                   help="serve pods/exec by running the command as a local subprocess")
    p.add_argument("--exec-timeout", type=int, default=60, help="seconds an exec may run (default 60)")
    p.add_argument("--forbid", action="append", default=[], metavar="RESOURCE[.GROUP]",
                   help="answer 403 to get/list/watch of this resource (repeatable)")
    p.add_argument("--no-default-namespaces", action="store_true",
                   help="do not create default, kube-system, kube-public, kube-node-lease")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    a = p.parse_args(argv)
    if not a.pki_dir and not (a.tls_cert and a.tls_key):
        p.error("give --pki-dir DIR, or --tls-cert and --tls-key")
    host, _, port = a.listen.rpartition(":")
    if not host or not port.isdigit():
        p.error("--listen wants HOST:PORT, got %r" % a.listen)
    a.host, a.port = host, int(port)
    return a


def _write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    cert, key, client_ca, tokens = a.tls_cert, a.tls_key, a.client_ca, list(a.token)
    if a.pki_dir:
        try:
            pki.ensure_pki(a.pki_dir)
        except (OSError, RuntimeError) as e:
            sys.exit("kube-test-apiserver: --pki-dir %s: %s" % (a.pki_dir, e))
        cert = cert or os.path.join(a.pki_dir, "server.crt")
        key = key or os.path.join(a.pki_dir, "server.key")
        client_ca = client_ca or os.path.join(a.pki_dir, "ca.crt")
        tokens.append(pki.read_token(a.pki_dir))
    reg = registry.Registry()
    st = store.Store(reg)
    auto = () if a.no_default_namespaces else store.DEFAULT_NAMESPACES
    for ns in auto:
        st.create(reg.get("", "namespaces"), None, {"metadata": {"name": ns}}, loading=True)
    total = 0
    for d in a.load:
        try:
            total += loader.load(d, reg, st, auto)
        except (loader.LoadError, OSError) as e:
            sys.exit("kube-test-apiserver: --load: %s" % e)
    flt = faults.Faults()
    if a.forbid:
        flt.replace({"forbid": a.forbid})
    ctx = server.Context(reg, st, flt, auth.Authenticator(tokens), exec_ws.ExecRecorder(),
                         a.allow_exec, a.exec_timeout, a.quiet)
    try:
        srv = server.make_server(a.host, a.port, ctx, cert, key, client_ca)
    except OSError as e:
        sys.exit("kube-test-apiserver: cannot listen on %s: %s" % (a.listen, e))
    port = srv.server_address[1]
    url = "https://%s:%d" % (a.host, port)
    if a.pki_dir:
        pki.write_kubeconfig(a.pki_dir, url)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = server.serve_in_thread(srv)
    if a.ready_file:
        _write_atomic(a.ready_file, json.dumps({"port": port, "url": url, "pid": os.getpid()}) + "\n")
    sys.stderr.write("kube-test-apiserver: serving %s (%d objects loaded, %d total)\n"
                     % (url, total, st.count()))
    sys.stderr.flush()
    while not stop.wait(0.5):
        pass
    with st.cond:
        st.stopping = True
        st.cond.notify_all()
    srv.shutdown()
    thread.join(5)
    if a.dump:
        _write_atomic(a.dump, json.dumps(st.dump(), indent=1, sort_keys=True) + "\n")
    srv.server_close()
    return 0


