"""Address validation accuracy on the labelled defect corpus (tests/location/addresses/defects.py).

Usage: python bench/location_accuracy.py [--per-kind 110] [--seed 18]

Generates the reference (fictional streets in real US/CA/GB/AU postcodes) and ~2,000 input rows each
carrying one defect of a named kind, validates them, and prints Premise recall and precision per kind
and overall. Negative kinds (absent house numbers, rows a defect made ambiguous) have no recall: any
Premise match there lowers precision.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.location.addresses.defects import measure, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=110)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jobforge-accuracy-") as tmp:
        scores = measure(Path(tmp), args.per_kind, args.seed)
    print(report(scores))
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
