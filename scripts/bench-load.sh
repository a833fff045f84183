#!/usr/bin/env bash
# Load benchmark of the API with FORMS forms in the store (default 100,000):
#   GET /api/forms (a page of 50), GET /api/forms/{id}, and GET /api/health (a trivial
#   response of the same server) with wrk at 64 connections.
#   scripts/bench-load.sh            (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
FORMS=${FORMS:-100000}
DUR=${DUR:-15s}
CONN=${CONN:-64}
PORT=${PORT:-18181}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release -q -p jixiao-cli
bin=target/release/jixiao
python3 scripts/make-corpus.py "$FORMS" > "$work/corpus.txt"
db="$work/load.db"
/usr/bin/time -f "import: %e s, peak RSS %M KiB" $bin --db "$db" import "$work/corpus.txt" 2>&1 | grep -E "^(合计|import:)" || true
$bin --db "$db" org add 上海市财政局 --kind finance > /dev/null
JIXIAO_PASSWORD=load-bench-pass $bin --db "$db" user add loadtest --role finance --org 上海市财政局 > /dev/null
$bin --db "$db" serve --bind 127.0.0.1:$PORT > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$PORT/api/health" > /dev/null && break; sleep 0.2; done
token=$(curl -s -H 'content-type: application/json' -d '{"username":"loadtest","password":"load-bench-pass"}' "http://127.0.0.1:$PORT/api/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
id=$(curl -s -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?page=1000&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "forms: $(curl -s -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/forms?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
for path in "/api/health" "/api/forms?per_page=50" "/api/forms?page=1000&per_page=50" "/api/forms/$id"; do
  echo "== GET $path"
  wrk -t2 -c"$CONN" -d"$DUR" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
done
# The pages, signed in with the session cookie: at $CONN connections, and at 4, where the
# latency is close to the server's own time to render.
for c in "$CONN" 4; do
  for path in "/forms" "/forms?page=1000" "/forms/$id"; do
    echo "== page GET $path ($c connections)"
    wrk -t2 -c"$c" -d"$DUR" --latency -H "cookie: jixiao_session=$token" "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|Latency|99%|Non-2xx|Socket errors"
  done
done
