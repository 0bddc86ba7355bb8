"""Property tests: whatever bytes or JSON arrive, the gateway answers with a 2xx/4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import LiveServer

ROUTES = [
    ("POST", "/v1/data-sets"),  # dataexchange CreateDataSet
    ("PATCH", "/v1/jobs/{id}"),  # dataexchange StartJob
    ("GET", "/v1/data-sets"),  # dataexchange ListDataSets (query parameters)
    ("POST", "/places/v0/indexes/{id}/search/text"),  # location
    ("POST", "/tracking/v0/trackers/{id}/positions"),  # location, nested lists and timestamps
    ("POST", "/geofencing/v0/collections/{id}/put-geofences"),  # location, unions and doubles
    ("POST", "/createWorldGenerationJob"),  # robomaker
    ("POST", "/tags/{id}"),  # ambiguous between services when unsigned
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
member_names = st.sampled_from(
    [
        "Name", "AssetType", "Description", "Tags", "Details", "Text", "MaxResults", "Updates",
        "Entries", "DeviceId", "Position", "SampleTime", "Geometry", "Polygon", "Circle", "Center",
        "Radius", "template", "worldCount", "floorplanCount", "tags", "clientRequestToken",
    ]
)  # fmt: skip
objects = st.dictionaries(member_names | st.text(max_size=8), json_values, max_size=6)
labels = st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe="") or "x")
queries = st.dictionaries(
    st.sampled_from(["maxResults", "nextToken", "origin", "key", "x"]), st.text(max_size=10), max_size=3
)

pytestmark = pytest.mark.filterwarnings("ignore")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _send(
    client: httpx.Client, route: tuple[str, str], label: str, body: bytes, query: dict[str, Any]
) -> None:
    method, template = route
    response = client.request(method, template.replace("{id}", label), content=body, params=query)
    assert response.status_code < 500, (route, body, response.text)
    assert response.headers["x-amzn-requestid"]
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/json"
        assert response.json()["message"]


@pytest.fixture(scope="module")
def http(live: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client


@FUZZ
@given(route=st.sampled_from(ROUTES), label=labels, body=st.binary(max_size=200), query=queries)
def test_random_bytes_never_500(
    http: httpx.Client, route: tuple[str, str], label: str, body: bytes, query: dict
) -> None:
    _send(http, route, label, body, query)


@FUZZ
@given(route=st.sampled_from(ROUTES), label=labels, body=objects | json_values, query=queries)
def test_random_json_never_500(
    http: httpx.Client, route: tuple[str, str], label: str, body: Any, query: dict
) -> None:
    _send(http, route, label, json.dumps(body).encode(), query)
