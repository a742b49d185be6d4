# yiju's Python services (ingest, api, planning jobs) for docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY simulators simulators
COPY ingest ingest
COPY optimizer optimizer
COPY api api
COPY dashboards dashboards
COPY yiju yiju
# The wheel, without extras: what scripts/check_install.sh checks in CI.
RUN pip wheel --no-deps --wheel-dir /tmp/dist . && pip install /tmp/dist/yiju-*.whl \
    && rm -rf /tmp/dist && useradd --system --home-dir /data yiju && mkdir -p /data \
    && chown yiju /data
USER yiju
ENV YIJU_DATA_DIR=/data YIJU_ENV=production
VOLUME ["/data"]
ENTRYPOINT ["yiju"]
CMD ["--help"]
