"""Validation of WorldForge template bodies (Versions 1 and 2)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from jobforge.services.robomaker.template_format import (
    TemplateFormatError,
    parse_template_body,
    template_version,
)
from tests.robomaker.samples import SAMPLE_TEMPLATES, SIX_ROOMS_V2, sample_body

PLAN = "Buildings[0].Floors[0].Floorplan"
INTERIOR = "Buildings[0].Floors[0].Interior"


@pytest.mark.parametrize("name", sorted(SAMPLE_TEMPLATES))
def test_samples_are_valid(name: str) -> None:
    spec = parse_template_body(sample_body(name))
    assert spec.rooms
    assert spec.version == SAMPLE_TEMPLATES[name]["Version"]


def test_one_bedroom_house_resolution() -> None:
    spec = parse_template_body(sample_body("OneBedroomHouse"))
    assert spec.ceiling_height == 3.0
    assert [r.name for r in spec.rooms] == ["Bedroom", "Living room", "Bathroom", "Kitchen"]
    assert spec.room("Bedroom").aspect == pytest.approx(1.2)
    assert {c.connection_type for c in spec.connections} == {"Doorway", "Opening"}
    # Name-targeted "Bathroom" set beats nothing else; type-targeted sets for the others.
    assert spec.flooring_for("Bathroom").material_types == ("Parquetry",)
    assert spec.flooring_for("Kitchen").material_types == ("Floorboards",)
    assert spec.flooring_for("Bedroom").material_types == ("Carpet",)
    assert spec.walls_for("Living room").material_types == ("Brick",)
    assert spec.walls_for("Bedroom").rule is None  # defaults by room type
    furniture = spec.furniture_for("Kitchen")
    assert furniture.density == "Dense" and "Fridges" in furniture.model_types


def test_defaults_applied() -> None:
    spec = parse_template_body("{}")
    assert spec.version == "1"
    assert spec.ceiling_height == 3.0
    assert (spec.footprint_aspect_x, spec.footprint_aspect_y) == (1.0, 1.0)
    # The V1 schema's default floor plan: a living room and a bedroom, 20 m² at 1:1 each.
    assert [(r.type, r.name, r.original_name, r.area, r.aspect) for r in spec.rooms] == [
        ("Living", "My Living Room", None, 20.0, 1.0),
        ("Bedroom", "My Bedroom", None, 20.0, 1.0),
    ]
    assert spec.connections == ()
    assert spec.defaults_applied == ("Buildings",)
    assert spec.furniture_for("My Living Room").density == "Moderate"
    assert template_version("{}") == "1"
    assert template_version('{"Version": "2"}') == "2"


V1_FLOOR = [("Living", "My Living Room", None), ("Bedroom", "My Bedroom", None)]
V2_FLOOR = [("Living", "My_Living_Room", "My Living Room")]


@pytest.mark.parametrize(
    ("body", "rooms", "where"),
    [
        ({}, V1_FLOOR, "Buildings"),
        ({"Buildings": [{}]}, V1_FLOOR, "Buildings[0].Floors"),
        ({"Buildings": [{"Floors": [{}]}]}, V1_FLOOR, f"{PLAN}"),
        (
            {"Buildings": [{"Floors": [{"Floorplan": {"Ceiling": {"Height": 2.5}}}]}]},
            V1_FLOOR,
            f"{PLAN}.Rooms",
        ),
        ({"Version": "2"}, V2_FLOOR, "Buildings"),
        ({"Version": "2", "Buildings": [{}]}, V2_FLOOR, "Buildings[0].Floors"),
        ({"Version": "2", "Buildings": [{"Floors": [{"Interior": {}}]}]}, V2_FLOOR, f"{PLAN}"),
        ({"Version": "2", "Buildings": [{"Floors": [{"Floorplan": {}}]}]}, V2_FLOOR, f"{PLAN}.Rooms"),
    ],
)
def test_missing_rooms_get_the_schema_default(body: dict, rooms: list, where: str) -> None:
    spec = parse_template_body(json.dumps(body))
    assert [(r.type, r.name, r.original_name) for r in spec.rooms] == rooms
    assert all((r.area, r.aspect) == (20.0, 1.0) for r in spec.rooms)
    assert spec.defaults_applied == (where,)


def test_rooms_given_means_no_default() -> None:
    assert parse_template_body(sample_body("OneBedroomHouse")).defaults_applied == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Buildings": []}, "Buildings must contain exactly 1 item, got 0"),
        ({"Buildings": [{"Floors": []}]}, "Buildings[0].Floors must contain exactly 1 item, got 0"),
        (
            {"Buildings": [{"Floors": [{"Floorplan": {"Rooms": []}}]}]},
            f"{PLAN}.Rooms must contain between 1 and 6 items, got 0",
        ),
        (
            {"Version": "2", "Buildings": [{"Floors": [{"Floorplan": {"Rooms": []}}]}]},
            f"{PLAN}.Rooms must contain between 1 and 6 items, got 0",
        ),
    ],
)
def test_explicit_empty_lists_are_refused(body: dict, message: str) -> None:
    with pytest.raises(TemplateFormatError) as info:
        parse_template_body(json.dumps(body))
    assert str(info.value).startswith(message)


def test_six_room_v2_precedence() -> None:
    spec = parse_template_body(json.dumps(SIX_ROOMS_V2))
    assert spec.version == "2" and len(spec.rooms) == 6
    assert spec.room("Living").original_name == "Living Room"
    assert spec.flooring_for("Main Bedroom").material_types == ("Carpet",)  # name beats type/all
    assert spec.flooring_for("Bath").material_types == ("Tiles",)  # type beats all
    assert spec.flooring_for("Living").material_types == ("Floorboards",)  # Target.All
    assert spec.furniture_for("Living").density == "Dense"
    assert spec.furniture_for("Hall").model_types == ()
    assert spec.furniture_for("Dining").density == "Sparse"
    assert spec.door_open_for("Hall", "Bath") == 0
    assert spec.door_open_for("Bath", "Hall") == 0
    assert spec.door_open_for("Hall", "Main Bedroom") == "Random"
    assert spec.door_open_for("Living", "Dining") == 50


def _mutate(fn: Callable[[dict], object], base: dict = SIX_ROOMS_V2) -> str:
    body = copy.deepcopy(base)
    fn(body)
    return json.dumps(body)


def _plan(b: dict) -> dict:
    return b["Buildings"][0]["Floors"][0]["Floorplan"]


def _interior(b: dict) -> dict:
    return b["Buildings"][0]["Floors"][0]["Interior"]


def _rooms(b: dict) -> list:
    return _plan(b)["Rooms"]


V1 = SAMPLE_TEMPLATES["OneBedroomHouse"]

BROKEN: list[tuple[str, Callable[[dict], object], str, dict]] = [
    ("version", lambda b: b.update(Version="3"), 'Version must be "1" or "2"', SIX_ROOMS_V2),
    ("version-int", lambda b: b.update(Version=2), 'Version must be "1" or "2"', SIX_ROOMS_V2),
    ("unknown-top", lambda b: b.update(Extra=1), "Extra is not an allowed property", SIX_ROOMS_V2),
    (
        "two-buildings",
        lambda b: b["Buildings"].append({}),
        "Buildings must contain exactly 1 item, got",
        SIX_ROOMS_V2,
    ),
    (
        "two-floors",
        lambda b: b["Buildings"][0]["Floors"].append({}),
        "Buildings[0].Floors must contain exactly 1",
        SIX_ROOMS_V2,
    ),
    (
        "no-rooms",
        lambda b: _plan(b).update(Rooms=[]),
        f"{PLAN}.Rooms must contain between 1 and 6",
        SIX_ROOMS_V2,
    ),
    (
        "seven-rooms",
        lambda b: _rooms(b).append({"Type": "Closet", "Name": "C7"}),
        f"{PLAN}.Rooms must contain between 1 and 6 items, got 7",
        SIX_ROOMS_V2,
    ),
    (
        "room-type",
        lambda b: _rooms(b)[1].update(Type="Garage"),
        f"{PLAN}.Rooms[1].Type must be one of",
        SIX_ROOMS_V2,
    ),
    ("room-no-name", lambda b: _rooms(b)[1].pop("Name"), f"{PLAN}.Rooms[1].Name is required", SIX_ROOMS_V2),
    (
        "room-name-chars",
        lambda b: _rooms(b)[1].update(Name="Kitchen!"),
        f"{PLAN}.Rooms[1].Name must match",
        SIX_ROOMS_V2,
    ),
    (
        "room-name-empty",
        lambda b: _rooms(b)[1].update(Name=""),
        f"{PLAN}.Rooms[1].Name must be 1 to 255",
        SIX_ROOMS_V2,
    ),
    (
        "room-name-dup",
        lambda b: _rooms(b)[2].update(Name="Kitchen"),
        f"{PLAN}.Rooms[2].Name must be unique",
        SIX_ROOMS_V2,
    ),
    (
        "area-small",
        lambda b: _rooms(b)[0]["DesiredShape"].update(Area=5),
        f"{PLAN}.Rooms[0].DesiredShape.Area must be between 10 and 300, got 5",
        SIX_ROOMS_V2,
    ),
    (
        "area-big",
        lambda b: _rooms(b)[0]["DesiredShape"].update(Area=301),
        f"{PLAN}.Rooms[0].DesiredShape.Area must be between 10 and 300",
        SIX_ROOMS_V2,
    ),
    (
        "area-string",
        lambda b: _rooms(b)[0]["DesiredShape"].update(Area="20"),
        f"{PLAN}.Rooms[0].DesiredShape.Area must be a number",
        SIX_ROOMS_V2,
    ),
    (
        "shape-missing-area",
        lambda b: _rooms(b)[0]["DesiredShape"].pop("Area"),
        f"{PLAN}.Rooms[0].DesiredShape.Area is required",
        SIX_ROOMS_V2,
    ),
    (
        "room-aspect",
        lambda b: _rooms(b)[2]["DesiredShape"]["AspectRatio"].update(x=5),
        f"{PLAN}.Rooms[2].DesiredShape.AspectRatio.x must be between 1 and 4, got 5",
        SIX_ROOMS_V2,
    ),
    (
        "room-aspect-low",
        lambda b: _rooms(b)[2]["DesiredShape"]["AspectRatio"].update(y=0.5),
        f"{PLAN}.Rooms[2].DesiredShape.AspectRatio.y must be between 1 and 4, got 0.5",
        SIX_ROOMS_V2,
    ),
    (
        "footprint-aspect",
        lambda b: _plan(b)["Footprint"]["DesiredAspectRatio"].update(y=4.5),
        f"{PLAN}.Footprint.DesiredAspectRatio.y must be between 1 and 4",
        SIX_ROOMS_V2,
    ),
    (
        "ceiling-low",
        lambda b: _plan(b)["Ceiling"].update(Height=2.3),
        f"{PLAN}.Ceiling.Height must be between 2.4 and 4",
        SIX_ROOMS_V2,
    ),
    (
        "ceiling-high",
        lambda b: _plan(b)["Ceiling"].update(Height=4.1),
        f"{PLAN}.Ceiling.Height must be between 2.4 and 4",
        SIX_ROOMS_V2,
    ),
    (
        "conn-too-many",
        lambda b: _plan(b)["DesiredConnections"].extend(
            [{"Location": ["Hall", "Bath"], "ConnectionType": "Doorway"}] * 8
        ),
        f"{PLAN}.DesiredConnections must contain between 0 and 12",
        SIX_ROOMS_V2,
    ),
    (
        "conn-unknown-room",
        lambda b: _plan(b)["DesiredConnections"][0].update(Location=["Living", "Garage"]),
        f"{PLAN}.DesiredConnections[0].Location[1] must name an existing room",
        SIX_ROOMS_V2,
    ),
    (
        "conn-same-room",
        lambda b: _plan(b)["DesiredConnections"][0].update(Location=["Living", "Living"]),
        f"{PLAN}.DesiredConnections[0].Location must name two distinct rooms",
        SIX_ROOMS_V2,
    ),
    (
        "conn-three",
        lambda b: _plan(b)["DesiredConnections"][0].update(Location=["Living", "Hall", "Bath"]),
        f"{PLAN}.DesiredConnections[0].Location must contain exactly 2",
        SIX_ROOMS_V2,
    ),
    (
        "conn-type",
        lambda b: _plan(b)["DesiredConnections"][0].update(ConnectionType="Door"),
        f"{PLAN}.DesiredConnections[0].ConnectionType must be one of Doorway, Opening",
        SIX_ROOMS_V2,
    ),
    (
        "conn-doorway-and-opening",
        lambda b: _plan(b)["DesiredConnections"].append(
            {"Location": ["Kitchen", "Living"], "ConnectionType": "Doorway"}
        ),
        f"{PLAN}.DesiredConnections[5] conflicts",
        SIX_ROOMS_V2,
    ),
    (
        "conn-two-openings",
        lambda b: _plan(b)["DesiredConnections"].append(
            {"Location": ["Living", "Kitchen"], "ConnectionType": "Opening"}
        ),
        f"{PLAN}.DesiredConnections[5] conflicts",
        SIX_ROOMS_V2,
    ),
    (
        "material-sets-7",
        lambda b: _interior(b)["Flooring"]["MaterialSets"].extend(
            [{"Name": "x", "TargetSet": "Target.All"}] * 4
        ),
        f"{INTERIOR}.Flooring.MaterialSets must contain between 0 and 6",
        SIX_ROOMS_V2,
    ),
    (
        "material-no-name",
        lambda b: _interior(b)["Walls"]["MaterialSets"][0].pop("Name"),
        f"{INTERIOR}.Walls.MaterialSets[0].Name is required",
        SIX_ROOMS_V2,
    ),
    (
        "material-target-name",
        lambda b: _interior(b)["Flooring"]["MaterialSets"][2].update(TargetSet={"RoomNames": ["Nope"]}),
        f"{INTERIOR}.Flooring.MaterialSets[2].TargetSet.RoomNames[0] must name an existing room",
        SIX_ROOMS_V2,
    ),
    (
        "material-target-type",
        lambda b: _interior(b)["Flooring"]["MaterialSets"][1].update(TargetSet={"RoomTypes": ["Garage"]}),
        f"{INTERIOR}.Flooring.MaterialSets[1].TargetSet.RoomTypes[0] must be one of",
        SIX_ROOMS_V2,
    ),
    (
        "material-target-both",
        lambda b: _interior(b)["Flooring"]["MaterialSets"][1].update(
            TargetSet={"RoomTypes": ["Kitchen"], "RoomNames": ["Bath"]}
        ),
        f"{INTERIOR}.Flooring.MaterialSets[1].TargetSet must have exactly one",
        SIX_ROOMS_V2,
    ),
    (
        "material-empty-types",
        lambda b: _interior(b)["Flooring"]["MaterialSets"][1].update(SampleSet={"MaterialTypes": []}),
        f"{INTERIOR}.Flooring.MaterialSets[1].SampleSet.MaterialTypes must contain >= 1",
        SIX_ROOMS_V2,
    ),
    (
        "target-all-in-v1",
        lambda b: _interior(b)["Walls"]["MaterialSets"][0].update(TargetSet="Target.All"),
        f'{INTERIOR}.Walls.MaterialSets[0].TargetSet "Target.All" is a Version "2" feature',
        V1,
    ),
    (
        "doorways-in-v1",
        lambda b: _interior(b).update(Doorways={"DoorwaySets": []}),
        f'{INTERIOR}.Doorways is a Version "2" feature: put "Version": "2" in the template body',
        V1,
    ),
    (
        "original-name-in-v1",
        lambda b: _rooms(b)[0].update(OriginalName="x"),
        f'{PLAN}.Rooms[0].OriginalName is a Version "2" feature',
        V1,
    ),
    (
        "furniture-model",
        lambda b: _interior(b)["Furniture"]["FurnitureArrangements"][2].update(
            SampleSet={"ModelTypes": ["Pianos"]}
        ),
        f"{INTERIOR}.Furniture.FurnitureArrangements[2].SampleSet.ModelTypes[0] must be one of",
        SIX_ROOMS_V2,
    ),
    (
        "furniture-density",
        lambda b: _interior(b)["Furniture"]["FurnitureArrangements"][0].update(
            DesiredSpatialDensity="Packed"
        ),
        f"{INTERIOR}.Furniture.FurnitureArrangements[0].DesiredSpatialDensity must be one of",
        SIX_ROOMS_V2,
    ),
    (
        "furniture-extra-key",
        lambda b: _interior(b)["Furniture"]["FurnitureArrangements"][1].update(Colour="red"),
        f"{INTERIOR}.Furniture.FurnitureArrangements[1].Colour is not an allowed property",
        SIX_ROOMS_V2,
    ),
    (
        "doorway-sets-14",
        lambda b: _interior(b)["Doorways"]["DoorwaySets"].extend(
            [{"Name": "d", "TargetSet": "Target.All"}] * 11
        ),
        f"{INTERIOR}.Doorways.DoorwaySets must contain between 0 and 13",
        SIX_ROOMS_V2,
    ),
    (
        "doorway-percent",
        lambda b: _interior(b)["Doorways"]["DoorwaySets"][0]["Door"]["InitialState"]["OpenPosition"].update(
            Percent=120
        ),
        f"{INTERIOR}.Doorways.DoorwaySets[0].Door.InitialState.OpenPosition.Percent must be between 0 and",
        SIX_ROOMS_V2,
    ),
    (
        "doorway-percent-word",
        lambda b: _interior(b)["Doorways"]["DoorwaySets"][0]["Door"]["InitialState"]["OpenPosition"].update(
            Percent="Half"
        ),
        f"{INTERIOR}.Doorways.DoorwaySets[0].Door.InitialState.OpenPosition.Percent must be a number",
        SIX_ROOMS_V2,
    ),
    (
        "doorway-target",
        lambda b: _interior(b)["Doorways"]["DoorwaySets"][1].update(
            TargetSet={"From": {"RoomTypes": ["Hallway"]}}
        ),
        f"{INTERIOR}.Doorways.DoorwaySets[1].TargetSet.To is required",
        SIX_ROOMS_V2,
    ),
    (
        "v2-missing-version",
        lambda b: b.pop("Version"),
        f'{PLAN}.Rooms[0].OriginalName is a Version "2" feature',
        SIX_ROOMS_V2,
    ),
]


@pytest.mark.parametrize(("case", "mutate", "message", "base"), BROKEN, ids=[c[0] for c in BROKEN])
def test_each_rule_broken_once(case: str, mutate: Callable[[dict], object], message: str, base: dict) -> None:
    with pytest.raises(TemplateFormatError) as info:
        parse_template_body(_mutate(mutate, base))
    assert message in str(info.value), str(info.value)


@pytest.mark.parametrize("body", ["", "not json", "[]", "null", '"x"'])
def test_not_an_object(body: str) -> None:
    with pytest.raises(TemplateFormatError):
        parse_template_body(body)


TOO_DEEP = "nests arrays and objects deeper than 32 levels"
HUGE_AREA = json.dumps(SIX_ROOMS_V2).replace('"Area": 20', '"Area": 1' + "0" * 5000, 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 1100 + "]" * 1100, TOO_DEEP),  # past Python's recursion limit
        ('{"Buildings": ' + "[" * 40 + "]" * 40 + "}", TOO_DEEP),
        (HUGE_AREA, "has a number of 5001 digits, too long to read"),
    ],
    ids=["1100-deep", "41-deep", "5001-digit-integer"],
)
def test_bodies_python_cannot_read_are_format_errors(body: str, message: str) -> None:
    """Deep nesting and over-long integers are template errors, not RecursionError or ValueError."""
    assert '"Area": 1' + "0" * 5000 in HUGE_AREA
    for check in (parse_template_body, template_version):
        with pytest.raises(TemplateFormatError) as info:
            check(body)
        assert message in str(info.value)
