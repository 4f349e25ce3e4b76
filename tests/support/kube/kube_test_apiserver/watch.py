"""Watch streams (?watch=true or /watch/ paths): chunked JSON lines of
{"type": ADDED|MODIFIED|DELETED|ERROR, "object": ...} from the store's ring of
recent changes.

Without a resourceVersion (or "0") the stream starts with ADDED for every
current object, as the real server does; with one, it replays later changes
and answers ERROR 410 "too old resource version" when the ring no longer
holds them. The stream ends after timeoutSeconds (default 1800, capped), when
the client goes away, or when the server stops. Runs on the request's thread.
"""

import json
import time

from . import errors, selectors
from .lists import present

MAX_TIMEOUT = 1800


def _chunk(wfile, obj):
    data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    wfile.flush()


def serve(handler, store, rt, ns, name, query, version):
    label_reqs = selectors.parse_labels(query.get("labelSelector", ""))
    field_reqs = selectors.parse_fields(query.get("fieldSelector", ""), rt.kind)
    if name:
        field_reqs.append(("metadata.name", "=", name))
    try:
        timeout = min(int(query.get("timeoutSeconds") or MAX_TIMEOUT), MAX_TIMEOUT)
    except ValueError:
        raise errors.bad_request("timeoutSeconds must be an integer")
    start = query.get("resourceVersion") or "0"
    if not start.isdigit():
        raise errors.bad_request("resourceVersion must be a number")

    def wanted(obj):
        md = obj["metadata"]
        if ns is not None and md.get("namespace", "") != ns:
            return False
        if label_reqs and not selectors.match_labels(label_reqs, md.get("labels")):
            return False
        return not field_reqs or selectors.match_fields(field_reqs, obj)

    pending = []
    with store.lock:
        cursor = store.rv
        if start == "0":
            objs, _ = store.sorted_items(rt, ns)
            pending = [("ADDED", o) for o in objs if wanted(o)]
        else:
            cursor = int(start)
            oldest = store.events[0][0] if store.events else store.rv + 1
            if len(store.events) == store.events.maxlen and cursor < oldest - 1:
                pending = [("ERROR", errors.ApiError(
                    410, "Expired", "too old resource version: %d (%d)" % (cursor, oldest - 1)).status())]
    handler.send_response_only(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()
    deadline = time.monotonic() + timeout
    try:
        while True:
            for etype, obj in pending:
                if etype == "ERROR":
                    _chunk(handler.wfile, {"type": "ERROR", "object": obj})
                    deadline = 0
                else:
                    _chunk(handler.wfile, {"type": etype, "object": present(rt, obj, version)})
            pending = []
            with store.cond:
                while not pending:
                    left = deadline - time.monotonic()
                    if left <= 0 or store.stopping:
                        break
                    for rv, key, etype, obj in reversed(store.events):
                        if rv <= cursor:
                            break
                        if key == rt.key and wanted(obj):
                            pending.append((etype, obj))
                    if store.events:
                        cursor = max(cursor, store.events[-1][0])
                    if not pending:
                        store.cond.wait(min(left, 1.0))
                pending.reverse()
            if not pending:
                break
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        handler.close_connection = True
