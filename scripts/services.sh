#!/usr/bin/env bash
# Starts PostgreSQL, Redis and RabbitMQ when they are installed here but not answering.
# Used by `make run`, `make test` and .ci/run; it never stops anything.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do port_open "$port" && return 0; sleep 1; done
  echo "services: $name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 5432; then
  echo "services: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_port PostgreSQL 5432
fi

if ! port_open 6379; then
  echo "services: starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port Redis 6379
fi

if ! port_open 5672; then
  if rabbitmqctl -q status >/dev/null 2>&1; then
    # The node runs but its app was stopped (rabbitmqctl stop_app): only start_app helps.
    echo "services: starting the RabbitMQ app" >&2
    rabbitmqctl -q start_app
  else
    echo "services: starting RabbitMQ" >&2
    rabbitmq-server -detached
  fi
  wait_port RabbitMQ 5672
fi
