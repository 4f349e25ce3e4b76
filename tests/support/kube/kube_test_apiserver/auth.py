"""Authentication: a request carries a known bearer token or a client
certificate signed by the client CA (checked by the TLS layer), else 401.

The user name (for Forbidden messages) is the certificate's CN, or
`cairn-test-admin` for tokens. Immutable after construction; thread-safe.
"""

import hmac

from . import errors
from .pki import CLIENT_CN

# Paths a real cluster lets anonymous users read.
ANONYMOUS_PATHS = ("/healthz", "/livez", "/readyz", "/version")


class Authenticator:
    def __init__(self, tokens):
        self._tokens = [t for t in tokens if t]

    def user(self, handler):
        """Returns the user name or raises ApiError 401."""
        header = handler.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given = header[7:].strip()
            if any(hmac.compare_digest(given, t) for t in self._tokens):
                return CLIENT_CN
            raise errors.unauthorized()
        cert = getattr(handler, "peer_cert", None)
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
            return "system:anonymous"
        path = handler.path.split("?", 1)[0]
        if path in ANONYMOUS_PATHS:
            return "system:anonymous"
        raise errors.unauthorized()
