"""Label and field selectors, with the syntax of the real server.

Label selector: comma-separated requirements, each one of `key`, `!key`,
`key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`.
Field selector: `field=value`, `field==value`, `field!=value`, over the fields
FIELDS allows (metadata.name and metadata.namespace for every type, a few
more per kind, as the real server). Parse errors raise ApiError 400.
Pure functions; thread-safe.
"""

import re

from . import errors

_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$")

# Per-kind extra field selector fields (besides metadata.name/namespace).
FIELDS = {
    "Pod": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "status.phase", "status.podIP", "status.nominatedNodeName"],
    "Secret": ["type"],
    "Event": ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
    "Namespace": ["status.phase"],
    "Node": ["spec.unschedulable"],
    "ReplicaSet": ["status.replicas"],
    "ReplicationController": ["status.replicas"],
    "Job": ["status.successful"],
}


def _split_top(text):
    """Splits on commas outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _check_key(key, whole):
    if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise errors.bad_request('unable to parse requirement: invalid label key "%s" in selector "%s"'
                                 % (key, whole))


def parse_labels(text):
    """Returns a list of (key, op, values) with op in exists, !exists, =, !=, in, notin."""
    reqs = []
    if not text or not text.strip():
        return reqs
    for part in _split_top(text):
        if not part:
            raise errors.bad_request('unable to parse requirement: empty requirement in "%s"' % text)
        m = re.match(r"^(\S+)\s+(in|notin)\s*\((.*)\)$", part)
        if m:
            key, op, vals = m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]
            _check_key(key, text)
            reqs.append((key, op, set(vals)))
            continue
        m = re.match(r"^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$", part)
        if m:
            key, op, val = m.group(1), m.group(2), m.group(3)
            _check_key(key, text)
            reqs.append((key, "=" if op == "==" else op, {val}))
            continue
        if part.startswith("!"):
            key = part[1:].strip()
            _check_key(key, text)
            reqs.append((key, "!exists", None))
            continue
        _check_key(part, text)
        reqs.append((part, "exists", None))
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
        if op in ("=", "in") and (not present or labels[key] not in vals):
            return False
        if op in ("!=", "notin") and present and labels[key] in vals:
            return False
    return True


def parse_fields(text, kind):
    reqs = []
    if not text or not text.strip():
        return reqs
    allowed = ["metadata.name", "metadata.namespace"] + FIELDS.get(kind, [])
    for part in _split_top(text):
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise errors.bad_request('invalid selector: \'%s\'; can\'t understand \'%s\'' % (text, part))
        field, op, val = m.group(1).strip(), m.group(2), m.group(3).strip()
        if field not in allowed:
            raise errors.bad_request('field label not supported: %s' % field)
        reqs.append((field, "!=" if op == "!=" else "=", val))
    return reqs


def _field_value(obj, path):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def match_fields(reqs, obj):
    for field, op, val in reqs:
        actual = _field_value(obj, field)
        if (actual == val) != (op == "="):
            return False
    return True
