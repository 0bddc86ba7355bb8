"""Testing with jobforge in your own test suite: a real server on a temporary data directory
(:class:`JobforgeServer`), boto3 clients configured for it (:func:`make_client`) and its control
API (:class:`JobforgeControl`). The pytest fixtures built on these are in
:mod:`jobforge.pytest_plugin`; nothing here needs pytest.
"""

from jobforge.testing.clients import SERVICES, make_client
from jobforge.testing.control import (
    KINDS,
    ControlError,
    ControlState,
    JobforgeControl,
    ResetReport,
    dataexchange_kind,
    job_id,
)
from jobforge.testing.server import JobforgeServer, ServerOptions

__all__ = [
    "KINDS",
    "SERVICES",
    "ControlError",
    "ControlState",
    "JobforgeControl",
    "JobforgeServer",
    "ResetReport",
    "ServerOptions",
    "dataexchange_kind",
    "job_id",
    "make_client",
]
