#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and RabbitMQ answer on this machine, for `make run`,
# `make test` and .ci/run. A service that answers is left alone; one that is installed but
# stopped is started; one that is missing is installed from Debian's packages when we are
# root, and otherwise named, with what to install or `docker compose up` instead.
# It never stops anything.
#
# Ports and the wait can be changed (the tests stage a machine this way):
#   SERVICES_PG_PORT, SERVICES_REDIS_PORT, SERVICES_RABBITMQ_PORT, SERVICES_WAIT_SECONDS
set -uo pipefail

PG_PORT=${SERVICES_PG_PORT:-5432}
REDIS_PORT=${SERVICES_REDIS_PORT:-6379}
RABBITMQ_PORT=${SERVICES_RABBITMQ_PORT:-5672}
WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-60}
missing=()

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2 waited=0
  while [ "$waited" -lt "$WAIT_SECONDS" ]; do
    port_open "$port" && return 0
    sleep 1
    waited=$((waited + 1))
  done
  echo "services: $name did not come up on 127.0.0.1:$port" >&2
  return 1
}

# install NAME PACKAGE COMMAND: make COMMAND available, installing PACKAGE when root.
install() {
  local name=$1 package=$2 command=$3
  command -v "$command" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing $name (apt-get install $package)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" \
      >/dev/null && return 0
    echo "services: could not install $package" >&2
    return 1
  fi
  missing+=("$name (sudo apt-get install $package)")
  return 1
}

start_postgres() {
  local fresh=0 version
  command -v pg_ctlcluster >/dev/null 2>&1 || fresh=1
  install PostgreSQL postgresql pg_ctlcluster || return 1
  echo "services: starting PostgreSQL" >&2
  version=$(ls /etc/postgresql 2>/dev/null | head -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port PostgreSQL "$PG_PORT" || return 1
  if [ "$fresh" = 1 ]; then
    # Debian's PostgreSQL wants a password over TCP: give the local superuser one, and tell
    # the app through .env (the real environment still wins over it).
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" &&
      { [ -f .env ] && grep -q '^DB_PASSWORD=' .env || echo 'DB_PASSWORD=postgres' >> .env; } &&
      echo "services: PostgreSQL installed; its postgres user's password is in .env" >&2
  fi
}

start_redis() {
  install Redis redis-server redis-server || return 1
  echo "services: starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port Redis "$REDIS_PORT"
}

start_rabbitmq() {
  install RabbitMQ rabbitmq-server rabbitmq-server || return 1
  if command -v rabbitmqctl >/dev/null 2>&1 && rabbitmqctl -q status >/dev/null 2>&1; then
    # The node runs but its app was stopped (rabbitmqctl stop_app): only start_app helps.
    echo "services: starting the RabbitMQ app" >&2
    rabbitmqctl -q start_app
  else
    echo "services: starting RabbitMQ" >&2
    rabbitmq-server -detached
  fi
  wait_port RabbitMQ "$RABBITMQ_PORT"
}

status=0
port_open "$PG_PORT" || start_postgres || status=1
port_open "$REDIS_PORT" || start_redis || status=1
port_open "$RABBITMQ_PORT" || start_rabbitmq || status=1
# The tests run the processes through a PgBouncer of their own (tests/support/pgbouncer.py),
# which they start and stop: installed here when we are root, never started.
[ "$(id -u)" != 0 ] || install PgBouncer pgbouncer pgbouncer || status=1
# The console's browser tests drive Debian's Chromium (Playwright downloads none): likewise
# installed only when we are root, and only the tests need it.
[ "$(id -u)" != 0 ] || install Chromium chromium chromium || status=1

if [ ${#missing[@]} -gt 0 ]; then
  echo "services: not running and not installed, and installing needs root:" >&2
  for service in "${missing[@]}"; do echo "  - $service" >&2; done
  echo "services: install them, or run the whole stack with: docker compose up" >&2
fi
exit "$status"
