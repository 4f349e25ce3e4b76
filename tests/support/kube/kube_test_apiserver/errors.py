"""Kubernetes Status errors.

ApiError is raised anywhere below the HTTP handler and turned into a
`{"kind":"Status",...}` body by the handler, with the same reasons and codes
the real kube-apiserver uses. Pure values; thread-safe.
"""


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def qualified(rt):
    """`configmaps` or `deployments.apps`: how the real server names a resource."""
    return rt.plural + ("." + rt.group if rt.group else "")


def _details(rt, name=None):
    d = {}
    if name:
        d["name"] = name
    if rt.group:
        d["group"] = rt.group
    d["kind"] = rt.plural
    return d


def not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(rt), name),
                    _details(rt, name))


def namespace_not_found(ns):
    return ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                    {"name": ns, "kind": "namespaces"})


def already_exists(rt, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rt), name),
                    _details(rt, name))


def conflict(rt, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again'
                    % (qualified(rt), name), _details(rt, name))


def invalid(kind, name, field, reason, message, group=""):
    d = {"name": name or "", "kind": kind,
         "causes": [{"reason": reason, "message": message, "field": field}]}
    if group:
        d["group"] = group
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s: %s' % (kind, name or "", field, message), d)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def forbidden(rt, user, verb, namespace=None, name=None):
    scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    what = 'resource "%s"' % rt.plural
    msg = '%s%s is forbidden: User "%s" cannot %s %s in API group "%s" %s' % (
        qualified(rt), (' "%s"' % name) if name else "", user, verb, what, rt.group, scope)
    return ApiError(403, "Forbidden", msg, _details(rt, name))


def expired():
    return ApiError(410, "Expired",
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.")


def method_not_allowed(method):
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    {})


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def path_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


# Statuses a fault may inject, keyed by code: (reason, message).
FAULT_REASONS = {
    400: ("BadRequest", "injected bad request"),
    403: ("Forbidden", "injected forbidden"),
    404: ("NotFound", "the server could not find the requested resource"),
    409: ("Conflict", "injected conflict"),
    410: ("Expired", "injected gone"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: ("Timeout", "The server was unable to return a response in the time allotted"),
}
