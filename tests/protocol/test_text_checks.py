"""Lone surrogates: refused by the parser wherever they arrive, tolerated by the JSON writer."""

from __future__ import annotations

import json

import pytest

from jobforge.protocol.parser import RequestParseError, check_document, check_text
from jobforge.protocol.router import parse_query
from jobforge.protocol.serializer import dump_json


def test_dump_json_escapes_lone_surrogates_instead_of_failing() -> None:
    assert dump_json({"a": "é"}) == '{"a":"é"}'.encode()
    encoded = dump_json({"a": "x\ud800", "b": "é"})
    assert json.loads(encoded.decode("utf-8")) == {"a": "x\ud800", "b": "é"}


def test_check_text_names_the_member_without_echoing_the_value() -> None:
    assert check_text("é ok", "Name") == "é ok"
    with pytest.raises(RequestParseError) as info:
        check_text("a\udfffb", "Details.Name")
    assert info.value.path == "Details.Name"
    assert "'Details.Name'" in info.value.message and "\udfff" not in info.value.message


def test_documents_and_query_bytes_that_are_not_utf8() -> None:
    with pytest.raises(RequestParseError) as info:
        check_document({"k": [1, {"\ud800": 2}]}, "Doc")
    assert info.value.path == "Doc.k.2.member.key"
    (value,) = parse_query("x=%ED%A0%80")["x"]
    with pytest.raises(RequestParseError):
        check_text(value, "x")
