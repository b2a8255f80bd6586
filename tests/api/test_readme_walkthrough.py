"""The README's API walkthrough, run as a new user would: demo, serve, then the shell block."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent


def _walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough -->\n```sh\n(.*?)```\n<!-- /walkthrough -->", text, re.S)
    assert match, "README.md has no walkthrough block"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_readme_walkthrough_works_against_a_fresh_demo_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAKUSEKI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    port = _free_port()
    # the demo of school year 2026 (the walkthrough writes to it), as it stood on 7 December
    subprocess.run(["gakuseki", "demo", "--no-progress", "--today", "2026-12-07"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    server = subprocess.Popen(["gakuseki", "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        script = "set -e\n" + _walkthrough().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    student = json.loads((tmp_path / "admitted.json").read_text())["stream_id"]
    history = json.loads(next(line for line in out.splitlines() if line.startswith("[")))
    assert [e["type"] for e in history] == ["StudentAdmitted", "AttendanceMarked"]
    assert history[0]["stream_id"] == student
    register = tmp_path / "attendance-register-B131220000013-2026-2-2-2026-11.pdf"
    assert register.read_bytes().startswith(b"%PDF-")
    assert "HTTP/1.1 404" in out
    assert '"detail":"no such student"' in out
    assert "application/problem+json" in out
