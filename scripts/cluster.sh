#!/usr/bin/env bash
# A local Imago cluster on this machine, to try and test scale-out: a private PostgreSQL, an S3
# server (`imago s3`), two serve nodes and two inference workers sharing them, and haproxy in front
# on the usual ports. Imago's processes start from the reference systemd units in deploy/systemd
# (their ExecStart, with the env file their EnvironmentFile names, read as systemd reads it) and
# haproxy runs deploy/haproxy/imago.cfg, so a broken unit, env file or proxy configuration fails
# here first. Usage: scripts/cluster.sh --help; README "Running a cluster".
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/cluster.sh <command>
  up [--fresh]        start what is not running, return once the whole cluster is ready
                      (--fresh: delete the cluster folder first: data, secrets, logs)
  down [--purge]      stop everything: SIGTERM (PostgreSQL: SIGINT), SIGKILL after the bound;
                      --purge also deletes the cluster folder
  status              pid, alive and ready of each component; exit 1 unless all are up and ready
  kill COMPONENT      SIGKILL a component and its whole process group (failure tests)
  start COMPONENT     start a component again and return once it is ready
  token --tenant T --role R [--ttl D] [--subject S]
                      mint a bearer token the cluster accepts (the last line printed)
  env COMPONENT [--reveal]
                      the env file the component runs with (secrets masked unless --reveal)
components: postgres s3 serve-1 serve-2 worker-1 worker-2 haproxy
settings (environment; `up` records them, the other commands use what it recorded):
  CLUSTER_DIR                cluster folder (default: <checkout>/.cache/cluster)
  CLUSTER_DICOM_PORT         haproxy's DIMSE port (11112)   CLUSTER_HTTP_PORT   haproxy's HTTP port (8080)
  CLUSTER_NODE_DICOM_BASE    serve-N's DIMSE port is this + N (11120)
  CLUSTER_NODE_HTTP_BASE     serve-N's HTTP port is this + N (8090)
  CLUSTER_PG_PORT            PostgreSQL (15432)             CLUSTER_S3_PORT     S3 server (19000)
  CLUSTER_SERVE_JAVA_OPTS    (-Xmx768m)  CLUSTER_WORKER_JAVA_OPTS (-Xmx512m)  CLUSTER_S3_JAVA_OPTS (-Xmx384m)
  CLUSTER_ECHO_AET           calling AE title of the C-ECHO readiness probe (DEMO)
  CLUSTER_TIMEOUT            seconds `up` and `start` wait for readiness (300; not recorded)
  IMAGO_CONFIG               the configuration file (tenants...) every node runs with
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abs() { realpath -ms -- "$1"; } # relative to the directory the script was run from
dir=$(abs "${CLUSTER_DIR:-$root/.cache/cluster}")
INSTALL=/opt/imago # the install path the units name: the checkout stands in for it
ETC=/etc/imago     # the units' env files: $dir/env stands in for it
PG_BIN=/usr/lib/postgresql/15/bin
SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin # systemd's PATH for services
BASE_ENV=("PATH=$SERVICE_PATH" "HOME=${HOME:-/root}" "LANG=${LANG:-C.UTF-8}") # what every process gets besides its own
COMPONENTS=(postgres s3 serve-1 serve-2 worker-1 worker-2 haproxy)
SETTINGS=(CLUSTER_DICOM_PORT CLUSTER_HTTP_PORT CLUSTER_NODE_DICOM_BASE CLUSTER_NODE_HTTP_BASE CLUSTER_PG_PORT
  CLUSTER_S3_PORT CLUSTER_SERVE_JAVA_OPTS CLUSTER_WORKER_JAVA_OPTS CLUSTER_S3_JAVA_OPTS CLUSTER_ECHO_AET
  CLUSTER_IMAGO_CONFIG)
timeout_s=${CLUSTER_TIMEOUT:-300}
pg_data=$dir/data/postgres

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }
logfile() { echo "$dir/log/$1.log"; }
pidfile() { echo "$dir/run/$1.pid"; }
fail_with_log() { # component message
  echo "cluster: $2; the end of $(logfile "$1"):" >&2
  tail -n 40 "$(logfile "$1")" >&2 2>/dev/null || true
  exit 1
}

# --- settings ---------------------------------------------------------------------------------

defaults() {
  : "${CLUSTER_DICOM_PORT:=11112}" "${CLUSTER_HTTP_PORT:=8080}" "${CLUSTER_NODE_DICOM_BASE:=11120}"
  : "${CLUSTER_NODE_HTTP_BASE:=8090}" "${CLUSTER_PG_PORT:=15432}" "${CLUSTER_S3_PORT:=19000}"
  : "${CLUSTER_SERVE_JAVA_OPTS:=-Xmx768m}" "${CLUSTER_WORKER_JAVA_OPTS:=-Xmx512m}" "${CLUSTER_S3_JAVA_OPTS:=-Xmx384m}"
  : "${CLUSTER_ECHO_AET:=DEMO}"
}
settings_from_environment() {
  defaults
  CLUSTER_IMAGO_CONFIG=
  if [ -n "${IMAGO_CONFIG:-}" ]; then CLUSTER_IMAGO_CONFIG=$(abs "$IMAGO_CONFIG"); fi
}
settings_text() { local v; for v in "${SETTINGS[@]}"; do printf '%s=%q\n' "$v" "${!v}"; done; }
load_settings() { # what `up` recorded, for the cluster that runs
  [ -f "$dir/settings" ] || die "no cluster in $dir: run scripts/cluster.sh up first"
  # shellcheck disable=SC1091
  source "$dir/settings"
  defaults
}
dicom_port() { echo $((CLUSTER_NODE_DICOM_BASE + ${1#serve-})); }
http_port() { echo $((CLUSTER_NODE_HTTP_BASE + ${1#serve-})); }
ports_of() {
  case $1 in
    postgres) echo "$CLUSTER_PG_PORT" ;;
    s3) echo "$CLUSTER_S3_PORT" ;;
    serve-*) echo "$(dicom_port "$1") $(http_port "$1")" ;;
    haproxy) echo "$CLUSTER_DICOM_PORT $CLUSTER_HTTP_PORT" ;;
  esac
}
known_component() { local c; for c in "${COMPONENTS[@]}"; do [ "$c" = "${1:-}" ] && return 0; done; return 1; }

lock() { # one up, down or start at a time
  mkdir -p "$dir"
  exec 8>"$dir/.lock"
  flock -w 900 8 || die "another scripts/cluster.sh holds $dir/.lock"
}

# --- processes --------------------------------------------------------------------------------

pid_of() { local f; f=$(pidfile "$1"); if [ -f "$f" ]; then cat "$f"; fi; }
alive() { # the component's process still leads its own session (a reused pid would not), and is no zombie
  local pid stat sid
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 1
  read -r sid stat < <(ps -o sid=,stat= -p "$pid" 2>/dev/null) || return 1
  [ "$sid" = "$pid" ] && [ "${stat#Z}" = "$stat" ]
}

# spawn COMPONENT CWD NOFILE KEY=VALUE... -- COMMAND...: COMMAND in a session of its own (setsid:
# a signal to this script never reaches it), with exactly that environment, output to its log.
spawn() {
  local c=$1 cwd=$2 nofile=$3 log pid
  shift 3
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  log=$(logfile "$c")
  pid=$(pidfile "$c")
  mkdir -p "$dir/log" "$dir/run"
  if [ -f "$log" ]; then mv -f "$log" "$log.1"; fi
  rm -f "$pid"
  (
    exec 8>&- # not the lock: a process that outlives this script must not hold it
    cd "$cwd"
    for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
    export "${vars[@]}"
    if [ -n "$nofile" ] && ! ulimit -n "$nofile" 2>/dev/null; then # systemd may raise the hard limit, a root shell not always
      echo "cluster: LimitNOFILE=$nofile is above the hard limit here: $(ulimit -Hn) open files"
      ulimit -n "$(ulimit -Hn)"
    fi
    exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pid" "$@"
  ) </dev/null >>"$log" 2>&1 &
  for _ in $(seq 50); do [ -s "$pid" ] && return 0; sleep 0.1; done
  fail_with_log "$c" "$c did not start"
}

free_ports() {
  local p
  for p in $(ports_of "$1"); do
    if ss -Hltn "sport = :$p" | grep -q .; then
      die "port $p, where $1 would listen, is taken: $(ss -Hltnp "sport = :$p" | head -1 | tr -s ' ')"
    fi
  done
}

start_one() {
  free_ports "$1"
  say "starting $1"
  case $1 in
    postgres) start_postgres ;;
    s3) start_s3 ;;
    haproxy) start_haproxy ;;
    *) start_unit "$1" ;;
  esac
}
start_if_down() { local c; for c; do alive "$c" || start_one "$c"; done; }

# stop COMPONENT...: SIGTERM each (PostgreSQL: SIGINT, its fast shutdown; SIGTERM would wait for
# every client to leave), SIGKILL each process group whose leader outlives its bound (the unit's
# TimeoutStopSec), and then what is left of each group, as systemd's KillMode=mixed does.
stop() {
  local c pid bound t t0=$SECONDS running=()
  for c; do
    if alive "$c"; then
      pid=$(pid_of "$c")
      running+=("$c")
      say "stopping $c (pid $pid)"
      if [ "$c" = postgres ]; then kill -INT "$pid"; else kill -TERM "$pid"; fi 2>/dev/null || true
    fi
  done
  for c in "${running[@]}"; do
    bound=30
    case $c in s3 | serve-* | worker-*) t=$(unit_value "$c" TimeoutStopSec); [[ ! $t =~ ^[0-9]+s?$ ]] || bound=${t%s} ;; esac
    pid=$(pid_of "$c")
    while alive "$c" && [ $((SECONDS - t0)) -lt "$bound" ]; do sleep 0.2; done
    if alive "$c"; then say "$c still runs after $bound s: SIGKILL"; fi
    kill -KILL -- "-$pid" 2>/dev/null || true # the leader and whatever is left of its group
  done
  for c; do rm -f "$(pidfile "$c")"; done
}

# --- readiness --------------------------------------------------------------------------------

echo_ok() { echoscu -aet "$CLUSTER_ECHO_AET" -aec IMAGO -to 5 -ta 5 -td 5 127.0.0.1 "$1" >/dev/null 2>&1; }
http_ok() { curl -sf -o /dev/null --max-time 3 "$1"; }
why= # what the last failed probe was
ready() {
  local c=$1
  case $c in
    postgres) why="pg_isready on 127.0.0.1:$CLUSTER_PG_PORT"; "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$CLUSTER_PG_PORT" ;;
    s3) why="S3 answering on 127.0.0.1:$CLUSTER_S3_PORT"
      [ -s "$dir/data/s3/run/s3-endpoint" ] && curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$CLUSTER_S3_PORT/" ;;
    serve-*) why="GET /ready 200 on :$(http_port "$c")"
      http_ok "http://127.0.0.1:$(http_port "$c")/ready" || return 1
      why="C-ECHO from $CLUSTER_ECHO_AET (CLUSTER_ECHO_AET) on :$(dicom_port "$c")"; echo_ok "$(dicom_port "$c")" ;;
    worker-*) why="event=worker.ready in its log"; grep -q 'event=worker.ready' "$(logfile "$c")" 2>/dev/null ;;
    haproxy) why="GET /ready 200 through :$CLUSTER_HTTP_PORT"
      http_ok "http://127.0.0.1:$CLUSTER_HTTP_PORT/ready" || return 1
      why="C-ECHO through :$CLUSTER_DICOM_PORT"; echo_ok "$CLUSTER_DICOM_PORT" ;;
  esac
}
await() { # COMPONENT...: until each is ready; one that exits, or the timeout, fails with its log's end
  local pending=("$@") left c t0=$SECONDS
  while [ ${#pending[@]} -gt 0 ]; do
    left=()
    for c in "${pending[@]}"; do
      alive "$c" || fail_with_log "$c" "$c is not running"
      if ready "$c"; then say "$c ready ($((SECONDS - t0)) s)"; else left+=("$c"); fi
    done
    pending=("${left[@]}")
    if [ ${#pending[@]} -gt 0 ] && [ $((SECONDS - t0)) -ge "$timeout_s" ]; then
      ready "${pending[0]}" || fail_with_log "${pending[0]}" "${pending[*]} not ready after $timeout_s s (waiting for $why)"
    fi
    if [ ${#pending[@]} -gt 0 ]; then sleep 0.5; fi
  done
}

# --- systemd units: Imago's processes -----------------------------------------------------------

unit_of() { case $1 in s3) echo imago-s3.service ;; serve-*) echo imago-serve@.service ;; worker-*) echo imago-worker@.service ;; esac; }
unit_value() { # COMPONENT KEY: the unit's last KEY= in [Service], with %i, the install path and /etc/imago stood in for
  local file v
  file=$root/deploy/systemd/$(unit_of "$1")
  [ -f "$file" ] || die "no unit file $file"
  v=$(awk -v k="$2=" '/^\[/ { s = ($0 == "[Service]") } s && index($0, k) == 1 { v = substr($0, length(k) + 1) } END { print v }' "$file")
  v=${v//%i/$1}
  v=${v//$INSTALL/$root}
  printf '%s\n' "${v//$ETC/$dir/env}"
}

# read_env FILE: the KEY=VALUE lines of an EnvironmentFile= as systemd reads them (comments # and ;,
# optional quotes around a value) into ENVS; anything else fails.
read_env() {
  ENVS=()
  local n=0 line key value
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'* | ';'*) continue ;; esac
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$1:$n is not KEY=VALUE: $line"
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    ENVS+=("$key=$value")
  done <"$1"
}
expand() { # an ExecStart line with ${NAME} replaced from ENVS, as systemd does
  local s=$1 kv pat
  for kv in "${ENVS[@]}"; do
    pat='${'"${kv%%=*}"'}'
    s=${s//"$pat"/"${kv#*=}"}
  done
  [[ $s != *'${'* ]] || die "ExecStart names a variable its env file does not set: $s"
  printf '%s\n' "$s"
}

s3_credential() { sed -n "s/^$1=//p" "$dir/data/s3/secrets/s3.credentials"; }
env_line() { case $2 in *[[:space:]]*) printf '%s="%s"\n' "$1" "$2" ;; *) printf '%s=%s\n' "$1" "$2" ;; esac; }
env_of() { # COMPONENT: its env file
  local c=$1
  echo "# $c of the cluster in $dir, written by scripts/cluster.sh: systemd EnvironmentFile= format"
  env_line IMAGO_DATA "$dir/data/$c"
  if [ -n "$CLUSTER_IMAGO_CONFIG" ]; then env_line IMAGO_CONFIG "$CLUSTER_IMAGO_CONFIG"; fi
  case $c in
    s3)
      env_line IMAGO_JAVA_OPTS "$CLUSTER_S3_JAVA_OPTS"
      env_line S3_PORT "$CLUSTER_S3_PORT"
      return ;;
    serve-*)
      env_line IMAGO_JAVA_OPTS "$CLUSTER_SERVE_JAVA_OPTS"
      env_line IMAGO_NODE_DICOM_PORT "$(dicom_port "$c")"
      env_line IMAGO_NODE_HTTP_PORT "$(http_port "$c")"
      # DICOM TLS and HTTPS off: each node would otherwise present its own local CA's certificate.
      env_line IMAGO_NODE_DICOM_TLS_PORT -1
      env_line IMAGO_NODE_HTTPS_PORT -1
      env_line IMAGO_NODE_TRUSTED_PROXIES '[127.0.0.1]'
      env_line IMAGO_INFERENCE_WORKER false ;;
    worker-*)
      env_line IMAGO_JAVA_OPTS "$CLUSTER_WORKER_JAVA_OPTS" ;;
  esac
  env_line IMAGO_CLUSTER_NODE_ID "$c" # its name in duty leases and logs
  env_line IMAGO_NODE_PUBLIC_URL "http://127.0.0.1:$CLUSTER_HTTP_PORT"
  env_line IMAGO_STORAGE_BACKEND s3
  env_line IMAGO_STORAGE_S3_ENDPOINT "http://127.0.0.1:$CLUSTER_S3_PORT"
  env_line IMAGO_STORAGE_S3_ACCESS_KEY "$(s3_credential accessKey)"
  env_line IMAGO_STORAGE_S3_SECRET_KEY "$(s3_credential secretKey)"
  env_line IMAGO_STORAGE_DB_URL "jdbc:postgresql://127.0.0.1:$CLUSTER_PG_PORT/imago"
  env_line IMAGO_STORAGE_DB_USER imago
  env_line IMAGO_STORAGE_DB_PASSWORD "$(cat "$dir/secrets/imago-db.password")"
  env_line IMAGO_AUTH_JWT_SECRET "$(cat "$dir/secrets/jwt-hs256.key")"
}
env_file_of() { local f; f=$(unit_value "$1" EnvironmentFile); printf '%s\n' "${f#-}"; }

# start_unit COMPONENT: write its env file where its unit's EnvironmentFile= says, then run the
# unit's ExecStart in its WorkingDirectory with LimitNOFILE and exactly that environment.
# (As root: User= is not applied, the checkout is not an installation.)
start_unit() {
  local c=$1 cmd file cwd nofile
  file=$(env_file_of "$c")
  cmd=$(unit_value "$c" ExecStart)
  [ -n "$cmd" ] && [ -n "$file" ] || die "$(unit_of "$c") needs ExecStart= and EnvironmentFile="
  [[ $cmd != [-@+!:]* && $cmd != *[\"\'\\]* ]] || die "ExecStart prefixes and quoting are not supported here: $cmd"
  mkdir -p "$(dirname "$file")"
  (umask 077 && env_of "$c" >"$file")
  read_env "$file"
  cmd=$(expand "$cmd")
  local argv
  read -ra argv <<<"$cmd"
  cwd=$(unit_value "$c" WorkingDirectory)
  nofile=$(unit_value "$c" LimitNOFILE)
  [[ $nofile =~ ^([0-9]+|infinity)?$ ]] || die "$(unit_of "$c"): LimitNOFILE=$nofile is not a number"
  spawn "$c" "${cwd:-/}" "$nofile" "${BASE_ENV[@]}" "${ENVS[@]}" -- "${argv[@]}"
}

verify_units() { # systemd-analyze verify, on copies named as instances with the install path stood in for
  command -v systemd-analyze >/dev/null || return 0
  local c u out unit
  rm -rf "$dir/run/units"
  mkdir -p "$dir/run/units"
  for c in s3 serve-1 worker-1; do
    unit=$(unit_of "$c")
    u=$dir/run/units/${unit/@./@$c.}
    sed "s#$INSTALL#$root#g" "$root/deploy/systemd/$unit" >"$u"
    out=$(systemd-analyze verify "$u" 2>&1) || die "systemd-analyze verify deploy/systemd/$unit: $out"
    if grep -q "$u" <<<"$out"; then die "systemd-analyze verify deploy/systemd/$unit: $out"; fi
  done
}

# --- PostgreSQL, S3 credentials, haproxy ------------------------------------------------------

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
random_of() { head -c 1024 /dev/urandom | LC_ALL=C tr -dc "$1" | cut -c "1-$2"; }
secret_file() { # FILE CONTENT: written once, 0600
  [ -s "$1" ] && return 0
  (umask 077 && printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1")
}
ensure_secrets() {
  install -d -m 0700 "$dir/secrets" "$dir/data/s3" "$dir/data/s3/secrets"
  secret_file "$dir/secrets/jwt-hs256.key" "$(random_hex 32)" # every node signs and checks tokens with it
  secret_file "$dir/secrets/postgres.password" "$(random_hex 16)"
  secret_file "$dir/secrets/imago-db.password" "$(random_hex 16)"
  # The S3 server reads its credentials here (EmbeddedS3.Credentials' format); the nodes get them in their env.
  secret_file "$dir/data/s3/secrets/s3.credentials" \
    "$(printf 'accessKey=%s\nsecretKey=%s' "$(random_of A-Z0-9 20)" "$(random_of A-Za-z0-9 40)")"
}

init_postgres() { # a private cluster: initdb as postgres (it refuses root), TCP on loopback only
  id postgres >/dev/null 2>&1 && [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL 15 here: scripts/setup.sh --test installs it"
  rm -rf "$pg_data"
  install -d -m 0700 -o postgres -g postgres "$pg_data"
  runuser -u postgres -- test -w "$pg_data" ||
    die "the postgres user cannot reach $pg_data (a folder above it is not o+x): set CLUSTER_DIR elsewhere"
  local pw
  pw=$(mktemp "$dir/data/.pgpw.XXXXXX")
  cat "$dir/secrets/postgres.password" >"$pw"
  chown postgres "$pw"
  if ! runuser -u postgres -- "$PG_BIN/initdb" -D "$pg_data" -U postgres --pwfile="$pw" -A scram-sha-256 -E UTF8 \
    --locale=C.UTF-8 >"$(logfile postgres)" 2>&1; then
    rm -f "$pw"
    fail_with_log postgres "initdb failed"
  fi
  rm -f "$pw"
  cat >>"$pg_data/postgresql.conf" <<'EOF'
# scripts/cluster.sh: TCP on loopback only, no Unix socket, room for every node's connection pool
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
EOF
}
start_postgres() {
  [ -s "$pg_data/PG_VERSION" ] || { mkdir -p "$dir/log"; init_postgres; }
  spawn postgres "$pg_data" "" "${BASE_ENV[@]}" -- setpriv --reuid=postgres --regid=postgres --init-groups \
    "$PG_BIN/postgres" -D "$pg_data" -p "$CLUSTER_PG_PORT"
}
ensure_db() { # the imago role (its password from the secrets) and database
  PGPASSWORD=$(cat "$dir/secrets/postgres.password") "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$CLUSTER_PG_PORT" -U postgres -d postgres >/dev/null <<EOF || die "could not create the imago role and database"
SELECT 'CREATE ROLE imago LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'imago')\gexec
ALTER ROLE imago PASSWORD '$(cat "$dir/secrets/imago-db.password")';
SELECT 'CREATE DATABASE imago OWNER imago' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'imago')\gexec
EOF
}

start_s3() { rm -f "$dir/data/s3/run/s3-endpoint"; start_unit s3; } # a killed server leaves its endpoint file

start_haproxy() { # the reference configuration with its placeholders filled in, checked, then run
  local cfg=$dir/run/haproxy.cfg out left
  sed -e "s|@DICOM_BIND@|127.0.0.1:$CLUSTER_DICOM_PORT|g" -e "s|@HTTP_BIND@|127.0.0.1:$CLUSTER_HTTP_PORT|g" \
    -e "s|@SERVE_[12]_HOST@|127.0.0.1|g" \
    -e "s|@SERVE_1_DICOM_PORT@|$(dicom_port serve-1)|g" -e "s|@SERVE_2_DICOM_PORT@|$(dicom_port serve-2)|g" \
    -e "s|@SERVE_1_HTTP_PORT@|$(http_port serve-1)|g" -e "s|@SERVE_2_HTTP_PORT@|$(http_port serve-2)|g" \
    "$root/deploy/haproxy/imago.cfg" >"$cfg"
  left=$(grep -v '^[[:space:]]*#' "$cfg" | grep -o '@[A-Z0-9_]*@' | sort -u | tr '\n' ' ') || true
  [ -z "$left" ] || die "deploy/haproxy/imago.cfg: placeholders this script does not fill: $left"
  out=$(haproxy -c -f "$cfg" 2>&1) || die "deploy/haproxy/imago.cfg does not check: $out"
  spawn haproxy "$dir/run" "" "${BASE_ENV[@]}" -- haproxy -W -db -f "$cfg"
}

# --- commands ---------------------------------------------------------------------------------

all_ready() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" && ready "$c" || return 1; done; }
any_alive() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" && return 0; done; return 1; }

cmd_up() {
  case ${1:-} in --fresh) (cmd_down --purge) ;; '') ;; *) die "usage: up [--fresh]" ;; esac
  local tool
  for tool in haproxy echoscu curl setpriv runuser ss flock "$PG_BIN/initdb"; do
    command -v "$tool" >/dev/null || die "no $tool here: scripts/setup.sh --test installs what the cluster needs"
  done
  settings_from_environment
  lock
  if [ -f "$dir/settings" ] && any_alive && [ "$(settings_text)" != "$(cat "$dir/settings")" ]; then
    die "the cluster in $dir runs with other settings: scripts/cluster.sh down first; running < > asked:
$(diff "$dir/settings" <(settings_text) | grep '^[<>]')"
  fi
  if all_ready; then say "the cluster in $dir is up (already running)"; summary; return 0; fi
  local t0=$SECONDS
  touch "$dir/.imago-cluster"
  mkdir -p "$dir/log" "$dir/run"
  chmod 0711 "$dir" # the postgres user passes through to its own folder; nothing else here is theirs
  install -d -m 0711 "$dir/data"
  settings_text >"$dir/settings"
  # Build once here (the launcher builds when the sources changed), not in four JVMs' launchers at once;
  # the configuration the nodes get is checked on the way.
  say "building if the sources changed (log: $(logfile build))"
  (cd "$root" && env -i "${BASE_ENV[@]}" ${CLUSTER_IMAGO_CONFIG:+IMAGO_CONFIG="$CLUSTER_IMAGO_CONFIG"} ./imago config) \
    >"$(logfile build)" 2>&1 || fail_with_log build "the build (./imago config) failed"
  verify_units
  ensure_secrets
  start_if_down postgres
  await postgres
  ensure_db
  start_if_down s3
  await s3
  # serve-1 first, alone: it migrates the schema, creates the bucket and prepares the sandbox cache.
  start_if_down serve-1
  await serve-1
  start_if_down serve-2 worker-1 worker-2
  await serve-2 worker-1 worker-2
  start_if_down haproxy
  await haproxy
  say "the cluster in $dir is up ($((SECONDS - t0)) s)"
  summary
}

summary() {
  echo "DIMSE 127.0.0.1:$CLUSTER_DICOM_PORT (called AE IMAGO), HTTP http://127.0.0.1:$CLUSTER_HTTP_PORT (haproxy);"
  echo "serve-1/2 on :$(dicom_port serve-1)/:$(http_port serve-1) and :$(dicom_port serve-2)/:$(http_port serve-2);" \
    "PostgreSQL 127.0.0.1:$CLUSTER_PG_PORT, S3 http://127.0.0.1:$CLUSTER_S3_PORT; logs in $dir/log"
}

cmd_down() {
  case ${1:-} in --purge | '') ;; *) die "usage: down [--purge]" ;; esac
  if [ -f "$dir/settings" ]; then
    load_settings
    lock
    stop haproxy
    stop serve-1 serve-2 worker-1 worker-2
    stop s3
    stop postgres
  fi
  if [ "${1:-}" = --purge ] && [ -d "$dir" ]; then
    [ -f "$dir/.imago-cluster" ] || die "$dir is not a cluster folder (no .imago-cluster): not deleting it"
    rm -rf "$dir"
    say "deleted $dir"
  fi
}

cmd_status() {
  load_settings
  local c pid a r where bad=0
  printf '%-9s %-8s %-6s %-6s %s\n' component pid alive ready where
  for c in "${COMPONENTS[@]}"; do
    pid=$(pid_of "$c")
    a=no r=no
    if alive "$c"; then a=yes; if ready "$c"; then r=yes; fi; fi
    [ $r = yes ] || bad=1
    case $c in
      postgres) where="127.0.0.1:$CLUSTER_PG_PORT" ;;
      s3) where="http://127.0.0.1:$CLUSTER_S3_PORT" ;;
      serve-*) where="DIMSE :$(dicom_port "$c"), HTTP :$(http_port "$c")" ;;
      worker-*) where="$(logfile "$c")" ;;
      haproxy) where="DIMSE :$CLUSTER_DICOM_PORT, HTTP :$CLUSTER_HTTP_PORT" ;;
    esac
    printf '%-9s %-8s %-6s %-6s %s\n' "$c" "${pid:--}" $a $r "$where"
  done
  return $bad
}

cmd_kill() {
  known_component "${1:-}" || die "usage: kill COMPONENT (${COMPONENTS[*]})"
  load_settings
  alive "$1" || die "$1 is not running"
  local pid
  pid=$(pid_of "$1")
  kill -KILL -- "-$pid"
  for _ in $(seq 50); do alive "$1" || break; sleep 0.1; done
  # and gone, not a zombie waiting to be reaped: PostgreSQL, started again, refuses a data folder
  # whose postmaster.pid names a process that still exists
  for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
  say "killed $1 (pid $pid, and its process group)"
}

cmd_start() {
  known_component "${1:-}" || die "usage: start COMPONENT (${COMPONENTS[*]})"
  load_settings
  lock
  if alive "$1"; then say "$1 already runs (pid $(pid_of "$1"))"; else
    start_one "$1"
  fi
  await "$1"
  if [ "$1" = postgres ]; then ensure_db; fi
}

cmd_token() { # ./imago token with serve-1's environment
  load_settings
  local file
  file=$(env_file_of serve-1)
  [ -f "$file" ] || die "no $file: run scripts/cluster.sh up first"
  read_env "$file"
  (
    cd "$root"
    for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
    export "${BASE_ENV[@]}" "${ENVS[@]}"
    exec ./imago token "$@"
  )
}

cmd_env() {
  known_component "${1:-}" && [ "$1" != postgres ] && [ "$1" != haproxy ] || die "usage: env s3|serve-N|worker-N [--reveal]"
  load_settings
  local file
  file=$(env_file_of "$1")
  [ -f "$file" ] || die "no $file: run scripts/cluster.sh up first"
  echo "# $file"
  if [ "${2:-}" = --reveal ]; then cat "$file"; else sed -E 's/^([A-Z0-9_]*(SECRET|PASSWORD)[A-Z0-9_]*)=.*/\1=***/' "$file"; fi
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  start) cmd_start "$@" ;;
  token) cmd_token "$@" ;;
  env) cmd_env "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
