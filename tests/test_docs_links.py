"""The README stays short, every link of the docs leads somewhere, and the repository
stands on its own.

Every relative link and image in README.md, docs/*.md and runs/README.md must name a file
that exists inside the repository, and an anchor (`page.md#heading`, `#heading`) a heading
of that page, as GitHub spells heading anchors. No text of the README, the docs, the package,
the tools or the tests may point at files beside the checkout, which a clone does not have.
Reads text only: no TensorFlow.
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
# Files beside the checkout that the project once cited (built here, so that this file does
# not mention them itself).
OUTSIDE_MENTIONS = ("../" + "shared", "HAT" + "_SPEC")
# The text of the project a clone has to stand on.
SELF_CONTAINED = ("README.md", "docs", "hat_tf", "tools", "tests")


def docs_pages() -> list[Path]:
    return sorted((REPO / "docs").glob("*.md"))


def linked_pages() -> list[Path]:
    """The pages whose links are checked."""
    return [REPO / "README.md", *docs_pages(), REPO / "runs" / "README.md"]


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


def relative_links(page: Path) -> list[tuple[str, Path, str]]:
    """(target, the file it resolves to, anchor) of each relative link and image of `page`;
    a bare `#anchor` resolves to the page itself."""
    links = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        links.append((target, (page.parent / path_part).resolve() if path_part else page,
                      anchor))
    return links


def links_outside(page: Path) -> list[str]:
    """`page`'s relative links and images that lead out of the repository."""
    return [f"{target}: outside the repository ({resolved})"
            for target, resolved, _ in relative_links(page)
            if not resolved.is_relative_to(REPO)]


def broken_links(page: Path) -> list[str]:
    """`page`'s relative links and images inside the repository that do not resolve, each
    with the reason (`links_outside` reports the others)."""
    broken = []
    for target, resolved, anchor in relative_links(page):
        if not resolved.is_relative_to(REPO):
            continue
        if not resolved.is_file():
            broken.append(f"{target}: no file {resolved}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


def mentions_outside(root: Path) -> list[str]:
    """`path:line: mention` of every OUTSIDE_MENTIONS in the text files of SELF_CONTAINED
    under `root`."""
    files = []
    for name in SELF_CONTAINED:
        path = root / name
        files += [path] if path.is_file() else sorted(
            f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    found = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue  # not text
        found += [f"{path.relative_to(root).as_posix()}:{number}: {mention}"
                  for number, line in enumerate(lines, 1)
                  for mention in OUTSIDE_MENTIONS if mention in line]
    return found


def test_every_link_and_image_resolves():
    pages = linked_pages()
    assert len(pages) > 2, "docs/*.md is missing"
    broken = {page.relative_to(REPO).as_posix(): broken_links(page) for page in pages}
    assert not {page: links for page, links in broken.items() if links}


def test_no_link_leaves_the_repository():
    outside = {page.relative_to(REPO).as_posix(): links_outside(page) for page in linked_pages()}
    assert not {page: links for page, links in outside.items() if links}


def test_nothing_cites_files_beside_the_checkout():
    """The algorithm is docs/algorithm.md's; nothing cites a spec or data beside the
    checkout, which someone who clones the repository does not have."""
    assert not mentions_outside(REPO)


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


def test_the_check_finds_links_that_leave_the_repository(tmp_path, monkeypatch):
    repo = (tmp_path / "repo").resolve()
    monkeypatch.setattr(sys.modules[__name__], "REPO", repo)
    (repo / "docs").mkdir(parents=True)
    (tmp_path / "beside.md").write_text("# Beside\n")
    page = repo / "docs" / "page.md"
    page.write_text("[inside](../README.md) [beside](../../beside.md#beside) "
                    "[up](../../nothing/x.md) [web](https://example.org/)\n")
    assert links_outside(page) == [
        f"../../beside.md#beside: outside the repository ({tmp_path / 'beside.md'})",
        f"../../nothing/x.md: outside the repository ({tmp_path / 'nothing' / 'x.md'})",
    ]
    assert broken_links(page) == [f"../README.md: no file {repo / 'README.md'}"]


def test_the_check_finds_mentions_of_files_beside_the_checkout(tmp_path):
    (tmp_path / "hat_tf" / "__pycache__").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(f"see {OUTSIDE_MENTIONS[0]}/docs\n")
    (tmp_path / "hat_tf" / "module.py").write_text(f'"""Fine.\n\n{OUTSIDE_MENTIONS[1]} §5."""\n')
    (tmp_path / "hat_tf" / "__pycache__" / "module.pyc").write_bytes(b"\xff\xfe" + bytes(
        OUTSIDE_MENTIONS[1], "ascii"))
    (tmp_path / "docs" / "fine.md").write_text("docs/algorithm.md §5\n")
    (tmp_path / "docs" / "figure.png").write_bytes(b"\x89PNG\xff")
    assert mentions_outside(tmp_path) == [f"README.md:1: {OUTSIDE_MENTIONS[0]}",
                                          f"hat_tf/module.py:3: {OUTSIDE_MENTIONS[1]}"]
