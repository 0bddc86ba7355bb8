"""Sample template bodies (WorldForge docs samples plus a six-room V2 template), for tests and demos."""

from __future__ import annotations

import json

ONE_BEDROOM_HOUSE: dict = {
    "Version": "1",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Footprint": {"DesiredAspectRatio": {"x": 1, "y": 1}},
                        "Ceiling": {"Height": 3},
                        "Rooms": [
                            {
                                "Type": "Bedroom",
                                "Name": "Bedroom",
                                "DesiredShape": {"Area": 25, "AspectRatio": {"x": 1, "y": 1.2}},
                            },
                            {
                                "Type": "Living",
                                "Name": "Living room",
                                "DesiredShape": {"Area": 30, "AspectRatio": {"x": 1, "y": 1.5}},
                            },
                            {
                                "Type": "Bathroom",
                                "Name": "Bathroom",
                                "DesiredShape": {"Area": 10, "AspectRatio": {"x": 1, "y": 1.5}},
                            },
                            {
                                "Type": "Kitchen",
                                "Name": "Kitchen",
                                "DesiredShape": {"Area": 15, "AspectRatio": {"x": 1.5, "y": 1}},
                            },
                        ],
                        "DesiredConnections": [
                            {"Location": ["Bathroom", "Living room"], "ConnectionType": "Doorway"},
                            {"Location": ["Living room", "Kitchen"], "ConnectionType": "Opening"},
                            {"Location": ["Bedroom", "Living room"], "ConnectionType": "Doorway"},
                        ],
                    },
                    "Interior": {
                        "Flooring": {
                            "MaterialSets": [
                                {
                                    "Name": "Floorboard room types",
                                    "TargetSet": {"RoomTypes": ["Kitchen"]},
                                    "SampleSet": {"MaterialTypes": ["Floorboards"]},
                                },
                                {
                                    "Name": "Carpet room types",
                                    "TargetSet": {"RoomTypes": ["Living", "Bedroom"]},
                                    "SampleSet": {"MaterialTypes": ["Carpet"]},
                                },
                                {
                                    "Name": "Bathroom",
                                    "TargetSet": {"RoomNames": ["Bathroom"]},
                                    "SampleSet": {"MaterialTypes": ["Parquetry"]},
                                },
                            ]
                        },
                        "Walls": {
                            "MaterialSets": [
                                {
                                    "Name": "Brick room types",
                                    "TargetSet": {"RoomTypes": ["Living"]},
                                    "SampleSet": {"MaterialTypes": ["Brick"]},
                                },
                                {
                                    "Name": "Tiles room types",
                                    "TargetSet": {"RoomTypes": ["Bathroom"]},
                                    "SampleSet": {"MaterialTypes": ["Tiles"]},
                                },
                            ]
                        },
                        "Furniture": {
                            "FurnitureArrangements": [
                                {
                                    "Name": "Dense furniture room types",
                                    "TargetSet": {"RoomTypes": ["Living", "Bedroom", "Kitchen", "Bathroom"]},
                                    "DesiredSpatialDensity": "Dense",
                                },
                            ]
                        },
                    },
                }
            ]
        }
    ],
}

ONE_ROOM: dict = {
    "Version": "1",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Footprint": {"DesiredAspectRatio": {"x": 1, "y": 1}},
                        "Ceiling": {"Height": 3},
                        "Rooms": [
                            {
                                "Type": "Bedroom",
                                "Name": "Bedroom",
                                "DesiredShape": {"Area": 40, "AspectRatio": {"x": 1, "y": 1.61}},
                            }
                        ],
                        "DesiredConnections": [],
                    },
                    "Interior": {
                        "Furniture": {
                            "FurnitureArrangements": [
                                {
                                    "Name": "Bedroom furniture",
                                    "TargetSet": {"RoomNames": ["Bedroom"]},
                                    "DesiredSpatialDensity": "Dense",
                                }
                            ]
                        }
                    },
                }
            ]
        }
    ],
}

TWO_ROOMS: dict = {
    "Version": "1",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Footprint": {"DesiredAspectRatio": {"x": 1, "y": 1}},
                        "Ceiling": {"Height": 3},
                        "Rooms": [
                            {
                                "Type": "Living",
                                "Name": "Living room",
                                "DesiredShape": {"Area": 30, "AspectRatio": {"x": 1, "y": 1.5}},
                            },
                            {
                                "Type": "Dining",
                                "Name": "Dining room",
                                "DesiredShape": {"Area": 30, "AspectRatio": {"x": 1, "y": 1.5}},
                            },
                        ],
                        "DesiredConnections": [],
                    },
                    "Interior": {},
                }
            ]
        }
    ],
}

DEFAULT_FLOOR_V2: dict = {
    "Version": "2",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Footprint": {"DesiredAspectRatio": {"x": 1, "y": 1}},
                        "Ceiling": {"Height": 3},
                        "Rooms": [
                            {
                                "Type": "Living",
                                "Name": "My_Living_Room",
                                "OriginalName": "My Living Room",
                                "DesiredShape": {"Area": 20, "AspectRatio": {"x": 1, "y": 1}},
                            }
                        ],
                        "DesiredConnections": [],
                    },
                    "Interior": {
                        "Doorways": {"DoorwaySets": []},
                        "Flooring": {"MaterialSets": []},
                        "Walls": {"MaterialSets": []},
                        "Furniture": {"FurnitureArrangements": []},
                    },
                }
            ]
        }
    ],
}

SIX_ROOMS_V2: dict = {
    "Version": "2",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Footprint": {"DesiredAspectRatio": {"x": 1.5, "y": 1}},
                        "Ceiling": {"Height": 2.7},
                        "Rooms": [
                            {
                                "Type": "Living",
                                "Name": "Living",
                                "OriginalName": "Living Room",
                                "DesiredShape": {"Area": 32, "AspectRatio": {"x": 1.4, "y": 1}},
                            },
                            {
                                "Type": "Kitchen",
                                "Name": "Kitchen",
                                "DesiredShape": {"Area": 14, "AspectRatio": {"x": 1.2, "y": 1}},
                            },
                            {
                                "Type": "Dining",
                                "Name": "Dining",
                                "DesiredShape": {"Area": 16, "AspectRatio": {"x": 1, "y": 1}},
                            },
                            {
                                "Type": "Hallway",
                                "Name": "Hall",
                                "DesiredShape": {"Area": 10, "AspectRatio": {"x": 3, "y": 1}},
                            },
                            {
                                "Type": "Bedroom",
                                "Name": "Main Bedroom",
                                "DesiredShape": {"Area": 20, "AspectRatio": {"x": 1, "y": 1.2}},
                            },
                            {
                                "Type": "Bathroom",
                                "Name": "Bath",
                                "DesiredShape": {"Area": 10, "AspectRatio": {"x": 1, "y": 1.3}},
                            },
                        ],
                        "DesiredConnections": [
                            {"Location": ["Living", "Kitchen"], "ConnectionType": "Opening"},
                            {"Location": ["Living", "Dining"], "ConnectionType": "Doorway"},
                            {"Location": ["Hall", "Main Bedroom"], "ConnectionType": "Doorway"},
                            {"Location": ["Hall", "Bath"], "ConnectionType": "Doorway"},
                            {"Location": ["Hall", "Living"], "ConnectionType": "Doorway"},
                        ],
                    },
                    "Interior": {
                        "Doorways": {
                            "DoorwaySets": [
                                {
                                    "Name": "All doors half open",
                                    "TargetSet": "Target.All",
                                    "Door": {"InitialState": {"OpenPosition": {"Percent": 50}}},
                                },
                                {
                                    "Name": "Bathroom door closed",
                                    "TargetSet": {
                                        "From": {"RoomTypes": ["Hallway"]},
                                        "To": {"RoomNames": ["Bath"]},
                                    },
                                    "Door": {"InitialState": {"OpenPosition": {"Percent": 0}}},
                                },
                                {
                                    "Name": "Bedroom door random",
                                    "TargetSet": {
                                        "From": {"RoomNames": ["Main Bedroom"]},
                                        "To": {"RoomTypes": ["Hallway"]},
                                    },
                                    "Door": {"InitialState": {"OpenPosition": {"Percent": "Random"}}},
                                },
                            ]
                        },
                        "Flooring": {
                            "MaterialSets": [
                                {
                                    "Name": "Everywhere",
                                    "TargetSet": "Target.All",
                                    "SampleSet": {"MaterialTypes": ["Floorboards"]},
                                },
                                {
                                    "Name": "Wet rooms",
                                    "TargetSet": {"RoomTypes": ["Bathroom", "Kitchen"]},
                                    "SampleSet": {"MaterialTypes": ["Tiles"]},
                                },
                                {
                                    "Name": "Bedroom carpet",
                                    "TargetSet": {"RoomNames": ["Main Bedroom"]},
                                    "SampleSet": {"MaterialTypes": ["Carpet"]},
                                },
                            ]
                        },
                        "Walls": {
                            "MaterialSets": [
                                {
                                    "Name": "Painted",
                                    "TargetSet": "Target.All",
                                    "SampleSet": {"MaterialTypes": ["WallPaint"]},
                                },
                            ]
                        },
                        "Furniture": {
                            "FurnitureArrangements": [
                                {
                                    "Name": "Sparse everywhere",
                                    "TargetSet": "Target.All",
                                    "DesiredSpatialDensity": "Sparse",
                                },
                                {
                                    "Name": "Dense living",
                                    "TargetSet": {"RoomNames": ["Living"]},
                                    "DesiredSpatialDensity": "Dense",
                                },
                                {
                                    "Name": "Empty hall",
                                    "TargetSet": {"RoomTypes": ["Hallway"]},
                                    "SampleSet": {"ModelTypes": []},
                                },
                            ]
                        },
                    },
                }
            ]
        }
    ],
}

# The smallest template: one 20 m² square living room, Version 1 (where only a template is needed).
MINIMAL: dict = {
    "Version": "1",
    "Buildings": [
        {
            "Floors": [
                {
                    "Floorplan": {
                        "Rooms": [
                            {
                                "Type": "Living",
                                "Name": "L",
                                "DesiredShape": {"Area": 20, "AspectRatio": {"x": 1, "y": 1}},
                            }
                        ]
                    }
                }
            ]
        }
    ],
}
MINIMAL_BODY = json.dumps(MINIMAL)

SAMPLE_TEMPLATES: dict[str, dict] = {
    "OneBedroomHouse": ONE_BEDROOM_HOUSE,
    "OneRoom": ONE_ROOM,
    "TwoRooms": TWO_ROOMS,
    "DefaultFloorV2": DEFAULT_FLOOR_V2,
    "SixRoomsV2": SIX_ROOMS_V2,
}


def sample_body(name: str) -> str:
    """A sample template as the JSON string the API carries."""
    return json.dumps(SAMPLE_TEMPLATES[name])


def shaped_room(kind: str, name: str, area: float, x: float, y: float) -> dict:
    """A room of a template: type, name, desired area and aspect ratio ``x:y``."""
    return {"Type": kind, "Name": name, "DesiredShape": {"Area": area, "AspectRatio": {"x": x, "y": y}}}


def floorplan_body(
    rooms: list[dict], connections: list[dict], footprint: tuple[float, float] = (1, 1)
) -> str:
    """A Version 2 template body of one floor with these rooms and desired connections."""
    plan = {
        "Footprint": {"DesiredAspectRatio": {"x": footprint[0], "y": footprint[1]}},
        "Rooms": rooms,
        "DesiredConnections": connections,
    }
    return json.dumps({"Version": "2", "Buildings": [{"Floors": [{"Floorplan": plan}]}]})


def hallway_house_body(kitchen_opening: bool = True) -> str:
    """A hallway house: a 3:1 hall serving two 1:1.2 bedrooms, a bathroom and a living room, mixed
    areas; the kitchen is open to the living room when ``kitchen_opening``."""
    rooms = [
        shaped_room("Hallway", "Hall", 12, 3, 1),
        shaped_room("Bedroom", "Bedroom 1", 16, 1, 1.2),
        shaped_room("Bedroom", "Bedroom 2", 12, 1, 1.2),
        shaped_room("Bathroom", "Bath", 10, 1, 1.3),
        shaped_room("Living", "Living", 30, 1.5, 1),
        shaped_room("Kitchen", "Kitchen", 14, 1.2, 1),
    ]
    connections = [
        {"Location": ["Hall", other], "ConnectionType": "Doorway"}
        for other in ("Bedroom 1", "Bedroom 2", "Bath", "Living")
    ]
    if kitchen_opening:
        connections.append({"Location": ["Living", "Kitchen"], "ConnectionType": "Opening"})
    return floorplan_body(rooms, connections, (1.4, 1))


def without_door_rules(template: dict, version: str = "2") -> str:
    """A template body as Version ``version`` with no doorway sets (every door at the default, fully open)."""
    body = json.loads(json.dumps(template))
    body["Version"] = version
    for building in body["Buildings"]:
        for floor in building["Floors"]:
            floor.get("Interior", {}).pop("Doorways", None)
    return json.dumps(body)


def unconnected_house_body(closet: bool = False, connections: list[dict] | None = None) -> str:
    """Six rooms, by default no desired connections (the generator alone decides every doorway);
    with ``closet`` a closet instead of the kitchen."""
    table = (
        ("Living", "Living", 28, 1.4, 1),
        ("Closet", "Closet", 10, 1, 1) if closet else ("Kitchen", "Kitchen", 12, 1.2, 1),
        ("Hallway", "Hall", 10, 3, 1),
        ("Bedroom", "Bedroom 1", 15, 1, 1.2),
        ("Bedroom", "Bedroom 2", 12, 1, 1.2),
        ("Bathroom", "Bath", 10, 1, 1.3),
    )
    return floorplan_body([shaped_room(*row) for row in table], connections or [], (1.5, 1))


def navigation_templates() -> dict[str, str]:
    """The five Version 2 templates of the navigability benchmark and tests, default doors."""
    return {
        "hallway house": hallway_house_body(),
        "six rooms": without_door_rules(SIX_ROOMS_V2),
        "one-bedroom house": without_door_rules(ONE_BEDROOM_HOUSE),
        "unconnected house": unconnected_house_body(),
        "two rooms": without_door_rules(TWO_ROOMS),
    }


def open_plan_body() -> str:
    """Four rooms around a 1.3:1 living room open to its kitchen (L-shaped living rooms wrap the
    kitchen on a share of the floor plan seeds)."""
    rooms = [
        shaped_room("Living", "Living", 26, 1.3, 1),
        shaped_room("Kitchen", "Kitchen", 10, 1, 1),
        shaped_room("Bedroom", "Bedroom", 14, 1, 1.2),
        shaped_room("Bathroom", "Bath", 10, 1, 1.2),
    ]
    connections = [
        {"Location": ["Living", "Kitchen"], "ConnectionType": "Opening"},
        {"Location": ["Living", "Bedroom"], "ConnectionType": "Doorway"},
        {"Location": ["Bedroom", "Bath"], "ConnectionType": "Doorway"},
    ]
    return floorplan_body(rooms, connections, (1.3, 1))
