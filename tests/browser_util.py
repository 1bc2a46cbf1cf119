"""What the browser tests share: a `streamlit run app.py` on a loopback port, and a private state folder."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_state(snapshot: Path, folder: Path) -> Path:
    """A state folder holding a copy of `snapshot` as its current one and nothing else (no accounts, no audit log
    of other tests): a server on it shows the local demo, without a login."""
    (folder / "warehouse").mkdir(parents=True)
    shutil.copyfile(snapshot, folder / "warehouse" / snapshot.name)
    (folder / "warehouse" / "CURRENT").write_text(snapshot.name, encoding="utf-8")
    return folder


def start_server(env: dict, port: int | None = None, timeout_s: float = 60.0,
                 poll_s: float = 0.3) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on `port` (any free one when None or taken) with `env`; returns once its health
    check answers, within `timeout_s`."""
    if port is None:
        port = free_port()
    else:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:  # taken: any free port will do
                port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(poll_s)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(10)
