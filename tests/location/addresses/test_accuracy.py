"""Premise recall and precision on the labelled defect corpus (defects.py): floors at what is reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.services.location.addresses import AddressValidator

from .defects import (
    DEFECT_KINDS,
    NEGATIVE,
    Corpus,
    KindScore,
    Reference,
    build_index,
    measure,
    spell_ordinal,
)

# recall floors per defect kind; kinds not named here must reach DEFAULT_RECALL
RECALL_FLOORS: dict[str, float] = {}
DEFAULT_RECALL = 0.98
OVERALL_RECALL = 0.995
PRECISION = 0.995
NEGATIVE_WRONG = 0.02  # share of a negative kind's rows that may get a Premise match


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KindScore]:
    return measure(tmp_path_factory.mktemp("accuracy"))


def test_precision_never_below_floor(scores: dict[str, KindScore]) -> None:
    assert scores["overall"].precision >= PRECISION, scores["overall"]
    for kind, ks in scores.items():
        if kind.startswith(NEGATIVE):  # any Premise claim there is wrong: a rate, not a precision
            assert ks.wrong <= NEGATIVE_WRONG * ks.negatives, (kind, ks)
        else:
            assert ks.precision >= PRECISION, (kind, ks)


@pytest.mark.parametrize("kind", DEFECT_KINDS)
def test_recall_per_kind(scores: dict[str, KindScore], kind: str) -> None:
    assert scores[kind].rows >= 90, scores[kind]
    assert scores[kind].recall >= RECALL_FLOORS.get(kind, DEFAULT_RECALL), scores[kind]


def test_overall_recall(scores: dict[str, KindScore]) -> None:
    assert scores["overall"].recall >= OVERALL_RECALL


def test_corpus_has_negatives_of_both_sorts() -> None:
    rows = Corpus(Reference()).rows(40)
    kinds = {item.kind for item in rows if item.truth is None}
    assert f"{NEGATIVE}:absent_number" in kinds
    assert f"{NEGATIVE}:ambiguous_directional_dropped" in kinds
    assert len(DEFECT_KINDS) >= 15


def test_spelled_ordinals() -> None:
    assert [spell_ordinal(n) for n in (1, 12, 21, 40, 99)] == [
        "First", "Twelfth", "Twenty-First", "Fortieth", "Ninety-Ninth"
    ]  # fmt: skip


def test_measure_is_deterministic(tmp_path: Path, scores: dict[str, KindScore]) -> None:
    again = measure(tmp_path)
    assert {k: (v.rows, v.correct, v.premise) for k, v in again.items()} == {
        k: (v.rows, v.correct, v.premise) for k, v in scores.items()
    }


C = "Output_ValidationResults_Components_Address_"


@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, dict]]:
    """Per kind: the outcome of its first labelled row and of the same point without the defect."""
    reference = Reference()
    validator = AddressValidator(build_index(reference, tmp_path_factory.mktemp("repaired")))
    corpus = Corpus(reference)
    out = {}
    for item in corpus.rows(5):
        if item.truth is None or item.kind in out or item.row.get("AddressComponents_Country") != "US":
            continue
        exact = corpus.exact(
            "US", item.truth, reference.street_of[id(item.truth)], reference.place_of[id(item.truth)]
        )
        out[item.kind] = (
            validator.validate_mapping(item.row).as_dict(),
            validator.validate_mapping(exact).as_dict(),
        )
    validator.close()
    return out


def test_wrong_postcode_is_corrected_with_lower_confidence(repaired: dict[str, tuple[dict, dict]]) -> None:
    fixed, exact = repaired["wrong_postcode"]
    assert fixed[f"{C}PostalCodeDetails_Base_StatusDetail"] == "Corrected"
    assert fixed[f"{C}Street_StatusDetail"] == "Exact"
    assert fixed["Output_Address_PostalCode"] == exact["Output_Address_PostalCode"]
    assert (
        fixed["Output_ValidationResults_MatchConfidenceScore"]
        < exact["Output_ValidationResults_MatchConfidenceScore"]
    )


@pytest.mark.parametrize("kind", ["type_missing", "spelled_ordinal", "directional_dropped", "wrong_type"])
def test_loose_street_is_corrected(repaired: dict[str, tuple[dict, dict]], kind: str) -> None:
    fixed, exact = repaired[kind]
    assert fixed[f"{C}Street_StatusDetail"] == "Corrected"
    assert fixed["Output_Address_Street"] == exact["Output_Address_Street"]
    assert fixed["Output_ValidationResults_MatchConfidenceScore"] < 1.0


def test_neighbour_postcode_corrects_postcode_and_locality(repaired: dict[str, tuple[dict, dict]]) -> None:
    fixed, exact = repaired["neighbour_postcode"]
    assert fixed["Output_ValidationResults_ValidationGranularity"] == "Premise"
    assert fixed[f"{C}PostalCodeDetails_Base_StatusDetail"] == "Corrected"
    assert fixed[f"{C}Locality_StatusDetail"] == "Corrected"
    assert fixed[f"{C}Street_StatusDetail"] == "Exact"
    for column in ("Output_Address_PostalCode", "Output_Address_Locality", "Output_Address_Street"):
        assert fixed[column] == exact[column]
    assert (
        fixed["Output_ValidationResults_MatchConfidenceScore"]
        < exact["Output_ValidationResults_MatchConfidenceScore"]
    )
