"""`yiju district generate|validate|summary`: the district registry."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from core.argtypes import number_within
from core.registry import Registry, load_registry, save_registry
from core.settings import Settings, get_settings
from simulators.district import MAX_SCALE, MIN_SCALE, generate_district
from yiju.localservices import LocalStack

# `--scale` of the commands that generate a district.
district_scale = number_within(MIN_SCALE, MAX_SCALE)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("district", help="generate, validate or summarise a district registry")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="write the Nanhai reference district at a scale")
    gen.add_argument("--scale", type=district_scale, default=1.0, help="1.0 = the whole district")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, help="default: the configured registry path")
    gen.set_defaults(func=cmd_generate)
    val = actions.add_parser("validate", help="check a registry file; non-zero exit if invalid")
    val.add_argument("path", type=Path, nargs="?")
    val.set_defaults(func=cmd_validate)
    summ = actions.add_parser("summary", help="counts per town")
    summ.add_argument("path", type=Path, nargs="?")
    summ.set_defaults(func=cmd_summary)


def _path(given: Path | None) -> Path:
    return given or get_settings().registry_file()


def cmd_generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    registry = generate_district(scale=args.scale, seed=args.seed)
    settings = get_settings()
    out = args.out or settings.registry_file()
    save_registry(registry, out)
    elapsed = time.perf_counter() - started
    counts = registry.counts()
    print(
        f"wrote {out} in {elapsed:.1f} s: "
        + ", ".join(
            f"{counts[k]} {k}"
            for k in (
                "towns",
                "communities",
                "collection_points",
                "sewage_outlets",
                "cameras",
                "trucks",
                "pest_crews",
            )
        )
    )
    if out.resolve() == settings.registry_file().resolve():
        _give_devices_accounts(settings, registry)
    else:
        print(
            f"{out} is not the configured district ({settings.registry_file()}): the broker "
            f"learns its devices with `yiju services up --registry {out}`"
        )
    return 0


def _give_devices_accounts(settings: Settings, registry: Registry) -> None:
    """The configured district changed: a running local broker gets its devices'
    accounts now, or the next `yiju services up` gives them."""
    stack = LocalStack(settings, registry)
    if stack.mosquitto.process.running():
        count = stack.set_registry(registry)
        print(f"local broker reloaded: {count} accounts, every device of the new district")
    else:
        print("the next `yiju services up` gives every device of this district an account")


def cmd_validate(args: argparse.Namespace) -> int:
    path = _path(args.path)
    registry = load_registry(path)  # raises RegistryError, which main() reports
    print(f"{path}: valid, {sum(registry.counts().values())} records")
    return 0


def summary_table(registry: Registry) -> str:
    """A per-town table of the registry's main counts."""
    rows = [
        f"{'town':12} {'communities':>11} {'population':>10} {'points':>7} {'bins':>6} "
        f"{'outlets':>7} {'cameras':>7} {'trucks':>6} {'crews':>5}"
    ]
    for town in registry.towns:
        comms = {c.id for c in registry.communities if c.town_id == town.id}
        points = [p for p in registry.collection_points if p.community_id in comms]
        rows.append(
            f"{town.name} {town.name_en:9} {len(comms):>11} {town.population:>10} "
            f"{len(points):>7} {sum(b.count for p in points for b in p.bins):>6} "
            f"{sum(o.community_id in comms for o in registry.sewage_outlets):>7} "
            f"{sum(c.community_id in comms for c in registry.cameras):>7} "
            f"{sum(t.town_id == town.id for t in registry.trucks):>6} "
            f"{sum(town.id in c.town_ids for c in registry.pest_crews):>5}"
        )
    return "\n".join(rows)


def cmd_summary(args: argparse.Namespace) -> int:
    print(summary_table(load_registry(_path(args.path))))
    return 0
