# jobforge: one image for the API nodes (`jobforge serve`) and the workers (`jobforge worker`).
# deploy/docker-compose.yml builds and runs it; docs/deploy.md says how.
#
# No Debian package is installed: every runtime dependency (numpy, scipy, shapely, pyarrow, Pillow,
# psycopg[binary], uvloop, awscrt...) comes as a manylinux wheel with its native libraries inside,
# and libsdformat (`ign sdf`) is used by the test suite only.

FROM python:3.11-slim AS build
# Extras installed beside the runtime dependencies: postgres = the psycopg driver for
# postgresql+psycopg:// database URLs.
ARG JOBFORGE_EXTRAS=postgres
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/jobforge
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/jobforge/bin/pip install ".[${JOBFORGE_EXTRAS}]"

FROM python:3.11-slim
COPY --from=build /opt/jobforge /opt/jobforge
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/jobforge --create-home jobforge
ENV PATH=/opt/jobforge/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    JOBFORGE_HOST=0.0.0.0 \
    JOBFORGE_PORT=4580 \
    JOBFORGE_DATA_DIR=/var/lib/jobforge
USER jobforge
WORKDIR /var/lib/jobforge
VOLUME /var/lib/jobforge
EXPOSE 4580
# 200 while the API is up (also while its workers warm up), 503 when a service cannot run its jobs.
# Worker containers serve no HTTP: deploy/docker-compose.yml replaces this check for them.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('JOBFORGE_PORT', '4580')}/_jobforge/health\", timeout=4)"]
ENTRYPOINT ["jobforge"]
CMD ["serve"]
