#!/usr/bin/env python3
"""Wire-level checks of a running kube-test-apiserver that kubectl does not
exercise: Status bodies and codes, patches, selectors, pagination, dryRun,
generation, watch, injected faults, limits. Prints PASS/FAIL per check and
exits 1 on any failure. Run by tests/e2e/kube_apiserver_test.sh.

Usage: protocol_check.py URL TOKEN CA_FILE   (the server must hold the seed's
widgets CRD and namespaces; the checks work in their own namespace)
"""

import http.client
import json
import ssl
import sys
import time
from urllib.parse import urlsplit

FAILS = []


def check(desc, ok, detail=""):
    print("%s: protocol: %s%s" % ("PASS" if ok else "FAIL", desc, "" if ok else "  -- %s" % detail))
    if not ok:
        FAILS.append(desc)


class Client:
    def __init__(self, url, token, ca):
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token = token
        self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=20)

    def req(self, method, path, body=None, ctype="application/json", headers=None, raw=False):
        h = {"Authorization": "Bearer " + self.token, "Content-Type": ctype}
        h.update(headers or {})
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        self.conn.request(method, path, data, h)
        r = self.conn.getresponse()
        payload = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=20)
        if raw:
            return r, payload
        try:
            return r.status, json.loads(payload or b"null"), r
        except ValueError:
            return r.status, payload, r


def main():
    url, token, ca = sys.argv[1:4]
    c = Client(url, token, ca)
    NS = "/api/v1/namespaces/proto/configmaps"
    c.req("DELETE", "/api/v1/namespaces/proto")
    st, _, _ = c.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": "proto"}})
    check("create a namespace -> 201", st == 201, st)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"tier": "web", "env": "prod"}},
          "data": {"k": "v"}}
    st, a, _ = c.req("POST", NS, cm)
    md = a.get("metadata", {}) if isinstance(a, dict) else {}
    check("create sets uid, resourceVersion, creationTimestamp, generation",
          st == 201 and md.get("uid") and md.get("resourceVersion", "").isdigit() and
          md.get("creationTimestamp", "").endswith("Z") and md.get("generation") == 1, a)
    st, e, _ = c.req("POST", NS, cm)
    check("duplicate -> 409 AlreadyExists", st == 409 and e.get("reason") == "AlreadyExists"
          and e.get("message") == 'configmaps "a" already exists' and e.get("kind") == "Status", e)
    st, e, _ = c.req("POST", NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    check("no name -> 422 Invalid", st == 422 and e.get("reason") == "Invalid", e)
    st, g, _ = c.req("POST", NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}})
    check("generateName makes a name", st == 201 and g["metadata"]["name"].startswith("gen-"), g)
    st, e, _ = c.req("GET", NS + "/missing")
    check("get missing -> 404 NotFound with details", st == 404 and e.get("reason") == "NotFound" and
          e.get("details", {}).get("name") == "missing", e)
    stale = json.loads(json.dumps(a))
    st, b, _ = c.req("PUT", NS + "/a", dict(a, data={"k": "v2"}))
    check("replace -> 200, new resourceVersion", st == 200 and b["metadata"]["resourceVersion"] != md["resourceVersion"], b)
    st, e, _ = c.req("PUT", NS + "/a", dict(stale, data={"k": "v3"}))
    check("replace with a stale resourceVersion -> 409 Conflict", st == 409 and e.get("reason") == "Conflict", e)
    st, p, _ = c.req("PATCH", NS + "/a", {"data": {"k": None, "n": "1"}}, "application/merge-patch+json")
    check("merge patch removes and adds keys", st == 200 and p.get("data") == {"n": "1"}, p)
    ops = [{"op": "add", "path": "/data/x", "value": "1"}, {"op": "copy", "from": "/data/x", "path": "/data/y"},
           {"op": "move", "from": "/data/n", "path": "/data/z"}, {"op": "replace", "path": "/data/x", "value": "2"},
           {"op": "remove", "path": "/data/y"}, {"op": "test", "path": "/data/z", "value": "1"}]
    st, p, _ = c.req("PATCH", NS + "/a", ops, "application/json-patch+json")
    check("json patch add/copy/move/replace/remove/test", st == 200 and p.get("data") == {"x": "2", "z": "1"}, p)
    st, e, _ = c.req("PATCH", NS + "/a", [{"op": "test", "path": "/data/z", "value": "no"}], "application/json-patch+json")
    check("json patch failed test -> 422", st == 422, e)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [
                        {"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}}
    c.req("POST", "/apis/apps/v1/namespaces/proto/deployments", dep)
    smp = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}}
    st, p, _ = c.req("PATCH", "/apis/apps/v1/namespaces/proto/deployments/d", smp,
                     "application/strategic-merge-patch+json")
    cs = p.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []) if st == 200 else []
    check("strategic merge patch merges containers by name; generation +1",
          [(x["name"], x["image"]) for x in cs] == [("a", "a:1"), ("b", "b:2")] and p["metadata"]["generation"] == 2, p)
    st, s, _ = c.req("GET", "/apis/apps/v1/namespaces/proto/deployments/d/scale")
    check("deployments/scale GET", st == 200 and s.get("kind") == "Scale" and s["spec"]["replicas"] == 1, s)
    st, s, _ = c.req("PATCH", "/apis/apps/v1/namespaces/proto/deployments/d/scale", {"spec": {"replicas": 3}},
                     "application/merge-patch+json")
    st2, d2, _ = c.req("GET", "/apis/apps/v1/namespaces/proto/deployments/d")
    check("deployments/scale PATCH sets spec.replicas", st == 200 and d2["spec"]["replicas"] == 3, (s, d2))
    st, w, _ = c.req("PATCH", "/apis/example.com/v1/namespaces/proto/widgets/x", {}, "application/strategic-merge-patch+json")
    check("strategic merge patch on a custom resource -> 415", st == 415, w)
    st, dr, _ = c.req("POST", NS + "?dryRun=All", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}})
    st2, _, _ = c.req("GET", NS + "/dry")
    check("dryRun=All validates and does not store", st == 201 and st2 == 404, (st, st2))
    for i in range(12):
        c.req("POST", NS, {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "p%02d" % i, "labels": {"tier": "db" if i % 3 else "web", "n": str(i)}}})
    st, l, _ = c.req("GET", NS + "?labelSelector=" + "tier%20in%20(web),!missing,n!=0")
    names = sorted(i["metadata"]["name"] for i in l.get("items", []))
    check("labelSelector in/!key/!=", names == ["a", "p03", "p06", "p09"], names)
    st, l, _ = c.req("GET", NS + "?labelSelector=tier=db,n%20notin%20(1,2)")
    check("labelSelector = and notin", sorted(i["metadata"]["name"] for i in l["items"]) ==
          ["p04", "p05", "p07", "p08", "p10", "p11"], l.get("items"))
    st, l, _ = c.req("GET", "/api/v1/configmaps?fieldSelector=metadata.namespace=proto,metadata.name=a")
    check("fieldSelector metadata.namespace/name", [i["metadata"]["name"] for i in l["items"]] == ["a"], l)
    check("built-in list items carry no apiVersion/kind; the list has kind ConfigMapList",
          l.get("kind") == "ConfigMapList" and "kind" not in l["items"][0] and "apiVersion" not in l["items"][0], l)
    st, e, _ = c.req("GET", NS + "?fieldSelector=spec.foo=1")
    check("unsupported field selector -> 400", st == 400, e)
    st, l, _ = c.req("GET", "/api/v1/pods?fieldSelector=spec.nodeName=node-a")
    check("pods fieldSelector spec.nodeName", st == 200 and l["items"] and
          all(i["spec"]["nodeName"] == "node-a" for i in l["items"]), st)
    st, l, _ = c.req("GET", "/apis/example.com/v1/widgets?limit=3")
    check("custom resource list items carry apiVersion/kind", st == 200 and l["items"] and
          l["items"][0].get("kind") == "Widget" and l["items"][0].get("apiVersion") == "example.com/v1", l.get("items"))
    seen, cont, pages = [], "", 0
    while pages < 50:
        st, l, _ = c.req("GET", NS + "?limit=5" + ("&continue=" + cont if cont else ""))
        seen += [i["metadata"]["name"] for i in l["items"]]
        pages += 1
        cont = l["metadata"].get("continue")
        if not cont:
            break
    check("limit/continue pages in name order without loss", pages == 3 and seen == sorted(seen) and len(seen) == 14,
          (pages, seen))
    st, e, _ = c.req("GET", NS + "?limit=5&continue=bm9wZQ==")
    check("a bad continue token -> 400", st == 400, e)
    st, g, _ = c.req("GET", "/apis")
    asg = [x for x in g["groups"] if x["name"] == "autoscaling"]
    check("/apis: autoscaling prefers v2 and serves v1", asg and asg[0]["preferredVersion"]["version"] == "v2" and
          [v["version"] for v in asg[0]["versions"]] == ["v2", "v1"], asg)
    st, e, _ = c.req("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    check("list of a create-only type -> 405", st == 405 and e.get("reason") == "MethodNotAllowed", e)
    st, r, _ = c.req("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                     {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                      "spec": {"resourceAttributes": {"verb": "list", "resource": "secrets"}}})
    check("SelfSubjectAccessReview answers allowed", st == 201 and r["status"]["allowed"] is True, r)
    c.req("POST", "/_test/faults", {"fail_next": [{"path_prefix": NS, "method": "GET", "status": 429,
                                                   "count": 2, "retry_after": "1"}]})
    r1 = c.req("GET", NS)
    r2 = c.req("GET", NS)
    r3 = c.req("GET", NS)
    check("fail_next: two 429 with Retry-After, then 200",
          r1[0] == 429 and r1[2].getheader("Retry-After") == "1" and r1[1].get("reason") == "TooManyRequests"
          and r2[0] == 429 and r3[0] == 200, (r1[0], r2[0], r3[0]))
    c.req("POST", "/_test/faults", {"fail_next": [{"path_prefix": "/api/v1/namespaces/proto", "status": 503}]})
    st, e, _ = c.req("GET", NS)
    check("fail_next 503 ServiceUnavailable", st == 503 and e.get("reason") == "ServiceUnavailable", e)
    c.req("POST", "/_test/faults", {})
    st, stats, _ = c.req("GET", "/_test/stats")
    check("/_test/stats counts requests", st == 200 and stats["by_path"].get("GET " + NS, 0) >= 4, stats.get("total"))
    # watch: a change made after the list's resourceVersion arrives as an event
    st, l, _ = c.req("GET", NS + "?limit=1")
    rv = l["metadata"]["resourceVersion"]
    c.req("PATCH", NS + "/a", {"data": {"w": "1"}}, "application/merge-patch+json")
    r, body = c.req("GET", NS + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv, raw=True)
    events = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
    check("watch from a resourceVersion replays the change and ends at timeoutSeconds",
          r.status == 200 and [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("MODIFIED", "a")],
          events)
    big = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=20)
    big.putrequest("POST", NS)
    big.putheader("Authorization", "Bearer " + token)
    big.putheader("Content-Type", "application/json")
    big.putheader("Content-Length", str(17 << 20))
    big.endheaders()  # the server answers before reading a byte of the body
    r = big.getresponse()
    check("a body over 16 MiB -> 413 and the connection closes", r.status == 413 and
          r.getheader("Connection", "").lower() == "close", r.status)
    big.close()
    bad = Client(url, "wrong", ca)
    st, e, _ = bad.req("GET", "/api/v1/namespaces")
    check("a wrong token -> 401 Unauthorized Status", st == 401 and e.get("reason") == "Unauthorized", e)
    t0, n = time.time(), 300
    for i in range(n):
        c.req("POST", NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "speed-%d" % i}})
    rate = n / (time.time() - t0)
    check("creates over keep-alive: %.0f/s (want > 300)" % rate, rate > 300, rate)
    st, _, _ = c.req("DELETE", "/api/v1/namespaces/proto")
    st2, l, _ = c.req("GET", NS)
    check("deleting the namespace deletes its objects at once", st == 200 and l.get("items") == [], l)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
