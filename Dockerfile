# syntax=docker/dockerfile:1
# One image for every Python service of docker-compose.yml: the Dagster code location (gRPC),
# the Dagster webserver and daemon, the BentoML prediction service (`shot-platform serve`) and the
# Scores API replay server (`shot-platform scores-api serve`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    SHOT_PLATFORM_HOME=/var/lib/shot_platform

# Non-root: the app user may write only DAGSTER_HOME (compute logs under storage/, a shared volume
# in docker-compose.yml, which takes this directory's owner) and SHOT_PLATFORM_HOME.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/shot shot \
    && mkdir -p "${DAGSTER_HOME}/storage" "${SHOT_PLATFORM_HOME}" \
    && chown -R shot:shot "${DAGSTER_HOME}" "${SHOT_PLATFORM_HOME}"

WORKDIR /opt/dagster/app

# Dependencies first, pinned by constraints.txt: this layer is rebuilt only when
# pyproject.toml or constraints.txt change, not on every code change.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (README.md is the package's readme, needed to build it).
COPY README.md ./
COPY shot_platform ./shot_platform
RUN pip install -c constraints.txt . && rm -rf build shot_platform.egg-info

# Dagster instance (PostgreSQL storage from DAGSTER_PG_* variables), workspaces, the Bento sources.
COPY dagster.yaml ${DAGSTER_HOME}/dagster.yaml
COPY workspace.yaml ./workspace.yaml
COPY deploy/workspace.docker.yaml ./deploy/workspace.docker.yaml
COPY bento ./bento

USER shot

EXPOSE 3000 4000 5000 5100
# docker-compose.yml sets the command of each service; this default is the code location.
CMD ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "4000", "-m", "shot_platform.definitions"]
