"""The HTTP request handler: reads a bounded request, authenticates it, applies
injected faults, routes it to discovery, objects, lists, watch, exec or the
/_test endpoints, and writes one response (headers and body in a single
write, so keep-alive clients see no Nagle/delayed-ACK stalls).

One handler instance per connection (ThreadingHTTPServer); shared state lives
in the Context (store, registry, faults, recorder), each thread-safe.
"""

import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import yaml

from . import discovery, errors
from .objects import ResourceRequest

MAX_BODY = 16 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-test-apiserver"
    ctx = None  # set by server.make_server

    # ---- plumbing ---------------------------------------------------------------
    def log_message(self, fmt, *args):
        if not self.ctx.quiet:
            sys.stderr.write("kube-test-apiserver: %s %s\n" % (self.address_string(), fmt % args))

    def send_bytes(self, code, body, content_type="application/json", headers=None):
        lines = ["HTTP/1.1 %d %s" % (code, self.responses.get(code, ("",))[0]),
                 "Content-Type: " + content_type, "Content-Length: %d" % len(body),
                 "Cache-Control: no-cache, private"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.wfile.write(head if self.command == "HEAD" else head + body)
        self.wfile.flush()
        self.log_request(code, len(body))

    def send_json(self, code, obj, headers=None):
        self.send_bytes(code, json.dumps(obj, separators=(",", ":")).encode(), headers=headers)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline(64).strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline(64)
                    return bytes(body)
                if len(body) + size > MAX_BODY:
                    self.close_connection = True
                    raise self._too_large()
                body += self.rfile.read(size)
                self.rfile.readline(64)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise self._too_large()
        return self.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _too_large():
        return errors.ApiError(413, "RequestEntityTooLarge",
                               "Request entity too large: limit is %d bytes" % MAX_BODY)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_OPTIONS(self):
        self._dispatch("OPTIONS")

    def _dispatch(self, method):
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query_all = parse_qs(url.query, keep_blank_values=True)
        query = {k: v[0] for k, v in query_all.items()}
        self.ctx.faults.count(method, path)
        try:
            self.body = self._read_body()
            self.user = self.ctx.auth.user(self)
            if not path.startswith("/_test/"):
                self.ctx.faults.check_fail_next(method, path)
            self._route(method, path, query, query_all)
        except errors.ApiError as e:
            self.send_json(e.code, e.status(), e.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug here must not kill the connection thread silently
            traceback.print_exc()
            self.send_json(500, errors.ApiError(500, "InternalError",
                                                "Internal error occurred: %s" % e).status())

    def _json_body(self):
        ctype = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype.startswith("application/vnd.kubernetes.protobuf") or ctype == "application/cbor":
            # kubectl >= 1.30's typed commands (`kubectl create configmap ...`) send
            # protobuf; decoding it needs every type's schema, which this server lacks.
            raise errors.ApiError(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted media "
                                  "types include: application/json, application/yaml "
                                  "(kube-test-apiserver does not decode %s)" % ctype)
        try:
            if ctype in ("application/yaml", "application/apply-patch+yaml"):
                return yaml.safe_load(self.body.decode())
            return json.loads(self.body.decode() or "null")
        except (ValueError, yaml.YAMLError) as e:
            raise errors.bad_request("the body of the request could not be decoded: %s" % e)

    # ---- routing ----------------------------------------------------------------
    def _route(self, method, path, query, query_all):
        ctx = self.ctx
        if path.startswith("/_test/"):
            return self._test_endpoint(method, path)
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        if method not in ("GET", "HEAD") and not (path.startswith("/api/") or path.startswith("/apis/")):
            raise errors.method_not_allowed(method)
        if path == "/version":
            return self.send_json(200, discovery.version())
        if path == "/api":
            return self.send_json(200, discovery.api_versions(ctx.address))
        if path == "/apis":
            return self.send_json(200, discovery.api_group_list(ctx.registry))
        parts = path.split("/")[1:]
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) == 2:
            doc = discovery.api_group_doc(ctx.registry, parts[1])
            if doc is None:
                raise errors.path_not_found()
            return self.send_json(200, doc)
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise errors.path_not_found()
        if not rest:
            doc = discovery.resource_list(ctx.registry, group, version)
            if doc is None:
                raise errors.path_not_found()
            return self.send_json(200, doc)
        return self._resource(method, group, version, rest, query, query_all)

    def _test_endpoint(self, method, path):
        ctx = self.ctx
        if path == "/_test/dump" and method == "GET":
            return self.send_json(200, ctx.store.dump())
        if path == "/_test/faults" and method == "GET":
            return self.send_json(200, ctx.faults.snapshot())
        if path == "/_test/faults" and method in ("POST", "PUT"):
            ctx.faults.replace(self._json_body())
            return self.send_json(200, ctx.faults.snapshot())
        if path == "/_test/stats" and method == "GET":
            return self.send_json(200, ctx.faults.stats())
        if path == "/_test/stats" and method == "DELETE":
            ctx.faults.reset_stats()
            return self.send_json(200, ctx.faults.stats())
        if path == "/_test/execs" and method == "GET":
            return self.send_json(200, ctx.execs.all())
        raise errors.path_not_found()

    def _resource(self, method, group, version, segs, query, query_all):
        reg = self.ctx.registry
        if segs[0] == "watch":
            segs = segs[1:]
            query = dict(query, watch="true")
        ns = None
        if len(segs) >= 3 and segs[0] == "namespaces":
            inner = reg.by_gv_plural(group, version, segs[2])
            if inner is not None and inner.namespaced:
                ns, segs = segs[1], segs[2:]
        if not segs or len(segs) > 3:
            raise errors.path_not_found()
        rt = reg.by_gv_plural(group, version, segs[0])
        if rt is None:
            raise errors.path_not_found()
        name = segs[1] if len(segs) > 1 else None
        sub = segs[2] if len(segs) > 2 else None
        if (rt.namespaced and name is not None and ns is None) or (not rt.namespaced and ns is not None):
            raise errors.path_not_found()
        if sub is not None and sub not in rt.subresources:
            raise errors.path_not_found()
        ResourceRequest(self, rt, version, ns, name, sub, query, query_all).run(method)
