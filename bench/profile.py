"""Where the server spends its time during a measurement (``python -m bench --profile DIR``).

With ``--profile DIR`` the first round records each HTTP phase with py-spy attached to the
`gakuseki serve` process (``py-spy record --format raw``: collapsed stacks of the threads that are
running, 200 samples a second) into ``DIR/<phase>.txt``, and prints the functions with the largest
inclusive share of the samples. py-spy is not a dependency of the product: install it in the venv
to use this (``.venv/bin/pip install py-spy``). ``python -m bench.profile FILE [N] [FILTER]`` prints
the summary of a recorded file again (FILTER: keep only frames whose file contains it).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*)(:\d+)?\)$")


def _where(frame: str) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{file}:{m['function']}"


def summary(path: Path, top: int = 25, only: str = "") -> str:
    """The functions with the largest inclusive share of the samples (each counted once per stack)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_where(f) for f in stack.split(";") if f]
        for where in set(frames):
            if only in where:
                inclusive[where] += n
        if frames:
            own[frames[-1]] += n
    lines = [f"{path.name}: {total} samples (running threads of the server)", "  incl%  self%  function"]
    for where, n in inclusive.most_common(top):
        lines.append(f"  {100 * n / max(1, total):5.1f}  {100 * own[where] / max(1, total):5.1f}  {where}")
    return "\n".join(lines)


class Spy:
    """py-spy attached to one process, one recording per phase; does nothing without a folder."""

    def __init__(self, folder: Path | None, pid: int) -> None:
        self.folder, self.pid = folder, pid
        self.exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            if not Path(self.exe).exists():
                raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if self.folder is None:
            yield
            return
        out = self.folder / f"{name}.txt"
        spy = subprocess.Popen([self.exe, "record", "--pid", str(self.pid), "--format", "raw", "--rate", "200",
                                "--nonblocking", "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
            if out.exists():
                print(summary(out, top=15), flush=True)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40,
                  sys.argv[3] if len(sys.argv) > 3 else ""))
