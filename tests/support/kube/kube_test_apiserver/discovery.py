"""Discovery documents: /api, /api/v1, /apis, /apis/<group>, /apis/<g>/<v>
and /version, in the classic (non-aggregated) form.

kubectl >= 1.26 asks for the aggregated form first (Accept: ...;as=APIGroupDiscoveryList);
like a pre-1.26 server we answer with the classic document and Content-Type
application/json, which client-go takes as "not supported" and falls back.
Pure functions of the registry; thread-safe.
"""

import hashlib
import base64

SERVER_VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-cairn-test",
    "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.3", "compiler": "gc",
    "platform": "linux/amd64",
}


def version():
    return dict(SERVER_VERSION)


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def _gv(group, version):
    return {"groupVersion": "%s/%s" % (group, version), "version": version}


def api_group(group, versions):
    return {"name": group, "versions": [_gv(group, v) for v in versions],
            "preferredVersion": _gv(group, versions[0])}


def api_group_list(registry):
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [api_group(g, vs) for g, vs in registry.groups()]}


def api_group_doc(registry, group):
    for g, vs in registry.groups():
        if g == group:
            doc = api_group(g, vs)
            doc.update({"kind": "APIGroup", "apiVersion": "v1"})
            return doc
    return None


def _storage_hash(rt):
    digest = hashlib.sha256(("%s/%s/%s" % (rt.group, rt.versions[-1], rt.kind)).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def resource_list(registry, group, version):
    """APIResourceList for group/version ('' group = core), or None when not served."""
    types = registry.for_group_version(group, version)
    if not types:
        return None
    resources = []
    for rt in sorted(types, key=lambda t: t.plural):
        r = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
             "kind": rt.kind, "verbs": list(rt.verbs)}
        if rt.short_names:
            r["shortNames"] = list(rt.short_names)
        if rt.categories:
            r["categories"] = list(rt.categories)
        if rt.listable():
            r["storageVersionHash"] = _storage_hash(rt)
        resources.append(r)
        for sub in sorted(rt.subresources):
            kind, verbs, sgroup, sversion = rt.subresources[sub]
            s = {"name": "%s/%s" % (rt.plural, sub), "singularName": "",
                 "namespaced": rt.namespaced, "kind": kind, "verbs": list(verbs)}
            if sgroup:
                s["group"] = sgroup
                s["version"] = sversion
            resources.append(s)
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": "%s/%s" % (group, version) if group else version,
            "resources": resources}
