"""Test PKI made with the openssl CLI, and the kubeconfig that points at it.

ensure_pki(DIR) creates, when missing: ca.crt/ca.key, server.crt/key (SAN
IP:127.0.0.1, DNS:localhost), client.crt/key (CN=cairn-test-admin,
O=system:masters) and `token` (a random bearer token). write_kubeconfig puts
DIR/kubeconfig with two contexts: `token` (bearer token, embedded CA data;
current) and `cert` (client certificate and key and the CA as file paths
relative to DIR). Files appear under their final names only when complete.
Called once at startup from the main thread.
"""

import base64
import os
import secrets
import shutil
import subprocess
import tempfile

CLIENT_CN = "cairn-test-admin"
_FILES = ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key", "token")


def _openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.strip()))


def _key(name, cwd):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", name, cwd=cwd)


def _signed(name, subject, ext, cwd):
    _key(name + ".key", cwd)
    _openssl("req", "-new", "-key", name + ".key", "-subj", subject, "-out", name + ".csr", cwd=cwd)
    with open(os.path.join(cwd, name + ".ext"), "w") as f:
        f.write(ext)
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-set_serial", str(secrets.randbits(63)), "-days", "3650", "-sha256",
             "-extfile", name + ".ext", "-out", name + ".crt", cwd=cwd)


def ensure_pki(directory):
    os.makedirs(directory, exist_ok=True)
    if all(os.path.exists(os.path.join(directory, f)) for f in _FILES):
        return
    tmp = tempfile.mkdtemp(prefix=".pki-", dir=directory)
    try:
        _key("ca.key", tmp)
        _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=cairn-test-ca",
                 "-days", "3650", "-sha256",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                 "-out", "ca.crt", cwd=tmp)
        _signed("server", "/CN=kube-apiserver",
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n", tmp)
        _signed("client", "/O=system:masters/CN=" + CLIENT_CN,
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\n", tmp)
        with open(os.path.join(tmp, "token"), "w") as f:
            f.write(secrets.token_hex(24) + "\n")
        for f in _FILES:
            os.chmod(os.path.join(tmp, f), 0o600 if f.endswith(".key") or f == "token" else 0o644)
            os.replace(os.path.join(tmp, f), os.path.join(directory, f))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_token(directory):
    with open(os.path.join(directory, "token")) as f:
        return f.read().strip()


def write_kubeconfig(directory, url):
    with open(os.path.join(directory, "ca.crt"), "rb") as f:
        ca_data = base64.b64encode(f.read()).decode()
    token = read_token(directory)
    text = """apiVersion: v1
kind: Config
clusters:
- name: cairn-test
  cluster:
    server: {url}
    certificate-authority-data: {ca}
- name: cairn-test-files
  cluster:
    server: {url}
    certificate-authority: ca.crt
users:
- name: token
  user:
    token: {token}
- name: cert
  user:
    client-certificate: client.crt
    client-key: client.key
contexts:
- name: token
  context:
    cluster: cairn-test
    user: token
- name: cert
  context:
    cluster: cairn-test-files
    user: cert
current-context: token
""".format(url=url, ca=ca_data, token=token)
    path = os.path.join(directory, "kubeconfig")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", 0o600)
    os.replace(path + ".tmp", path)
    return path
