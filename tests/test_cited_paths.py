"""Every repository path that a comment, a docstring or a doc cites exists.

Scanned: the comments and docstrings of every tracked `*.py` file, README.md and
docs/*.md. A citation is a path of at least two parts ending in a file name with a
known extension (`optimizer/planning/demand.py`, `docs/optimizer.md`) or a folder
with a trailing slash (`optimizer/solver/`). One that starts with a top-level folder
of the repository must exist from the root; a shorter one (`planning/demand.py`,
the docs' shorthand inside a package) must be the tail of a tracked path. A
markdown link to a sibling page (`[configuration.md](configuration.md)`) must exist
beside the page; a bare module or page name in backticks (`test_replan_start.py`)
must be the name of a tracked file. Paths git ignores (`var/district.json`, what a
command writes), URLs, absolute paths (`/tmp/...`) and templated ones
(`<data_dir>/plans/...`) are not citations.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

EXTENSIONS = ("py", "md", "json", "yaml", "yml", "toml", "txt", "sh", "cfg", "ini", "conf")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# Not preceded by anything that would make it part of a longer, absolute,
# templated or dotted name; parts are lower-case identifiers (with - or .).
PATH = re.compile(
    r"(?<![\w/.<>~${}\-])"
    r"((?:[A-Za-z_][\w.-]*/)+"
    r"(?:[A-Za-z_][\w-]*\.(?:" + "|".join(EXTENSIONS) + r")\b(?![/\w])|(?=[\s`'\")\],;:]|$)))"
)
# A bare module or page name in backticks (`test_replan_start.py`): some tracked file
# has it. Other bare names are often what a command writes (`mosquitto.conf`).
BARE = re.compile(r"`([A-Za-z_][\w-]*\.(?:py|md))`")
MD_LINK = re.compile(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)")
MIN_CITATIONS = 200


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if (ROOT / line).exists()]


TRACKED = _tracked()
TOP = {p.split("/", 1)[0] for p in TRACKED if "/" in p}
NAMES = {p.rsplit("/", 1)[-1] for p in TRACKED}
DIRS = {"/".join(p.split("/")[:i]) + "/" for p in TRACKED for i in range(1, p.count("/") + 1)}


def _python_prose(text: str) -> list[tuple[int, str]]:
    """(line, text) of each comment and docstring of a module."""
    found: list[tuple[int, str]] = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            found.append((tok.start[0], tok.string))
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.append((body[0].lineno, body[0].value.value))
    return found


def _sources() -> list[tuple[str, int, str]]:
    """(file, line, prose) to scan."""
    found: list[tuple[str, int, str]] = []
    for rel in TRACKED:
        if rel.endswith(".py"):
            text = (ROOT / rel).read_text(encoding="utf-8")
            found += [(rel, line, prose) for line, prose in _python_prose(text)]
        elif rel == "README.md" or (rel.startswith("docs/") and rel.endswith(".md")):
            text = (ROOT / rel).read_text(encoding="utf-8")
            found += [(rel, n, line) for n, line in enumerate(text.splitlines(), 1)]
    return found


def _ignored(cited: str) -> bool:
    """A path git ignores (`var/district.json`): made by a command, not in the repository."""
    return subprocess.run(["git", "check-ignore", "-q", cited], cwd=ROOT).returncode == 0


def _exists(cited: str) -> bool:
    if cited.endswith("/"):
        if cited.split("/", 1)[0] in TOP:
            return cited in DIRS
        return any(d.endswith("/" + cited) for d in DIRS)
    if cited.split("/", 1)[0] in TOP:
        return cited in TRACKED or (ROOT / cited).is_file()
    return any(p.endswith("/" + cited) for p in TRACKED)


def citations() -> list[tuple[str, int, str, bool]]:
    """(file, line, cited path, exists) for every citation found."""
    found: list[tuple[str, int, str, bool]] = []
    for rel, line, prose in _sources():
        prose = URL.sub(" ", prose)
        for n, chunk in enumerate(prose.splitlines()):
            at = line + n
            for match in PATH.finditer(chunk):
                cited = match.group(1).rstrip(".")
                if cited.endswith("/") and cited.split("/", 1)[0] not in TOP:
                    continue  # `a/b/` prose such as "and/or/" is not a folder citation
                if _exists(cited) or not _ignored(cited):
                    found.append((rel, at, cited, _exists(cited)))
            for match in BARE.finditer(chunk):
                cited = match.group(1)
                found.append((rel, at, cited, cited in NAMES))
            if rel.endswith(".md"):
                for match in MD_LINK.finditer(chunk):
                    cited = match.group(1)
                    target = (ROOT / rel).parent / cited
                    found.append((rel, at, cited, target.is_file()))
    return found


CITATIONS = citations()


def test_the_scan_finds_citations() -> None:
    # A regex that stopped matching would pass every file; it must keep finding them.
    assert len(CITATIONS) >= MIN_CITATIONS, len(CITATIONS)
    cited = {c for _, _, c, _ in CITATIONS}
    for known in ("optimizer/solver/lns.py", "core/processes.py", "bench/district_week.py"):
        assert known in cited


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see `optimizer/planning/garbage.py`.", ["optimizer/planning/garbage.py"]),
        ("`planning/demand.py`, pure", ["planning/demand.py"]),
        ("only `optimizer/solver/` imports it", ["optimizer/solver/"]),
        ("https://github.com/x/y/blob/main/a.py", []),
        ("/tmp/solomon/dataset/x.txt and /var/lib/x.conf", []),
        ("`<data_dir>/plans/exports/<plan_id>.geojson`", []),
        ("core.plans.PlanRecord and 3.5 s", []),
    ],
)
def test_what_counts_as_a_citation(text: str, expected: list[str]) -> None:
    text = URL.sub(" ", text)
    assert [m.group(1).rstrip(".") for m in PATH.finditer(text)] == expected


def test_every_cited_path_exists() -> None:
    dangling = [f"{rel}:{line}: {cited}" for rel, line, cited, ok in CITATIONS if not ok]
    assert not dangling, "cited paths that do not exist:\n" + "\n".join(dangling)
