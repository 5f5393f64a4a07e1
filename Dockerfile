# The deployable image: the official Airflow image + the pinned runtime dependencies + the
# provider package (airflow-provider-dataplatform) + the repository's DAGs and plugins.
#
#   docker build -t dataplatform-airflow:local .
#   docker build --build-arg VCS_REF="$(git rev-parse HEAD)" -t REGISTRY/dataplatform-airflow:TAG .
#
# The base tag must match `apache-airflow==` in requirements.txt and the Python version of
# pyproject.toml (tests/deploy/test_dockerfile.py checks both).
# Layers go from least to most often changed, so editing a DAG rebuilds only the last layers.
FROM apache/airflow:3.3.2-python3.11

LABEL org.opencontainers.image.title="dataplatform-airflow" \
      org.opencontainers.image.description="Apache Airflow 3.3.2 with the data platform's DAGs, plugins and provider package (airflow-provider-dataplatform)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/apache/airflow:3.3.2-python3.11"

USER airflow

# 1. Third-party dependencies. requirements.lock is the project's full resolved set (uv pip
#    compile of requirements.txt + requirements-dev.txt): used as constraints, it pins every
#    package pip installs here; lock entries that nothing here needs (pytest, moto, ruff, ...)
#    are not installed. apache-airflow==3.3.2 in requirements.txt keeps the base image's Airflow.
COPY --chown=airflow:0 requirements.txt requirements.lock /tmp/requirements/
RUN pip install --no-cache-dir -r /tmp/requirements/requirements.txt -c /tmp/requirements/requirements.lock

# 2. The provider package, without dependencies (all installed and pinned above). Its
#    apache_airflow_provider entry point registers hooks, notifiers and the [dataplatform] config.
COPY --chown=airflow:0 pyproject.toml README.md /tmp/provider/
COPY --chown=airflow:0 include/ /tmp/provider/include/
RUN pip install --no-cache-dir --no-deps /tmp/provider \
    && rm -rf /tmp/provider

# 3. DAGs and plugins, baked in (no git-sync, no DAG volume in production).
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/

# Build metadata last: a new commit changes these labels without invalidating the layers above.
ARG VERSION=0.2.0
ARG VCS_REF=unknown
ARG SOURCE_URL=""
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.source="${SOURCE_URL}"
