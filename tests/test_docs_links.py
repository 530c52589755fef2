"""The README stays short and every link of the docs leads somewhere.

Every relative link and image in README.md, docs/*.md and runs/README.md must name a file
that exists, and an anchor (`page.md#heading`, `#heading`) a heading of that page, as GitHub
spells heading anchors. Links that leave the repository (to the project's `shared/` folder
beside the checkout) are checked wherever that folder is present. Reads text only: no
TensorFlow.
"""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
README_MAX_LINES = 150

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, …


def docs_pages() -> list[Path]:
    return sorted((REPO / "docs").glob("*.md"))


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped,
    spaces as hyphens, a repeated one suffixed -1, -2, …"""
    seen: dict[str, int] = {}
    slugs = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else f"{slug}-{count}")
    return slugs


def broken_links(page: Path) -> list[str]:
    """`page`'s relative links and images that do not resolve, each with the reason."""
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.is_relative_to(REPO):
            entry = resolved.relative_to(REPO.parent).parts[0] if resolved.is_relative_to(
                REPO.parent) else None
            if entry is None or not (REPO.parent / entry).is_dir():
                continue  # outside the checkout, in a folder this machine does not have
        if not resolved.is_file():
            broken.append(f"{target}: no file {resolved}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


def test_every_link_and_image_resolves():
    pages = [README, *docs_pages(), REPO / "runs" / "README.md"]
    assert len(pages) > 2, "docs/*.md is missing"
    broken = {page.relative_to(REPO).as_posix(): broken_links(page) for page in pages}
    assert not {page: links for page, links in broken.items() if links}


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / target.partition("#")[0]).resolve()
              for target in LINK.findall(prose(README.read_text(encoding="utf-8")))}
    assert not [page.name for page in docs_pages() if page.resolve() not in linked]


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines"


def test_ci_runs_the_readme_test_command():
    """.ci/run runs exactly the test command the README gives a newcomer."""
    command = ("pip install -r requirements.txt -e . && ruff check hat_tf tools tests "
               "&& python -m pytest -q")
    assert f"```bash\n{command}\n```" in README.read_text(encoding="utf-8")
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert command in ci_lines


def test_the_check_finds_a_broken_link_an_unknown_anchor_and_a_missing_image(tmp_path,
                                                                             monkeypatch):
    tmp_path = tmp_path.resolve()
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    (tmp_path / "other.md").write_text("# A heading, `code` and all\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#a-heading-code-and-all) [fine too](other.md#twice-1) [self](#top)\n"
        "# Top\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) ![picture](figure.png)\n"
        "`[in code](nothing.md)` [web](https://example.org/x.md)\n"
        "```\n[in a block](nothing.md)\n```\n")
    assert broken_links(page) == [
        f"missing.md: no file {tmp_path / 'missing.md'}",
        "other.md#nowhere: no heading #nowhere in other.md",
        f"figure.png: no file {tmp_path / 'figure.png'}",
    ]
