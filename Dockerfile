# FastOps production image (see docs/DEPLOYMENT.md). Two stages: the first resolves and
# installs the pinned dependencies into a virtualenv, the second copies only that virtualenv
# and the code onto a slim base: no pip cache, no compiler, no build headers, non-root.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Every pinned dependency ships manylinux wheels; --only-binary makes a missing wheel fail
# the build instead of silently pulling in a compiler toolchain.
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/fastops-metrics
RUN groupadd --system --gid 10001 fastops \
 && useradd --system --uid 10001 --gid fastops --home-dir /srv/fastops --no-create-home fastops
WORKDIR /srv/fastops
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
COPY scripts ./scripts
COPY seeds ./seeds
# The archive volume is initialised from this directory, so it inherits the owner.
RUN mkdir -p /srv/fastops/audit-archive && chown fastops:fastops /srv/fastops/audit-archive
USER fastops
EXPOSE 8000
# uvicorn finishes in-flight requests and the access log flushes on SIGTERM, within
# GRACEFUL_SHUTDOWN_SECONDS (give `docker stop -t` / stop_grace_period a little more).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4)"]
CMD ["python", "-m", "scripts.serve", "--host", "0.0.0.0", "--port", "8000"]
