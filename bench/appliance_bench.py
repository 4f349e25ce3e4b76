#!/usr/bin/env python3
"""Appliance benchmark: the agent -> appliance data path over loopback mTLS.

  python3 bench/appliance_bench.py --build build               # part of make bench
  python3 bench/appliance_bench.py --size-mib 50 --seconds 10  # quick look

1. Remote vs local, on the same pristine dataset as run_bench.py (A B A B with
   --rounds 2): a first backup with `cairnctl backup` into a fresh local store,
   and with `cairn-agent backup` into a fresh appliance on 127.0.0.1. Prints
   both MB/s and the ratio remote/local (target: >= 0.80). The appliance and
   the agent share this machine's cores, as they would on a one-box site.
2. Load: N agents (default 8) enrolled with one appliance upload fresh chunks
   for up to --seconds each (bounded by --mib-per-agent too) with
   build/bench/ingest_load; prints aggregate ingest MB/s and p50/p99 request
   latency, and fails on any request error.

Work dirs under WORK/appliance (removed at the end unless --keep). Every
process started here is stopped by PID. Python 3 stdlib only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench  # noqa: E402  (the dataset recipe and helpers are shared)

MB = 1e6


def log(msg):
    print("[appliance-bench] " + msg, flush=True)


class Appliance:
    """One appliance under `root`, both listeners on 127.0.0.1 (kernel-chosen ports)."""

    def __init__(self, build, root):
        self.build, self.root = build, root
        self.app = os.path.join(build, "appliance", "cairn-appliance")
        self.ctl = os.path.join(build, "appliance", "ctl", "cairnctl")
        self.agent = os.path.join(build, "agent", "cairn-agent")
        self.proc = None

    def start(self):
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        cfg = os.path.join(self.root, "appliance.toml")
        with open(cfg, "w") as f:
            f.write('[paths]\nstate_dir = "state"\n[ingest]\naddress = "127.0.0.1"\nport = 0\n'
                    '[admin]\naddress = "127.0.0.1"\nport = 0\n')
        out = subprocess.run([self.app, "init", "--config", cfg], capture_output=True, text=True, check=True)
        lines = out.stdout.splitlines()
        self.admin_token = lines[lines.index("admin API token (shown once, keep it safe):") + 1]
        ready = os.path.join(self.root, "ready.json")
        self.log = open(os.path.join(self.root, "appliance.log"), "w")
        self.proc = subprocess.Popen([self.app, "run", "--config", cfg, "--ready-file", ready],
                                     stderr=self.log)
        for _ in range(100):
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                break
            time.sleep(0.1)
        with open(ready) as f:
            ports = json.load(f)
        self.ingest = "https://127.0.0.1:%d" % ports["ingest_port"]
        self.env = dict(os.environ, CAIRN_APPLIANCE="https://127.0.0.1:%d" % ports["admin_port"],
                        CAIRN_TOKEN=self.admin_token,
                        CAIRN_CA_FILE=os.path.join(self.root, "state", "pki", "ca.crt"))

    def enroll(self, name, cluster="bench"):
        token = subprocess.run([self.ctl, "token", "create", "--cluster", cluster], env=self.env,
                               capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        state = os.path.join(self.root, name)
        subprocess.run([self.agent, "enroll", "--appliance", self.ingest, "--token", token,
                        "--state-dir", state], capture_output=True, text=True, check=True)
        return state

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def timed(cmd, env=None, timeout=3600):
    run_bench.sync()
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    secs = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("command failed (%s):\n%s%s" % (" ".join(cmd), p.stdout[-2000:], p.stderr[-2000:]))
    return secs, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(run_bench.REPO_ROOT, "build"))
    ap.add_argument("--work", default="/var/tmp/cairn-bench")
    ap.add_argument("--dataset-script", default=run_bench.default_dataset_script())
    ap.add_argument("--size-gib", type=int, default=2)
    ap.add_argument("--size-mib", type=int, default=0)
    ap.add_argument("--seed", default=run_bench.DEFAULT_SEED)
    ap.add_argument("--gen-jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="remote/local pairs, A B A B")
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--mib-per-agent", type=int, default=256)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--strict", action="store_true", help="exit 3 if the 80% target is missed")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    root = os.path.join(args.work, "appliance")
    os.makedirs(root, exist_ok=True)

    ds = run_bench.Dataset(args, args.work)
    ds.ensure_pristine()
    src, logical = ds.pristine, ds.meta["bytes"]
    ctl = os.path.join(build, "appliance", "ctl", "cairnctl")
    agent = os.path.join(build, "agent", "cairn-agent")

    local_rates, remote_rates = [], []
    appliance = Appliance(build, os.path.join(root, "appliance"))
    try:
        for rnd in range(1, args.rounds + 1):
            store, key = os.path.join(root, "local-store"), os.path.join(root, "local.key")
            shutil.rmtree(store, ignore_errors=True)
            if os.path.exists(key):
                os.remove(key)
            subprocess.run([ctl, "store", "init", "--store", store, "--key-file", key], check=True,
                           capture_output=True)
            secs, _ = timed([ctl, "backup", "--store", store, "--key-file", key, "--source", src,
                             "--name", "bench"])
            local_rates.append(logical / MB / secs)
            log("round %d local  cairnctl backup   %7.1f MB/s (%.1f s)" % (rnd, local_rates[-1], secs))
            shutil.rmtree(store, ignore_errors=True)

            appliance.start()
            state = appliance.enroll("agent-0")
            secs, _ = timed([agent, "backup", "--state-dir", state, "--path", src, "--name", "bench"])
            remote_rates.append(logical / MB / secs)
            log("round %d remote cairn-agent backup %7.1f MB/s (%.1f s)" % (rnd, remote_rates[-1], secs))
            appliance.stop()

        local, remote = run_bench.median(local_rates), run_bench.median(remote_rates)
        ratio = remote / local if local else 0.0
        verdict = "PASS" if ratio >= 0.80 else "FAIL"
        print()
        print("agent -> appliance over loopback mTLS, first backup of %.0f MiB (median of %d)" %
              (logical / (1 << 20), args.rounds))
        print("  local cairnctl backup   %7.1f MB/s" % local)
        print("  cairn-agent -> appliance %7.1f MB/s   ratio %.2f  (target >= 0.80: %s)" % (remote, ratio, verdict))

        appliance.start()
        states = [appliance.enroll("load-%d" % i) for i in range(args.agents)]
        load = subprocess.run([os.path.join(build, "bench", "ingest_load"), "--seconds", str(args.seconds),
                               "--mib-per-agent", str(args.mib_per_agent)] +
                              sum((["--state", s] for s in states), []),
                              capture_output=True, text=True, timeout=args.seconds + 300)
        appliance.stop()
        print()
        print(load.stdout.strip())
        if load.returncode != 0:
            print(load.stderr[-2000:])
            return 1
        return 3 if (args.strict and verdict == "FAIL") else 0
    finally:
        appliance.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
