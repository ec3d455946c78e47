#!/usr/bin/env python3
"""Crash soak: mixed jobs through a cod cluster whose processes are killed with SIGKILL.

One orchestrator (with its nats-server child) and three compute nodes run as separate `cod serve`
processes against a private dockerd. While JOBS jobs are submitted — noop, noop over two
partitions, docker, and docker with an inline input published to the node (local publisher) — a
chaos loop kills, at random moments, the orchestrator, a compute node or nats-server, and starts
the killed process again (the orchestrator restarts nats-server itself). Then it checks what a
user would:

  * every job was stored once and ends Completed;
  * no partition completed twice (each partition has exactly one Completed execution);
  * every published result can be downloaded, from its node (which kept its port across
    restarts), through the signed URL GET /jobs/:id/results gives, and not without it;
  * no container is left in dockerd, and no execution or staged-input folder on a compute node.

Usage: soak.py --cod build/release/bin/cod [--jobs 1000] [--seed N] [--keep]
Exit status 0 when every check holds; the run's figures and any violation go to stdout.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE = "cod-test/busybox:latest"
COMPLETED_EXECUTION = 9  # ExecutionStateType (reference §5.12)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError("timed out after %ds waiting for %s" % (timeout, what))


class Api:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def call(self, method, path, body=None, timeout=5):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"Message": text.decode(errors="replace")}

    def alive(self):
        try:
            return self.call("GET", "/api/v1/agent/alive", timeout=2)[0] == 200
        except OSError:
            return False

    def all_jobs(self):
        jobs, token = [], ""
        while True:
            path = "/api/v1/orchestrator/jobs?limit=1000"
            if token:
                path += "&next_token=" + token
            status, page = self.call("GET", path, timeout=30)
            if status != 200:
                raise RuntimeError("listing jobs: %s %s" % (status, page))
            jobs += page.get("Items") or []
            token = page.get("NextToken") or ""
            if not token:
                return jobs

    def executions(self, job_id):
        status, page = self.call("GET", "/api/v1/orchestrator/jobs/%s/executions?limit=1000" % job_id,
                                 timeout=30)
        if status != 200:
            raise RuntimeError("executions of %s: %s %s" % (job_id, status, page))
        return page.get("Items") or []


def job_spec(i, kind):
    task = {"Name": "main"}
    count = 1
    if kind == "noop":
        task["Engine"] = {"Type": "noop", "Params": {"Stdout": "soak %d\n" % i}}
    elif kind == "noop-count2":
        count = 2
        task["Engine"] = {"Type": "noop", "Params": {"Stdout": "soak %d\n" % i}}
    elif kind == "docker":
        task["Engine"] = {"Type": "docker",
                          "Params": {"Image": IMAGE, "Entrypoint": ["sh", "-c"],
                                     "Parameters": ["sleep 0.%d; echo soak %d" % (i % 10, i)]}}
    elif kind == "docker-publish":
        task["Engine"] = {"Type": "docker",
                          "Params": {"Image": IMAGE, "Entrypoint": ["sh", "-c"],
                                     "Parameters": ["wc -c < /inputs/data > /outputs/size"]}}
        task["InputSources"] = [{"Target": "/inputs/data",
                                 "Source": {"Type": "inline",
                                            "Params": {"URL": "data:text/plain;base64,aGVsbG8gc29haw=="}}}]
        task["ResultPaths"] = [{"Name": "outputs", "Path": "/outputs"}]
        task["Publisher"] = {"Type": "local"}
    return {"Name": "soak-%d" % i, "Type": "batch", "Count": count, "Tasks": [task],
            "Labels": {"soak-kind": kind}}


class Cluster:
    def __init__(self, cod, root, docker_host):
        self.cod = cod
        self.root = root
        self.docker_host = docker_host
        self.api_port = free_port()
        self.nats_port = free_port()
        self.token = "soak-" + str(random.getrandbits(48))
        self.api = Api(self.api_port)
        self.orchestrator = None
        self.computes = [None, None, None]
        self.publisher_ports = [free_port() for _ in self.computes]
        self.logs = open(os.path.join(root, "cluster.log"), "ab")
        self.config = os.path.join(root, "orchestrator.yaml")
        with open(self.config, "w") as f:
            # Kills fail executions; give every job room to be retried.
            f.write("Orchestrator: {Scheduler: {Retry: {Batch: {Limit: 50, Delay: 1s, MaxDelay: 5s}}}}\n")

    def env(self):
        env = dict(os.environ)
        env["DOCKER_HOST"] = self.docker_host
        return env

    def start_orchestrator(self):
        self.orchestrator = subprocess.Popen(
            [self.cod, "serve", "--orchestrator", "--data-dir", os.path.join(self.root, "orch"),
             "--api-host", "127.0.0.1", "--api-port", str(self.api_port), "--api-rate-limit", "0",
             "--nats-port", str(self.nats_port), "--token", self.token,
             "--node-disconnect-timeout", "5s", "-c", self.config],
            stdout=self.logs, stderr=self.logs, env=self.env())

    def start_compute(self, i):
        self.computes[i] = subprocess.Popen(
            [self.cod, "serve", "--compute", "--name", "soak-compute-%d" % i,
             "--data-dir", os.path.join(self.root, "compute-%d" % i),
             "--orchestrators", "nats://127.0.0.1:%d" % self.nats_port, "--token", self.token,
             "--publisher-port", str(self.publisher_ports[i])],
            stdout=self.logs, stderr=self.logs, env=self.env())

    def nats_pid(self):
        path = os.path.join(self.root, "orch", "orchestrator", "nats", "nats-server.pid")
        try:
            with open(path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return 0

    def kill(self, kind, rng):
        if kind == "orchestrator":
            self.orchestrator.kill()
            self.orchestrator.wait()
            time.sleep(rng.uniform(0.2, 1.5))
            self.start_orchestrator()
        elif kind == "compute":
            i = rng.randrange(len(self.computes))
            self.computes[i].kill()
            self.computes[i].wait()
            time.sleep(rng.uniform(0.2, 1.5))
            self.start_compute(i)
        elif kind == "nats":
            pid = self.nats_pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def connected_computes(self):
        try:
            status, page = self.api.call("GET", "/api/v1/orchestrator/nodes?filter-status=connected")
        except OSError:
            return 0
        if status != 200:
            return 0
        return sum(1 for n in page.get("Nodes") or []
                   if (n.get("Info") or {}).get("NodeType") == "Compute")

    def result_servers_up(self):
        for port in self.publisher_ports:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
        return True

    def stop(self):
        procs = [p for p in self.computes + [self.orchestrator] if p]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def start_dockerd(root):
    sock = os.path.join(root, "docker.sock")
    log = open(os.path.join(root, "dockerd.log"), "ab")
    proc = subprocess.Popen(
        ["dockerd", "--host", "unix://" + sock, "--data-root", os.path.join(root, "docker"),
         "--exec-root", os.path.join(root, "exec"), "--pidfile", os.path.join(root, "dockerd.pid"),
         "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=log, stderr=log)
    wait_for(lambda: subprocess.run(["curl", "-fsS", "--unix-socket", sock, "http://d/_ping"],
                                    capture_output=True).returncode == 0, 60, "dockerd")
    subprocess.run([os.path.join(ROOT, "scripts", "test-image.sh"), sock, IMAGE], check=True,
                   stdout=subprocess.DEVNULL)
    return proc, sock


def cod_containers(sock):
    filters = json.dumps({"label": ["cod.job-id"]})
    out = subprocess.run(["curl", "-fsS", "--unix-socket", sock, "-G",
                          "--data-urlencode", "all=1", "--data-urlencode", "filters=" + filters,
                          "http://d/containers/json"], capture_output=True, check=True)
    return json.loads(out.stdout)


def download_problem(url):
    """Why the local publisher's archive at `url` is not a gzip file ("" when it is)."""
    if not url.startswith("http://"):
        return "no result URL (%r)" % url
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            head = res.read(2)
    except (OSError, urllib.error.HTTPError) as e:
        return "cannot download %s: %s" % (url, e)
    return "" if head == b"\x1f\x8b" else "%s is not a .tar.gz" % url


def leftover_folders(root):
    left = []
    for i in range(3):
        d = os.path.join(root, "compute-%d" % i, "compute", "executions")
        if os.path.isdir(d):
            left += [os.path.join(d, e) for e in os.listdir(d)]
    return left


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cod", default=os.path.join(ROOT, "build", "release", "bin", "cod"))
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--kill-every", type=float, default=3.0,
                        help="mean seconds between kills")
    parser.add_argument("--deadline", type=int, default=0,
                        help="seconds for every job to finish once submitted (0 = 60 + jobs/2)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    deadline = args.deadline or 60 + args.jobs // 2
    root = tempfile.mkdtemp(prefix="cod-soak-")
    print("soak: %d jobs, seed %d, work dir %s" % (args.jobs, args.seed, root), flush=True)

    dockerd, sock = start_dockerd(root)
    cluster = Cluster(os.path.abspath(args.cod), root, "unix://" + sock)
    failures = []
    kills = {"orchestrator": 0, "compute": 0, "nats": 0}
    start = time.monotonic()
    try:
        cluster.start_orchestrator()
        for i in range(len(cluster.computes)):
            cluster.start_compute(i)
        wait_for(cluster.api.alive, 30, "the API")
        wait_for(lambda: cluster.connected_computes() == 3, 30, "three compute nodes")

        kinds = ["noop", "noop-count2", "docker", "docker-publish"]
        submitted = threading.Event()
        lock = threading.Lock()

        terminal = {"Completed", "Failed", "Stopped"}

        def all_terminal():
            try:
                jobs = cluster.api.all_jobs()
            except (OSError, RuntimeError):
                return False
            return len(jobs) >= args.jobs and all(
                j["State"]["StateType"] in terminal for j in jobs)

        submitted_at = []

        def chaos_over():
            # Kills go on while jobs run, for at most two minutes after the last submission.
            if not submitted.is_set():
                return False
            return time.monotonic() > submitted_at[0] + 120 or all_terminal()

        def chaos():
            # Every kind of kill at least once, in a shuffled order, then at random.
            order = ["orchestrator", "compute", "nats"]
            rng.shuffle(order)
            while order or not chaos_over():
                time.sleep(rng.expovariate(1.0 / args.kill_every))
                kind = order.pop() if order else rng.choice(["orchestrator", "compute", "compute",
                                                             "nats"])
                with lock:
                    cluster.kill(kind, rng)
                    kills[kind] += 1
                print("soak: killed %s (%.0fs in)" % (kind, time.monotonic() - start), flush=True)

        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        submit_gap = max(0.0, min(0.2, 20.0 / args.jobs))
        for i in range(args.jobs):
            spec = job_spec(i, kinds[i % len(kinds)])
            give_up = time.monotonic() + 120
            while True:  # until the orchestrator has it (a lost answer shows as "no changes")
                if time.monotonic() > give_up:
                    raise RuntimeError("%s could not be submitted for 120s" % spec["Name"])
                try:
                    status, body = cluster.api.call("PUT", "/api/v1/orchestrator/jobs", {"Job": spec})
                except OSError:
                    time.sleep(0.2)
                    continue
                message = (body or {}).get("Message", "") if isinstance(body, dict) else ""
                if status == 200 or "no changes detected" in message:
                    break
                if status >= 500 or status == 429 or status == 409:
                    time.sleep(0.2)
                    continue
                raise RuntimeError("submitting %s: %s %s" % (spec["Name"], status, body))
            time.sleep(submit_gap)
        submitted_at.append(time.monotonic())
        submitted.set()
        chaos_thread.join()
        submit_secs = time.monotonic() - start
        print("soak: %d jobs submitted in %.0fs; chaos ended after %.0fs; kills: %s" % (
            args.jobs, submitted_at[0] - start, submit_secs, kills), flush=True)

        # Quiet now: every process is up; wait for every job to end.
        wait_for(cluster.api.alive, 30, "the API after the last kill")
        # The orchestrator may not have noticed the last kill yet: each node's own result server
        # answering says its new process is up.
        wait_for(cluster.result_servers_up, 60, "every compute node's result server")
        wait_for(lambda: cluster.connected_computes() == 3, 60, "every compute node to be back")
        wait_for(all_terminal, deadline, "every job to end")
        settle_secs = time.monotonic() - start

        jobs = cluster.api.all_jobs()
        names = {}
        for j in jobs:
            names.setdefault(j["Name"], []).append(j)
        for i in range(args.jobs):
            stored = names.get("soak-%d" % i, [])
            if len(stored) != 1:
                failures.append("soak-%d is stored %d times" % (i, len(stored)))
        executions_total = 0
        for j in jobs:
            state = j["State"]["StateType"]
            if state != "Completed":
                failures.append("%s (%s) ended %s: %s" % (j["Name"], j["ID"], state,
                                                          j["State"].get("Message", "")))
                continue
            execs = cluster.api.executions(j["ID"])
            executions_total += len(execs)
            done = {}
            for e in execs:
                if e["ComputeState"]["StateType"] == COMPLETED_EXECUTION:
                    done.setdefault(e.get("PartitionIndex", 0), []).append(e)
            for p in range(j.get("Count", 1)):
                if len(done.get(p, [])) != 1:
                    failures.append("%s partition %d completed %d times" % (
                        j["Name"], p, len(done.get(p, []))))
            if j["Labels"].get("soak-kind") == "docker-publish":
                # The URLs the orchestrator signs (GET /results); the bare one a record shows
                # must not be enough.
                status, page = cluster.api.call("GET", "/api/v1/orchestrator/jobs/%s/results" % j["ID"])
                items = (page or {}).get("Items") or [] if status == 200 else []
                if len(items) != 1:
                    failures.append("%s: %d results (%s)" % (j["Name"], len(items), status))
                for item in items:
                    problem = download_problem((item.get("Params") or {}).get("URL", ""))
                    if problem:
                        failures.append("%s: %s" % (j["Name"], problem))
                for e in sum(done.values(), []):
                    bare = ((e.get("PublishedResult") or {}).get("Params") or {}).get("URL", "")
                    if not download_problem(bare):
                        failures.append("%s: %s downloads without a signature" % (j["Name"], bare))

        # Cleanup is the compute nodes' own work after the last report: give it a moment.
        try:
            wait_for(lambda: not cod_containers(sock) and not leftover_folders(root), 30,
                     "containers and execution folders to go")
        except RuntimeError:
            for c in cod_containers(sock):
                failures.append("container left: %s %s" % (c["Id"][:12], c.get("Labels", {})))
            for d in leftover_folders(root):
                failures.append("folder left: " + d)

        print("soak: %d jobs, %d executions, all ended %.0fs after the start; kills: %s" % (
            args.jobs, executions_total, settle_secs, kills))
    except Exception as e:  # a stuck cluster is a finding too
        failures.append("the soak could not finish: %s" % e)
    finally:
        cluster.stop()
        dockerd.send_signal(signal.SIGTERM)
        try:
            dockerd.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dockerd.kill()

    for f in failures[:50]:
        print("soak: FAIL " + f)
    if len(failures) > 50:
        print("soak: … and %d more" % (len(failures) - 50))
    if failures:
        print("soak: work dir kept: %s (cluster.log, dockerd.log)" % root)
        return 1
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print("soak: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
