"""The HTTPS server: a ThreadingHTTPServer whose connections are wrapped in
TLS on their own thread (a slow handshake never blocks accept), with
TCP_NODELAY, optional client certificates verified against the client CA,
and the shared Context the handler reads.
"""

import socket
import ssl
import threading
from http.server import ThreadingHTTPServer

from .handler import Handler


class Context:
    """Everything a request may touch; each member is thread-safe."""

    def __init__(self, registry, store, faults, auth, execs, allow_exec=False, exec_timeout=60,
                 quiet=False):
        self.registry = registry
        self.store = store
        self.faults = faults
        self.auth = auth
        self.execs = execs
        self.allow_exec = allow_exec
        self.exec_timeout = exec_timeout
        self.quiet = quiet
        self.address = ""


class TlsThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler_cls, ssl_context):
        self.ssl_context = ssl_context
        super().__init__(address, handler_cls)

    def process_request_thread(self, request, client_address):
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request.settimeout(30)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (OSError, ssl.SSLError):
            self.shutdown_request(request)
            return
        super().process_request_thread(tls, client_address)


class _TlsHandler(Handler):
    def setup(self):
        super().setup()
        try:
            self.peer_cert = self.connection.getpeercert()
        except (ValueError, ssl.SSLError):
            self.peer_cert = None


def make_server(host, port, ctx, cert, key, client_ca):
    sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sslctx.load_cert_chain(cert, key)
    if client_ca:
        sslctx.load_verify_locations(client_ca)
        sslctx.verify_mode = ssl.CERT_OPTIONAL
    sslctx.set_alpn_protocols(["http/1.1"])
    handler_cls = type("BoundHandler", (_TlsHandler,), {"ctx": ctx})
    srv = TlsThreadingServer((host, port), handler_cls, sslctx)
    ctx.address = "%s:%d" % srv.server_address[:2]
    return srv


def serve_in_thread(srv):
    t = threading.Thread(target=srv.serve_forever, name="kube-test-apiserver", daemon=True)
    t.start()
    return t
