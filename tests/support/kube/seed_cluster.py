#!/usr/bin/env python3
"""Writes a deterministic, realistic seeded cluster as YAML files for
`kube-test-apiserver --load DIR`: two CRDs (widgets.example.com, namespaced,
v1 storage + v1beta1; clusterpolicies.example.com, cluster-scoped) and their
custom resources, nodes, storage classes, priority classes, cluster RBAC, and
per namespace 3-5 apps (label app.kubernetes.io/name) each with workloads
(Deployment -> ReplicaSet -> Pods with ownerReferences and uids; some
StatefulSets, Jobs, CronJobs), Services (one headless), ConfigMaps, Secrets
(Opaque, dockerconfigjson, tls), ServiceAccounts, Roles/RoleBindings, PVCs
bound to PVs, HPAs (autoscaling/v2), Ingresses, NetworkPolicies, Widgets, and
transient Events and Leases. Every object has a distinct annotation
cairn.test/marker. Same arguments, same bytes.

Usage: seed_cluster.py --out DIR [--objects 3000] [--namespaces 12] [--seed 1]
"""

import argparse
import base64
import collections
import datetime
import json
import os
import random
import sys
import uuid

import yaml

NS_WORDS = ["shop", "payments", "analytics", "auth", "search", "media", "chat", "billing",
            "inventory", "reports", "mail", "ml", "catalog", "orders", "edge", "iot"]
APP_WORDS = ["web", "api", "worker", "db", "cache", "frontend", "backend", "queue", "scheduler",
             "gateway", "indexer", "notifier"]
MARKER = "cairn.test/marker"
APP_LABEL = "app.kubernetes.io/name"


def b64(s):
    return base64.b64encode(s.encode()).decode()


class Seeder:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.serial = 0
        self.base_time = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def suffix(self, n):
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))

    def obj(self, api_version, kind, name, ns=None, labels=None, **body):
        self.serial += 1
        ts = self.base_time + datetime.timedelta(seconds=self.serial * 7)
        md = {"name": name}
        if ns:
            md["namespace"] = ns
        md["uid"] = self.uid()
        md["creationTimestamp"] = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        if labels:
            md["labels"] = dict(labels)
        md["annotations"] = {MARKER: "seed%d-%06d" % (self.seed, self.serial)}
        o = {"apiVersion": api_version, "kind": kind, "metadata": md}
        o.update(body)
        return o


def owner(o, controller=True):
    return {"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
            "uid": o["metadata"]["uid"], "controller": controller, "blockOwnerDeletion": True}


def crds(s):
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    widgets = s.obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com", spec={
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                  "shortNames": ["wg"], "categories": ["all"]},
        "versions": [
            {"name": "v1", "served": True, "storage": True, "schema": schema,
             "subresources": {"status": {}}},
            {"name": "v1beta1", "served": True, "storage": False, "schema": schema,
             "subresources": {"status": {}}}]})
    policies = s.obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusterpolicies.example.com",
                     spec={"group": "example.com", "scope": "Cluster",
                           "names": {"plural": "clusterpolicies", "singular": "clusterpolicy",
                                     "kind": "ClusterPolicy", "listKind": "ClusterPolicyList",
                                     "shortNames": ["cpol"]},
                           "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema}]})
    return [widgets, policies]


def cluster_objects(s, namespaces):
    out = []
    for n in ("node-a", "node-b"):
        out.append(s.obj("v1", "Node", n, labels={"kubernetes.io/hostname": n, "kubernetes.io/os": "linux"},
                         spec={"podCIDR": "10.244.%d.0/24" % (0 if n == "node-a" else 1)},
                         status={"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                                 "conditions": [{"type": "Ready", "status": "True"}]}))
    for name, default in (("standard", True), ("fast", False)):
        sc = s.obj("storage.k8s.io/v1", "StorageClass", name, provisioner="cairn.test/hostpath",
                   reclaimPolicy="Retain", volumeBindingMode="WaitForFirstConsumer",
                   parameters={"tier": name})
        if default:
            sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] = "true"
        out.append(sc)
    for name, value in (("high-priority", 100000), ("low-priority", 100)):
        out.append(s.obj("scheduling.k8s.io/v1", "PriorityClass", name, value=value, globalDefault=False,
                         description="%s workloads" % name))
    for i, verbs in enumerate((["get", "list", "watch"], ["get", "list", "watch", "create", "update"])):
        name = "cairn-test:%s" % ("viewer" if i == 0 else "editor")
        out.append(s.obj("rbac.authorization.k8s.io/v1", "ClusterRole", name,
                         rules=[{"apiGroups": ["", "apps", "example.com"],
                                 "resources": ["pods", "deployments", "widgets", "configmaps"], "verbs": verbs}]))
        out.append(s.obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name + "-binding",
                         roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                         subjects=[{"kind": "ServiceAccount", "name": "default-sa", "namespace": ns}
                                   for ns in namespaces[i::2][:4]]))
    for i, mode in enumerate(("enforce", "audit", "warn")):
        out.append(s.obj("example.com/v1", "ClusterPolicy", "policy-%s" % mode,
                         labels={"policy.example.com/tier": str(i)},
                         spec={"mode": mode, "rules": [{"match": "pods", "deny": i == 0}]}))
    return out


class Namespace:
    """Emits one namespace's objects into `self.items` (and PVs into `pvs`)."""

    def __init__(self, s, name, apps):
        self.s, self.ns, self.apps = s, name, apps
        self.items, self.pvs = [], []

    def add(self, o):
        self.items.append(o)
        return o

    def labels(self, app, **extra):
        d = {APP_LABEL: app, "app.kubernetes.io/part-of": self.ns}
        d.update(extra)
        return d

    def pvc_pv(self, app, claim, sc, size="1Gi"):
        s = self.s
        pv_name = "pv-%s-%s" % (self.ns, claim)
        pvc = self.add(s.obj("v1", "PersistentVolumeClaim", claim, self.ns, self.labels(app),
                             spec={"accessModes": ["ReadWriteOnce"], "storageClassName": sc,
                                   "resources": {"requests": {"storage": size}}, "volumeName": pv_name,
                                   "volumeMode": "Filesystem"},
                             status={"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                                     "capacity": {"storage": size}}))
        pv = s.obj("v1", "PersistentVolume", pv_name, None, {APP_LABEL: app, "cairn.test/namespace": self.ns},
                   spec={"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                         "persistentVolumeReclaimPolicy": "Retain", "storageClassName": sc,
                         "volumeMode": "Filesystem",
                         "hostPath": {"path": "/var/lib/cairn-test/pv/%s/%s" % (self.ns, claim)},
                         "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": self.ns,
                                      "name": claim, "uid": pvc["metadata"]["uid"]}},
                   status={"phase": "Bound"})
        pv["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] = "yes"
        self.pvs.append(pv)
        return pvc

    def pod_spec(self, app, claim=None):
        spec = {"serviceAccountName": "%s-sa" % app, "priorityClassName": "low-priority",
                "containers": [{"name": app, "image": "registry.example.com/%s/%s:1.%d" % (self.ns, app,
                                                                                          self.s.rng.randint(0, 9)),
                                "ports": [{"containerPort": 8080, "name": "http"}],
                                "env": [{"name": "APP", "value": app},
                                        {"name": "SETTINGS", "valueFrom": {"configMapKeyRef": {
                                            "name": "%s-config" % app, "key": "settings.json"}}}],
                                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}
        if claim:
            spec["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
            spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
        return spec

    def app_bundle(self, app, index, rich):
        s, ns = self.s, self.ns
        L = self.labels(app)
        self.add(s.obj("v1", "ServiceAccount", "%s-sa" % app, ns, L))
        self.add(s.obj("v1", "ConfigMap", "%s-config" % app, ns, L,
                       data={"settings.json": json.dumps({"app": app, "replicas": index + 1}),
                             "LOG_LEVEL": "info"}))
        self.add(s.obj("v1", "Secret", "%s-credentials" % app, ns, L, type="Opaque",
                       data={"username": b64(app), "password": b64("pw-%s-%s" % (ns, s.suffix(8)))}))
        self.add(s.obj("rbac.authorization.k8s.io/v1", "Role", "%s-role" % app, ns, L,
                       rules=[{"apiGroups": [""], "resources": ["configmaps", "secrets"],
                               "resourceNames": ["%s-config" % app], "verbs": ["get", "watch"]}]))
        self.add(s.obj("rbac.authorization.k8s.io/v1", "RoleBinding", "%s-rolebinding" % app, ns, L,
                       roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "%s-role" % app},
                       subjects=[{"kind": "ServiceAccount", "name": "%s-sa" % app, "namespace": ns}]))
        headless = index == 1
        svc_spec = {"selector": {APP_LABEL: app}, "ports": [{"name": "http", "port": 80, "targetPort": 8080,
                                                             "protocol": "TCP"}], "type": "ClusterIP"}
        if headless:
            svc_spec["clusterIP"] = "None"
        else:
            svc_spec["clusterIP"] = "10.96.%d.%d" % (s.rng.randint(1, 200), s.rng.randint(2, 250))
            svc_spec["clusterIPs"] = [svc_spec["clusterIP"]]
        self.add(s.obj("v1", "Service", app, ns, L, spec=svc_spec))
        self.add(s.obj("networking.k8s.io/v1", "NetworkPolicy", "%s-allow-same-ns" % app, ns, L,
                       spec={"podSelector": {"matchLabels": {APP_LABEL: app}}, "policyTypes": ["Ingress"],
                             "ingress": [{"from": [{"podSelector": {}}]}]}))
        claim = None
        if rich and index % 2 == 0:
            claim = self.pvc_pv(app, "%s-data" % app, "fast" if index == 0 else "standard").get("metadata")["name"]
        if headless and rich:
            self.statefulset(app, L)
        else:
            self.deployment(app, L, claim, replicas=1 + index % 3)
        for k in range(2):
            w = s.obj("example.com/v1beta1" if k == 1 else "example.com/v1", "Widget", "%s-widget-%d" % (app, k),
                      ns, L, spec={"size": s.rng.randint(1, 10), "color": s.rng.choice(["red", "green", "blue"]),
                                   "appRef": app})
            self.add(w)
        if rich and index == 0:
            self.add(s.obj("autoscaling/v2", "HorizontalPodAutoscaler", app, ns, L, spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                "minReplicas": 1, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": 70}}}]}))
            self.add(s.obj("networking.k8s.io/v1", "Ingress", app, ns, L, spec={
                "ingressClassName": "nginx",
                "rules": [{"host": "%s.%s.example.com" % (app, ns), "http": {"paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}))
            self.add(s.obj("v1", "Secret", "%s-registry" % app, ns, L, type="kubernetes.io/dockerconfigjson",
                           data={".dockerconfigjson": b64(json.dumps({"auths": {"registry.example.com": {
                               "username": app, "password": "x", "auth": b64(app + ":x")}}}))}))
        if rich and index == 2:
            self.jobs(app, L)
        self.add(s.obj("coordination.k8s.io/v1", "Lease", "%s-leader" % app, ns, L, spec={
            "holderIdentity": "%s-0" % app, "leaseDurationSeconds": 15,
            "renewTime": "2024-01-01T00:00:00.000000Z"}))

    def deployment(self, app, L, claim, replicas):
        s, ns = self.s, self.ns
        tmpl = {"metadata": {"labels": {APP_LABEL: app}}, "spec": self.pod_spec(app, claim)}
        d = self.add(s.obj("apps/v1", "Deployment", app, ns, L, spec={
            "replicas": replicas, "selector": {"matchLabels": {APP_LABEL: app}},
            "strategy": {"type": "RollingUpdate"}, "template": tmpl},
            status={"replicas": replicas, "readyReplicas": replicas}))
        h = s.suffix(10)
        rs = s.obj("apps/v1", "ReplicaSet", "%s-%s" % (app, h), ns, dict(L, **{"pod-template-hash": h}), spec={
            "replicas": replicas, "selector": {"matchLabels": {APP_LABEL: app, "pod-template-hash": h}},
            "template": tmpl}, status={"replicas": replicas})
        rs["metadata"]["ownerReferences"] = [owner(d)]
        self.add(rs)
        for i in range(replicas):
            p = s.obj("v1", "Pod", "%s-%s-%s" % (app, h, s.suffix(5)), ns, dict(L, **{"pod-template-hash": h}),
                      spec=dict(tmpl["spec"], nodeName="node-a" if i % 2 == 0 else "node-b"),
                      status={"phase": "Running", "podIP": "10.244.%d.%d" % (i % 2, s.rng.randint(2, 250))})
            p["metadata"]["ownerReferences"] = [owner(rs)]
            self.add(p)
            if i == 0:
                self.event(app, p, "Started", "Started container %s" % app)

    def statefulset(self, app, L):
        s, ns = self.s, self.ns
        sts = self.add(s.obj("apps/v1", "StatefulSet", app, ns, L, spec={
            "replicas": 2, "serviceName": app, "selector": {"matchLabels": {APP_LABEL: app}},
            "template": {"metadata": {"labels": {APP_LABEL: app}},
                         "spec": dict(self.pod_spec(app), priorityClassName="high-priority")},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                "resources": {"requests": {"storage": "2Gi"}}}}]}, status={"replicas": 2}))
        for i in range(2):
            claim = self.pvc_pv(app, "data-%s-%d" % (app, i), "standard", "2Gi")["metadata"]["name"]
            spec = dict(self.pod_spec(app, claim), nodeName="node-a" if i == 0 else "node-b",
                        hostname="%s-%d" % (app, i), subdomain=app)
            p = s.obj("v1", "Pod", "%s-%d" % (app, i), ns,
                      dict(L, **{"statefulset.kubernetes.io/pod-name": "%s-%d" % (app, i)}), spec=spec,
                      status={"phase": "Running"})
            p["metadata"]["ownerReferences"] = [owner(sts)]
            self.add(p)

    def jobs(self, app, L):
        s, ns = self.s, self.ns
        job_tmpl = {"template": {"metadata": {"labels": {APP_LABEL: app}}, "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "task", "image": "registry.example.com/tools:1", "args": ["run", app]}]}},
            "backoffLimit": 2}
        cj = self.add(s.obj("batch/v1", "CronJob", "%s-nightly" % app, ns, L, spec={
            "schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": job_tmpl}}))
        job = s.obj("batch/v1", "Job", "%s-nightly-28400000" % app, ns, L, spec=job_tmpl,
                    status={"succeeded": 1})
        job["metadata"]["ownerReferences"] = [owner(cj)]
        self.add(job)

    def event(self, app, target, reason, message):
        s = self.s
        md = target["metadata"]
        self.add(s.obj("v1", "Event", "%s.%x" % (md["name"], s.rng.getrandbits(52)), self.ns,
                       None, involvedObject={"apiVersion": target["apiVersion"], "kind": target["kind"],
                                             "name": md["name"], "namespace": self.ns, "uid": md["uid"]},
                       reason=reason, message=message, type="Normal", count=1,
                       firstTimestamp="2024-01-01T00:00:00Z", lastTimestamp="2024-01-01T00:00:00Z",
                       source={"component": "kubelet", "host": "node-a"}))

    def filler(self, budget):
        """More objects of the common kinds until the namespace holds `budget`."""
        s, ns = self.s, self.ns
        kinds = ["ConfigMap", "Secret", "Widget", "ConfigMap", "Event", "Secret", "Widget", "ServiceAccount"]
        i = 0
        while len(self.items) + len(self.pvs) < budget:
            app = self.apps[i % len(self.apps)]
            kind = kinds[i % len(kinds)]
            L = self.labels(app)
            name = "%s-extra-%04d" % (app, i)
            if kind == "ConfigMap":
                self.add(s.obj("v1", "ConfigMap", name, ns, L, data={"key-%d" % j: s.suffix(12) for j in range(3)}))
            elif kind == "Secret":
                self.add(s.obj("v1", "Secret", name, ns, L, type="Opaque", data={"token": b64(s.suffix(24))}))
            elif kind == "Widget":
                self.add(s.obj("example.com/v1", "Widget", name, ns, L, spec={"size": s.rng.randint(1, 99),
                                                                             "color": "gray", "appRef": app}))
            elif kind == "ServiceAccount":
                self.add(s.obj("v1", "ServiceAccount", name, ns, L))
            else:
                target = next(o for o in self.items if o["kind"] == "ConfigMap")
                self.event(app, target, "Updated", "config %s reloaded" % name)
            i += 1


def generate(objects, namespaces, seed):
    s = Seeder(seed)
    ns_names = [NS_WORDS[i] if i < len(NS_WORDS) else "%s-%d" % (NS_WORDS[i % len(NS_WORDS)], i // len(NS_WORDS))
                for i in range(namespaces)]
    files = collections.OrderedDict()
    files["00-crds.yaml"] = crds(s)
    cluster = cluster_objects(s, ns_names)
    files["01-cluster.yaml"] = cluster
    fixed = len(files["00-crds.yaml"]) + len(cluster)
    per_ns = max(1, (objects - fixed) // max(1, namespaces))
    all_pvs = []
    for i, name in enumerate(ns_names):
        budget = per_ns + (1 if i < (objects - fixed) % max(1, namespaces) else 0)
        napps = s.rng.randint(3, 5)
        apps = s.rng.sample(APP_WORDS, napps)
        n = Namespace(s, name, apps)
        n.add(s.obj("v1", "Namespace", name, labels={"cairn.test/tier": "gold" if i % 3 == 0 else "silver"}))
        n.add(s.obj("v1", "ServiceAccount", "default-sa", name))
        rich = budget >= 20 * napps
        for j, app in enumerate(apps):
            n.app_bundle(app, j, rich)
        n.filler(budget)  # counts the namespace's PVs, which live in the cluster file
        all_pvs.extend(n.pvs)
        files["10-ns-%02d-%s.yaml" % (i, name)] = n.items
    files["02-persistentvolumes.yaml"] = all_pvs
    return files


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--objects", type=int, default=3000)
    p.add_argument("--namespaces", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if a.objects < 1 or a.namespaces < 1:
        p.error("--objects and --namespaces must be positive")
    files = generate(a.objects, a.namespaces, a.seed)
    os.makedirs(a.out, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    counts = collections.Counter()
    for fname in sorted(files):
        with open(os.path.join(a.out, fname), "w") as f:
            yaml.dump_all(files[fname], f, Dumper=dumper, sort_keys=False, default_flow_style=False)
        for o in files[fname]:
            counts["%s %s" % (o["apiVersion"].rpartition("/")[0] or "core", o["kind"])] += 1
    total = sum(counts.values())
    for k in sorted(counts):
        print("%-45s %6d" % (k, counts[k]))
    print("%-45s %6d" % ("total", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
