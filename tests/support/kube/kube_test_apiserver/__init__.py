"""Cairn's Kubernetes test API server: a single-process, in-memory stand-in for
kube-apiserver that speaks the real JSON wire protocol (discovery, CRUD, patch,
paginated lists, watch, exec over WebSocket) closely enough for kubectl and the
Cairn agent. See ../README.md. Test use only."""
