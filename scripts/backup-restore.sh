#!/usr/bin/env bash
# Back up VPSelect's PostgreSQL database and prove the backup restores.
#
#   scripts/backup-restore.sh [DATABASE_URL] [SCRATCH_DATABASE]
#
# 1. pg_dump (custom format, compressed) of DATABASE_URL into $BACKUP_DIR (default:
#    ~/vpselect-backups, outside the work tree), named vpselect-<UTC time>.dump;
# 2. pg_restore of that file into a new, empty scratch database on the same server (default
#    name: <database>_restore_check), as the restore of a real outage would;
# 3. the row count of every table, in the original and in the restored copy, side by side;
# 4. the scratch database dropped (KEEP_SCRATCH=1 keeps it to look at).
#
# Exit status 0 only when every table has the same number of rows in both. The user of
# DATABASE_URL needs CREATEDB. Run it on a schedule; keep the .dump files off the server
# (they hold patient data: encrypt them at rest). See docs/security.md.
set -euo pipefail

database_url=${1:-${DATABASE_URL:?Set DATABASE_URL or pass it as the first argument.}}
database_url=${database_url%%\?*}  # no query string: the database name is the last part
database=${database_url##*/}
server_url=${database_url%/*}
scratch=${2:-${database}_restore_check}
backup_dir=${BACKUP_DIR:-$HOME/vpselect-backups}
dump="$backup_dir/vpselect-$(date -u +%Y%m%dT%H%M%SZ).dump"

if [[ ! $scratch =~ ^[A-Za-z0-9_]+$ ]] || [[ $scratch == "$database" ]]; then
  echo "The scratch database name must be letters, digits and _, and not $database." >&2
  exit 2
fi

psql_admin() { psql "$server_url/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }
cleanup() {
  if [[ ${KEEP_SCRATCH:-0} != 1 ]]; then
    psql_admin -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null || true
  fi
}
trap cleanup EXIT

mkdir -p "$backup_dir"
pg_dump --dbname="$database_url" --format=custom --no-owner --file="$dump"
echo "backup: $dump ($(du -h "$dump" | cut -f1))"

psql_admin -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE \"$scratch\"" >/dev/null
pg_restore --dbname="$server_url/$scratch" --no-owner --exit-on-error "$dump"
echo "restored into: $scratch"

# One row per table: "<table> <rows>", counted exactly.
count_rows() {
  psql "$1" -v ON_ERROR_STOP=1 -qAt -F ' ' <<'SQL'
SELECT table_name,
       (xpath('/row/c/text()',
              query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name),
                           false, true, '')))[1]::text
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
ORDER BY table_name;
SQL
}

original=$(count_rows "$database_url")
restored=$(count_rows "$server_url/$scratch")
tables=$(wc -l <<<"$original")
rows=$(awk '{sum += $2} END {print sum + 0}' <<<"$original")
printf '%-48s %10s %10s\n' table original restored
join -a1 -a2 -e missing -o 0,1.2,2.2 <(sort <<<"$original") <(sort <<<"$restored") |
  awk '{printf "%-48s %10s %10s%s\n", $1, $2, $3, ($2 == $3 ? "" : "  DIFFERENT")}'
if [[ "$original" == "$restored" ]]; then
  echo "OK: $tables tables, $rows rows, identical after restore."
else
  echo "FAILED: the restored copy differs from the original." >&2
  exit 1
fi
