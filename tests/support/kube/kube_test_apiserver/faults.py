"""Injected faults and request statistics, for tests of clients' error handling.

The fault set (replaced whole by POST /_test/faults, read by GET):
  forbid:          ["configmaps", "widgets.example.com", {"resource": "secrets",
                    "verbs": ["list"]}]  -> 403 on get/list/watch (default verbs)
  expire_continue: [{"resource": "secrets", "after_pages": 1, "times": 1}]
                   -> the request for page after_pages+1 answers 410 Expired
  fail_next:       [{"path_prefix": "/api/v1/configmaps", "method": "GET",
                    "status": 429, "count": 2, "retry_after": "1"}]
                   -> the next `count` matching requests get that Status
Counters (`times`, `count`) go down as faults fire; GET shows what is left.
Thread-safe: one lock of its own.
"""

import threading

from . import errors
from .errors import FAULT_REASONS, qualified

_DEFAULT_VERBS = ("get", "list", "watch")


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._set = {"forbid": [], "expire_continue": [], "fail_next": []}
        self._stats = {"total": 0, "by_method": {}, "by_path": {}, "by_resource": {}}

    def replace(self, spec):
        if not isinstance(spec, dict):
            raise errors.bad_request("faults must be a JSON object")
        unknown = set(spec) - {"forbid", "expire_continue", "fail_next"}
        if unknown:
            raise errors.bad_request("unknown fault kinds: %s (known: forbid, expire_continue, "
                                     "fail_next)" % ", ".join(sorted(unknown)))
        new = {"forbid": [], "expire_continue": [], "fail_next": []}
        for f in spec.get("forbid") or []:
            if isinstance(f, str):
                f = {"resource": f}
            if not isinstance(f, dict) or not isinstance(f.get("resource"), str):
                raise errors.bad_request("forbid entries are RESOURCE[.GROUP] strings or "
                                         "{\"resource\": ..., \"verbs\": [...]}")
            new["forbid"].append({"resource": f["resource"],
                                  "verbs": list(f.get("verbs") or _DEFAULT_VERBS)})
        for f in spec.get("expire_continue") or []:
            if not isinstance(f, dict) or not isinstance(f.get("resource"), str):
                raise errors.bad_request("expire_continue entries need a resource")
            new["expire_continue"].append({"resource": f["resource"],
                                           "after_pages": int(f.get("after_pages", 1)),
                                           "times": int(f.get("times", 1))})
        for f in spec.get("fail_next") or []:
            if not isinstance(f, dict) or int(f.get("status", 0)) not in FAULT_REASONS:
                raise errors.bad_request("fail_next entries need a status among %s"
                                         % sorted(FAULT_REASONS))
            new["fail_next"].append({"path_prefix": f.get("path_prefix", "/"),
                                     "method": (f.get("method") or "").upper(),
                                     "status": int(f["status"]), "count": int(f.get("count", 1)),
                                     "retry_after": str(f.get("retry_after", "1"))})
        with self._lock:
            self._set = new

    def snapshot(self):
        with self._lock:
            return {k: [dict(e) for e in v] for k, v in self._set.items()}

    @staticmethod
    def _matches(entry, rt):
        r = entry["resource"]
        return r == qualified(rt) or (not rt.group and r == rt.plural)

    def check_forbidden(self, rt, verb, user, ns=None, name=None):
        with self._lock:
            hit = any(self._matches(f, rt) and verb in f["verbs"] for f in self._set["forbid"])
        if hit:
            raise errors.forbidden(rt, user, verb, ns, name)

    def expire_continue(self, rt, page):
        """True (and one `times` used) when the request for this page must be 410."""
        with self._lock:
            for f in self._set["expire_continue"]:
                if self._matches(f, rt) and page == f["after_pages"] + 1 and f["times"] > 0:
                    f["times"] -= 1
                    return True
        return False

    def check_fail_next(self, method, path):
        with self._lock:
            for f in self._set["fail_next"]:
                if f["count"] > 0 and path.startswith(f["path_prefix"]) and \
                        (not f["method"] or f["method"] == method):
                    f["count"] -= 1
                    code = f["status"]
                    reason, message = FAULT_REASONS[code]
                    headers = {"Retry-After": f["retry_after"]} if code in (429, 503) else {}
                    details = {"retryAfterSeconds": int(f["retry_after"])} \
                        if code in (429, 503) and f["retry_after"].isdigit() else None
                    raise errors.ApiError(code, reason, message, details, headers)

    # ---- statistics ----------------------------------------------------------------
    def count(self, method, path):
        """Every request, before faults and auth: retries count."""
        with self._lock:
            s = self._stats
            s["total"] += 1
            s["by_method"][method] = s["by_method"].get(method, 0) + 1
            k = "%s %s" % (method, path)
            s["by_path"][k] = s["by_path"].get(k, 0) + 1

    def count_resource(self, rt, verb):
        """verb: get, list, continue (a list page after the first), watch, create,
        update, patch, delete, deletecollection, or a subresource name."""
        with self._lock:
            r = self._stats["by_resource"].setdefault(qualified(rt), {})
            r[verb] = r.get(verb, 0) + 1

    def stats(self):
        with self._lock:
            s = self._stats
            return {"total": s["total"], "by_method": dict(s["by_method"]),
                    "by_path": dict(s["by_path"]),
                    "by_resource": {k: dict(v) for k, v in s["by_resource"].items()}}

    def reset_stats(self):
        with self._lock:
            self._stats = {"total": 0, "by_method": {}, "by_path": {}, "by_resource": {}}
