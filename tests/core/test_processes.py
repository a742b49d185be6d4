"""One process policy: every process yiju starts is spawned (never forked from a
process that may run threads), and only `core/processes.py` creates them."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from core import processes
from core.processes import process_pool, spawn_context

ROOT = Path(__file__).resolve().parents[2]
SCANNED = (
    "core",
    "simulators",
    "ingest",
    "optimizer",
    "api",
    "dashboards",
    "yiju",
    "bench",
    "tests",
)
HELPER = ROOT / "core" / "processes.py"
NOT_FORK = ("spawn", "forkserver")
# A spawned worker starts in a second or two; a pool that never answers raises
# TimeoutError here instead of hanging the run.
POOL_TIMEOUT_S = 60


def start_command(_: object = None) -> str:
    """How this process was started (run in a pool worker)."""
    return " ".join(sys.orig_argv)


def process_creation(source: str) -> list[str]:
    """What in `source` could start a process other than through core/processes.py:
    multiprocessing (its default context forks on Linux), a ProcessPoolExecutor
    (likewise without `mp_context`), `os.fork`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "multiprocessing"]
            found += [a.name for a in node.names if a.name == "concurrent.futures.process"]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module.split(".")[0] == "multiprocessing":
                found.append(f"from {node.module}")
            elif node.module.startswith("concurrent.futures") and names & {
                "ProcessPoolExecutor",
                "process",
            }:
                found.append(f"from {node.module} import ProcessPoolExecutor")
            elif node.module == "os" and names & {"fork", "forkpty"}:
                found.append("from os import fork")
        elif isinstance(node, ast.Attribute):
            forks = node.attr in ("fork", "forkpty") and ast.unparse(node.value) == "os"
            if forks or node.attr == "ProcessPoolExecutor":
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import multiprocessing\nmultiprocessing.get_context('fork')",
        "import multiprocessing as mp\nmp.Process(target=print).start()",
        "from multiprocessing import Pool\nPool(2)",
        "from concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor(2)",
        "import concurrent.futures as cf\ncf.ProcessPoolExecutor(2)",
        "import concurrent.futures\nconcurrent.futures.ProcessPoolExecutor(2)",
        "import os\nos.fork()",
    ],
)
def test_the_scan_finds_process_creation(source: str) -> None:
    assert process_creation(source)


def test_the_scan_lets_subprocesses_and_the_helper_through() -> None:
    """subprocess forks and at once execs a new program: nothing of ours is copied."""
    source = (
        "import subprocess\nfrom core.processes import process_pool, spawn_context\n"
        "from concurrent.futures import ThreadPoolExecutor, as_completed\n"
        "subprocess.run(['true'])\n"
    )
    assert process_creation(source) == []


def test_no_module_but_the_helper_creates_processes() -> None:
    files = [p for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 100
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in files
        if path != HELPER and (found := process_creation(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_helper_never_forks() -> None:
    assert processes.START_METHOD in NOT_FORK
    assert spawn_context().get_start_method() in NOT_FORK
    tree = ast.parse(HELPER.read_text(encoding="utf-8"))
    contexts = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func).endswith("get_context")
    ]
    assert [ast.unparse(c) for c in contexts] == ["multiprocessing.get_context(START_METHOD)"]
    pools = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "ProcessPoolExecutor"
    ]
    assert pools
    for call in pools:
        assert {k.arg: ast.unparse(k.value) for k in call.keywords}["mp_context"] == (
            "spawn_context()"
        )


def test_pool_workers_are_spawned_and_the_pool_is_kept() -> None:
    with process_pool(2) as pool:
        commands = list(pool.map(start_command, range(4), timeout=POOL_TIMEOUT_S))
    assert all("multiprocessing.spawn" in c for c in commands), commands
    with process_pool(2) as again:
        assert again is pool
        assert "multiprocessing.spawn" in again.submit(start_command).result(POOL_TIMEOUT_S)


def test_an_error_in_the_block_replaces_the_pool() -> None:
    with pytest.raises(ZeroDivisionError), process_pool(2) as pool:
        pool.submit(divmod, 1, 0).result(POOL_TIMEOUT_S)
    with process_pool(2) as fresh:
        assert fresh is not pool
        assert fresh.submit(divmod, 7, 2).result(POOL_TIMEOUT_S) == (3, 1)
    with pytest.raises(RuntimeError):
        pool.submit(divmod, 7, 2)  # the failed pool was shut down


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one"), process_pool(0):
        pass
