#!/usr/bin/env python3
"""Hostile traffic against a cod API (issue 11, item 1), for bench/hostile_api.sh.

Sends REQUESTS requests from THREADS threads, a fixed mix of what a hostile or careless client
sends: bodies near the size limit, deeply nested and very wide JSON, a huge header block, slow
connections that never finish their headers, unlimited list requests, and bad specs. Each
answer's status is counted; a connection the server closes counts as "closed". Prints one line of
counts per kind. It judges nothing: the shell script reads the orchestrator's RSS around it.
"""

import collections
import json
import os
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
REQUESTS = int(os.environ.get("REQUESTS", "20000"))
THREADS = int(os.environ.get("THREADS", "8"))

MB = 1024 * 1024
JOBS = "/api/v1/orchestrator/jobs"


def job_spec(i):
    return json.dumps({"Job": {"Name": f"hostile-{i}", "Type": "batch", "Count": 1, "Tasks": [
        {"Name": "main", "Engine": {"Type": "noop"}}]}}).encode()


# Bodies are built once: the point is the server's memory, not the client's.
BIG_JUNK = b"x" * (9 * MB)
DEEP = b"[" * 200_000 + b"]" * 200_000
WIDE = ("{" + ",".join(f'"k{i}":{i}' for i in range(200_000)) + "}").encode()
LONG_STRING = json.dumps({"Job": {"Name": "n" * (8 * MB), "Type": "batch"}}).encode()
HUGE_HEADERS = "".join(f"X-Pad-{i}: {'v' * 1000}\r\n" for i in range(900))


def request(method, path, body=b"", headers="", content_type="application/json"):
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{headers}\r\n")
    return head.encode() + body


def send(raw, slow=False):
    """Sends raw bytes on a new connection; returns the status code as text, or what happened."""
    try:
        with socket.create_connection((HOST, PORT), timeout=30) as s:
            if slow:
                # Headers that never end: the server must give up on its own.
                s.sendall(b"GET /api/v1/agent/alive HTTP/1.1\r\nHost: x\r\n")
                s.settimeout(30)
                data = s.recv(64)
                return "closed" if not data else data.split(b" ")[1].decode()
            try:
                s.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server refused before reading it all; read its answer
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if not data:
                return "closed"
            return data.split(b" ")[1].decode()
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"


KINDS = [
    ("big-junk-body", 2, lambda i: request("PUT", JOBS, BIG_JUNK)),
    ("deep-json", 5, lambda i: request("PUT", JOBS, DEEP)),
    ("wide-json", 5, lambda i: request("PUT", JOBS, WIDE)),
    ("long-string", 3, lambda i: request("PUT", JOBS, LONG_STRING)),
    ("huge-headers", 5, lambda i: request("GET", "/api/v1/agent/alive", headers=HUGE_HEADERS)),
    ("list-unlimited", 10, lambda i: request("GET", JOBS + "?limit=0")),
    ("list-huge-limit", 10, lambda i: request("GET", JOBS + "?limit=100000000")),
    ("bad-spec", 29, lambda i: request("PUT", JOBS, b'{"Job":{"Type":"nope"}}')),
    ("valid-job", 30, lambda i: request("PUT", JOBS, job_spec(i))),
]
# ONLY=kind,kind sends just those (to see what one kind costs).
if os.environ.get("ONLY"):
    KINDS = [k for k in KINDS if k[0] in os.environ["ONLY"].split(",")]
SCHEDULE = [k for k in KINDS for _ in range(k[1])]

counts = collections.defaultdict(collections.Counter)
lock = threading.Lock()
next_index = 0


def worker():
    global next_index
    while True:
        with lock:
            i = next_index
            next_index += 1
        if i >= REQUESTS:
            return
        name, _, build = SCHEDULE[i % len(SCHEDULE)]
        status = send(build(i))
        with lock:
            counts[name][status] += 1


def slow_worker():
    status = send(None, slow=True)
    with lock:
        counts["slow-headers"][status] += 1


start = time.monotonic()
# SLOW connections that never finish their headers stay open beside the rest of the traffic.
SLOW = int(os.environ.get("SLOW", "200"))
threads = [threading.Thread(target=slow_worker) for _ in range(SLOW)]
threads += [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start
for name in ["slow-headers"] + [k[0] for k in KINDS]:
    print(f"  {name:16} " + " ".join(f"{k}:{v}" for k, v in sorted(counts[name].items())))
print(f"  {REQUESTS} requests in {elapsed:.1f} s")
