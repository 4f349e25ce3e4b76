"""Collections: list pages with limit/continue, label and field selectors, the
`<Kind>List` envelope, and the Table form kubectl asks for when printing.

Continue tokens are opaque to clients: base64 of JSON naming the resource,
the last key served and the page number. Unlike the real server, the next page
is read from the current state, not from a snapshot at the first page's
resourceVersion (objects created between pages after the last key show up).
Tokens never expire on their own; the expire_continue fault makes them.
Thread-safe (reads the store under its lock).
"""

import base64
import datetime
import json

from . import errors, selectors


def present(rt, obj, version, in_list=False):
    """The object as served at `version`: apiVersion rewritten (no conversion
    beyond that); list items of built-in types carry no apiVersion/kind."""
    out = dict(obj)
    if in_list and not rt.custom:
        out.pop("apiVersion", None)
        out.pop("kind", None)
    else:
        out["apiVersion"] = rt.api_version(version)
    return out


def encode_continue(rt, last_key, page, rv):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "r": "%s/%s" % rt.key,
                      "start": list(last_key), "page": page}).encode()
    return base64.b64encode(raw).decode()


def decode_continue(rt, token):
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=True))
        if data.get("r") != "%s/%s" % rt.key:
            raise ValueError("token is for another resource")
        return tuple(data["start"]), int(data["page"])
    except (ValueError, KeyError, TypeError) as e:
        raise errors.bad_request("continue key is not valid: %s" % e)


def list_page(store, faults, rt, ns, query):
    """Returns (items, metadata) of one page of rt in ns (None: all namespaces).
    query: dict of single query values."""
    label_reqs = selectors.parse_labels(query.get("labelSelector", ""))
    field_reqs = selectors.parse_fields(query.get("fieldSelector", ""), rt.kind)
    try:
        limit = int(query.get("limit") or 0)
    except ValueError:
        raise errors.bad_request("limit must be an integer")
    after, page = None, 1
    if query.get("continue"):
        after, prev_page = decode_continue(rt, query["continue"])
        page = prev_page + 1
        if faults.expire_continue(rt, page):
            raise errors.expired()
    objs, rv = store.sorted_items(rt, ns, after)
    matched = []
    remaining = 0
    last_key = None
    for obj in objs:
        if label_reqs and not selectors.match_labels(label_reqs, obj["metadata"].get("labels")):
            continue
        if field_reqs and not selectors.match_fields(field_reqs, obj):
            continue
        if limit and len(matched) >= limit:
            remaining += 1
            continue
        matched.append(obj)
        md = obj["metadata"]
        last_key = (md.get("namespace", ""), md["name"])
    meta = {"resourceVersion": str(rv)}
    if remaining:
        meta["continue"] = encode_continue(rt, last_key, page, rv)
        if not label_reqs and not field_reqs:
            meta["remainingItemCount"] = remaining
    return matched, meta


def list_body(rt, version, items, meta):
    return {"kind": rt.list_kind, "apiVersion": rt.api_version(version), "metadata": meta,
            "items": [present(rt, o, version, in_list=True) for o in items]}


def wants_table(accept):
    """The Table version asked for ('v1' or 'v1beta1') or None."""
    for part in (accept or "").split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return params.get("v", "v1")
    return None


def _age(ts):
    try:
        then = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    secs = int((datetime.datetime.now(datetime.timezone.utc) - then).total_seconds())
    if secs < 120:
        return "%ds" % max(secs, 0)
    if secs < 7200:
        return "%dm" % (secs // 60)
    if secs < 172800:
        return "%dh" % (secs // 3600)
    return "%dd" % (secs // 86400)


def table(rt, version, table_version, items, meta, include_object):
    """A meta.k8s.io Table with Name, (Status for namespaces) and Age columns."""
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    if rt.kind == "Namespace":
        cols.append({"name": "Status", "type": "string", "format": "", "priority": 0,
                     "description": "The status of the namespace"})
    cols.append({"name": "Age", "type": "string", "format": "", "priority": 0,
                 "description": "CreationTimestamp"})
    rows = []
    for obj in items:
        md = obj["metadata"]
        cells = [md["name"]]
        if rt.kind == "Namespace":
            cells.append((obj.get("status") or {}).get("phase", ""))
        cells.append(_age(md.get("creationTimestamp")))
        if include_object == "None":
            row_obj = None
        elif include_object == "Object":
            row_obj = present(rt, obj, version)
        else:
            row_obj = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": md}
        row = {"cells": cells}
        if row_obj is not None:
            row["object"] = row_obj
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/" + table_version,
            "metadata": meta, "columnDefinitions": cols, "rows": rows}
