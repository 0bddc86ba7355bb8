"""jobforge: a self-hosted, AWS-compatible service that runs asynchronous jobs for real."""

__version__ = "0.1.0"
