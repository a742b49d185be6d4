"""The district registry: generation, validation, storage, and the CLI around them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import RegistryError
from core.registry import Registry, dumps_registry, load_registry, registry_from_dict
from simulators.district import generate_district
from yiju.cli import main


@pytest.fixture(scope="module")
def full_district() -> Registry:
    return generate_district(scale=1.0, seed=1)


def _raw(reg: Registry) -> dict[str, Any]:
    return json.loads(dumps_registry(reg))


def test_full_scale_counts_match_nanhai(full_district: Registry) -> None:
    """Scale 1 models Nanhai: 7 named towns, ~290 communities, ~12,000 points, a fleet
    sized from the work (~140 trucks, a quarter of them double-shifted, ~27 crews)."""
    counts = full_district.counts()
    assert [t.name for t in full_district.towns] == [
        "桂城",
        "大沥",
        "里水",
        "狮山",
        "丹灶",
        "西樵",
        "九江",
    ]
    assert 250 <= counts["communities"] <= 320
    assert 10_000 <= counts["collection_points"] <= 14_000
    assert 900 <= counts["sewage_outlets"] <= 1_100
    assert 9_000 <= counts["cameras"] <= 11_000
    assert counts["transfer_stations"] == 10
    # Sized from the work and the routed plans' overhead (simulators/fleet_sizing.py),
    # no longer a fixed 150 / 20.
    assert 150 <= counts["trucks"] <= 200
    assert 25 <= full_district.district.generator["double_shift_trucks"] <= 60
    assert 22 <= counts["pest_crews"] <= 32
    population = sum(c.population for c in full_district.communities)
    assert population == pytest.approx(3_667_200, rel=0.001)
    assert {b.volume_l for p in full_district.collection_points for b in p.bins} == {240, 660}
    assert {t.capacity_kg for t in full_district.trucks} == {5000.0, 8000.0}


def test_static_criteria_fail_for_a_realistic_share(full_district: Registry) -> None:
    """Some communities fail each static criterion, most pass all of them."""
    comms = full_district.communities
    no_toilet = sum(c.class2_toilets == 0 for c in comms) / len(comms)
    low_green = sum(c.green_space_ratio < (0.30 if c.is_new else 0.25) for c in comms) / len(comms)
    small_centre = sum(c.service_centre_m2 < 80 for c in comms) / len(comms)
    for share in (no_toilet, low_green, small_centre):
        assert 0.02 < share < 0.3


def test_pest_sites_follow_the_seasonal_cycle(full_district: Registry) -> None:
    """Every community has a pest-control site; cycles are 7 days in peak season, 14 otherwise."""
    assert {s.community_id for s in full_district.pest_sites} == {
        c.id for c in full_district.communities
    }
    assert {(s.cycle_days_peak, s.cycle_days_normal) for s in full_district.pest_sites} == {(7, 14)}


@pytest.mark.parametrize("scale", [0.01, 0.02, 0.1])
def test_small_scales_keep_the_structure(scale: float) -> None:
    """Small districts keep all seven towns and every kind of record, and validate."""
    reg = generate_district(scale=scale, seed=3)
    counts = reg.counts()
    assert counts["towns"] == 7
    assert all(counts[name] > 0 for name in counts)
    assert {t.town_id for t in reg.trucks} == {t.id for t in reg.towns}
    registry_from_dict(_raw(reg))  # validates


def test_same_seed_gives_identical_bytes_and_other_seed_differs() -> None:
    """Generation is deterministic in (scale, seed)."""
    a = dumps_registry(generate_district(scale=0.05, seed=11))
    b = dumps_registry(generate_district(scale=0.05, seed=11))
    c = dumps_registry(generate_district(scale=0.05, seed=12))
    assert a == b
    assert a != c


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved registry loads back equal, with the contract's top-level lists."""
    from core.registry import save_registry

    reg = generate_district(scale=0.02, seed=5)
    path = tmp_path / "district.json"
    save_registry(reg, path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    for name in (
        "towns",
        "communities",
        "collection_points",
        "sewage_outlets",
        "cameras",
        "transfer_stations",
        "depots",
        "trucks",
        "pest_sites",
        "pest_crews",
    ):
        assert isinstance(raw[name], list)
    assert load_registry(path) == reg


def _broken(change: str) -> dict[str, Any]:
    raw = _raw(generate_district(scale=0.01, seed=2))
    if change == "duplicate_point":
        raw["collection_points"].append(dict(raw["collection_points"][0]))
    elif change == "unknown_community":
        raw["cameras"][3]["community_id"] = "xx-c999"
    elif change == "outside_district":
        raw["sewage_outlets"][0]["lat"] = 31.23
    elif change == "negative_capacity":
        raw["trucks"][0]["capacity_kg"] = -5000
    elif change == "unknown_depot":
        raw["trucks"][1]["depot_id"] = "dep-nowhere"
    elif change == "bad_type":
        raw["communities"][0]["population"] = "many"
    return raw


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("duplicate_point", "collection_points: duplicate id"),
        ("unknown_community", "community_id 'xx-c999' is not a known community"),
        ("outside_district", "are outside the district"),
        ("negative_capacity", "capacity must be positive"),
        ("unknown_depot", "depot_id 'dep-nowhere' is not a known depot"),
        ("bad_type", "communities[0] (id "),
    ],
)
def test_invalid_registries_are_refused_naming_the_record(change: str, expected: str) -> None:
    """Each kind of bad record is refused with a message that names it."""
    with pytest.raises(RegistryError) as caught:
        registry_from_dict(_broken(change))
    assert expected in str(caught.value)


def test_duplicate_message_names_the_id() -> None:
    """A duplicate is reported with the id that is duplicated."""
    raw = _broken("duplicate_point")
    dup_id = raw["collection_points"][0]["id"]
    with pytest.raises(RegistryError, match=dup_id):
        registry_from_dict(raw)


def test_cli_validate_exits_non_zero_and_names_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`yiju district validate` exits 2 on a bad file and prints the offending record."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken("unknown_community")), encoding="utf-8")
    assert main(["district", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cameras" in err
    assert "'xx-c999'" in err


def test_cli_generate_then_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`yiju district generate` writes a file that `validate` accepts."""
    # The command's settings keep their dev secrets in the data folder: not the checkout's.
    monkeypatch.setenv("YIJU_DATA_DIR", str(tmp_path / "var"))
    out = tmp_path / "d.json"
    assert main(["district", "generate", "--scale", "0.02", "--seed", "4", "--out", str(out)]) == 0
    assert main(["district", "validate", str(out)]) == 0
    assert "valid" in capsys.readouterr().out


def test_device_index_covers_every_publisher() -> None:
    """Every sensor, camera, truck and crew is a device with its community and town."""
    reg = generate_district(scale=0.02, seed=9)
    devices = reg.devices
    counts = reg.counts()
    expected = (
        counts["fill_sensors"]
        + counts["level_sensors"]
        + counts["cameras"]
        + counts["trucks"]
        + counts["pest_crews"]
    )
    assert len(devices) == expected
    point = reg.collection_points[0]
    assert point.sensor is not None
    ref = devices[point.sensor.device_id]
    assert (ref.kind.value, ref.subject_id, ref.community_id) == (
        "bin",
        point.id,
        point.community_id,
    )
