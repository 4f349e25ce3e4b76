#!/usr/bin/env python3
"""Replication benchmark (make bench): how fast a site's snapshots reach an
off-site copy over loopback, and how many bytes an incremental costs, for
Cairn and for the way restic and borg users make an off-site copy of the
same data, in the same run:

  cairn -> S3       appliance A replicates a snapshot to a real Ceph RGW
  cairn -> B        appliance A replicates to appliance B (mTLS, paired)
  restic -> S3      restic backs the same tree up straight into the RGW
  borg + rclone     borg backs up into a local repo, rclone syncs it to RGW

Figures printed: MB/s of source data made safe off-site for each, ratios to
Cairn, and for an incremental (the tree mutated by run_bench.tiny_mutate) the
bytes Cairn sent per byte of new unique (sealed) data -- the goal is at most
1.05 -- next to the bytes restic and rclone uploaded for the same change.

Usage: replication_bench.py --build BUILD [--size-mib 512] [--work DIR]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402
from appliance_bench import Appliance  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
S3SUP = os.path.join(HERE, "..", "tests", "support", "s3")
AK, SK = "testaccesskey", "testsecretkey"


def log(msg):
    print("[replication-bench] " + msg, flush=True)


def run(cmd, env=None, check=True, timeout=3600):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise SystemExit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


def wait_replicated(app, target, want_snapshots, timeout=1800):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st = json.loads(run([app.ctl, "target", "status", target, "--json"], env=app.env))
        if st["snapshots_replicated_total"] >= want_snapshots and st["queue_snapshots"] == 0:
            return time.monotonic() - t0, st
        time.sleep(0.2)
    raise SystemExit("target %s did not finish in %d s" % (target, timeout))


def bytes_sent(app, target):
    return json.loads(run([app.ctl, "target", "status", target, "--json"], env=app.env))["bytes_sent_total"]


def s3_env():
    return dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, RESTIC_PASSWORD="bench",
                BORG_PASSPHRASE="bench", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes")


def rclone_uploaded(endpoint, src, dst):
    """Runs rclone sync and returns the bytes it transferred (from its stats)."""
    env = dict(os.environ)
    env.pop("AWS_CA_BUNDLE", None)
    remote = ":s3,provider=Ceph,access_key_id=%s,secret_access_key=%s,endpoint='%s':" % (AK, SK, endpoint)
    p = subprocess.run(["rclone", "sync", src, remote + dst, "--stats", "1h", "--use-json-log",
                        "--stats-log-level", "NOTICE"], env=env, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        raise SystemExit("rclone failed: " + p.stderr[-2000:])
    total = 0
    for line in p.stderr.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if "stats" in j:
            total = max(total, j["stats"].get("bytes", 0))
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--work")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    work = a.work or tempfile.mkdtemp(prefix="cairn-repl-bench-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    rgw_dir = os.path.join(work, "rgw")
    apps = []
    try:
        log("dataset: %d MiB (run_bench's tiny generator)" % a.size_mib)
        shutil.rmtree(data, ignore_errors=True)
        run_bench.tiny_generate(data, a.size_mib, 11)
        src_bytes = run_bench.du_bytes(data)
        out = run(["bash", os.path.join(S3SUP, "start_rgw.sh"), rgw_dir])
        endpoint = re.search(r"ENDPOINT=(\S+)", out).group(1)
        host = endpoint.split("//", 1)[1]
        s3cmd = ["s3cmd", "-c", "/dev/null", "--access_key=" + AK, "--secret_key=" + SK, "--host=" + host,
                 "--host-bucket=" + host, "--no-ssl", "--region=us-east-1"]
        for b in ("cairn", "restic", "borg"):
            run(s3cmd + ["mb", "s3://" + b])
        creds = os.path.join(work, "s3.toml")
        with open(creds, "w") as f:
            f.write('access_key = "%s"\nsecret_key = "%s"\n' % (AK, SK))
        os.chmod(creds, 0o600)

        b_app = Appliance(build, os.path.join(work, "b"))
        b_app.start()
        apps.append(b_app)
        pair = run([b_app.ctl, "peer", "token", "create", "--name", "site-a"], env=b_app.env).strip().splitlines()[-1]
        a_app = Appliance(build, os.path.join(work, "a"))
        a_app.start()
        apps.append(a_app)
        agent = a_app.enroll("agent")
        run([a_app.agent, "backup", "--state-dir", agent, "--path", data, "--name", "bench"])
        log("snapshot 1 on A; replicating")

        results = {}
        run([a_app.ctl, "target", "add", "cloud", "--s3-endpoint", endpoint, "--s3-bucket", "cairn",
             "--s3-credentials", creds, "--probe-interval", "1s"], env=a_app.env)
        secs, st = wait_replicated(a_app, "cloud", 1)
        results["cairn -> S3"] = (secs, st["bytes_sent_total"])
        run([a_app.ctl, "target", "add", "site-b", "--appliance-url", b_app.ingest, "--pair-token", pair,
             "--probe-interval", "1s"], env=a_app.env)
        secs, st = wait_replicated(a_app, "site-b", 1)
        results["cairn -> B"] = (secs, st["bytes_sent_total"])

        env = s3_env()
        restic_repo = "s3:%s/restic" % endpoint
        run(["restic", "-r", restic_repo, "init"], env=env)
        t0 = time.monotonic()
        run(["restic", "-r", restic_repo, "backup", "--quiet", data], env=env)
        restic_secs = time.monotonic() - t0
        results["restic -> S3"] = (restic_secs, 0)
        borg_repo = os.path.join(work, "borg-repo")
        run(["borg", "init", "--encryption=repokey-blake2", borg_repo], env=env)
        t0 = time.monotonic()
        run(["borg", "create", "--compression", "zstd,3", borg_repo + "::one", data], env=env)
        borg_local = time.monotonic() - t0
        t1 = time.monotonic()
        borg_bytes = rclone_uploaded(endpoint, borg_repo, "borg")
        results["borg + rclone -> S3"] = (borg_local + time.monotonic() - t1, borg_bytes)

        log("first snapshot made safe off-site, %.0f MiB of source:" % (src_bytes / 2**20))
        base = results["cairn -> S3"][0]
        print("%-22s %9s %10s %14s %18s" % ("path", "seconds", "MB/s", "bytes sent", "time vs cairn->S3"))
        for name, (secs, sent) in results.items():
            print("%-22s %9.2f %10.1f %14s %17.2fx" % (name, secs, src_bytes / secs / 1e6, sent or "-", secs / base))

        # Incremental: mutate, back up, replicate; bytes sent per new unique byte.
        run_bench.tiny_mutate(data, 11, 1)
        before = {t: bytes_sent(a_app, t) for t in ("cloud", "site-b")}
        out = run([a_app.agent, "backup", "--state-dir", agent, "--path", data, "--name", "bench"])
        snap = re.findall(r"^snapshot ([0-9a-f]{16})$", out, re.M)[-1]
        snaps = json.loads(run([a_app.ctl, "snapshots", "--json"], env=a_app.env))
        snaps = snaps if isinstance(snaps, list) else snaps.get("snapshots", [])
        rec = [s for s in snaps if s["id"] == snap][0]
        new_stored, new_plain, manifest = rec["bytes_stored"], rec["bytes_new"], rec["manifest_bytes"]
        print("\nincremental snapshot %s: %d new unique bytes (plaintext %d), manifest %d" %
              (snap, new_stored, new_plain, manifest))
        for t in ("cloud", "site-b"):
            wait_replicated(a_app, t, 2)
            sent = bytes_sent(a_app, t) - before[t]
            print("  cairn -> %-7s sent %10d bytes = %.3f x new unique bytes (goal <= 1.05)%s" %
                  (t, sent, sent / max(new_stored, 1), "" if sent / max(new_stored, 1) <= 1.05 else "  ** over goal **"))
        out = run(["restic", "-r", restic_repo, "backup", "--json", data], env=env)
        added = 0
        for line in out.splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("message_type") == "summary":
                added = j.get("data_added", 0)
        print("  restic -> S3    added %10d bytes to its repository (%.3f x cairn's new unique bytes)" %
              (added, added / max(new_stored, 1)))
        run(["borg", "create", "--compression", "zstd,3", borg_repo + "::two", data], env=env)
        borg_inc = rclone_uploaded(endpoint, borg_repo, "borg")
        print("  borg + rclone   uploaded %10d bytes (%.3f x cairn's new unique bytes)" %
              (borg_inc, borg_inc / max(new_stored, 1)))
    finally:
        for app in apps:
            app.stop()
        subprocess.run(["bash", os.path.join(S3SUP, "stop_rgw.sh"), rgw_dir], capture_output=True)
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
