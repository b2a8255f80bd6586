"""The product as it is deployed on PostgreSQL, as real processes: `gakuseki migrate`, `gakuseki serve`
and `gakuseki projections run`, configured by environment variables only (README "Configuration").

Each ledger gets a working folder of its own (its signing key, its trust list, the processes' logs)
under the run's temporary folder; every ledger of the run trusts one development key, which the
bench uses to mint tokens (api/devkeys.py). Processes are stopped by their own pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.devkeys import DevKey
from api.keys import LedgerKey
from bench import http_client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command() -> list[str]:
    """The installed `gakuseki` script beside this Python, else the same CLI as a module."""
    script = Path(sys.executable).with_name("gakuseki")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a process, in kB, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                out[name] = int(value.split()[0])
    return out


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGINT)  # uvicorn and the projections loop both stop cleanly on it
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout)


@dataclass
class Deployment:
    """One ledger: its database URL (with its own schema), its folder, its processes."""

    url: str
    folder: Path
    ledger_id: str
    dev_key: Path
    trust: list[dict[str, Any]] = field(default_factory=list)  # other ledgers' trust entries
    host: str = "127.0.0.1"
    port: int = 0
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key = LedgerKey.generate(self.folder / "signing-key.pem", self.ledger_id, force=True)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAKUSEKI_")}
        env.update({"GAKUSEKI_DATABASE_URL": self.url, "GAKUSEKI_HOST": self.host, "GAKUSEKI_PORT": str(self.port),
                    "GAKUSEKI_DEV_KEY": str(self.dev_key), "GAKUSEKI_LEDGER_ID": self.ledger_id,
                    "GAKUSEKI_SIGNING_KEY": str(self.folder / "signing-key.pem")})
        if self.trust:
            path = self.folder / "trust-list.json"
            path.write_text(json.dumps({"ledgers": self.trust}, ensure_ascii=False))
            env["GAKUSEKI_TRUST_LIST"] = str(path)
        return env

    def run(self, *args: str) -> str:
        done = subprocess.run([*command(), *args], env=self.env(), cwd=self.folder, capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"gakuseki {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def migrate(self) -> None:
        self.run("migrate")

    def _start(self, name: str, *args: str) -> Process:
        return self.start(name, *command(), *args)

    def start(self, name: str, *argv: str) -> Process:
        """A process of this ledger (its environment, its folder; the project importable), logged to NAME.log."""
        log = self.folder / f"{name}.log"
        handle = open(log, "wb")  # noqa: SIM115 (the child keeps writing to it)
        env = {**self.env(), "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                         os.environ.get("PYTHONPATH")]))}
        popen = subprocess.Popen(list(argv), env=env, cwd=self.folder, stdout=handle,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def serve(self, timeout: float = 60.0) -> Process:
        self.port = self.port or free_port()
        process = self._start("serve", "serve", "--port", str(self.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"gakuseki serve exited:\n{process.tail()}")
            try:
                if http_client.one(self.host, self.port, http_client.Call("GET", "/health", "-")).status == 200:
                    return process
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gakuseki serve did not answer /health within {timeout:.0f} s:\n{process.tail()}")

    def project(self) -> Process:
        return self._start("projections", "projections", "run")

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()
        self.processes.clear()


class Tokens:
    """Development tokens (the key every ledger of the run trusts), made once per grant."""

    def __init__(self, path: Path) -> None:
        self.key = DevKey.load_or_create(path)
        self.path = path
        self._made: dict[str, str] = {}

    def token(self, staff: str, role: str, school: str | None = None, *, classes: tuple[str, ...] = (),
              subjects: tuple[str, ...] = ()) -> str:
        key = f"{staff}|{role}|{school}|{classes}|{subjects}"
        if key not in self._made:
            grant: dict[str, Any] = {"role": role}
            if school:
                grant["school"] = school
            if classes:
                grant["classes"] = list(classes)
            if subjects:
                grant["subjects"] = list(subjects)
            self._made[key] = self.key.token(staff, [grant], mfa=True, ttl=12 * 3600)
        return self._made[key]


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
