"""Where the CLI keeps and finds things by default."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings


def default_registry_path(settings: Settings) -> Path:
    """`YIJU_REGISTRY_PATH`, or `<data_dir>/district.json`."""
    return settings.registry_path or settings.data_dir / "district.json"
