"""The resource types the server serves: the ResourceType record and the
built-in table (core, apps, batch, rbac, ... as a real 1.29 cluster has them).

Custom resources get ResourceType records too (registry.py builds them from
CustomResourceDefinitions). Records are immutable once registered.
"""

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
NS_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
SUB_RW = ["get", "patch", "update"]


class ResourceType:
    """One resource (plural) of one group, served under one or more versions.

    versions: served versions, the preferred one first. subresources: name ->
    (kind, verbs, group, version) as discovery lists them ('' group/version =
    the parent's). custom: True for custom resources (their list items carry
    apiVersion and kind; built-ins' do not).
    """

    def __init__(self, group, versions, plural, singular, kind, namespaced,
                 verbs=None, short_names=(), categories=(), subresources=None,
                 custom=False, list_kind=None, crd_name=None):
        self.group = group
        self.versions = list(versions)
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = list(verbs if verbs is not None else ALL_VERBS)
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.subresources = dict(subresources or {})
        self.custom = custom
        self.list_kind = list_kind or kind + "List"
        self.crd_name = crd_name

    @property
    def key(self):
        return (self.group, self.plural)

    def api_version(self, version=None):
        v = version or self.versions[0]
        return "%s/%s" % (self.group, v) if self.group else v

    def listable(self):
        return "list" in self.verbs

    def __repr__(self):
        return "ResourceType(%s)" % ".".join(p for p in (self.plural, self.group) if p)


def _sub(*names, kind=None, verbs=SUB_RW, group="", version=""):
    return {n: (kind, verbs, group, version) for n in names}


def _t(group, versions, plural, singular, kind, namespaced, short=(), cats=(), subs=None,
       verbs=None):
    subs = dict(subs or {})
    # A subresource kind of None means "the parent's kind".
    subs = {n: (k or kind, v, g, ver) for n, (k, v, g, ver) in subs.items()}
    return ResourceType(group, versions, plural, singular, kind, namespaced, verbs,
                        short, cats, subs)


_SCALE = _sub("scale", kind="Scale", group="autoscaling", version="v1")
_STATUS = _sub("status")

BUILTIN_TYPES = [
    # core/v1
    _t("", ["v1"], "configmaps", "configmap", "ConfigMap", True, ["cm"]),
    _t("", ["v1"], "endpoints", "endpoints", "Endpoints", True, ["ep"]),
    _t("", ["v1"], "events", "event", "Event", True, ["ev"]),
    _t("", ["v1"], "limitranges", "limitrange", "LimitRange", True, ["limits"]),
    _t("", ["v1"], "namespaces", "namespace", "Namespace", False, ["ns"],
       subs={**_sub("finalize", verbs=["update"]), **_STATUS}, verbs=NS_VERBS),
    _t("", ["v1"], "nodes", "node", "Node", False, ["no"],
       subs={**_sub("proxy", kind="NodeProxyOptions", verbs=["create", "delete", "get", "patch", "update"]),
             **_STATUS}),
    _t("", ["v1"], "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim",
       True, ["pvc"], subs=_STATUS),
    _t("", ["v1"], "persistentvolumes", "persistentvolume", "PersistentVolume", False, ["pv"],
       subs=_STATUS),
    _t("", ["v1"], "pods", "pod", "Pod", True, ["po"], ["all"],
       subs={**_sub("attach", kind="PodAttachOptions", verbs=["create", "get"]),
             **_sub("binding", kind="Binding", verbs=["create"]),
             **_sub("eviction", kind="Eviction", verbs=["create"], group="policy", version="v1"),
             **_sub("exec", kind="PodExecOptions", verbs=["create", "get"]),
             **_sub("log", verbs=["get"]),
             **_sub("portforward", kind="PodPortForwardOptions", verbs=["create", "get"]),
             **_sub("proxy", kind="PodProxyOptions", verbs=["create", "delete", "get", "patch", "update"]),
             **_STATUS}),
    _t("", ["v1"], "podtemplates", "podtemplate", "PodTemplate", True),
    _t("", ["v1"], "replicationcontrollers", "replicationcontroller", "ReplicationController",
       True, ["rc"], ["all"], subs={**_SCALE, **_STATUS}),
    _t("", ["v1"], "resourcequotas", "resourcequota", "ResourceQuota", True, ["quota"], subs=_STATUS),
    _t("", ["v1"], "secrets", "secret", "Secret", True),
    _t("", ["v1"], "serviceaccounts", "serviceaccount", "ServiceAccount", True, ["sa"],
       subs=_sub("token", kind="TokenRequest", verbs=["create"], group="authentication.k8s.io",
                 version="v1")),
    _t("", ["v1"], "services", "service", "Service", True, ["svc"], ["all"],
       subs={**_sub("proxy", kind="ServiceProxyOptions", verbs=["create", "delete", "get", "patch", "update"]),
             **_STATUS}),
    # apps/v1
    _t("apps", ["v1"], "controllerrevisions", "controllerrevision", "ControllerRevision", True),
    _t("apps", ["v1"], "daemonsets", "daemonset", "DaemonSet", True, ["ds"], ["all"], subs=_STATUS),
    _t("apps", ["v1"], "deployments", "deployment", "Deployment", True, ["deploy"], ["all"],
       subs={**_SCALE, **_STATUS}),
    _t("apps", ["v1"], "replicasets", "replicaset", "ReplicaSet", True, ["rs"], ["all"],
       subs={**_SCALE, **_STATUS}),
    _t("apps", ["v1"], "statefulsets", "statefulset", "StatefulSet", True, ["sts"], ["all"],
       subs={**_SCALE, **_STATUS}),
    # events.k8s.io/v1 (stored apart from core events here; see README)
    _t("events.k8s.io", ["v1"], "events", "event", "Event", True, ["ev"]),
    # authorization.k8s.io/v1: not listable, create only
    _t("authorization.k8s.io", ["v1"], "selfsubjectaccessreviews", "selfsubjectaccessreview",
       "SelfSubjectAccessReview", False, verbs=["create"]),
    # autoscaling: two versions, v2 preferred
    _t("autoscaling", ["v2", "v1"], "horizontalpodautoscalers", "horizontalpodautoscaler",
       "HorizontalPodAutoscaler", True, ["hpa"], ["all"], subs=_STATUS),
    # batch/v1
    _t("batch", ["v1"], "cronjobs", "cronjob", "CronJob", True, ["cj"], ["all"], subs=_STATUS),
    _t("batch", ["v1"], "jobs", "job", "Job", True, (), ["all"], subs=_STATUS),
    # networking.k8s.io/v1
    _t("networking.k8s.io", ["v1"], "ingressclasses", "ingressclass", "IngressClass", False),
    _t("networking.k8s.io", ["v1"], "ingresses", "ingress", "Ingress", True, ["ing"], subs=_STATUS),
    _t("networking.k8s.io", ["v1"], "networkpolicies", "networkpolicy", "NetworkPolicy", True,
       ["netpol"]),
    # policy/v1
    _t("policy", ["v1"], "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget",
       True, ["pdb"], subs=_STATUS),
    # rbac.authorization.k8s.io/v1
    _t("rbac.authorization.k8s.io", ["v1"], "clusterrolebindings", "clusterrolebinding",
       "ClusterRoleBinding", False),
    _t("rbac.authorization.k8s.io", ["v1"], "clusterroles", "clusterrole", "ClusterRole", False),
    _t("rbac.authorization.k8s.io", ["v1"], "rolebindings", "rolebinding", "RoleBinding", True),
    _t("rbac.authorization.k8s.io", ["v1"], "roles", "role", "Role", True),
    # storage.k8s.io/v1
    _t("storage.k8s.io", ["v1"], "storageclasses", "storageclass", "StorageClass", False, ["sc"]),
    # apiextensions.k8s.io/v1
    _t("apiextensions.k8s.io", ["v1"], "customresourcedefinitions", "customresourcedefinition",
       "CustomResourceDefinition", False, ["crd", "crds"], ["api-extensions"], subs=_STATUS),
    # scheduling.k8s.io/v1
    _t("scheduling.k8s.io", ["v1"], "priorityclasses", "priorityclass", "PriorityClass", False, ["pc"]),
    # coordination.k8s.io/v1
    _t("coordination.k8s.io", ["v1"], "leases", "lease", "Lease", True),
    # discovery.k8s.io/v1
    _t("discovery.k8s.io", ["v1"], "endpointslices", "endpointslice", "EndpointSlice", True),
]

# Group order of /apis, as a real server lists its built-in groups; custom
# resource groups follow, sorted by name.
BUILTIN_GROUP_ORDER = [
    "", "apps", "events.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
    "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
    "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
]

# Types a backup normally skips (transient); the seed marks them so.
TRANSIENT_KINDS = ("Event", "Lease", "EndpointSlice", "Endpoints")
