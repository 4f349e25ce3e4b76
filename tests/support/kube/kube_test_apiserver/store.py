"""The object store: every object of every type, in memory, behind one lock.

Objects are stored as JSON-like dicts and never mutated once stored (an update
stores a new dict), so a reader may use an object it fetched after releasing
the lock. The store sets the server-owned metadata (uid, resourceVersion from
one global counter, creationTimestamp, generation), keeps a ring of recent
changes for watches, and does synchronously what the real control plane does
asynchronously: namespace deletion empties the namespace at once, the garbage
collector deletes dependents (ownerReferences) at once, CRD deletion removes
its custom resources at once.

Thread-safety: every public method takes `lock`; `cond` (on the same lock) is
notified on each change for watchers.
"""

import collections
import copy
import datetime
import random
import re
import threading
import uuid

from . import errors
from .registry import CRD_KEY

NS_KEY = ("", "namespaces")
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_GEN_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def sort_key(obj):
    """Canonical order: API group, kind, namespace, name (dump and normaliser)."""
    group = obj.get("apiVersion", "").rpartition("/")[0]
    md = obj.get("metadata", {})
    return (group, obj.get("kind", ""), md.get("namespace", ""), md.get("name", ""))


class Store:
    def __init__(self, registry, watch_history=20000):
        self.registry = registry
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 0
        self._objects = {}      # (group, plural) -> {(namespace, name): obj}
        self._by_uid = {}       # uid -> ((group, plural), (namespace, name))
        self._dependents = {}   # owner uid -> set of dependent uids
        self.events = collections.deque(maxlen=watch_history)  # (rv, type key, type, obj)
        self._next_ip = 1
        self.stopping = False

    # ---- reads -----------------------------------------------------------------
    def namespace_exists(self, ns):
        with self.lock:
            return ("", ns) in self._by_key(NS_KEY)

    def _by_key(self, key):
        return self._objects.setdefault(key, {})

    def get(self, rt, ns, name):
        with self.lock:
            obj = self._by_key(rt.key).get((ns or "", name))
        if obj is None:
            raise errors.not_found(rt, name)
        return obj

    def sorted_items(self, rt, ns=None, after=None):
        """Objects of rt (in ns, or all namespaces if None) in (namespace, name)
        order, strictly after the key `after`, and the current resourceVersion."""
        with self.lock:
            d = self._by_key(rt.key)
            keys = sorted(d)
            if ns is not None:
                keys = [k for k in keys if k[0] == ns]
            if after is not None:
                keys = [k for k in keys if k > after]
            return [d[k] for k in keys], self.rv

    def count(self):
        with self.lock:
            return sum(len(d) for d in self._objects.values())

    def dump(self):
        with self.lock:
            items = [o for d in self._objects.values() for o in d.values()]
            rv = self.rv
        return {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": str(rv)},
                "items": sorted(items, key=sort_key)}

    # ---- writes ----------------------------------------------------------------
    def _next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _emit(self, key, event_type, obj):
        self.events.append((int(obj["metadata"]["resourceVersion"]), key, event_type, obj))
        self.cond.notify_all()

    def _index(self, key, obj):
        md = obj["metadata"]
        self._by_uid[md["uid"]] = (key, (md.get("namespace", ""), md["name"]))
        for ref in md.get("ownerReferences") or []:
            if isinstance(ref, dict) and ref.get("uid"):
                self._dependents.setdefault(ref["uid"], set()).add(md["uid"])

    def _unindex(self, obj):
        md = obj["metadata"]
        self._by_uid.pop(md["uid"], None)
        for ref in md.get("ownerReferences") or []:
            if isinstance(ref, dict) and ref.get("uid") in self._dependents:
                self._dependents[ref["uid"]].discard(md["uid"])

    def _check_scope(self, rt, ns, md):
        if rt.namespaced:
            body_ns = md.get("namespace")
            if body_ns and body_ns != ns:
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            md["namespace"] = ns
            if not self.namespace_exists(ns):
                raise errors.namespace_not_found(ns)
        else:
            md.pop("namespace", None)

    def _check_name(self, rt, name):
        if rt.key == NS_KEY:
            ok = len(name) <= 63 and _NS_NAME.match(name)
            why = "a lowercase RFC 1123 label must consist of lower case alphanumeric " \
                  "characters or '-', and must start and end with an alphanumeric character"
        else:
            ok = len(name) <= 253 and "/" not in name and "%" not in name and name not in (".", "..")
            why = "may not contain '/' or '%', and may not be '.' or '..'"
        if not ok:
            raise errors.invalid(rt.kind, name, "metadata.name", "FieldValueInvalid",
                                 'Invalid value: "%s": %s' % (name, why), rt.group)

    def create(self, rt, ns, obj, dry_run=False, loading=False):
        """Stores a new object. `loading` (--load) keeps a given uid,
        creationTimestamp, generation and status, as a pre-existing cluster has."""
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request("the object must be a JSON object with a metadata object")
        with self.lock:
            md = obj.setdefault("metadata", {})
            # Stored in the preferred (storage) version; reads rewrite apiVersion.
            obj["apiVersion"] = rt.api_version()
            obj["kind"] = rt.kind
            if not md.get("name"):
                if md.get("generateName"):
                    md["name"] = md["generateName"] + "".join(random.choice(_GEN_CHARS) for _ in range(5))
                else:
                    raise errors.invalid(rt.kind, "", "metadata.name", "FieldValueRequired",
                                         "Required value: name or generateName is required", rt.group)
            name = md["name"]
            self._check_name(rt, name)
            self._check_scope(rt, ns or "", md)
            key = (md.get("namespace", ""), name)
            d = self._by_key(rt.key)
            if key in d:
                raise errors.already_exists(rt, name)
            if not loading or not md.get("uid"):
                md["uid"] = str(uuid.uuid4())
            if not loading or not md.get("creationTimestamp"):
                md["creationTimestamp"] = now_rfc3339()
            if not loading or not md.get("generation"):
                md["generation"] = 1
            for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"):
                md.pop(f, None)
            if not loading and "status" in rt.subresources:
                obj.pop("status", None)
            self._defaults(rt, obj, None)
            if rt.key == CRD_KEY:
                new_rt = self.registry.type_from_crd(obj)
                obj["status"] = _crd_status(obj)
            if dry_run:
                md["resourceVersion"] = str(self.rv)
                return obj
            md["resourceVersion"] = self._next_rv()
            d[key] = obj
            self._index(rt.key, obj)
            if rt.key == CRD_KEY and new_rt.versions:
                self.registry.register(new_rt)
            self._emit(rt.key, "ADDED", obj)
            return obj

    def _defaults(self, rt, obj, old):
        md = obj["metadata"]
        if rt.key == NS_KEY:
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
        elif rt.key == ("", "services"):
            spec = obj.setdefault("spec", {})
            old_ip = ((old or {}).get("spec") or {}).get("clusterIP")
            if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
                if old_ip:
                    spec["clusterIP"] = old_ip
                else:
                    spec["clusterIP"] = "10.96.%d.%d" % (self._next_ip // 250, self._next_ip % 250 + 1)
                    self._next_ip += 1
                spec["clusterIPs"] = [spec["clusterIP"]]

    def _existing(self, rt, ns, name):
        d = self._by_key(rt.key)
        key = (ns or "", name)
        if key not in d:
            raise errors.not_found(rt, name)
        return d, key, d[key]

    def update(self, rt, ns, name, obj, dry_run=False, subresource=None, check_rv=True):
        """PUT semantics: replaces an existing object. A stale metadata.resourceVersion
        is a Conflict; with a status subresource, the main resource keeps the old
        status and /status changes only status."""
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request("the object must be a JSON object with a metadata object")
        with self.lock:
            d, key, old = self._existing(rt, ns, name)
            md = obj.setdefault("metadata", {})
            if md.get("name", name) != name:
                raise errors.bad_request("the name of the object (%s) does not match the name on "
                                         "the URL (%s)" % (md.get("name"), name))
            md["name"] = name
            if check_rv and md.get("resourceVersion") and md["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            self._check_scope(rt, ns or "", md)
            obj["apiVersion"] = rt.api_version()
            obj["kind"] = rt.kind
            if subresource == "status":
                new = dict(old)
                if "status" in obj:
                    new["status"] = obj["status"]
                else:
                    new.pop("status", None)
                new["metadata"] = dict(old["metadata"])
                obj = new
                md = obj["metadata"]
            elif "status" in rt.subresources:
                if "status" in old:
                    obj["status"] = old["status"]
                else:
                    obj.pop("status", None)
            for f in ("uid", "creationTimestamp"):
                md[f] = old["metadata"][f]
            md.pop("deletionTimestamp", None)
            md.pop("managedFields", None)
            gen = old["metadata"].get("generation", 1)
            md["generation"] = gen + (1 if _content(obj) != _content(old) else 0)
            self._defaults(rt, obj, old)
            if rt.key == CRD_KEY:
                new_rt = self.registry.type_from_crd(obj)
                if new_rt.key != self.registry.type_from_crd(old).key:
                    raise errors.invalid(rt.kind, name, "spec.names.plural", "FieldValueInvalid",
                                         "Invalid value: field is immutable", rt.group)
                obj["status"] = _crd_status(obj)
            if dry_run:
                md["resourceVersion"] = old["metadata"]["resourceVersion"]
                return obj
            md["resourceVersion"] = self._next_rv()
            self._unindex(old)
            d[key] = obj
            self._index(rt.key, obj)
            if rt.key == CRD_KEY:
                if new_rt.versions:
                    self.registry.register(new_rt)
                else:
                    self.registry.unregister(new_rt.key)
            self._emit(rt.key, "MODIFIED", obj)
            return obj

    def patch(self, rt, ns, name, apply_fn, dry_run=False, subresource=None):
        """Applies apply_fn(old copy) -> new object and stores it as an update.
        The patch may carry metadata.resourceVersion as a precondition."""
        with self.lock:
            old = self.get(rt, ns, name)
            new = apply_fn(copy.deepcopy(old))
            if not isinstance(new, dict):
                raise errors.bad_request("the patch did not produce an object")
            return self.update(rt, ns, name, new, dry_run, subresource)

    def delete(self, rt, ns, name, dry_run=False, orphan=False):
        with self.lock:
            _, key, old = self._existing(rt, ns, name)
            if dry_run:
                return old
            return self._delete_locked(rt.key, key, orphan)

    def _delete_locked(self, tkey, key, orphan=False):
        old = self._objects[tkey].pop(key)
        self._unindex(old)
        gone = dict(old)
        gone["metadata"] = dict(old["metadata"], resourceVersion=self._next_rv())
        self._emit(tkey, "DELETED", gone)
        if tkey == NS_KEY:
            for other_key, objs in list(self._objects.items()):
                for okey in [k for k in objs if k[0] == key[1] and other_key != NS_KEY]:
                    self._delete_locked(other_key, okey)
        elif tkey == CRD_KEY:
            crd_rt = self.registry.type_from_crd(old)
            for okey in list(self._objects.get(crd_rt.key, {})):
                self._delete_locked(crd_rt.key, okey)
            self.registry.unregister(crd_rt.key)
        if not orphan:
            self._collect_garbage(old["metadata"]["uid"])
        return gone

    def _collect_garbage(self, owner_uid):
        for dep_uid in list(self._dependents.pop(owner_uid, ())):
            where = self._by_uid.get(dep_uid)
            if where is None:
                continue
            tkey, key = where
            dep = self._objects.get(tkey, {}).get(key)
            if dep is None:
                continue
            owners = [r.get("uid") for r in dep["metadata"].get("ownerReferences") or []
                      if isinstance(r, dict)]
            if not any(u in self._by_uid for u in owners):
                self._delete_locked(tkey, key)


def _crd_status(crd):
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    stamp = now_rfc3339()
    return {"acceptedNames": names,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": stamp},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": stamp}],
            "storedVersions": [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]}
