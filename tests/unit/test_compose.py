"""The Docker setup: docker-compose.yml, Dockerfile, .dockerignore and .env.example.

Neither Docker nor docker-compose is needed. The files are parsed and held against what the
code reads: the names of settings come from running ``core.settings.from_env`` on an
environment that records every name asked of it, so these tests follow the settings module
instead of a copied list. The compose file is checked against the Compose specification's
keys and value formats in Python, and its ``${...}`` values are resolved the way Compose
resolves them.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from dotenv import dotenv_values

from core.settings import Settings, from_env
from tests.support.settings_names import known_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

ONE_SHOTS = {"minio-setup", "migrate", "migrate-cluster"}
RABBITMQ_NODES = ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")
LONG_RUNNING = {"postgres", "redis", "rabbitmq", "minio", "api", "worker", "webhook-worker",
                "events",
                "api-cluster", "worker-cluster", "webhook-worker-cluster", "events-cluster",
                *RABBITMQ_NODES}
APP_SERVICES = ("api", "worker", "webhook-worker", "events", "migrate")
#: The services of `docker compose --profile cluster up`, beside the default ones.
CLUSTER_PROFILE = {"api-cluster", "worker-cluster", "webhook-worker-cluster", "events-cluster",
                   "migrate-cluster", *RABBITMQ_NODES}
CLUSTER_APP = ("api-cluster", "worker-cluster", "webhook-worker-cluster", "events-cluster",
               "migrate-cluster")
#: The queues the actors are declared on (jobs.images, jobs.webhooks).
QUEUES = ("images", "webhooks")
HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"

#: Host port -> the service that publishes it (the same port inside the container).
PUBLISHED = {8080: "api", 8081: "api-cluster", 8090: "events", 8091: "events-cluster",
             5672: "rabbitmq", 15672: "rabbitmq", 15692: "rabbitmq", 9000: "minio", 9001: "minio"}

DEPENDENCIES = {
    "api": {"migrate": COMPLETED, "redis": HEALTHY, "rabbitmq": HEALTHY,
            "minio-setup": COMPLETED},
    **{name: {"migrate": COMPLETED, "redis": HEALTHY, "rabbitmq": HEALTHY,
              "minio-setup": COMPLETED}
       for name in ("worker", "webhook-worker")},
    "events": {"migrate": COMPLETED},
    "migrate": {"postgres": HEALTHY},
    "migrate-cluster": {"postgres": HEALTHY},
    "events-cluster": {"migrate-cluster": COMPLETED},
    "rabbitmq-2": {"rabbitmq-1": HEALTHY},
    "rabbitmq-3": {"rabbitmq-1": HEALTHY},
    **{name: {"migrate-cluster": COMPLETED, "redis": HEALTHY, "minio-setup": COMPLETED,
              **{node: HEALTHY for node in RABBITMQ_NODES}}
       for name in ("api-cluster", "worker-cluster", "webhook-worker-cluster")},
    "minio-setup": {"minio": HEALTHY},
}

#: The names the seed used; they must keep working.
SEED_NAMES = {"DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "QUEUE_HOST",
              "CACHE_HOST", "AWS_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

ASSIGNMENT = re.compile(r"^#\s?([A-Z][A-Z0-9_]*)=(.*)$")
#: ${NAME}, ${NAME:-default} or ${NAME-default}; not $${...}, which Compose leaves alone.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def known() -> set[str]:
    return known_names()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    given = service.get("environment") or {}
    if isinstance(given, list):
        given = dict(item.split("=", 1) if "=" in item else (item, "") for item in given)
    return {name: "" if value is None else str(value) for name, value in given.items()}


def resolve_defaults(value: str) -> str:
    """The value Compose gives ``${NAME:-default}`` when NAME is set nowhere."""
    return INTERPOLATION.sub(lambda match: match.group(2) or "", value)


def service_settings(service: dict) -> Settings:
    """The app's settings in ``service``, with every interpolation at its default."""
    return from_env({key: resolve_defaults(value)
                     for key, value in environment(service).items()})


def published_ports(service: dict) -> dict[int, int]:
    """Host port -> container port, from the short or the long syntax."""
    ports = {}
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports[int(entry["published"])] = int(entry["target"])
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) == 1:
            continue  # a container port only: published on a random host port
        ports[int(parts[-2])] = int(parts[-1])
    return ports


def conditions(service: dict) -> dict[str, str]:
    given = service.get("depends_on") or {}
    if isinstance(given, list):
        return {name: "service_started" for name in given}
    return {name: spec.get("condition", "service_started") for name, spec in given.items()}


def command(service: dict) -> list[str]:
    given = service.get("command") or []
    return shlex.split(given) if isinstance(given, str) else [str(part) for part in given]


# --- docker-compose.yml ---------------------------------------------------------------------


def test_settings_names_are_recorded(known):
    assert SEED_NAMES <= known
    assert {"DATABASE_URL", "BROKER_URL", "REDIS_URL", "API_KEY_SECRET", "PORT"} <= known


def test_compose_spec_file_with_exactly_the_stack(compose, services):
    assert "version" not in compose, "the Compose spec has no version: key"
    assert set(services) == ONE_SHOTS | LONG_RUNNING


def test_images(services):
    assert services["postgres"]["image"] == "postgres:16-alpine"
    assert services["redis"]["image"] == "redis:7-alpine"
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management-alpine"
    assert services["minio"]["image"].startswith("minio/minio:")
    assert services["minio-setup"]["image"].startswith("minio/mc:")
    images = {services[name]["image"] for name in APP_SERVICES}
    builds = [services[name].get("build") for name in APP_SERVICES]
    assert len(images) == 1 and builds == ["."] * len(APP_SERVICES), "the app: one image"


def test_published_ports(services):
    published = {port: (name, target) for name, service in services.items()
                 for port, target in published_ports(service).items()}
    assert published == {port: (name, port) for port, name in PUBLISHED.items()}


def test_long_running_services_have_healthchecks(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"] != ["NONE"], f"{name} disables its image's healthcheck"


def test_one_shots_run_once(services):
    for name in ONE_SHOTS:
        assert "healthcheck" not in services[name], f"{name} is a one-shot: no healthcheck"
        assert services[name].get("restart", "no") == "no", f"{name} must not be restarted"


def test_dependencies_and_their_conditions(services):
    for name, service in services.items():
        assert conditions(service) == DEPENDENCIES.get(name, {}), name
        for target, condition in conditions(service).items():
            expected = COMPLETED if target in ONE_SHOTS else HEALTHY
            assert condition == expected, f"{name} waits for {target} with {condition}"


def test_app_environment_names_are_settings(services, known):
    for name in APP_SERVICES:
        unknown = set(environment(services[name])) - known
        assert not unknown, f"{name} sets names core.settings.from_env never reads: {unknown}"


def test_app_environment_points_at_the_compose_services(services):
    for name in APP_SERVICES:
        given = environment(services[name])
        assert given["DB_HOST"] == "postgres"
        assert given["QUEUE_HOST"] == "rabbitmq"
        assert given["CACHE_HOST"] == "redis"
        assert given["S3_ENDPOINT"] == "minio:9000"
        assert given["AWS_S3_BUCKET"] == "product-images"
        assert not {"DATABASE_URL", "BROKER_URL", "REDIS_URL"} & set(given), \
            "the URLs would override the service names"
        settings = service_settings(services[name])
        assert urlsplit(settings.database_url).hostname == "postgres"
        assert urlsplit(settings.broker_url).hostname == "rabbitmq"
        assert urlsplit(settings.redis_url).hostname == "redis"
        assert settings.s3_public_url == "http://localhost:9000/product-images"
        assert settings.port == 8080, "the api healthcheck and published port assume 8080"


def test_credentials_agree_between_app_and_services(services):
    postgres = environment(services["postgres"])
    minio = environment(services["minio"])
    setup = environment(services["minio-setup"])
    for name in APP_SERVICES:
        given = environment(services[name])
        assert given["DB_USER"] == postgres["POSTGRES_USER"]
        assert given["DB_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
        assert given["DB_NAME"] == postgres["POSTGRES_DB"]
        assert given["AWS_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"] == setup["MINIO_ROOT_USER"]
        assert (given["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
                == setup["MINIO_ROOT_PASSWORD"])


def test_interpolations_all_have_defaults():
    """`docker compose up` works with no .env and nothing exported."""
    for match in INTERPOLATION.finditer(COMPOSE_FILE.read_text()):
        assert match.group(2) is not None, f"{match.group(0)} has no default"


def test_commands(services):
    assert command(services["api"]) == ["gunicorn", "-c", "gunicorn.conf.py", "api.wsgi:app"]
    assert command(services["worker"]) == [
        "dramatiq", "jobs.worker", "--processes", "2", "--threads", "4", "--queues", "images"]
    assert command(services["webhook-worker"]) == [
        "dramatiq", "jobs.worker", "--processes", "1", "--threads", "8", "--queues", "webhooks"]
    assert command(services["events"]) == ["python", "-m", "stream"]
    assert command(services["migrate"]) == ["python", "-m", "models.migrate"]


def consumed_queues(service: dict) -> set[str] | None:
    """The queues a dramatiq worker service consumes (every queue without --queues/-Q);
    None for a service that runs no worker."""
    argv = command(service)
    if argv[:1] != ["dramatiq"]:
        return None
    for flag in ("--queues", "-Q"):
        if flag in argv:
            start = argv.index(flag) + 1
            end = next((i for i in range(start, len(argv)) if argv[i].startswith("-")),
                       len(argv))
            return set(argv[start:end])
    return set(QUEUES)


def queue_problems(services: dict) -> list[str]:
    """docs/api.md: a slow receiver must never hold a thread an image waits for, so no
    worker consumes both queues, and in each profile some worker consumes each one."""
    problems = []
    for profile in (None, "cluster"):
        workers = {name: queues for name, service in services.items()
                   if (service.get("profiles") or [None])[0] == profile
                   and (queues := consumed_queues(service)) is not None}
        for name, queues in sorted(workers.items()):
            if set(QUEUES) <= queues:
                problems.append(f"{name} consumes both images and webhooks")
        for queue in QUEUES:
            if not any(queue in queues for queues in workers.values()):
                problems.append(f"no {profile or 'default'} service consumes {queue}")
    return problems


def test_images_and_webhooks_have_workers_of_their_own(services):
    assert queue_problems(services) == []
    assert consumed_queues(services["worker"]) == {"images"}
    assert consumed_queues(services["webhook-worker-cluster"]) == {"webhooks"}


def test_the_queue_check_finds_a_shared_or_missing_worker(services):
    shared = {**services, "worker": {**services["worker"], "command": [
        "dramatiq", "jobs.worker", "--processes", "2", "--threads", "4"]}}
    assert queue_problems(shared) == ["worker consumes both images and webhooks"]
    missing = {name: service for name, service in services.items()
               if name != "webhook-worker-cluster"}
    assert queue_problems(missing) == ["no cluster service consumes webhooks"]


def test_relay_runs_inside_the_workers(services):
    for name, service in services.items():
        assert "jobs.relay" not in " ".join(command(service)), f"{name}: no separate relay"


def test_workers_can_be_scaled(services):
    for name in ("worker", "webhook-worker", "worker-cluster", "webhook-worker-cluster"):
        worker = services[name]
        assert not worker.get("ports") and "container_name" not in worker, name


def test_minio_setup_creates_a_downloadable_bucket(services):
    script = " ".join(command(services["minio-setup"]))
    assert "mc mb --ignore-existing" in script and "/product-images" in script
    assert "mc anonymous set download" in script


def test_rabbitmq_enables_management_and_prometheus(services):
    script = " ".join(command(services["rabbitmq"]))
    assert "rabbitmq-plugins enable" in script
    assert "rabbitmq_management" in script and "rabbitmq_prometheus" in script


def test_data_lives_in_named_volumes(compose, services):
    mounts = {name: services[name].get("volumes") or [] for name in ("postgres", "minio")}
    assert "postgres-data:/var/lib/postgresql/data" in mounts["postgres"]
    assert "minio-data:/data" in mounts["minio"]
    assert {"postgres-data", "minio-data"} <= set(compose.get("volumes") or {})


def test_app_healthchecks_are_python(services):
    api = services["api"]["healthcheck"]["test"]
    assert api[:3] == ["CMD", "python", "-c"] and "/healthz" in api[3]
    worker = services["worker"]["healthcheck"]["test"]
    assert worker[:3] == ["CMD", "python", "-c"]
    assert services["webhook-worker"]["healthcheck"] == services["worker"]["healthcheck"]
    assert services["webhook-worker"]["stop_grace_period"] == \
        services["worker"]["stop_grace_period"]
    events = services["events"]["healthcheck"]["test"]
    assert events[:3] == ["CMD", "python", "-c"] and ":8090/healthz" in events[3]
    for name, script in (("api", api[3]), ("worker", worker[3]), ("events", events[3])):
        compile(script, f"<{name} healthcheck>", "exec")
        assert "$" not in script, "Compose would interpolate it"


# --- the cluster profile -------------------------------------------------------------------


def test_the_cluster_profile_holds_exactly_the_cluster_services(services):
    profiled = {name for name, service in services.items() if service.get("profiles")}
    assert profiled == CLUSTER_PROFILE, "plain `docker compose up` starts none of them"
    assert all(services[name]["profiles"] == ["cluster"] for name in CLUSTER_PROFILE)


def test_the_cluster_nodes_share_a_cookie_and_find_each_other(services):
    config = (ROOT / "compose" / "rabbitmq-cluster.conf").read_text()
    for node in RABBITMQ_NODES:
        service = services[node]
        assert service["image"] == services["rabbitmq"]["image"]
        assert service["hostname"] == node and f"rabbit@{node}" in config
        mounts = service["volumes"]
        assert "./compose/rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in mounts
        assert f"{node}-data:/var/lib/rabbitmq" in mounts, "each node keeps its own data"
    cookies = {str(environment(services[node])) for node in RABBITMQ_NODES}
    assert len(cookies) == 1 and "-setcookie" in cookies.pop()
    assert "cluster_formation.peer_discovery_backend = classic_config" in config


def test_the_cluster_app_uses_every_node_with_quorum_queues(services, known):
    default = service_settings(services["api"])
    for name in CLUSTER_APP:
        given = environment(services[name])
        assert not set(given) - known, f"{name} sets names from_env never reads"
        settings = service_settings(services[name])
        assert [urlsplit(url).hostname for url in settings.broker_urls] == list(RABBITMQ_NODES)
        assert settings.rabbitmq_queue_type == "quorum"
        # Its own database, cache database and bucket: the two apps never share work.
        assert settings.database_url != default.database_url
        assert settings.redis_url != default.redis_url
        assert settings.s3_bucket != default.s3_bucket
        assert settings.s3_public_url.endswith("/" + settings.s3_bucket)
        assert settings.port == 8081
    script = " ".join(command(services["minio-setup"]))
    assert f"mc anonymous set download stack/{settings.s3_bucket}" in script
    assert command(services["api-cluster"]) == command(services["api"])
    assert command(services["worker-cluster"]) == command(services["worker"])
    assert command(services["webhook-worker-cluster"]) == command(services["webhook-worker"])
    assert command(services["events-cluster"]) == command(services["events"])
    assert services["webhook-worker-cluster"]["healthcheck"] == \
        services["worker-cluster"]["healthcheck"]
    assert "8081/healthz" in services["api-cluster"]["healthcheck"]["test"][3]


def test_the_cluster_console_opens_the_cluster_stream(services):
    # The console of api-cluster (8081) must read events of the cluster app's database, so it
    # opens events-cluster (8091), which lets that page's origin in; and the default app's
    # stream stays the default console's.
    api, stream, default = (service_settings(services[name])
                            for name in ("api-cluster", "events-cluster", "api"))
    assert api.events_public_url == f"http://localhost:{stream.events_port}"
    assert published_ports(services["events-cluster"]) == {stream.events_port: stream.events_port}
    assert f"http://localhost:{api.port}" in stream.events_cors_origins
    assert stream.database_url == api.database_url != default.database_url


# --- the Compose file format -----------------------------------------------------------------

#: The service keys of the Compose specification (compose-spec.io, services top-level element).
SERVICE_KEYS = {
    "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup",
    "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
    "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus",
    "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules",
    "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
    "environment", "expose", "extends", "external_links", "extra_hosts", "gpus", "group_add",
    "healthcheck", "hostname", "image", "init", "ipc", "isolation", "labels", "links",
    "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness",
    "memswap_limit", "network_mode", "networks", "oom_kill_disable", "oom_score_adj", "pid",
    "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged", "profiles",
    "pull_policy", "read_only", "restart", "runtime", "scale", "secrets", "security_opt",
    "shm_size", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "sysctls",
    "tmpfs", "tty", "ulimits", "user", "userns_mode", "uts", "volumes", "volumes_from",
    "working_dir",
}
TOP_LEVEL_KEYS = {"name", "services", "networks", "volumes", "configs", "secrets", "include"}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval",
                    "disable"}
DEPENDENCY_KEYS = {"condition", "restart", "required"}
CONDITIONS = {"service_started", "service_healthy", COMPLETED}
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
#: A port entry of the short syntax: [[host_ip:]host_port:]container_port[/protocol].
SHORT_PORT = re.compile(r"^((\d{1,3}(\.\d{1,3}){3}:)?\d{1,5}:)?\d{1,5}(/(tcp|udp))?$")


def format_problems(compose: dict) -> list[str]:
    """What the Compose specification rejects in ``compose``, checked without Docker: the
    keys of the file, of each service, healthcheck and dependency, and their values."""
    problems = [f"unknown top-level key {key!r}" for key in compose
                if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-")]
    services = compose.get("services")
    if not isinstance(services, dict) or not services:
        return [*problems, "services must be a non-empty mapping"]
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        if not isinstance(service, dict):
            problems.append(f"{name}: a service must be a mapping")
            continue
        problems += [f"{name}: unknown key {key!r}" for key in service
                     if key not in SERVICE_KEYS and not str(key).startswith("x-")]
        if "image" not in service and "build" not in service:
            problems.append(f"{name}: neither image nor build")
        problems += _healthcheck_problems(name, service.get("healthcheck"))
        problems += _dependency_problems(name, service.get("depends_on"), services)
        for entry in service.get("ports") or []:
            if not isinstance(entry, dict) and not SHORT_PORT.match(str(entry)):
                problems.append(f"{name}: bad port {entry!r}")
        for mount in service.get("volumes") or []:
            source = str(mount).split(":", 1)[0] if not isinstance(mount, dict) else ""
            if source and not source.startswith((".", "/", "~", "$")) \
                    and source not in declared_volumes:
                problems.append(f"{name}: volume {source!r} is not declared")
        restart = service.get("restart", "no")
        if not isinstance(restart, str) or not RESTART.match(restart):
            problems.append(f"{name}: bad restart {restart!r} (quote \"no\": YAML reads false)")
        grace = service.get("stop_grace_period")
        if grace is not None and not DURATION.match(str(grace)):
            problems.append(f"{name}: bad stop_grace_period {grace!r}")
        for variable, value in (service.get("environment") or {}).items():
            if isinstance(value, (dict, list)):
                problems.append(f"{name}: environment {variable} must be a scalar")
    return problems


def _healthcheck_problems(name: str, check: object) -> list[str]:
    if check is None:
        return []
    if not isinstance(check, dict):
        return [f"{name}: healthcheck must be a mapping"]
    problems = [f"{name}: unknown healthcheck key {key!r}" for key in check
                if key not in HEALTHCHECK_KEYS]
    test = check.get("test")
    if test is not None and not (
            isinstance(test, str)
            or (isinstance(test, list) and test
                and test[0] in ("NONE", "CMD", "CMD-SHELL")
                and all(isinstance(part, str) for part in test))):
        problems.append(f"{name}: healthcheck test must be a string or [CMD|CMD-SHELL, ...]")
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if key in check and not DURATION.match(str(check[key])):
            problems.append(f"{name}: healthcheck {key} {check[key]!r} is not a duration")
    if "retries" in check and not (isinstance(check["retries"], int) and check["retries"] > 0):
        problems.append(f"{name}: healthcheck retries must be a positive integer")
    return problems


def _dependency_problems(name: str, given: object, services: dict) -> list[str]:
    if given is None:
        return []
    if isinstance(given, list):
        given = {target: {} for target in given}
    if not isinstance(given, dict):
        return [f"{name}: depends_on must be a list or a mapping"]
    problems = []
    for target, spec in given.items():
        if target not in services:
            problems.append(f"{name}: depends on {target!r}, which is not a service")
        if target == name:
            problems.append(f"{name}: depends on itself")
        spec = spec or {}
        problems += [f"{name}: unknown depends_on key {key!r}" for key in spec
                     if key not in DEPENDENCY_KEYS]
        if spec.get("condition", "service_started") not in CONDITIONS:
            problems.append(f"{name}: bad condition {spec['condition']!r} for {target}")
    return problems


def dependency_order(services: dict) -> list[str]:
    """The services in an order Compose can start them; fails on a cycle."""
    ordered: list[str] = []
    remaining = {name: set(conditions(service)) for name, service in services.items()}
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if needs <= set(ordered))
        assert ready, f"a dependency cycle among {sorted(remaining)}"
        ordered += ready
        for name in ready:
            del remaining[name]
    return ordered


def test_the_file_follows_the_compose_format(compose):
    assert format_problems(compose) == []
    order = [name for name in dependency_order(compose["services"])
             if name not in CLUSTER_PROFILE]
    assert set(order[-4:]) == {"api", "worker", "webhook-worker", "events"}


def test_the_format_check_finds_what_compose_rejects(compose):
    """The check above can fail: each breakage, as `docker compose config` would report it."""
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    api = broken["services"]["api"]
    api["helthcheck"] = api.pop("healthcheck")
    api["depends_on"]["migrat"] = api["depends_on"].pop("migrate")
    broken["services"]["worker"]["depends_on"]["redis"]["condition"] = "service_ready"
    broken["services"]["migrate"]["restart"] = False
    broken["services"]["postgres"]["volumes"] = ["pg-data:/var/lib/postgresql/data"]
    broken["services"]["redis"]["healthcheck"]["interval"] = "5 seconds"
    broken["services"]["minio"]["ports"] = ["9000:9000:9000"]
    broken["version"] = "3.8"
    assert format_problems(broken) == [
        "unknown top-level key 'version'",
        "postgres: volume 'pg-data' is not declared",
        "redis: healthcheck interval '5 seconds' is not a duration",
        "minio: bad port '9000:9000:9000'",
        "migrate: bad restart False (quote \"no\": YAML reads false)",
        "api: unknown key 'helthcheck'",
        "api: depends on 'migrat', which is not a service",
        "worker: bad condition 'service_ready' for redis",
        # webhook-worker merges worker's mapping (a YAML alias): one breakage, both report it.
        "webhook-worker: bad condition 'service_ready' for redis",
    ]
    cyclic = {"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}
    with pytest.raises(AssertionError, match="cycle"):
        dependency_order(cyclic)


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Compose's ``${NAME:-default}`` / ``${NAME-default}`` / ``${NAME}`` and ``$$``."""
    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        given = environ.get(name)
        if given is None or (given == "" and ":-" in match.group(0)):
            return default or ""
        return given

    return INTERPOLATION.sub(value, text).replace("$$", "$")


def test_the_defaults_resolve_to_the_compose_services(known):
    """What `docker compose config` gives with .env.example as the .env and nothing exported:
    the app reaches each service by its name, with the development credentials."""
    env_file = {name: value or "" for name, value in dotenv_values(ENV_EXAMPLE).items()}
    assert not set(env_file) & known, ".env.example sets nothing"
    resolved = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env_file))["services"]
    assert set(resolved) == ONE_SHOTS | LONG_RUNNING
    for name in APP_SERVICES:
        settings = from_env(environment(resolved[name]))
        assert settings.database_url == (
            "postgresql://postgres:postgres@postgres:5432/product_management")
        assert settings.broker_url == "amqp://guest:guest@rabbitmq:5672/%2F"
        assert settings.redis_url == "redis://redis:6379/0"
        assert settings.s3_endpoint == "minio:9000" and not settings.s3_secure
    assert "$" not in str(resolved["postgres"]["environment"])


# --- .env.example ---------------------------------------------------------------------------


def env_example_assignments() -> list[tuple[int, str, str]]:
    """(line index, name, value) of every `# NAME=value` line."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    return [(index, match.group(1), match.group(2)) for index, line in enumerate(lines)
            if (match := ASSIGNMENT.match(line))]


def test_env_example_lists_exactly_the_settings(known):
    names = [name for _, name, _ in env_example_assignments()]
    assert len(names) == len(set(names)), "a name appears twice"
    assert not known - set(names), f"missing from .env.example: {known - set(names)}"
    assert not set(names) - known, f"not settings: {set(names) - known}"


def test_env_example_changes_nothing_as_copied():
    lines = ENV_EXAMPLE.read_text().splitlines()
    active = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert not active, f"uncommented lines would change the settings: {active}"
    assert dotenv_values(ENV_EXAMPLE) == {}


def test_env_example_shows_the_real_defaults():
    """Uncommenting every line still gives the defaults: the values shown are the true ones."""
    uncommented = "\n".join(f"{name}={value}" for _, name, value in env_example_assignments())
    values = dotenv_values(stream=io.StringIO(uncommented))
    assert from_env({name: value or "" for name, value in values.items()}) == from_env({})


def test_env_example_explains_every_setting():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, name, _ in env_example_assignments():
        above = lines[index - 1] if index else ""
        assert above.startswith("# ") and not ASSIGNMENT.match(above), \
            f"{name} needs a one-line comment above it"


# --- Dockerfile and .dockerignore -----------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def test_dockerfile_base_image_and_user():
    steps = instructions()
    bases = [arguments.split()[0] for keyword, arguments in steps if keyword == "FROM"]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    users = [arguments for keyword, arguments in steps[last_from:] if keyword == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_installs_pinned_runtime_dependencies():
    installs = [arguments for keyword, arguments in instructions()
                if keyword == "RUN" and "pip install" in arguments]
    assert installs and all("-c constraints.txt" in run for run in installs)
    assert any(re.search(r"\s\.(\s|$)", run) for run in installs), "installs the package"
    assert "[dev]" not in DOCKERFILE.read_text()


def test_dockerfile_serves_the_api():
    steps = dict(instructions())
    assert steps["EXPOSE"] == "8080"
    assert "gunicorn" in steps["CMD"] and "gunicorn.conf.py" in steps["CMD"]


def test_dockerignore_lets_in_only_what_the_dockerfile_copies():
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert patterns[0] == "*", "start from nothing and allow-list"
    allowed = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied = set()
    for keyword, arguments in instructions():
        if keyword == "COPY" and "--from" not in arguments:
            sources = [part for part in arguments.split() if not part.startswith("--")][:-1]
            copied |= {source.rstrip("/") for source in sources}
    assert allowed == copied
    assert not allowed & {".venv", ".git", ".env", "tests", "docs"}


def test_every_setting_of_the_rendition_ladder_passes_through_to_the_app(services):
    # They are in the settings revision, so an operator must be able to change any of them
    # for the containers too (IMAGE_CHROMA=4:4:4 docker compose up, then jobs.rerender).
    ladder = ("IMAGE_WIDTHS", "IMAGE_FORMATS", "IMAGE_FORMAT", "IMAGE_QUALITY", "IMAGE_CHROMA",
              "IMAGE_QUALITY_MODE", "IMAGE_QUALITY_TARGET", "IMAGE_MAX_DIMENSION")
    for name in (*APP_SERVICES, *CLUSTER_APP):
        given = environment(services[name])
        assert {each: given.get(each) for each in ladder} == {
            each: f"${{{each}:-}}" for each in ladder}, name
