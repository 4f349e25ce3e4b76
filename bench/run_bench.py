#!/usr/bin/env python3
"""Side-by-side benchmark: cairn vs restic vs borg on the same seeded dataset.

  python3 bench/run_bench.py --cairnctl build/appliance/ctl/cairnctl        # make bench
  python3 bench/run_bench.py --only restic,borg                             # peers only
  python3 bench/run_bench.py --only cairn --cairnctl ...                    # cairn alone
  python3 bench/run_bench.py --size-mib 50 --only restic,borg               # 1-minute smoke test
  python3 bench/run_bench.py --size-gib 10 --cairnctl ...                   # memory check

Per round (fresh repositories, fresh copy of the pristine dataset in WORK/src):
  first      backup of WORK/src                      (cairn, restic, borg in turn)
  incr       mutate WORK/src (round 1), backup again (incremental)
  unchanged  backup again with nothing changed
  restore    full restore of the latest snapshot into an empty dir + tree checksum check
With --rounds 2 the whole sequence runs twice (A B A B); tables show medians.

Measured per command: wall time, user+sys CPU and peak RSS of the tool (os.wait4
rusage of the child), MB/s = dataset logical bytes / wall (1 MB = 10^6 bytes, for all
phases, as restic reports it), and after each backup the repository size (du -sb of the
repository directory; for cairn the whole store directory, catalog included). The page
cache is NOT dropped between phases (data stays warm, as the peer figures in
TESTING.md were measured); `sync` runs before every timed command so one tool's
write-back does not land on the next tool's clock.

Results: tables on stdout, WORK/results.json, with --markdown also Markdown tables for
docs/performance.md. Tool logs: WORK/logs/. Exit status 1 if any tool command failed or
a restored tree differed (target misses alone do not fail the run unless --strict).
Python 3 stdlib only.
"""
import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

MiB = 1 << 20
TOOLS = ("cairn", "restic", "borg")
PHASES = ("first", "incr", "unchanged", "restore")
PHASE_TITLE = {"first": "first backup", "incr": "incremental backup (after mutate round 1)",
               "unchanged": "unchanged re-backup", "restore": "full restore of latest snapshot"}
PASSPHRASE = "cairn-bench-not-a-secret"
DEFAULT_SEED = "k8s-backup-bench-v1"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def die(msg):
    print("run_bench: %s" % msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- tree checksum
def sorted_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for fn in sorted(files):
            out.append(os.path.join(d, fn))
    return out


def tree_digest(root):
    """Same algorithm as make-dataset.py stats' tree-sha256 (sorted walk, relative path,
    NUL, sha256 of content). Returns (hexdigest, files, bytes)."""
    h = hashlib.sha256()
    n = total = 0
    for p in sorted_files(root):
        rel = os.path.relpath(p, root)
        fh = hashlib.sha256()
        with open(p, "rb") as f:
            while True:
                b = f.read(4 * MiB)
                if not b:
                    break
                fh.update(b)
                total += len(b)
        h.update(rel.encode() + b"\0" + fh.digest())
        n += 1
    return h.hexdigest(), n, total


def du_bytes(path):
    if not os.path.exists(path):
        return 0
    try:
        out = subprocess.run(["du", "-sb", path], capture_output=True, text=True, timeout=600, check=True)
        return int(out.stdout.split()[0])
    except (subprocess.SubprocessError, ValueError, IndexError):
        total = 0
        for d, _, files in os.walk(path):
            for fn in files:
                try:
                    total += os.lstat(os.path.join(d, fn)).st_size
                except OSError:
                    pass
        return total


def rmtree(path):
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=False)


# Deleting many files makes ext4 skip those inodes when allocating new ones for
# a while (60-300 s: fs/ext4/ialloc.c "recently_deleted"), which slows down
# whichever tool creates files next -- cairn's one-file-per-chunk store most of
# all. So nothing is deleted during a run: old trees are renamed into a trash
# folder (cheap, frees no inode) and emptied once the run is over.
TRASH = None


def discard(path):
    if not os.path.lexists(path):
        return
    if TRASH is None:
        rmtree(path)
        return
    os.makedirs(TRASH, exist_ok=True)
    os.rename(path, os.path.join(TRASH, "%d-%s" % (len(os.listdir(TRASH)), os.path.basename(path))))


def empty_trash():
    if TRASH is not None:
        rmtree(TRASH)


def sync():
    try:
        os.sync()
    except AttributeError:
        subprocess.run(["sync"], timeout=600)


# ---------------------------------------------------------------- tiny dataset (--size-mib)
def tiny_generate(root, size_mib, seed):
    """A small, quick tree: a few hundred files of several kinds, incl. duplicates."""
    r = random.Random("%s/tiny" % seed)
    budget = size_mib * MiB
    words = [w.encode() for w in ("alpha beta gamma delta api web worker cache queue billing auth "
                                  "search index payments orders users catalog gateway frontend "
                                  "backend metrics export sync batch stream session token").split()]

    def text(n):
        out, k = [], 0
        while k < n:
            ln = b"%s.%s=%s %d" % (r.choice(words), r.choice(words), r.choice(words), r.getrandbits(16))
            out.append(ln)
            k += len(ln) + 1
        return b"\n".join(out)[:n] + b"\n"

    def write(rel, data):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)

    # ~250 small config/manifest files (1-16 KB)
    for i in range(250):
        write("manifests/ns-%02d/cm-%03d.yaml" % (i % 10, i), text(1024 + r.getrandbits(14)))
    # 2 "database" files: 8 KiB pages, half repetitive text, half random (~40%)
    db_each = int(budget * 0.2) // 8192 * 8192
    for d in range(2):
        pages = []
        for _ in range(db_each // 8192):
            pages.append(text(4096) + r.randbytes(4096))
        write("volumes/db-%d/data.dat" % d, b"".join(pages))
    # media: random, incompressible (~30%)
    media_total, k = int(budget * 0.3), 0
    while media_total > 0:
        n = min(media_total, 256 * 1024 + r.getrandbits(21))
        write("volumes/media/obj-%03d.bin" % k, r.randbytes(n))
        media_total -= n
        k += 1
    # logs (~20%)
    log_total, k = int(budget * 0.2), 0
    while log_total > 0:
        n = min(log_total, 64 * 1024 + r.getrandbits(19))
        write("volumes/logs/app-%02d.log" % k, text(n))
        log_total -= n
        k += 1
    # duplicates: byte-identical copies at other paths
    files = sorted_files(root)
    for j, p in enumerate(r.sample(files, 20)):
        with open(p, "rb") as f:
            write("dups/copy%d/%s" % (j % 2, os.path.basename(p)), f.read())


def tiny_mutate(root, seed, rnd):
    r = random.Random("%s/tiny/mutate/%d" % (seed, rnd))
    files = sorted_files(root)
    mans = [p for p in files if "/manifests/" in p]
    for p in r.sample(mans, max(1, len(mans) // 20)):           # edit 5% of manifests
        with open(p, "ab") as f:
            f.write(b"resourceVersion: %d\n" % r.getrandbits(24))
    for p in [p for p in files if p.endswith(".dat")]:          # overwrite a few pages + grow
        size = os.path.getsize(p)
        with open(p, "r+b") as f:
            for _ in range(8):
                f.seek(r.randrange(0, size // 8192) * 8192)
                f.write(r.randbytes(8192))
            f.seek(0, 2)
            f.write(r.randbytes(64 * 1024))
    logs = [p for p in files if p.endswith(".log")]
    for p in logs[-3:]:                                         # append to logs
        with open(p, "ab") as f:
            f.write(b"appended line %d\n" % r.getrandbits(32) * 2000)
    media = [p for p in files if "/media/" in p]
    for p in r.sample(media, min(2, len(media))):               # insert bytes near the start
        with open(p, "rb") as f:
            buf = f.read()
        with open(p, "wb") as f:
            f.write(buf[:1000] + r.randbytes(333) + buf[1000:])
    for p in r.sample(mans, 5):                                 # delete some
        if os.path.exists(p):
            os.unlink(p)
    for k in range(3):                                          # add some
        p = os.path.join(root, "volumes", "media", "new-r%d-%d.bin" % (rnd, k))
        with open(p, "wb") as f:
            f.write(r.randbytes(300 * 1024))


# ---------------------------------------------------------------- dataset
class Dataset:
    """Pristine tree under WORK/pristine/<label>, copied into WORK/src each round."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        if args.size_mib:
            self.label = "mib%d" % args.size_mib
            self.kind = "tiny"
            self.seeds = [args.seed]
        else:
            if args.size_gib <= 2:
                self.label, self.seeds = "gib2", [args.seed]
            else:
                n = (args.size_gib + 1) // 2
                self.label = "gib%d" % (2 * n)
                self.seeds = ["%s-t%d" % (args.seed, i) for i in range(n)]
            self.kind = "make-dataset"
        self.pristine = os.path.join(work, "pristine", self.label)
        self.meta_path = self.pristine + ".json"
        self.src = os.path.join(work, "src")
        self.script = args.dataset_script

    def subtrees(self, root):
        """(dir, seed) pairs make-dataset.py operates on."""
        if len(self.seeds) == 1:
            return [(root, self.seeds[0])]
        return [(os.path.join(root, "tree-%d" % i), s) for i, s in enumerate(self.seeds)]

    def recipe(self):
        d = {"kind": self.kind, "label": self.label, "seeds": self.seeds}
        if self.kind == "tiny":
            d["size_mib"] = self.args.size_mib
        else:
            with open(self.script, "rb") as f:
                d["script_sha256"] = hashlib.sha256(f.read()).hexdigest()
        return d

    def ensure_pristine(self):
        if os.path.exists(self.meta_path) and os.path.isdir(self.pristine):
            with open(self.meta_path) as f:
                meta = json.load(f)
            if meta.get("recipe") == self.recipe():
                log("checking pristine dataset %s" % self.pristine)
                digest, n, total = tree_digest(self.pristine)
                if digest == meta["tree_sha256"]:
                    log("reusing pristine dataset (%d files, %.1f MiB, tree-sha256 %s)" % (n, total / MiB, digest[:16]))
                    self.meta = meta
                    return
                log("pristine checksum differs from the recorded one: regenerating")
            else:
                log("pristine dataset was made with another recipe: regenerating")
        rmtree(self.pristine)
        if os.path.exists(self.meta_path):
            os.unlink(self.meta_path)
        tmp = self.pristine + ".tmp"
        rmtree(tmp)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        t0 = time.monotonic()
        if self.kind == "tiny":
            log("generating tiny dataset (%d MiB) into %s" % (self.args.size_mib, tmp))
            os.makedirs(tmp)
            tiny_generate(tmp, self.args.size_mib, self.seeds[0])
        else:
            jobs = []
            for d, seed in self.subtrees(tmp):
                os.makedirs(os.path.dirname(d), exist_ok=True)
                jobs.append([sys.executable, self.script, "generate", d, "--seed", seed])
            log("generating %d dataset tree(s) with %s (a minute or two each)" % (len(jobs), self.script))
            running = []
            while jobs or running:
                while jobs and len(running) < max(1, self.args.gen_jobs):
                    cmd = jobs.pop(0)
                    running.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
                cmd, p = running.pop(0)
                try:
                    out, _ = p.communicate(timeout=3600)
                except subprocess.TimeoutExpired:
                    p.kill()
                    die("dataset generation timed out: %s" % " ".join(cmd))
                if p.returncode != 0:
                    die("dataset generation failed (%s):\n%s" % (" ".join(cmd), out.decode(errors="replace")[-2000:]))
        sync()
        digest, n, total = tree_digest(tmp)
        os.rename(tmp, self.pristine)
        self.meta = {"recipe": self.recipe(), "tree_sha256": digest, "files": n, "bytes": total,
                     "generated_s": round(time.monotonic() - t0, 1)}
        with open(self.meta_path, "w") as f:
            json.dump(self.meta, f, indent=2)
        log("dataset ready: %d files, %.1f MiB, tree-sha256 %s (%.0f s)" % (n, total / MiB, digest[:16],
                                                                           time.monotonic() - t0))

    def fresh_src(self):
        discard(self.src)
        log("copying pristine dataset to %s" % self.src)
        subprocess.run(["cp", "-a", "--reflink=auto", self.pristine, self.src], check=True, timeout=3600)
        sync()

    def mutate(self, rnd=1):
        if self.kind == "tiny":
            tiny_mutate(self.src, self.seeds[0], rnd)
        else:
            for d, seed in self.subtrees(self.src):
                cmd = [sys.executable, self.script, "mutate", d, "--seed", seed, "--round", str(rnd)]
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
                if p.returncode != 0:
                    die("mutate failed (%s):\n%s" % (" ".join(cmd), p.stderr[-2000:]))
        sync()


# ---------------------------------------------------------------- running one command
class Result:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def run_measured(cmd, env, cwd, log_base, timeout):
    """Run cmd, stdout/stderr to files; wall, rusage (os.wait4) of the child."""
    sync()
    with open(log_base + ".out", "wb") as out, open(log_base + ".err", "wb") as err:
        load = os.getloadavg()[0]
        t0 = time.monotonic()
        try:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                 start_new_session=True)
        except OSError as e:
            return Result(ok=False, rc=None, wall=0.0, utime=0.0, stime=0.0, maxrss_kib=0,
                          timed_out=False, load=load, error="cannot start %s: %s" % (cmd[0], e))
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    rc = p.returncode
    err_msg = None
    if timed_out:
        err_msg = "timed out after %d s" % timeout
    elif rc != 0:
        err_msg = "exit status %d" % rc
    return Result(ok=(rc == 0 and not timed_out), rc=rc, wall=wall, utime=ru.ru_utime, stime=ru.ru_stime,
                  maxrss_kib=ru.ru_maxrss, timed_out=bool(timed_out), load=load, error=err_msg)


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").rstrip("\n").split("\n")
        return "\n".join(lines[-n:])
    except OSError:
        return ""


# ---------------------------------------------------------------- tools
class Tool:
    name = ""

    def __init__(self, work, rnd):
        self.dir = os.path.join(work, "tools", self.name)   # repo, key, home (client caches)
        self.repo = os.path.join(self.dir, "repo")
        self.home = os.path.join(self.dir, "home")
        self.n_backups = 0

    def env(self):
        e = dict(os.environ)
        e["HOME"] = self.home                                # contain client caches per tool
        e["XDG_CACHE_HOME"] = os.path.join(self.home, ".cache")
        e["XDG_CONFIG_HOME"] = os.path.join(self.home, ".config")
        e["LC_ALL"] = "C"
        return e

    def fresh(self):
        discard(self.dir)
        os.makedirs(self.home)

    def state_bytes(self):
        """Client-side cache/config the tool keeps outside the repository."""
        return du_bytes(self.home)


class Cairn(Tool):
    name = "cairn"

    def __init__(self, work, rnd, cairnctl):
        super().__init__(work, rnd)
        self.bin = cairnctl
        self.key = os.path.join(self.dir, "cairn.key")

    def version(self):
        try:
            p = subprocess.run([self.bin, "--version"], capture_output=True, text=True, timeout=30)
            return p.stdout.strip().split("\n")[0] if p.returncode == 0 and p.stdout.strip() else "unknown"
        except (OSError, subprocess.SubprocessError):
            return "unknown"

    def init_cmd(self):
        return [self.bin, "store", "init", "--store", self.repo, "--key-file", self.key]

    def backup_cmd(self, src):
        return [self.bin, "backup", "--store", self.repo, "--key-file", self.key, "--source", src, "--name", "bench"]

    def restore_cmd(self, target):
        return ([self.bin, "restore", "--store", self.repo, "--key-file", self.key, "--snapshot", "latest",
                 "--target", target], None)


class Restic(Tool):
    name = "restic"

    def __init__(self, work, rnd):
        super().__init__(work, rnd)
        self.pwfile = os.path.join(self.dir, "password")

    def fresh(self):
        super().fresh()
        with open(self.pwfile, "w") as f:
            f.write(PASSPHRASE + "\n")

    def env(self):
        e = super().env()
        e["RESTIC_PASSWORD_FILE"] = self.pwfile
        e.pop("RESTIC_REPOSITORY", None)
        e.pop("RESTIC_PASSWORD", None)
        e["RESTIC_CACHE_DIR"] = os.path.join(self.home, ".cache", "restic")
        return e

    def version(self):
        p = subprocess.run(["restic", "version"], capture_output=True, text=True, timeout=30)
        return p.stdout.strip()

    def init_cmd(self):
        return ["restic", "-r", self.repo, "init", "--repository-version", "2"]

    def backup_cmd(self, src):
        return ["restic", "-r", self.repo, "--compression", "auto", "backup", src]

    def restore_cmd(self, target):
        return (["restic", "-r", self.repo, "restore", "latest", "--target", target], None)


class Borg(Tool):
    name = "borg"

    def env(self):
        e = super().env()
        e["BORG_PASSPHRASE"] = PASSPHRASE
        e["BORG_BASE_DIR"] = self.home
        e["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes"
        e.pop("BORG_REPO", None)
        return e

    def version(self):
        p = subprocess.run(["borg", "--version"], capture_output=True, text=True, timeout=30)
        return p.stdout.strip()

    def init_cmd(self):
        return ["borg", "init", "--encryption=repokey-blake2", self.repo]

    def backup_cmd(self, src):
        return ["borg", "create", "--compression", "zstd,3", "%s::bench-%d" % (self.repo, self.n_backups + 1), src]

    def restore_cmd(self, target):
        # borg extract writes into the current directory
        return (["borg", "extract", "%s::bench-%d" % (self.repo, self.n_backups)], target)


def locate_restored(target, src):
    """restic/borg restore the absolute source path under the target; find the tree."""
    for cand in (os.path.join(target, src.lstrip("/")), os.path.join(target, os.path.basename(src)), target):
        if os.path.isdir(cand):
            return cand
    return target


# ---------------------------------------------------------------- the benchmark
def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.work)
        self.logs = os.path.join(self.work, "logs")
        self.runs = []
        self.failures = []
        self.ds = Dataset(args, self.work)

    def make_tools(self, rnd):
        tools = []
        for t in self.args.only:
            if t == "cairn":
                tools.append(Cairn(self.work, rnd, self.args.cairnctl))
            elif t == "restic":
                tools.append(Restic(self.work, rnd))
            else:
                tools.append(Borg(self.work, rnd))
        return tools

    def record(self, rnd, phase, tool, cmd, res, log_base, nbytes, **extra):
        row = {"round": rnd, "phase": phase, "tool": tool.name, "cmd": cmd, "ok": res.ok, "exit": res.rc,
               "error": res.error, "wall_s": round(res.wall, 3), "cpu_user_s": round(res.utime, 3),
               "cpu_sys_s": round(res.stime, 3), "cpu_s": round(res.utime + res.stime, 3),
               "peak_rss_mib": round(res.maxrss_kib / 1024, 1), "dataset_bytes": nbytes,
               "mb_s": round(nbytes / res.wall / 1e6, 1) if res.ok and res.wall > 0 else None,
               "loadavg_1m_before": round(res.load, 2), "log": log_base}
        row.update(extra)
        if not res.ok:
            row["stderr_tail"] = tail(log_base + ".err")
            self.failures.append("%s %s (round %d): %s" % (tool.name, phase, rnd, res.error))
            log("FAILED %s %s: %s\n  cmd: %s\n  stderr tail:\n%s" % (
                tool.name, phase, res.error, " ".join(cmd),
                "\n".join("    " + ln for ln in row["stderr_tail"].split("\n"))))
        self.runs.append(row)
        return row

    def step(self, rnd, phase, tool, cmd, cwd=None, nbytes=0):
        log_base = os.path.join(self.logs, "r%d-%s-%s" % (rnd, phase, tool.name))
        res = run_measured(cmd, tool.env(), cwd, log_base, self.args.timeout)
        return res, log_base

    def skip(self, rnd, phase, tool, broken):
        self.runs.append({"round": rnd, "phase": phase, "tool": tool.name, "ok": False, "skipped": True,
                          "error": "skipped: %s failed earlier" % broken[tool.name]})
        log("%-7s %-9s SKIPPED (%s failed earlier)" % (tool.name, phase, broken[tool.name]))

    def backup_phase(self, rnd, phase, tools, broken, nbytes):
        for tool in tools:
            if tool.name in broken:
                self.skip(rnd, phase, tool, broken)
                continue
            cmd = tool.backup_cmd(self.ds.src)
            res, lb = self.step(rnd, phase, tool, cmd, nbytes=nbytes)
            extra = {}
            if res.ok:
                tool.n_backups += 1
                extra["store_bytes"] = du_bytes(tool.repo)
                extra["client_cache_bytes"] = tool.state_bytes()
                if tool.name == "cairn":
                    last = tail(lb + ".out", 1).strip()
                    extra["snapshot"] = last.split()[1] if last.startswith("snapshot ") else None
                    if extra["snapshot"] is None:
                        log("warning: cairnctl backup's last line is not 'snapshot <id>': %r" % last)
            else:
                broken[tool.name] = phase
            row = self.record(rnd, phase, tool, cmd, res, lb, nbytes, **extra)
            log("%-7s %-9s %s" % (tool.name, phase, self.brief(row)))

    @staticmethod
    def brief(row):
        if not row["ok"]:
            return "FAILED (%s)" % row["error"]
        s = "%7.2f s  %7.1f MB/s  cpu %6.1f s  rss %6.1f MiB" % (row["wall_s"], row["mb_s"] or 0, row["cpu_s"],
                                                                 row["peak_rss_mib"])
        if "store_bytes" in row:
            s += "  store %8.1f MiB" % (row["store_bytes"] / MiB)
        if "checksum_ok" in row:
            s += "  tree %s" % ("OK" if row["checksum_ok"] else "DIFFERS")
        return s

    def one_round(self, rnd):
        log("=== round %d of %d (tools in order: %s) ===" % (rnd, self.args.rounds, ", ".join(self.args.only)))
        tools = self.make_tools(rnd)
        broken = {}
        self.ds.fresh_src()
        first_bytes = self.ds.meta["bytes"]
        # init (not timed into the phases, but recorded)
        for tool in tools:
            tool.fresh()
            cmd = tool.init_cmd()
            res, lb = self.step(rnd, "init", tool, cmd)
            if not res.ok:
                broken[tool.name] = "init"
                self.record(rnd, "init", tool, cmd, res, lb, 0)
        self.backup_phase(rnd, "first", tools, broken, first_bytes)
        log("mutating %s (round 1)" % self.ds.src)
        self.ds.mutate(1)
        digest, nfiles, nbytes = tree_digest(self.ds.src)
        self.src_after = {"tree_sha256": digest, "files": nfiles, "bytes": nbytes}
        self.backup_phase(rnd, "incr", tools, broken, nbytes)
        self.backup_phase(rnd, "unchanged", tools, broken, nbytes)
        # restore
        for tool in tools:
            if tool.name in broken:
                self.skip(rnd, "restore", tool, broken)
                continue
            target = os.path.join(self.work, "restore", tool.name)
            discard(target)
            os.makedirs(target)
            cmd, cwd = tool.restore_cmd(target)
            res, lb = self.step(rnd, "restore", tool, cmd, cwd=cwd, nbytes=nbytes)
            extra = {}
            if res.ok:
                root = locate_restored(target, self.ds.src)
                got, gfiles, gbytes = tree_digest(root)
                extra = {"checksum_ok": got == digest, "restored_tree_sha256": got, "restored_files": gfiles,
                         "restored_bytes": gbytes, "restored_root": os.path.relpath(root, target)}
                if got != digest:
                    self.failures.append("%s restore (round %d): restored tree differs (%d files, %d bytes; "
                                         "expected %d files, %d bytes)" % (tool.name, rnd, gfiles, gbytes, nfiles, nbytes))
            row = self.record(rnd, "restore", tool, cmd, res, lb, nbytes, **extra)
            log("%-7s %-9s %s" % (tool.name, "restore", self.brief(row)))
            if not self.args.keep:
                discard(target)
        if not self.args.keep:
            for tool in tools:
                discard(tool.dir)

    # ------------------------------------------------------------ report
    def summary(self):
        summ = {}
        for phase in PHASES:
            summ[phase] = {}
            for tool in self.args.only:
                rows = [r for r in self.runs if r["phase"] == phase and r["tool"] == tool]
                ok = [r for r in rows if r["ok"] and r.get("checksum_ok", True)]
                if not rows:
                    continue
                s = {"rounds": len(rows), "ok_rounds": len(ok)}
                for k in ("wall_s", "mb_s", "cpu_s", "peak_rss_mib", "store_bytes"):
                    m = median([r.get(k) for r in ok])
                    s[k] = round(m, 3) if m is not None else None
                s["wall_s_all"] = [r.get("wall_s") if r["ok"] else None for r in rows]
                s["mb_s_all"] = [r.get("mb_s") if r["ok"] and r.get("checksum_ok", True) else None for r in rows]
                if phase == "restore":
                    s["checksum_ok"] = all(r.get("checksum_ok", False) for r in rows)
                summ[phase][tool] = s
        return summ

    def targets(self, summ):
        def get(phase, tool, key):
            return summ.get(phase, {}).get(tool, {}).get(key)

        out = []
        cairn_run = "cairn" in self.args.only

        def add(name, ok, detail):
            if ok is None and cairn_run and "cairn -" in detail:
                ok = False      # cairn was run but has no figure: it failed
                detail += " (cairn failed)"
            out.append({"target": name, "result": "SKIP" if ok is None else ("PASS" if ok else "FAIL"),
                        "detail": detail})

        def speed(phase, factor):
            c, r = get(phase, "cairn", "mb_s"), get(phase, "restic", "mb_s")
            q = ratio(c, r)
            add("%s >= %.1fx restic MB/s" % (phase, factor), None if q is None else q >= factor,
                "cairn %s / restic %s MB/s = %s" % (fmt(c, ".1f"), fmt(r, ".1f"), fmt(q, ".2f") + "x" if q else "-"))

        speed("first", 2.5)
        speed("incr", 2.0)
        c = get("unchanged", "cairn", "wall_s")
        peers = {t: get("unchanged", t, "wall_s") for t in ("restic", "borg")}
        have = {t: v for t, v in peers.items() if v is not None}
        ok = None if c is None or not have else all(c < v for v in have.values())
        add("unchanged faster than restic and borg", ok,
            "cairn %s s vs %s" % (fmt(c, ".2f"), ", ".join("%s %s s" % (t, fmt(v, ".2f")) for t, v in peers.items())))
        speed("restore", 2.0)
        for phase in ("first", "incr"):
            c, r = get(phase, "cairn", "store_bytes"), get(phase, "restic", "store_bytes")
            add("store after %s <= restic" % phase, None if c is None or r is None else c <= r,
                "cairn %s MiB vs restic %s MiB" % (fmt(c and c / MiB, ".1f"), fmt(r and r / MiB, ".1f")))
        rss = [r["peak_rss_mib"] for r in self.runs if r["tool"] == "cairn" and r["ok"] and r["phase"] in PHASES]
        m = max(rss) if rss else None
        add("cairn peak RSS <= 256 MiB (all phases)", None if m is None else m <= 256,
            "cairn %s MiB (max over phases)" % fmt(m, ".1f"))
        return out

    def tables(self, summ, markdown):
        lines = []
        tools = self.args.only
        for phase in PHASES:
            rows = summ.get(phase, {})
            if not rows:
                continue
            hdr = ["tool", "wall s", "MB/s", "CPU s", "peak RSS MiB", "store MiB"]
            if phase == "restore":
                hdr[-1] = "tree"
            if self.args.rounds > 1:
                hdr.append("wall s per round")
            body = []
            for t in tools:
                s = rows.get(t)
                if not s:
                    continue
                if phase == "restore":
                    last = "OK" if s.get("checksum_ok") else "DIFFERS"
                else:
                    last = fmt(s["store_bytes"] and s["store_bytes"] / MiB, ".1f")
                if s["ok_rounds"] == 0:
                    cells = [t, "SKIPPED" if all(r.get("skipped") for r in self.runs if r["phase"] == phase
                                                 and r["tool"] == t) else "FAILED", "-", "-", "-", "-"]
                else:
                    cells = [t, fmt(s["wall_s"], ".2f"), fmt(s["mb_s"], ".1f"), fmt(s["cpu_s"], ".1f"),
                             fmt(s["peak_rss_mib"], ".1f"), last]
                if self.args.rounds > 1:
                    cells.append(" ".join(fmt(w, ".2f") for w in s["wall_s_all"]))
                body.append(cells)
            title = "%s (%s MB logical%s)" % (PHASE_TITLE[phase], self.phase_mb(phase),
                                               ", median of %d rounds" % self.args.rounds if self.args.rounds > 1 else "")
            lines += self.render(title, hdr, body, markdown)
            rat = self.ratios(rows, phase)
            if rat:
                lines += ([""] if markdown else []) + [("  " if not markdown else "") + "; ".join(rat)]
            lines.append("")
        return lines

    def phase_mb(self, phase):
        b = [r["dataset_bytes"] for r in self.runs if r["phase"] == phase and "dataset_bytes" in r]
        return "%.0f" % (b[0] / 1e6) if b else "?"

    @staticmethod
    def ratios(rows, phase):
        out = []
        c = rows.get("cairn")
        if not c:
            return out
        for peer in ("restic", "borg"):
            p = rows.get(peer)
            if not p:
                continue
            q = ratio(c["mb_s"], p["mb_s"])
            per = [ratio(a, b) for a, b in zip(c["mb_s_all"], p["mb_s_all"])]
            out.append("speed cairn/%s %s%s" % (peer, fmt(q, ".2f") + "x" if q else "-",
                                                " (per round %s)" % " ".join(fmt(x, ".2f") for x in per)
                                                if len(per) > 1 else ""))
            if phase != "restore":
                q = ratio(c["store_bytes"], p["store_bytes"])
                out.append("store cairn/%s %s" % (peer, fmt(q, ".3f") if q else "-"))
        return out

    @staticmethod
    def render(title, hdr, body, markdown):
        if markdown:
            out = ["**%s**" % title, "", "| " + " | ".join(hdr) + " |",
                   "|" + "|".join("---" if i == 0 else "---:" for i in range(len(hdr))) + "|"]
            out += ["| " + " | ".join(r) + " |" for r in body]
            return out
        w = [max(len(str(x)) for x in col) for col in zip(hdr, *body)]
        fmt_row = lambda r: "  " + "  ".join(str(x).ljust(w[0]) if i == 0 else str(x).rjust(w[i])
                                            for i, x in enumerate(r))
        return [title, fmt_row(hdr)] + [fmt_row(r) for r in body]

    def machine(self):
        model = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for ln in f:
                    if ln.startswith("model name"):
                        model = ln.split(":", 1)[1].strip()
                        break
            with open("/proc/meminfo") as f:
                mem = int(f.readline().split()[1]) // 1024
        except OSError:
            mem = None
        return {"cpus": os.cpu_count(), "cpu_model": model, "mem_mib": mem, "kernel": platform.release(),
                "python": platform.python_version()}

    def run(self):
        global TRASH
        a = self.args
        os.makedirs(self.logs, exist_ok=True)
        TRASH = os.path.join(self.work, "trash")
        if os.path.lexists(TRASH):
            log("emptying the trash of an interrupted run (then waiting 60 s for ext4 to settle)")
            empty_trash()
            time.sleep(60)
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.ds.ensure_pristine()
        versions = {}
        for t in self.make_tools(0):
            try:
                versions[t.name] = t.version()
            except (OSError, subprocess.SubprocessError) as e:
                versions[t.name] = "unknown (%s)" % e
        for rnd in range(1, a.rounds + 1):
            self.one_round(rnd)
        log("emptying the trash")
        empty_trash()
        summ = self.summary()
        targets = self.targets(summ)
        result = {
            "started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "args": {k: v for k, v in vars(a).items()}, "machine": self.machine(), "versions": versions,
            "dataset": {"label": self.ds.label, "recipe": self.ds.meta["recipe"],
                        "pristine": {k: self.ds.meta[k] for k in ("tree_sha256", "files", "bytes")},
                        "after_mutate": getattr(self, "src_after", None)},
            "notes": ["page cache not dropped between phases (warm data, as TESTING.md measured)",
                      "nothing is deleted during a run (ext4 slows inode allocation after mass deletes)",
                      "sync before every timed command; MB/s = dataset logical bytes / wall, 1 MB = 1e6 B",
                      "store bytes = du -sb of the repository directory after the backup"],
            "runs": self.runs, "summary": summ, "targets": targets, "failures": self.failures}
        res_path = os.path.join(self.work, "results.json")
        with open(res_path, "w") as f:
            json.dump(result, f, indent=2)
        # ---- report
        m = result["machine"]
        print()
        print("Cairn benchmark: %s, dataset %s (%d files, %.1f MiB; after mutate %s), %d round(s)" % (
            ", ".join(a.only), self.ds.label, self.ds.meta["files"], self.ds.meta["bytes"] / MiB,
            "%.1f MiB" % (result["dataset"]["after_mutate"]["bytes"] / MiB) if result["dataset"]["after_mutate"] else "-",
            a.rounds))
        print("machine: %d cpus (%s), %s MiB RAM, loadavg at start of runs %s; page cache warm (not dropped)" % (
            m["cpus"], m["cpu_model"], m["mem_mib"],
            "/".join("%.1f" % r["loadavg_1m_before"] for r in self.runs if r["phase"] == "first" and "loadavg_1m_before" in r)))
        for t, v in versions.items():
            print("  %s: %s" % (t, v))
        print()
        for ln in self.tables(summ, False):
            print(ln)
        print("Targets (cairn vs peers, medians):")
        for t in targets:
            print("  %-4s  %-42s %s" % (t["result"], t["target"], t["detail"]))
        if a.markdown:
            print()
            print("<!-- run_bench.py %s, %s -->" % (" ".join(sys.argv[1:]), started))
            for ln in self.tables(summ, True):
                print(ln)
            print("| target | result | detail |")
            print("|---|---|---|")
            for t in targets:
                print("| %s | %s | %s |" % (t["target"], t["result"], t["detail"]))
            print()
        print()
        print("results: %s   logs: %s" % (res_path, self.logs))
        if self.failures:
            print("FAILURES:")
            for f_ in self.failures:
                print("  " + f_)
        target_fail = any(t["result"] == "FAIL" for t in targets)
        if self.failures:
            return 1
        if a.strict and target_fail:
            return 3
        return 0


def default_dataset_script():
    for p in (os.path.join(REPO_ROOT, "bench", "make-dataset.py"),
              os.path.join(REPO_ROOT, "..", "shared", "bench", "make-dataset.py"),
              "/work/shared/bench/make-dataset.py"):
        if os.path.isfile(p):
            return os.path.normpath(p)
    return os.path.join(REPO_ROOT, "..", "shared", "bench", "make-dataset.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cairnctl", default=os.path.join(REPO_ROOT, "build", "appliance", "ctl", "cairnctl"),
                    help="cairnctl binary (default: build/appliance/ctl/cairnctl)")
    ap.add_argument("--work", default="/var/tmp/cairn-bench", help="work dir (dataset, repos, results)")
    ap.add_argument("--dataset-script", default=default_dataset_script(), help="make-dataset.py")
    ap.add_argument("--size-gib", type=int, default=2,
                    help="2 = one make-dataset.py tree; more = ceil(N/2) trees with different seeds")
    ap.add_argument("--size-mib", type=int, default=0,
                    help="small quick dataset of this size generated here (smoke test), instead of make-dataset.py")
    ap.add_argument("--seed", default=DEFAULT_SEED)
    ap.add_argument("--rounds", type=int, default=1, help="repeat everything on fresh repos (A B A B)")
    ap.add_argument("--only", default="cairn,restic,borg", help="comma list of cairn,restic,borg (order kept)")
    ap.add_argument("--timeout", type=int, default=0, help="per command timeout, s (default scales with size)")
    ap.add_argument("--gen-jobs", type=int, default=2, help="make-dataset.py generations in parallel")
    ap.add_argument("--markdown", action="store_true", help="also print Markdown tables for docs/performance.md")
    ap.add_argument("--keep", action="store_true", help="keep repositories and restored trees")
    ap.add_argument("--strict", action="store_true", help="exit 3 if a target is missed")
    a = ap.parse_args()
    a.only = [t.strip() for t in a.only.split(",") if t.strip()]
    bad = [t for t in a.only if t not in TOOLS]
    if bad or not a.only or len(set(a.only)) != len(a.only):
        die("--only takes a comma list of distinct tools from %s" % ",".join(TOOLS))
    if a.rounds < 1:
        die("--rounds must be >= 1")
    if a.size_gib < 1 or a.size_mib < 0:
        die("bad size")
    if not a.timeout:
        gib = a.size_mib / 1024 if a.size_mib else a.size_gib
        a.timeout = int(max(300, 900 * gib))
    a.cairnctl = os.path.abspath(a.cairnctl)
    a.dataset_script = os.path.abspath(a.dataset_script)
    if "cairn" in a.only and not os.access(a.cairnctl, os.X_OK):
        die("cairnctl not found or not executable: %s (make build, or --only restic,borg)" % a.cairnctl)
    for t, exe in (("restic", "restic"), ("borg", "borg")):
        if t in a.only and not shutil.which(exe):
            die("%s not installed (make deps installs restic and borgbackup), or leave it out with --only" % exe)
    if not a.size_mib and not os.path.isfile(a.dataset_script):
        die("dataset script not found: %s (--dataset-script)" % a.dataset_script)
    if not shutil.which("du"):
        die("du not found")
    os.makedirs(a.work, exist_ok=True)
    sys.exit(Bench(a).run())


if __name__ == "__main__":
    main()
