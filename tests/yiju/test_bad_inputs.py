"""Bad input at the command line: a registry file that is no registry, and `yiju
ingest` options out of range. Each ends with exit 2 and one message that names the
file or the option and what is wrong, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.registry import Registry, save_registry
from yiju.cli import main

EXPECTED_KEYS = (
    "district, towns, communities, collection_points, sewage_outlets, cameras, "
    "transfer_stations, depots, trucks, pest_sites, pest_crews"
)
A_REGISTRY_IS = f"a registry is a JSON object with {EXPECTED_KEYS}"


def _yiju(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YIJU_DATA_DIR": str(data_dir)}
    env.pop("YIJU_REGISTRY_PATH", None)
    return subprocess.run(
        [sys.executable, "-m", "yiju", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _without_pest_crews(registry: Registry) -> bytes:
    raw = registry.model_dump(mode="json")
    del raw["pest_crews"]
    return json.dumps(raw).encode()


BAD_FILES = {
    "not JSON": (
        b"district: nanhai\n",
        "not valid JSON (Expecting value: line 1 column 1 (char 0))",
    ),
    "cut short": (
        b'{"district": {',
        "not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 15 (char 14))",
    ),
    "empty": (b"", f"the file is empty; {A_REGISTRY_IS}"),
    "only blanks": (b" \n\t\n", f"the file is empty; {A_REGISTRY_IS}"),
    "not UTF-8": (b"\xff\xfe{\x00}\x00", "not UTF-8 text (byte 0xff at offset 0)"),
    "a JSON list": (b'[{"id": "gc"}]', f"the top level is a JSON list; {A_REGISTRY_IS}"),
    "JSON null": (b"null", f"the top level is a JSON null; {A_REGISTRY_IS}"),
    "an object without the keys": (
        b'{"name": "nanhai"}',
        f"the top-level object lacks {EXPECTED_KEYS}",
    ),
}


@pytest.mark.parametrize("command", ["district validate", "ingest --registry"])
@pytest.mark.parametrize("case", [*BAD_FILES, "an object without one list"])
def test_a_registry_file_that_is_no_registry_exits_2_naming_it(
    tmp_path: Path, small_district: Registry, command: str, case: str
) -> None:
    """`yiju district validate FILE` and `yiju ingest --registry FILE` refuse the file
    before doing anything else: exit 2, the file's path and the problem on stderr."""
    path = tmp_path / "district.json"
    if case == "an object without one list":
        content, problem = (
            _without_pest_crews(small_district),
            "the top-level object lacks pest_crews",
        )
    else:
        content, problem = BAD_FILES[case]
    path.write_bytes(content)
    done = _yiju([*command.split(), str(path)], tmp_path / "var")
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"yiju: error: district registry {path} has 1 problem(s):\n  {problem}\n"
    assert done.stdout == ""


def test_a_registry_file_that_is_a_registry_passes(
    tmp_path: Path, small_district: Registry
) -> None:
    """The same command on the file `save_registry` writes: valid (the refusals above
    are about the files, not the command)."""
    path = tmp_path / "district.json"
    save_registry(small_district, path)
    done = _yiju(["district", "validate", str(path)], tmp_path / "var")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{path}: valid, {sum(small_district.counts().values())} records\n"


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--workers", "0", "0 is out of range: must be from 1 to 64"),
        ("--workers", "100", "100 is out of range: must be from 1 to 64"),
        ("--workers", "two", "'two' is not a whole number"),
        ("--batch-size", "0", "0 is out of range: must be at least 1"),
        ("--batch-size", "-5", "-5 is out of range: must be at least 1"),
        ("--batch-delay", "-1", "-1 is out of range: must be more than 0 seconds"),
        ("--batch-delay", "0", "0 is out of range: must be more than 0 seconds"),
        ("--batch-delay", "nan", "nan is out of range: must be more than 0 seconds"),
        ("--stats-interval", "-1", "-1 is out of range: must be 0 or more seconds"),
        ("--stats-interval", "inf", "inf is out of range: must be 0 or more seconds"),
        ("--index-offset", "-1", "-1 is out of range: must be at least 0"),
        ("--group", "yiju/ingest", "'yiju/ingest' must be a plain name, without / + #"),
    ],
)
def test_bad_ingest_options_exit_2_naming_the_option(
    tmp_path: Path,
    small_district: Registry,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    problem: str,
) -> None:
    """argparse refuses the value, naming the option; ingest never starts (a valid
    registry is given, so the option is the only thing wrong)."""
    path = tmp_path / "district.json"
    save_registry(small_district, path)
    with pytest.raises(SystemExit) as exited:
        main(["ingest", "--registry", str(path), f"{option}={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: yiju ingest "), err
    assert err.endswith(f"\nyiju ingest: error: argument {option}: {problem}\n"), err


def test_bad_ingest_option_from_the_shell(tmp_path: Path) -> None:
    """The same through `python -m yiju`: exit 2, the option named, no traceback."""
    done = _yiju(["ingest", "--workers", "0"], tmp_path / "var")
    assert done.returncode == 2
    assert done.stderr.endswith(
        "\nyiju ingest: error: argument --workers: 0 is out of range: must be from 1 to 64\n"
    )
    assert "Traceback" not in done.stderr
