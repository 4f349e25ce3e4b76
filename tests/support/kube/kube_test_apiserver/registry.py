"""The live set of served resource types: the built-in table plus one type per
established CustomResourceDefinition.

Thread-safety: callers hold the store lock for changes (register/unregister
happen inside store operations); lookups read immutable snapshots, so the
HTTP threads may call them without a lock.
"""

import re

from . import errors
from .resource_types import BUILTIN_GROUP_ORDER, BUILTIN_TYPES, ResourceType

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Registry:
    def __init__(self):
        self._types = {t.key: t for t in BUILTIN_TYPES}

    # ---- lookups -------------------------------------------------------------
    def all(self):
        return list(self._types.values())

    def get(self, group, plural):
        return self._types.get((group, plural))

    def for_group_version(self, group, version):
        """Types served at group/version, in table order."""
        return [t for t in self._types.values() if t.group == group and version in t.versions]

    def by_gv_plural(self, group, version, plural):
        t = self._types.get((group, plural))
        if t is None or version not in t.versions:
            return None
        return t

    def by_api_version_kind(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        for t in self._types.values():
            if t.group == group and t.kind == kind and version in t.versions:
                return t
        return None

    def groups(self):
        """[(group, [versions, preferred first])] in discovery order ('' excluded)."""
        versions = {}
        for t in self._types.values():
            if not t.group:
                continue
            vs = versions.setdefault(t.group, [])
            for v in t.versions:
                if v not in vs:
                    vs.append(v)
        order = [g for g in BUILTIN_GROUP_ORDER if g in versions]
        order += sorted(g for g in versions if g not in BUILTIN_GROUP_ORDER)
        return [(g, versions[g]) for g in order]

    # ---- custom resources ------------------------------------------------------
    def type_from_crd(self, crd):
        """Validates a CRD object and returns the ResourceType it defines, or
        raises ApiError 422 naming the bad field."""
        name = crd.get("metadata", {}).get("name", "")
        spec = crd.get("spec") or {}

        def bad(field, message, reason="FieldValueInvalid"):
            return errors.invalid("CustomResourceDefinition", name, field, reason, message,
                                  group="apiextensions.k8s.io")

        group = spec.get("group") or ""
        names = spec.get("names") or {}
        plural = names.get("plural") or ""
        kind = names.get("kind") or ""
        if not group or "." not in group:
            raise bad("spec.group", "Invalid value: %r: should be a domain with at least one dot" % group)
        if not plural or not _DNS_LABEL.match(plural):
            raise bad("spec.names.plural", "Required value: a lowercase DNS label is required")
        if not kind:
            raise bad("spec.names.kind", "Required value", "FieldValueRequired")
        if name != "%s.%s" % (plural, group):
            raise bad("metadata.name", 'Invalid value: "%s": must be spec.names.plural+"."+spec.group'
                      % name)
        scope = spec.get("scope")
        if scope not in ("Namespaced", "Cluster"):
            raise bad("spec.scope", 'Unsupported value: "%s": supported values: "Cluster", "Namespaced"'
                      % scope, "FieldValueNotSupported")
        versions = spec.get("versions") or []
        if not versions:
            raise bad("spec.versions", "Required value: must have exactly one version marked as storage version",
                      "FieldValueRequired")
        storage = [v.get("name") for v in versions if v.get("storage")]
        if len(storage) != 1:
            raise bad("spec.versions", "Invalid value: must have exactly one version marked as storage version")
        served = [v.get("name") for v in versions if v.get("served")]
        # The storage version is preferred when served, as the brief of this
        # server says; the real server sorts by Kubernetes version priority.
        ordered = [v for v in storage if v in served] + [v for v in served if v not in storage]
        existing = self._types.get((group, plural))
        if existing is not None and not existing.custom:
            raise bad("spec.names.plural", "Invalid value: collides with a built-in resource")
        subs = {}
        storage_def = next(v for v in versions if v.get("storage"))
        sr = storage_def.get("subresources") or spec.get("subresources") or {}
        if "status" in sr:
            subs["status"] = (kind, ["get", "patch", "update"], "", "")
        if "scale" in sr:
            subs["scale"] = ("Scale", ["get", "patch", "update"], "autoscaling", "v1")
        return ResourceType(group, ordered, plural, names.get("singular") or kind.lower(), kind,
                            scope == "Namespaced", None, names.get("shortNames") or (),
                            names.get("categories") or (), subs, custom=True,
                            list_kind=names.get("listKind"), crd_name=name)

    def register(self, rt):
        self._types = {**self._types, rt.key: rt}

    def unregister(self, key):
        types = dict(self._types)
        types.pop(key, None)
        self._types = types
