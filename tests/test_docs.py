"""The reader's path stays inside the repository: every relative link of the README and of docs/ names a
file of the repository, and none leads to a folder a clone does not have (issue 13 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def reader_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_user_docs_exist_and_the_readme_links_to_them() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for page in ("docs/promises.md", "docs/glossary.md", "docs/access-policy.md"):
        assert (ROOT / page).is_file(), page
        assert f"]({page})" in readme, page


def test_every_relative_link_of_a_readers_page_names_a_file_of_the_repository() -> None:
    for page in reader_pages():
        text = page.read_text("utf-8")
        assert "../shared" not in text, f"{page.name} sends the reader outside the repository"
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):  # http(s), mailto: not a file of ours
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leads outside the repository"
            assert resolved.exists(), f"{page.name}: {target} names no file"
