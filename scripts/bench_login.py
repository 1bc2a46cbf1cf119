"""Login under a crowd (the login throttle): one real login's latency while N threads send bogus logins.

    python scripts/bench_login.py [--threads 30] [--seconds 8]

In-process, on auth.authenticate, in a temporary state folder. Two crowds: every bogus login from its own client
with a new unknown name (no throttle can help: only the bounded, lock-free verification does), and all from one
client (the per-client throttle refuses them before Argon2). Runs against whatever pingan/ is on sys.path."""
from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["PINGAN_STATE_DIR"] = tempfile.mkdtemp(prefix="pingan-bench-login-")

from pingan import auth  # noqa: E402

PASSWORD = "Bench-Login-2022"
HAS_CLIENT = "client" in inspect.signature(auth.authenticate).parameters


def login(name: str, password: str, client: str) -> None:
    try:
        if HAS_CLIENT:
            auth.authenticate(name, password, client=client)
        else:
            auth.authenticate(name, password)
    except auth.AuthError:
        pass


def crowd(threads: int, seconds: float, same_client: bool) -> dict:
    stop = threading.Event()
    counter = [0]

    def bogus(i: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            counter[0] += 1
            time.sleep(0.01)  # a network round trip between one client's attempts (no tight in-process loop)
            login(f"ghost{i}_{n}", "wrong-password", "ip:10.9.9.9" if same_client else f"ip:10.8.{i}.{n % 250}")

    workers = [threading.Thread(target=bogus, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    latencies, refused, ok = [], [], [0]
    t_end = time.time() + seconds
    while time.time() < t_end:
        t0 = time.perf_counter()
        try:
            acct = auth.authenticate("real_user", PASSWORD, **({"client": "ip:10.7.0.1"} if HAS_CLIENT else {}))
            assert acct.username == "real_user"
            ok[0] += 1
        except auth.AuthError as exc:  # refused at once under load: the user sees a message and retries
            refused.append(str(exc))
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.2)
    stop.set()
    for w in workers:
        w.join(30)
    return {"logins": len(latencies), "ok": ok[0], "refused": len(refused), "median_s": statistics.median(latencies), "max_s": max(latencies),
            "bogus_attempts": counter[0]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=30)
    p.add_argument("--seconds", type=float, default=8.0)
    args = p.parse_args()
    auth.add_user("real_user", PASSWORD, "analyst")
    t0 = time.perf_counter()
    auth.authenticate("real_user", PASSWORD)
    print(f"one login alone: {time.perf_counter() - t0:.3f} s")
    for same in (False, True):
        r = crowd(args.threads, args.seconds, same)
        print(f"{args.threads} threads of bogus logins ({'one client' if same else 'each its own client'}): "
              f"real login median {r['median_s']:.3f} s, max {r['max_s']:.3f} s over {r['logins']} attempts "
              f"({r['ok']} in, {r['refused']} told to retry at once); "
              f"{r['bogus_attempts']} bogus attempts")


if __name__ == "__main__":
    main()
