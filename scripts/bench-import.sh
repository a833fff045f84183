#!/usr/bin/env bash
# The national-year import: FORMS forms (default 1,000,000: the seed's 8 forms copied with
# unique names, 16.1 indicators each) streamed as JSON into `jixiao import -`, on SQLite
# (default) or PostgreSQL (STORE=postgres, a throwaway durable cluster). Prints the time, the
# importer's peak RSS and the database's size. Needs about 16 GB of disk for a million forms.
#   scripts/bench-import.sh
#   STORE=postgres FORMS=1000000 scripts/bench-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FORMS=${FORMS:-1000000}
STORE=${STORE:-sqlite}
work=$(mktemp -d)
pgdir=""
cleanup() {
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
  psql -q "$JIXIAO_TEST_PG" -c "CREATE DATABASE national"
  db=${JIXIAO_TEST_PG%/postgres}/national
else
  db="$work/national.db"
fi
$bin --db "$work/seed.db" demo > /dev/null
$bin --db "$work/seed.db" export --format json > "$work/seed.json"
echo "store: $STORE, forms: $FORMS"
python3 scripts/make-json-corpus.py "$work/seed.json" "$FORMS" \
  | /usr/bin/time -f "import: %e s wall, %U s user, %S s system, peak RSS %M KiB" $bin --db "$db" import - 2>&1 \
  | grep -E "^(合计|import:)"
if [ "$STORE" = postgres ]; then
  psql -At "$JIXIAO_TEST_PG" -c "SELECT 'database: ' || pg_size_pretty(pg_database_size('national'))"
else
  du -sh "$work"/national.db* | sed 's/^/database: /'
fi
