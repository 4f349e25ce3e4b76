#!/usr/bin/env python3
"""Prints canonical JSON of Kubernetes objects, for comparing two clusters.

Input: one or more files (or `-` for stdin), each a List (`kubectl get -A -o
json`, or kube-test-apiserver's --dump / GET /_test/dump), a single object, or
several JSON documents one after another. Output: one JSON List, keys sorted,
items sorted by (API group, kind, namespace, name), with the fields a cluster
sets at run time removed:

  metadata.uid, .resourceVersion, .generation, .managedFields,
  .creationTimestamp, .selfLink, .deletionTimestamp,
  .deletionGracePeriodSeconds, metadata.ownerReferences[].uid,
  the annotation kubectl.kubernetes.io/last-applied-configuration
  (and metadata.annotations itself when that leaves it empty),
  status (whole), and Service spec.clusterIP / spec.clusterIPs unless "None".

--exclude-kinds Event,Lease drops whole kinds (names as in `kind`).
Exit status 0; 2 on unreadable input.
"""

import argparse
import json
import sys

_META_DROP = ("uid", "resourceVersion", "generation", "managedFields", "creationTimestamp",
              "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def normalize_object(obj):
    obj = json.loads(json.dumps(obj))
    md = obj.get("metadata") or {}
    for f in _META_DROP:
        md.pop(f, None)
    for ref in md.get("ownerReferences") or []:
        if isinstance(ref, dict):
            ref.pop("uid", None)
    ann = md.get("annotations")
    if isinstance(ann, dict):
        ann.pop(_LAST_APPLIED, None)
        if not ann:
            md.pop("annotations")
    obj.pop("status", None)
    if obj.get("kind") == "Service" and isinstance(obj.get("spec"), dict):
        spec = obj["spec"]
        if spec.get("clusterIP") != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    return obj


def sort_key(obj):
    md = obj.get("metadata") or {}
    return (obj.get("apiVersion", "").rpartition("/")[0], obj.get("kind", ""),
            md.get("namespace", ""), md.get("name", ""))


def _documents(text):
    dec = json.JSONDecoder()
    i, out = 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        out.append(doc)


def items_of(doc):
    if isinstance(doc, dict) and isinstance(doc.get("items"), list) and \
            (doc.get("kind") == "List" or str(doc.get("kind", "")).endswith("List")):
        list_kind = doc.get("kind", "")
        items = []
        for it in doc["items"]:
            # Typed lists (ConfigMapList) omit their items' apiVersion/kind.
            if list_kind != "List" and "kind" not in it:
                it = dict(it, kind=list_kind[:-4], apiVersion=doc.get("apiVersion", ""))
            items.append(it)
        return items
    return [doc]


def normalize(docs, exclude_kinds=()):
    items = [normalize_object(o) for d in docs for o in items_of(d)
             if o.get("kind") not in exclude_kinds]
    return {"apiVersion": "v1", "kind": "List", "items": sorted(items, key=sort_key)}


def main(argv=None):
    p = argparse.ArgumentParser(description="Canonical JSON of Kubernetes objects, runtime fields removed.")
    p.add_argument("--exclude-kinds", default="", help="comma-separated kinds to drop, e.g. Event,Lease")
    p.add_argument("files", nargs="+", metavar="FILE", help="JSON files, - for stdin")
    a = p.parse_args(argv)
    docs = []
    for f in a.files:
        try:
            text = sys.stdin.read() if f == "-" else open(f, encoding="utf-8").read()
            docs.extend(_documents(text))
        except (OSError, ValueError) as e:
            sys.stderr.write("normalize.py: %s: %s\n" % (f, e))
            return 2
    exclude = tuple(k.strip() for k in a.exclude_kinds.split(",") if k.strip())
    json.dump(normalize(docs, exclude), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
