"""Load botocore-format service models: the project's own models first, then botocore's data.

RoboMaker is gone from current botocore, so jobforge ships its model under ``jobforge/models``;
putting that directory first on the loader's search path also lets us patch any other model.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from botocore.loaders import Loader
from botocore.model import ServiceModel

PROJECT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def create_loader(extra_search_paths: tuple[str, ...] = ()) -> Loader:
    """A loader searching the project's models, then ``extra_search_paths``, then botocore's data."""
    paths = [str(PROJECT_MODELS_DIR), *extra_search_paths]
    return Loader(extra_search_paths=paths, include_default_search_paths=True)


@cache
def load_service_model(name: str, extra_search_paths: tuple[str, ...] = ()) -> ServiceModel:
    """The (cached) service model for ``name`` (``robomaker``, ``dataexchange``, ``location``...)."""
    loader = create_loader(extra_search_paths)
    data = loader.load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)
