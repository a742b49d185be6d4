"""Load and save the registry as one JSON file.

The file's top level is an object with `district` and one list per record type
(`towns`, `communities`, `collection_points`, …). Records are written one per
line with sorted keys and fixed float precision, so the same registry always
gives the same bytes (and readable diffs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.errors import RegistryError
from core.registry.registry import LIST_NAMES, Registry
from core.registry.validation import find_problems


def _record_name(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """'collection_points[17] (id 'cp-x')' for an error location inside a list."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        items = raw.get(loc[0])
        rid = None
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            rid = items[loc[1]].get("id")
        field = ".".join(str(p) for p in loc[2:])
        where = f"{loc[0]}[{loc[1]}]" + (f" (id {rid!r})" if rid is not None else "")
        return f"{where} {field}".rstrip()
    return ".".join(str(p) for p in loc) or "(top level)"


def registry_from_dict(raw: dict[str, Any], *, validate: bool = True) -> Registry:
    """Build and check a registry; RegistryError lists every bad record."""
    if not isinstance(raw, dict):
        raise RegistryError(["top level must be a JSON object with lists " + ", ".join(LIST_NAMES)])
    try:
        reg = Registry.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(
            [f"{_record_name(raw, tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    if validate:
        problems = find_problems(reg)
        if problems:
            raise RegistryError(problems)
    return reg


# What `save_registry` writes at the top level; a file without one of them is not a
# registry (a list, another tool's JSON, a truncated copy), however the model defaults.
TOP_LEVEL_KEYS = ("district", *LIST_NAMES)
_EXPECTED = "a registry is a JSON object with " + ", ".join(TOP_LEVEL_KEYS)
_JSON_TYPES = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def _read_json(path: Path) -> Any:
    """The file's JSON; RegistryError naming the file and what is wrong with it."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = "generate one with `yiju district generate`"
        raise RegistryError([f"no such file ({hint})"], source) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(
            [f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"], source
        ) from None
    except OSError as exc:
        raise RegistryError([f"cannot be read ({exc.strerror or exc})"], source) from None
    if not text.strip():
        raise RegistryError(["the file is empty; " + _EXPECTED], source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError([f"not valid JSON ({exc})"], source) from None
    except RecursionError:
        raise RegistryError(["not valid JSON (nested too deeply)"], source) from None


def load_registry(path: Path | str, *, validate: bool = True) -> Registry:
    path = Path(path)
    raw = _read_json(path)
    if not isinstance(raw, dict):
        kind = "null" if raw is None else _JSON_TYPES.get(type(raw), type(raw).__name__)
        raise RegistryError([f"the top level is a JSON {kind}; {_EXPECTED}"], str(path))
    missing = [key for key in TOP_LEVEL_KEYS if key not in raw]
    if missing:
        raise RegistryError([f"the top-level object lacks {', '.join(missing)}"], str(path))
    try:
        return registry_from_dict(raw, validate=validate)
    except RegistryError as exc:
        raise RegistryError(exc.problems, str(path)) from None


def _round_floats(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _round_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    return value


def dumps_registry(reg: Registry) -> str:
    data = _round_floats(reg.model_dump(mode="json"))

    def line(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    parts = ["{", f'"district":{line(data["district"])},']
    for i, name in enumerate(LIST_NAMES):
        rows = ",\n".join(line(r) for r in data[name])
        tail = "," if i < len(LIST_NAMES) - 1 else ""
        parts.append(f'"{name}":[\n{rows}\n]{tail}' if rows else f'"{name}":[]{tail}')
    parts.append("}\n")
    return "\n".join(parts)


def save_registry(reg: Registry, path: Path | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dumps_registry(reg), encoding="utf-8")
    tmp.replace(path)
