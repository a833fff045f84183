#!/usr/bin/env bash
# Load benchmark of the API and the pages with FORMS forms in the store (default 100,000), on
# SQLite (default) or PostgreSQL (STORE=postgres: a throwaway durable cluster from Debian's
# postgresql package, see scripts/pg-throwaway), with wrk at CONN connections (64):
#   GET /api/health (a trivial response of the same server: the ceiling), the list (page 1,
#   the page after row 50,000 by keyset cursor, and random pages by cursor that no cache
#   holds), one form, the pages, the dashboard; then /api/health again while 150 sign-ins run
#   in parallel (issue 13's sign-in flood); last, page 1,000 of 50 by number (OFFSET).
#   scripts/bench-load.sh                  (needs wrk: apt-get install wrk)
#   STORE=postgres FORMS=100000 DUR=10s scripts/bench-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FORMS=${FORMS:-100000}
DUR=${DUR:-15s}
CONN=${CONN:-64}
PORT=${PORT:-18181}
STORE=${STORE:-sqlite}
work=$(mktemp -d)
pgdir=""
cleanup() {
  kill "${server:-}" 2>/dev/null || true
  [ -n "$pgdir" ] && scripts/pg-throwaway stop "$pgdir"
  rm -rf "$work"
}
trap cleanup EXIT
cargo build --release -q -p jixiao-cli
bin=${CARGO_TARGET_DIR:-target}/release/jixiao
export JIXIAO_AUDIT_KEY=0123456789abcdef0123456789abcdef
export JIXIAO_SIGNING_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
if [ "$STORE" = postgres ]; then
  eval "$(JIXIAO_PG_DURABLE=1 scripts/pg-throwaway start)"
  pgdir=$JIXIAO_PG_DIR
  psql -q "$JIXIAO_TEST_PG" -c "CREATE DATABASE load"
  db=${JIXIAO_TEST_PG%/postgres}/load
else
  db="$work/load.db"
fi
echo "store: $STORE"
# The corpus: the seed's forms in the JSON exchange format, copied FORMS times over with unique
# names, streamed into `jixiao import -` (memory bounded by the batch, not the corpus).
$bin --db "$work/seed.db" demo > /dev/null
$bin --db "$work/seed.db" export --format json > "$work/seed.json"
python3 scripts/make-json-corpus.py "$work/seed.json" "$FORMS" \
  | /usr/bin/time -f "import: %e s, peak RSS %M KiB" $bin --db "$db" import - 2>&1 | grep -E "^(合计|import:)" || true
$bin --db "$db" org add 上海市财政局 --kind finance > /dev/null
JIXIAO_PASSWORD=Load-bench-pass-1 $bin --db "$db" user add loadtest --role finance --org 上海市财政局 > /dev/null
JIXIAO_PASSWORD=Load-bench-pass-2 $bin --db "$db" user add flood --role unit > /dev/null
# (flood's sign-ins are answered 200 with a session that must change its password first:
# each costs the full argon2 check, which is what the flood measures.)
$bin --db "$db" serve --bind 127.0.0.1:$PORT > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$PORT/api/health" > /dev/null && break; sleep 0.2; done
# The finance account's first sign-in: its own password, then the second factor.
token=$(python3 scripts/bench-session.py "http://127.0.0.1:$PORT" loadtest Load-bench-pass-1)
id=$(curl -s -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?page=1000&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
# The cursor after row 50,000 (page 1,000's `next`), asked for once here, outside the runs.
after=$(curl -s -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?page=1000&per_page=50" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next"])')
# Every page's cursor, for the run of pages read from the store (random cursor and size).
python3 scripts/bench-cursors.py "http://127.0.0.1:$PORT" "$token" > "$work/cursors.txt"
echo "forms: $(curl -s -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
# The list by page number (OFFSET) runs last of all: on PostgreSQL its requests take 1–2 s
# each, and those wrk gives up on still run in the database long after wrk stops, which would
# weigh on whatever ran next.
for path in "/api/health" "/api/forms?per_page=50" "/api/forms?after=$after&per_page=50" "/api/forms/$id"; do
  echo "== GET $path"
  wrk -t2 -c"$CONN" -d"$DUR" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
done
# Pages no server has in memory: a random page of the list by cursor with a random size (40 to
# 60 forms), so nearly every request is read from the store (scripts/bench-list.lua).
echo "== GET /api/forms?after=(random)&per_page=(40..60): read from the store"
CURSORS="$work/cursors.txt" wrk -t2 -c"$CONN" -d"$DUR" --latency -s scripts/bench-list.lua \
  -H "authorization: Bearer $token" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
# The pages, signed in with the session cookie: at $CONN connections, and at 4, where the
# latency is close to the server's own time to render.
for c in "$CONN" 4; do
  for path in "/forms" "/forms?after=$after" "/forms/$id" "/dashboard"; do
    echo "== page GET $path ($c connections)"
    wrk -t2 -c"$c" -d"$DUR" --latency -H "cookie: jixiao_session=$token" "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
  done
done
# The sign-in flood: 150 sign-ins at once, again and again (argon2 on the blocking pool behind a
# bounded queue), while wrk measures /api/health at 4 connections.
echo "== GET /api/health (4 connections) while 150 parallel sign-ins run"
(
  end=$((SECONDS + ${DUR%s}))
  while [ $SECONDS -lt $end ]; do
    seq 150 | xargs -P 150 -I{} curl -s -o /dev/null -H 'content-type: application/json' \
      -d '{"username":"flood","password":"Load-bench-pass-2"}' "http://127.0.0.1:$PORT/api/session"
  done
) &
flood=$!
wrk -t1 -c4 -d"$DUR" --latency "http://127.0.0.1:$PORT/api/health" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
wait $flood || true
echo "== GET /api/health (4 connections), quiet"
wrk -t1 -c4 -d"$DUR" --latency "http://127.0.0.1:$PORT/api/health" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
# Last, the list by page number (OFFSET), at page 1,000: the API and the page.
echo "== GET /api/forms?page=1000&per_page=50"
wrk -t2 -c"$CONN" -d"$DUR" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?page=1000&per_page=50" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
for c in "$CONN" 4; do
  # (what wrk gave up on in the run before is still running in the database: let it end)
  sleep 12
  echo "== page GET /forms?page=1000 ($c connections)"
  wrk -t2 -c"$c" -d"$DUR" --latency -H "cookie: jixiao_session=$token" "http://127.0.0.1:$PORT/forms?page=1000" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
done
