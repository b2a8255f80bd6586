"""`gakuseki print` (api/printing.py): the PDFs of a class or a child, written to a folder with the
caller's token and the API's access rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from domain.backend import Backend


def test_print_writes_a_class_register_month_by_month_and_each_childs_forms_with_the_callers_token(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdf

    from domain.ledger import Ledger
    from tests import builders as b

    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    monkeypatch.setenv("GAKUSEKI_DEV_KEY", str(tmp_path / "dev.pem"))
    assert main(["--database-url", url, "migrate"]) == 0
    with Ledger.open(Backend.from_url(url)) as ledger:
        b.school_with_calendar(ledger)
        children = b.class_with_students(ledger, count=2)
    capsys.readouterr()
    assert main(["token", "--role", "principal", "--school", b.ELEMENTARY, "--staff", b.PRINCIPAL]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    out = tmp_path / "printed"
    args = ["--database-url", url, "print", "class", b.ELEMENTARY, "1", "1", "--year", str(b.YEAR),
            "--through", "2026-06-10", "--out", str(out), "--token", token]
    assert main(args) == 0, capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    registers = [n for n in names if n.startswith("attendance-register-")]
    assert registers == [f"attendance-register-{b.ELEMENTARY}-{b.YEAR}-1-1-2026-{m:02d}.pdf" for m in (4, 5, 6)]
    for child in children:
        assert f"cumulative-record-{child}.pdf" in names
        assert f"health-card-{child}.pdf" in names
    page = pypdf.PdfReader(out / registers[0]).pages[0]
    assert "出席簿" in page.extract_text()

    # a token of a school that never held the class prints nothing and says why
    capsys.readouterr()
    assert main(["token", "--role", "principal", "--school", b.OTHER_ELEMENTARY, "--staff", "P-9"]) == 0
    other = capsys.readouterr().out.strip().splitlines()[-1]
    elsewhere = tmp_path / "elsewhere"
    assert main([*args[:-4], "--out", str(elsewhere), "--token", other]) == 1
    assert "roster: 404 no such class" in capsys.readouterr().err  # as over HTTP: not its class, not found
    assert list(elsewhere.iterdir()) == []


def test_print_without_a_token_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAKUSEKI_TOKEN", raising=False)
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "print", "student", "x", "--out", str(tmp_path / "o")]) == 2
    assert "--token" in capsys.readouterr().err
