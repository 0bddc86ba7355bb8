"""Reading a jobforge ``/metrics`` page as Prometheus does (``prometheus_client.parser``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One scrape: its text and {(sample name, sorted label pairs): value}."""

    text: str
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when absent, as a counter not yet moved)."""
        return self.values.get((name, tuple(sorted(labels.items()))), 0.0)

    def since(self, before: Scrape, name: str, **labels: str) -> float:
        """How much a sample moved from the ``before`` scrape to this one."""
        return self.value(name, **labels) - before.value(name, **labels)

    def series(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample called ``name``."""
        return [dict(labels) for sample, labels in self.values if sample == name]

    @property
    def names(self) -> set[str]:
        return {sample for sample, _ in self.values}


def parse(text: str) -> Scrape:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return Scrape(text, values)


def scrape(url: str, **headers: str) -> Scrape:
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")  # the text format
    return parse(response.text)
