#!/usr/bin/env bash
# The scale-out topology without a container engine (docs/deploy.md, "Two servers"):
# nginx -> two gunicorn web nodes -> PgBouncer (transaction mode) -> PostgreSQL, two Celery
# workers and exactly one beat, all on 127.0.0.1, on free ports, under one run directory.
#
#   scale-out.sh release            migrate (straight to PostgreSQL) and collectstatic, once
#   scale-out.sh start              start the topology; prints the address of nginx
#   scale-out.sh status             each process, and /readyz of each web node and of nginx
#   scale-out.sh stop               stop what `start` started (its pid files only)
#   scale-out.sh reload-web N       graceful restart of web node N (SIGHUP: new workers first)
#   scale-out.sh restart NAME       stop and start one process: pgbouncer, beat, worker1, ...
#
# Environment: DATABASE_URL (PostgreSQL itself, not the pooler), REDIS_URL,
# DJANGO_SETTINGS_MODULE (default vpselect.settings.production, which wants its secrets),
# VPSELECT_SCALE_DIR (default var/scale-out), VPSELECT_WEB_NODES (2), VPSELECT_WORKERS (2),
# VPSELECT_CELERY_APP (default vpselect). nginx and PgBouncer come from Debian:
# `bash scripts/system-deps.sh scale` (as root) installs them.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY="$REPO/.venv/bin/python"
DIR=${VPSELECT_SCALE_DIR:-$REPO/var/scale-out}
WEB_NODES=${VPSELECT_WEB_NODES:-2}
WORKERS=${VPSELECT_WORKERS:-2}
CELERY_APP=${VPSELECT_CELERY_APP:-vpselect}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-vpselect.settings.production}

die() { echo "scale-out: $*" >&2; exit 2; }

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

free_ports() {
  "$PY" - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Run a command in its own session, its output to a log, its pid to a file.
spawn() {
  local name=$1; shift
  (cd "$REPO" && exec setsid "$@" >>"$DIR/log/$name.log" 2>&1 </dev/null) &
  echo $! >"$DIR/pid/$name.pid"
}

wait_http() {  # wait_http PORT PATH SECONDS
  local deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1$2" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# The app's environment: the same database, reached through PgBouncer.
app_env() {
  # shellcheck disable=SC1091
  source "$DIR/ports"
  export DATABASE_URL="$APP_DATABASE_URL" DJANGO_DB_BEHIND_PGBOUNCER=1 REDIS_URL
  export CELERY_TASK_ALWAYS_EAGER=false DJANGO_MEDIA_ROOT="$DIR/media" PYTHONUNBUFFERED=1
}

start_pgbouncer() {
  local user=()
  # PgBouncer refuses to run as root.
  [[ $(id -u) -eq 0 ]] && { user=(-u postgres); chown -R postgres "$DIR/pgbouncer"; }
  spawn pgbouncer /usr/sbin/pgbouncer "${user[@]}" "$DIR/pgbouncer/pgbouncer.ini"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PGBOUNCER_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  die "PgBouncer did not listen on 127.0.0.1:$PGBOUNCER_PORT (see $DIR/log/pgbouncer.log)"
}

start_web() {  # start_web N
  local port_var="WEB${1}_PORT"
  spawn "web$1" "$REPO/.venv/bin/gunicorn" vpselect.wsgi:application \
    --bind "127.0.0.1:${!port_var}" --workers 2 --threads 2 --worker-class gthread \
    --timeout 60 --graceful-timeout 30 --pid "$DIR/pid/web$1.gunicorn.pid" \
    --access-logfile "$DIR/log/web$1.access.log"
  wait_http "${!port_var}" /readyz 60 || die "web node $1 not ready (see $DIR/log/web$1.log)"
}

start_worker() {  # start_worker N
  spawn "worker$1" "$REPO/.venv/bin/celery" -A "$CELERY_APP" worker -n "worker$1@%h" \
    --concurrency 1 --prefetch-multiplier 1 --loglevel INFO --without-gossip --without-mingle
}

start_beat() {
  spawn beat "$REPO/.venv/bin/celery" -A "$CELERY_APP" beat --loglevel INFO \
    --schedule "$DIR/celerybeat-schedule" --pidfile "$DIR/pid/beat.celery.pid"
}

start_nginx() {
  spawn nginx /usr/sbin/nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/log/nginx.error.log" \
    -g "daemon off;"
  wait_http "$NGINX_PORT" /readyz 20 || die "nginx not ready (see $DIR/log/nginx.error.log)"
}

write_configs() {
  mkdir -p "$DIR"/{pid,log,media,pgbouncer,nginx/tmp}
  # PgBouncer (as postgres) and nginx's workers (as nobody) must reach their files in it.
  [[ $(id -u) -eq 0 ]] && chmod 755 "$DIR"
  local ports
  read -r -a ports <<<"$(free_ports $((WEB_NODES + 2)))"
  local db_parts
  db_parts=$("$PY" - "$DATABASE_URL" <<'EOF'
import sys
from urllib.parse import urlsplit, unquote
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5432, u.path.lstrip("/"), unquote(u.username or "postgres"), unquote(u.password or ""))
EOF
)
  local db_host db_port db_name db_user db_password
  read -r db_host db_port db_name db_user db_password <<<"$db_parts"
  local auth=trust
  [[ -n $db_password ]] && auth=scram-sha-256
  {
    echo "NGINX_PORT=${ports[0]}"
    echo "PGBOUNCER_PORT=${ports[1]}"
    for n in $(seq "$WEB_NODES"); do echo "WEB${n}_PORT=${ports[$((n + 1))]}"; done
    echo "REDIS_URL=${REDIS_URL:?Set REDIS_URL}"
    local credentials=$db_user
    [[ -n $db_password ]] && credentials="$db_user:$db_password"
    echo "APP_DATABASE_URL=postgres://$credentials@127.0.0.1:${ports[1]}/$db_name"
  } >"$DIR/ports"
  chmod 600 "$DIR/ports"
  printf '"%s" "%s"\n' "$db_user" "$db_password" >"$DIR/pgbouncer/userlist.txt"
  chmod 600 "$DIR/pgbouncer/userlist.txt"
  # Transaction pooling: a server connection is lent for one transaction. Django must not use
  # server-side cursors (DJANGO_DB_BEHIND_PGBOUNCER) and sets nothing per session that
  # matters (the database has jit = off and timezone = UTC of its own, see `release`).
  cat >"$DIR/pgbouncer/pgbouncer.ini" <<EOF
[databases]
$db_name = host=$db_host port=$db_port dbname=$db_name

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${ports[1]}
unix_socket_dir =
auth_type = $auth
auth_file = $DIR/pgbouncer/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $DIR/pgbouncer/pgbouncer.log
pidfile = $DIR/pgbouncer/pgbouncer.pid
EOF
  local upstream=""
  for n in $(seq "$WEB_NODES"); do
    upstream+="        server 127.0.0.1:${ports[$((n + 1))]} max_fails=1 fail_timeout=5s;"$'\n'
  done
  local run_as=""
  [[ $(id -u) -eq 0 ]] && { run_as="user nobody nogroup;"; chown -R nobody "$DIR/nginx/tmp"; }
  cat >"$DIR/nginx/nginx.conf" <<EOF
$run_as
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/log/nginx.error.log warn;
events { worker_connections 256; }
http {
    access_log $DIR/log/nginx.access.log;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    client_max_body_size 2m;
    # Open-source nginx checks passively: a node that refuses or times out is skipped for
    # fail_timeout. Readiness (/readyz) is polled by \`scale-out.sh status\` and compose.
    upstream vpselect_web {
$upstream    }
    server {
        listen 127.0.0.1:${ports[0]};
        location / {
            proxy_pass http://vpselect_web;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # A refused connection was never sent: even a POST may go to the other node.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }
    }
}
EOF
}

cmd_release() {
  : "${DATABASE_URL:?Set DATABASE_URL}"
  # Straight to PostgreSQL, never through PgBouncer; once per release, never at start.
  (cd "$REPO" && "$PY" manage.py migrate --noinput -v0 &&
    "$PY" manage.py set_database_defaults && "$PY" manage.py collectstatic --noinput -v0)
}

cmd_start() {
  : "${DATABASE_URL:?Set DATABASE_URL}"
  [[ -x /usr/sbin/nginx && -x /usr/sbin/pgbouncer ]] ||
    die "nginx and PgBouncer are missing: run (as root) bash scripts/system-deps.sh scale"
  [[ -f $DIR/ports ]] && pid_alive "$DIR/pid/nginx.pid" && die "already running in $DIR"
  write_configs
  app_env
  start_pgbouncer
  for n in $(seq "$WORKERS"); do start_worker "$n"; done
  start_beat
  for n in $(seq "$WEB_NODES"); do start_web "$n"; done
  start_nginx
  echo "VPSelect scale-out: http://127.0.0.1:$NGINX_PORT/ (run directory $DIR)"
}

stop_one() {  # stop_one NAME [SIGNAL]: SIGNAL (TERM), then KILL after 30 s
  local file="$DIR/pid/$1.pid"
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid
  pid=$(cat "$file")
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$file"
}

cmd_stop() {
  [[ -d $DIR/pid ]] || return 0
  stop_one nginx
  for file in "$DIR"/pid/web[0-9]*.pid "$DIR"/pid/worker*.pid "$DIR"/pid/beat.pid; do
    [[ $file == *.gunicorn.pid || $file == *.celery.pid ]] && continue
    [[ -f $file ]] && stop_one "$(basename "$file" .pid)"
  done
  stop_one pgbouncer INT
  echo "stopped"
}

cmd_status() {
  [[ -f $DIR/ports ]] || die "not started ($DIR)"
  # shellcheck disable=SC1091
  source "$DIR/ports"
  local code=0
  for file in "$DIR"/pid/*.pid; do
    [[ $file == *.gunicorn.pid || $file == *.celery.pid ]] && continue
    local name
    name=$(basename "$file" .pid)
    if pid_alive "$file"; then echo "$name: running (pid $(cat "$file"))"; else echo "$name: DOWN"; code=1; fi
  done
  for n in $(seq "$WEB_NODES"); do
    local port_var="WEB${n}_PORT"
    echo "web$n /readyz: $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${!port_var}/readyz")"
  done
  echo "nginx http://127.0.0.1:$NGINX_PORT/readyz: $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$NGINX_PORT/readyz")"
  return $code
}

cmd_reload_web() {
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "reload-web needs a node number"
  pid_alive "$DIR/pid/web$1.pid" || die "web node $1 is not running"
  kill -HUP "$(cat "$DIR/pid/web$1.pid")"
}

cmd_restart() {
  local name=${1:-}
  app_env
  case $name in
    # SIGINT is PgBouncer's safe shutdown: transactions under way finish first.
    pgbouncer) stop_one pgbouncer INT; start_pgbouncer ;;
    beat) stop_one beat; start_beat ;;
    worker[0-9]*) stop_one "$name"; start_worker "${name#worker}" ;;
    web[0-9]*) stop_one "$name"; start_web "${name#web}" ;;
    *) die "restart needs pgbouncer, beat, workerN or webN" ;;
  esac
}

case ${1:-} in
  release) cmd_release ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reload-web) cmd_reload_web "${2:-}" ;;
  restart) cmd_restart "${2:-}" ;;
  *) die "usage: scale-out.sh release|start|stop|status|reload-web N|restart NAME" ;;
esac
