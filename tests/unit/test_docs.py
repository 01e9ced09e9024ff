"""The README stays a short entry page, and the documentation site stays whole.

The README points into docs/; its figures must agree with the benchmarks page, every page
of docs/ must be reachable from the site's navigation, and every link in the README must
lead to a file of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from tests.conftest import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
MAX_README_LINES = 200

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
# A figure as people write it: 138, 1,324, 2.5, 0.8015, 1.2 (of "1.2 million").
NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")


def prose(markdown: str) -> str:
    """The text a reader takes figures from.

    Left out, because a number in them is no measured figure: fenced code blocks (a
    command's sample output, like the demo's printed lead), inline code (commands,
    options such as `--customers 3000`, ids, version pins such as `>=3.11`), and the
    targets of links and images (file names and addresses).
    """
    text = FENCE.sub(" ", markdown)
    text = INLINE_CODE.sub(" ", text)
    return LINK.sub(lambda match: match.group("text"), text)


def numbers(text: str) -> set[str]:
    """Every number in the text, as written (a sentence's full stop is not part of it)."""
    return {match.rstrip(".,") for match in NUMBER.findall(text)}


def test_the_figures_are_taken_from_prose_only() -> None:
    sample = (
        "The demo takes 138 s on 2 cores, 1.2 million events (see [it](docs/x1.md)).\n"
        "Run `make demo --customers 3000`:\n\n```\nLead C-0001784: score 19\n```\n"
    )
    assert numbers(prose(sample)) == {"138", "2", "1.2"}


def test_the_readme_is_a_short_entry_page() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_README_LINES}): move the detail "
        "into a page of docs/ and link it"
    )


def test_every_figure_of_the_readme_is_on_the_benchmarks_page() -> None:
    readme = numbers(prose(README.read_text(encoding="utf-8")))
    benchmarks = numbers((DOCS / "benchmarks.md").read_text(encoding="utf-8"))
    missing = sorted(readme - benchmarks)
    assert not missing, (
        f"figures in README.md that docs/benchmarks.md does not give: {missing}; "
        "measure them there (with how to reproduce them) or leave them out of the README"
    )


def nav_pages(entries: Any) -> Iterator[str]:
    """Every page a MkDocs nav names, at any depth."""
    if isinstance(entries, str):
        yield entries
    elif isinstance(entries, list):
        for entry in entries:
            yield from nav_pages(entry)
    elif isinstance(entries, dict):
        for value in entries.values():
            yield from nav_pages(value)


def test_every_page_of_docs_is_in_the_navigation_and_every_entry_exists() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["docs_dir"] == "docs"
    listed = list(nav_pages(config["nav"]))
    assert len(listed) == len(set(listed)), "a page is listed twice in mkdocs.yml's nav"
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages - set(listed) == set(), "pages of docs/ missing from mkdocs.yml's nav"
    assert set(listed) - pages == set(), "nav entries of mkdocs.yml without a page"


def test_the_site_fetches_nothing_from_another_host() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False, "Material would load Google Fonts"


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    text = FENCE.sub(" ", README.read_text(encoding="utf-8"))
    targets = [match.group("target") for match in LINK.finditer(text)]
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]
    assert relative, "the README links into docs/"
    broken = [
        target
        for target in relative
        if target.split("#")[0] and not (REPO / target.split("#")[0]).is_file()
    ]
    assert not broken, f"links of README.md to files that do not exist: {broken}"
