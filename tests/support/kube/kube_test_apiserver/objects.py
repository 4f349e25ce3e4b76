"""One request on a resource path: verbs on collections (list, watch, create,
deletecollection), on objects (get, update, patch, delete) and on
subresources (status, scale, log, exec), with dryRun, Table output and the
forbid faults. Lives for one request, on that request's thread.
"""

import copy

from . import errors, exec_ws, lists, selectors, watch
from .lists import present
from .patch import json_patch, merge_patch, strategic_merge


class ResourceRequest:
    def __init__(self, handler, rt, version, ns, name, sub, query, query_all):
        self.h = handler
        self.ctx = handler.ctx
        self.rt, self.version, self.ns, self.name, self.sub = rt, version, ns, name, sub
        self.query, self.query_all = query, query_all
        self.dry_run = "All" in query_all.get("dryRun", [])

    def _allow(self, verb):
        if verb not in self.rt.verbs:
            raise errors.method_not_allowed(verb)
        self.ctx.faults.check_forbidden(self.rt, verb, self.h.user, self.ns, self.name)

    def _out(self, obj):
        return present(self.rt, obj, self.version)

    def _send_obj(self, code, obj):
        tv = lists.wants_table(self.h.headers.get("Accept"))
        if tv and self.sub is None:
            return self.h.send_json(code, lists.table(self.rt, self.version, tv, [obj],
                                                      {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                                      self.query.get("includeObject")))
        self.h.send_json(code, self._out(obj))

    def _body_object(self):
        obj = self.h._json_body()
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        want = self.rt.api_version(self.version)
        if obj.get("apiVersion") and obj["apiVersion"] != want:
            other = self.ctx.registry.by_api_version_kind(obj["apiVersion"], obj.get("kind", ""))
            if other is not self.rt:
                raise errors.bad_request("the API version in the data (%s) does not match the expected "
                                         "API version (%s)" % (obj["apiVersion"], want))
        if obj.get("kind") and obj["kind"] != self.rt.kind:
            raise errors.bad_request("the kind in the data (%s) does not match the expected kind (%s)"
                                     % (obj["kind"], self.rt.kind))
        return obj

    def run(self, method):
        faults = self.ctx.faults
        if self.name is None:
            if method == "GET" and self.query.get("watch") in ("true", "1"):
                self._allow("watch")
                faults.count_resource(self.rt, "watch")
                return watch.serve(self.h, self.ctx.store, self.rt, self.ns, None, self.query, self.version)
            if method == "GET":
                self._allow("list")
                faults.count_resource(self.rt, "continue" if self.query.get("continue") else "list")
                return self._list()
            if method == "POST":
                self._allow("create")
                faults.count_resource(self.rt, "create")
                return self._create()
            if method == "DELETE":
                self._allow("deletecollection")
                faults.count_resource(self.rt, "deletecollection")
                return self._delete_collection()
            raise errors.method_not_allowed(method)
        if self.sub is not None:
            faults.count_resource(self.rt, self.sub)
            return self._subresource(method)
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None:
            raise errors.method_not_allowed(method)
        if verb == "get" and self.query.get("watch") in ("true", "1"):
            self._allow("watch")
            return watch.serve(self.h, self.ctx.store, self.rt, self.ns, self.name, self.query, self.version)
        self._allow(verb)
        faults.count_resource(self.rt, verb)
        return getattr(self, "_" + verb)()

    # ---- collections ------------------------------------------------------------
    def _list(self):
        items, meta = lists.list_page(self.ctx.store, self.ctx.faults, self.rt, self.ns, self.query)
        tv = lists.wants_table(self.h.headers.get("Accept"))
        if tv:
            return self.h.send_json(200, lists.table(self.rt, self.version, tv, items, meta,
                                                     self.query.get("includeObject")))
        self.h.send_json(200, lists.list_body(self.rt, self.version, items, meta))

    def _create(self):
        if self.rt.key == ("authorization.k8s.io", "selfsubjectaccessreviews"):
            return self._access_review()
        if self.rt.namespaced and not self.ctx.store.namespace_exists(self.ns):
            raise errors.namespace_not_found(self.ns)
        obj = self._body_object()
        created = self.ctx.store.create(self.rt, self.ns, obj, self.dry_run)
        self.h.send_json(201, self._out(created))

    def _access_review(self):
        review = self._body_object()
        attrs = (review.get("spec") or {}).get("resourceAttributes") or {}
        allowed, reason = True, "cairn test server allows everything not forbidden by a fault"
        rt = self.ctx.registry.get(attrs.get("group", ""), attrs.get("resource", ""))
        if rt is not None:
            try:
                self.ctx.faults.check_forbidden(rt, attrs.get("verb", ""), self.h.user)
            except errors.ApiError as e:
                allowed, reason = False, e.message
        review["status"] = {"allowed": allowed, "reason": reason}
        review.setdefault("metadata", {})["creationTimestamp"] = None
        review["apiVersion"] = self.rt.api_version(self.version)
        review["kind"] = self.rt.kind
        self.h.send_json(201, review)

    def _delete_collection(self):
        label_reqs = selectors.parse_labels(self.query.get("labelSelector", ""))
        field_reqs = selectors.parse_fields(self.query.get("fieldSelector", ""), self.rt.kind)
        store = self.ctx.store
        deleted = []
        with store.lock:
            objs, _ = store.sorted_items(self.rt, self.ns)
            for obj in objs:
                md = obj["metadata"]
                if selectors.match_labels(label_reqs, md.get("labels")) and \
                        selectors.match_fields(field_reqs, obj):
                    deleted.append(store.delete(self.rt, md.get("namespace", ""), md["name"],
                                                self.dry_run))
            rv = store.rv
        self.h.send_json(200, lists.list_body(self.rt, self.version, deleted,
                                              {"resourceVersion": str(rv)}))

    # ---- objects ----------------------------------------------------------------
    def _get(self):
        self._send_obj(200, self.ctx.store.get(self.rt, self.ns, self.name))

    def _update(self, subresource=None):
        obj = self._body_object()
        updated = self.ctx.store.update(self.rt, self.ns, self.name, obj, self.dry_run, subresource)
        self.h.send_json(200, self._out(updated))

    def _patch_fn(self):
        ctype = self.h.headers.get("Content-Type", "").split(";")[0].strip()
        body = self.h._json_body()
        if ctype == "application/json-patch+json":
            return lambda old: json_patch(old, body), False
        if ctype == "application/merge-patch+json":
            return lambda old: merge_patch(old, body), False
        if ctype == "application/strategic-merge-patch+json" and not self.rt.custom:
            return lambda old: strategic_merge(old, body), False
        if ctype == "application/apply-patch+yaml":
            if not self.query.get("fieldManager"):
                raise errors.invalid(self.rt.kind, self.name, "fieldManager", "FieldValueRequired",
                                     "Required value: is required for apply patch", self.rt.group)
            if not isinstance(body, dict):
                raise errors.bad_request("an apply patch must be an object")
            return lambda old: merge_patch(old, body), True
        accepted = ["application/json-patch+json", "application/merge-patch+json",
                    "application/apply-patch+yaml"]
        if not self.rt.custom:
            accepted.insert(2, "application/strategic-merge-patch+json")
        raise errors.ApiError(415, "UnsupportedMediaType",
                              "the body of the request was in an unknown format - accepted media "
                              "types include: " + ", ".join(accepted))

    def _patch(self, subresource=None):
        fn, is_apply = self._patch_fn()
        store = self.ctx.store
        with store.lock:
            try:
                store.get(self.rt, self.ns, self.name)
            except errors.ApiError:
                if not is_apply or subresource:
                    raise
                # Server-side apply of a missing object creates it.
                obj = fn({})
                obj.setdefault("metadata", {})["name"] = self.name
                created = store.create(self.rt, self.ns, obj, self.dry_run)
                return self.h.send_json(201, self._out(created))
            patched = store.patch(self.rt, self.ns, self.name, fn, self.dry_run, subresource)
        self.h.send_json(200, self._out(patched))

    def _delete(self):
        body = {}
        if self.h.body:
            body = self.h._json_body() or {}
        orphan = (body.get("propagationPolicy") == "Orphan" or body.get("orphanDependents") is True
                  or self.query.get("propagationPolicy") == "Orphan")
        if "All" in (body.get("dryRun") or []):
            self.dry_run = True
        gone = self.ctx.store.delete(self.rt, self.ns, self.name, self.dry_run, orphan)
        self.h.send_json(200, self._out(gone))

    # ---- subresources -------------------------------------------------------------
    def _subresource(self, method):
        sub = self.sub
        if sub == "exec":
            if method not in ("GET", "POST"):
                raise errors.method_not_allowed(method)
            self.ctx.faults.check_forbidden(self.rt, "create", self.h.user, self.ns, self.name)
            return exec_ws.serve(self.h, self.ctx, self.ns, self.name, self.query_all)
        if sub == "log" and method == "GET":
            self.ctx.store.get(self.rt, self.ns, self.name)
            return self.h.send_bytes(200, b"", "text/plain")
        if sub in ("status", "scale"):
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch"}.get(method)
            if verb is None:
                raise errors.method_not_allowed(method)
            self.ctx.faults.check_forbidden(self.rt, verb, self.h.user, self.ns, self.name)
            if sub == "scale":
                return self._scale(verb)
            if verb == "get":
                return self._get()
            return getattr(self, "_" + verb)(subresource="status")
        raise errors.method_not_allowed(method)

    def _scale_of(self, obj):
        md = obj["metadata"]
        sel = ((obj.get("spec") or {}).get("selector") or {})
        if isinstance(sel, dict):
            sel = ",".join("%s=%s" % kv for kv in sorted((sel.get("matchLabels") or sel).items())
                           if isinstance(kv[1], str))
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                "creationTimestamp") if k in md},
                "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": sel}}

    def _scale(self, verb):
        store = self.ctx.store
        if verb == "get":
            return self.h.send_json(200, self._scale_of(store.get(self.rt, self.ns, self.name)))
        if verb == "update":
            scale = self.h._json_body()
            fn = lambda old: scale  # noqa: E731
        else:
            fn, _ = self._patch_fn()

        def apply(old):
            new_scale = fn(self._scale_of(old))
            replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise errors.invalid("Scale", self.name, "spec.replicas", "FieldValueInvalid",
                                     "Invalid value: must be a non-negative integer", "autoscaling")
            new = copy.deepcopy(old)
            new.setdefault("spec", {})["replicas"] = replicas
            return new

        updated = store.patch(self.rt, self.ns, self.name, apply, self.dry_run)
        self.h.send_json(200, self._scale_of(updated))
