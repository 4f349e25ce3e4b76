"""The three patch formats of PATCH requests.

- merge_patch: RFC 7386 (application/merge-patch+json).
- json_patch: RFC 6902 (application/json-patch+json): add, remove, replace,
  move, copy, test; a failed test or a bad path raises ApiError 422.
- strategic_merge: an approximation of application/strategic-merge-patch+json:
  a merge patch in which lists of objects that all carry `name` (or a known
  merge key such as containerPort/mountPath) are merged item by item by that
  key instead of replaced, `$patch: delete|replace` directives are honoured,
  and `$setElementOrder/`, `$retainKeys` and `$deleteFromPrimitiveList/`
  directives are applied loosely (ordering hints ignored). Enough for the
  patches `kubectl apply` computes; see README.
All functions return new values and never modify their arguments.
"""

import copy

from . import errors

# Merge keys of lists of objects in the built-in types, besides `name`.
_MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "ip", "port", "type",
               "topologyKey")


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


def _invalid(message):
    return errors.ApiError(422, "Invalid", message, {})


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise _invalid('invalid JSON pointer "%s": must start with "/"' % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts, path):
    cur = doc
    for p in parts:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise _invalid('json patch path "%s" does not exist' % path)
    return cur


def _get(doc, path):
    return _walk(doc, _pointer(path), path)


def _remove(doc, path):
    parts = _pointer(path)
    if not parts:
        raise _invalid("json patch cannot remove the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _invalid('json patch remove: path "%s" does not exist' % path)


def _add(doc, path, value, replace=False):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _invalid('json patch replace: path "%s" does not exist' % path)
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _invalid('json patch: index "%s" out of range in "%s"' % (last, path))
    else:
        raise _invalid('json patch: parent of "%s" is not an object or array' % path)
    return doc


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise errors.bad_request("json patch must be an array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise _invalid("json patch operation needs op and path: %r" % (op,))
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise _invalid('json patch %s at "%s" needs a value' % (kind, path))
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise _invalid('json patch %s at "%s" needs from' % (kind, path))
            value = _remove(doc, op["from"]) if kind == "move" else copy.deepcopy(_get(doc, op["from"]))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise _invalid('json patch test operation failed: value at "%s" is not %s'
                               % (path, _short(op["value"])))
        else:
            raise _invalid('json patch: unknown operation "%s"' % kind)
    return doc


def _short(v):
    s = repr(v)
    return s if len(s) < 80 else s[:77] + "..."


def _merge_key(items):
    for key in _MERGE_KEYS:
        if items and all(isinstance(i, dict) and key in i for i in items):
            return key
    return None


def _merge_list(original, patch):
    plain = [p for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return copy.deepcopy(plain)
    key = _merge_key([p for p in patch if isinstance(p, dict)] + list(original or []))
    if key is None or not all(isinstance(p, dict) for p in patch):
        return [strategic_merge(None, p) if isinstance(p, dict) else copy.deepcopy(p) for p in plain]
    result = [copy.deepcopy(o) for o in (original or [])]
    for p in patch:
        idx = next((i for i, o in enumerate(result) if o.get(key) == p.get(key)), None)
        if p.get("$patch") == "delete":
            if idx is not None:
                result.pop(idx)
        elif idx is None:
            result.append(strategic_merge(None, p))
        else:
            result[idx] = strategic_merge(result[idx], p)
    return result


def strategic_merge(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in (v or [])]
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, list):
            result[k] = _merge_list(result.get(k) if isinstance(result.get(k), list) else None, v)
        elif isinstance(v, dict):
            merged = strategic_merge(result.get(k), v)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        else:
            result[k] = v
    return result
