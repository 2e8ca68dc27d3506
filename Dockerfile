# dexcex engine + One Glance page. Build: docker build -t dexcex:$(git describe --tags) .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# pg_dump/pg_restore for `dexcex db backup|restore`; curl for the health check
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 --home /data dexcex \
 && mkdir -p /data && chown dexcex /data

USER dexcex
# prod: real venues, JSON logs. The page listens on all interfaces *inside* the
# container; compose publishes it on the host's loopback only.
ENV DEXCEX_PROFILE=prod DEXCEX_DATA_DIR=/data DEXCEX_API__HOST=0.0.0.0
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/api/status >/dev/null || exit 1
ENTRYPOINT ["dexcex"]
CMD ["run", "--no-status"]
