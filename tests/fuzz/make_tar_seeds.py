#!/usr/bin/env python3
"""Writes the tar_restore_fuzz seeds into corpus/tar_restore/: small pax
streams built member by member (no files on disk), benign and hostile.

    python3 tests/fuzz/make_tar_seeds.py tests/fuzz/corpus/tar_restore

Deterministic: fixed times, owners and contents, so a rerun rewrites the
same bytes. Hostile members are the ones a restore must refuse or confine:
"..", absolute paths, a symlink out of the target followed by a write
through it, a hard link to a path outside.
"""
import gzip
import io
import os
import sys
import shutil
import subprocess
import tarfile
import tempfile

# Pad to the two end blocks only, not to tar's 10 KiB record: seeds stay small.
tarfile.RECORDSIZE = 2 * tarfile.BLOCKSIZE
MTIME = 1700000000


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", pax=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = MTIME
    info.uid = info.gid = 1000
    info.uname = info.gname = "app"
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        info.pax_headers = dict(pax)
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def pax_stream(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT,
                      encoding="utf-8") as tar:
        for info, data in members:
            tar.addfile(info, data)
    return buf.getvalue()


def gnu_sparse_stream():
    """A pax stream with a GNU sparse 1.0 member (map in the data), from GNU
    tar when it is installed; None otherwise."""
    if not shutil.which("tar"):
        return None
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "disk.img")
        with open(path, "wb") as f:
            f.seek(8192)
            f.write(b"data after a hole\n")
            f.truncate(16384)
        os.utime(path, (MTIME, MTIME))
        return subprocess.run(
            ["tar", "--format=pax", "--sparse", "--sparse-version=1.0", "--numeric-owner",
             "--owner=0", "--group=0", "--pax-option=delete=atime,delete=ctime",
             "--record-size=1024", "-cf", "-", "-C", d, "disk.img"],
            check=True, stdout=subprocess.PIPE).stdout


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    benign = [
        member("./", tarfile.DIRTYPE, mode=0o755),
        member("etc/", tarfile.DIRTYPE, mode=0o755),
        member("etc/app.conf", data=b"listen = 8080\n"),
        member("etc/secret", data=b"s3cr3t\n", mode=0o600,
               pax={"SCHILY.xattr.user.origin": "backup"}),
        member("etc/current", tarfile.SYMTYPE, mode=0o777, link="app.conf"),
        member("etc/hard", tarfile.LNKTYPE, link="etc/app.conf"),
        member("run/", tarfile.DIRTYPE, mode=0o1777),
        member("run/fifo", tarfile.FIFOTYPE),
        member("data/" + "d" * 120 + "/long-name.txt", data=b"pax path\n"),
        member("data/caf\u00e9.txt", data=b"utf-8 name\n"),
        member("data/empty", data=b""),
        member("ro/", tarfile.DIRTYPE, mode=0o555),
        member("ro/file", data=b"in a read-only dir\n", mode=0o444),
    ]
    streams = {
        "benign.tar": pax_stream(benign),
        "hostile.tar": pax_stream([
            member("../escape", data=b"dotdot\n"),
            member("/abs/path", data=b"absolute\n"),
            member("a/../../escape2", data=b"nested dotdot\n"),
            member("out", tarfile.SYMTYPE, mode=0o777, link="../.."),
            member("out/sentinel", data=b"through a symlink\n"),
            member("abs", tarfile.SYMTYPE, mode=0o777, link="/tmp"),
            member("abs/x", data=b"through an absolute symlink\n"),
            member("up", tarfile.SYMTYPE, mode=0o777, link="../sentinel"),
            member("up", data=b"replace the symlink, not its target\n"),
            member("hl", tarfile.LNKTYPE, link="../sentinel"),
            member("dir/", tarfile.DIRTYPE, mode=0o755),
            member("dir", tarfile.SYMTYPE, mode=0o777, link=".."),
            member("dir/after", data=b"dir became a symlink\n"),
            member("dev", tarfile.CHRTYPE, mode=0o666),
        ]),
        "suid_and_modes.tar": pax_stream([
            member("bin/", tarfile.DIRTYPE, mode=0o700),
            member("bin/tool", data=b"#!/bin/sh\n", mode=0o4755),
            member("bin/sticky/", tarfile.DIRTYPE, mode=0o1777),
            member("./", tarfile.DIRTYPE, mode=0o700),
        ]),
    }
    streams["benign.tar.gz"] = gzip.compress(streams["benign.tar"], mtime=MTIME)
    sparse = gnu_sparse_stream()
    if sparse:
        streams["sparse_pax.tar"] = sparse
    for name, data in streams.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"make_tar_seeds: {len(streams)} streams in {out}")


if __name__ == "__main__":
    main()
