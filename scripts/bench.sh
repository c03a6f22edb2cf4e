#!/usr/bin/env bash
# Runs every benchmark in one go and prints the table BENCHMARKS.md holds.
#   scripts/bench.sh                 # 10k and 100k articles, 100k on PostgreSQL too
#   BENCH_1M=1 scripts/bench.sh      # and 1M (about 25 minutes to generate, 7 GB)
#   scripts/bench.sh gen             # only generate the data folders
# Generated data folders are kept in $BENCH_DIR (default ~/.cache/disputebot-bench)
# and reused; the raw `go test -bench` output goes to bench-out/. The
# PostgreSQL half uses the schema "disputebench" of $BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432/test); BENCH_PG=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export BENCH_DIR=${BENCH_DIR:-$HOME/.cache/disputebot-bench}
export LOG_LEVEL=warn
mkdir -p "$BENCH_DIR" bench-out
# Static binaries, as the README builds one to deploy (no libc mapped).
CGO_ENABLED=0 go build -o bench-out/disputebot ./cmd/disputebot
CGO_ENABLED=0 go build -o bench-out/disputebench ./cmd/disputebench
sizes="10k:10000 100k:100000"
[[ ${BENCH_1M:-} == 1 ]] && sizes="$sizes 1m:1000000"
pg_url=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
if [[ ${BENCH_PG:-1} == 1 ]]; then
  psql -q "$pg_url" -c 'select 1' > /dev/null || { echo "bench: no PostgreSQL at $pg_url (BENCH_PG=0 skips the PostgreSQL half)" >&2; exit 1; }
  export BENCH_DATABASE_URL="$pg_url?search_path=disputebench"
  sizes="$sizes 100k-pg:100000"
fi
# folder NAME: the settings that open that data folder (and its store).
folder() {
  echo "DATA_DIR=$BENCH_DIR/$1"
  [[ $1 == *-pg ]] && echo "DATABASE_URL=$BENCH_DATABASE_URL"
  true
}
for s in $sizes; do
  [[ ${BENCH_TABLE_ONLY:-} == 1 ]] && break
  name=${s%%:*}; n=${s##*:}
  mapfile -t env < <(folder "$name")
  if [[ ! -f $BENCH_DIR/$name/gen.txt ]]; then
    echo "generating $n articles into $BENCH_DIR/$name" >&2
    rm -rf "${BENCH_DIR:?}/$name"
    if [[ $name == *-pg ]]; then
      psql -q "$pg_url" -c 'drop schema if exists disputebench cascade' -c 'create schema disputebench'
    fi
    env "${env[@]}" bench-out/disputebench gen-corpus --n "$n" --seed 1 > "$BENCH_DIR/$name.gen.tmp"
    mv "$BENCH_DIR/$name.gen.tmp" "$BENCH_DIR/$name/gen.txt"
  fi
  # Open once so the index is current (a new mapping rebuilds it) and merged.
  env "${env[@]}" bench-out/disputebot ask musk microsoft > /dev/null
done
[[ ${1:-} == gen ]] && exit 0

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%d)"
# BENCH_TABLE_ONLY=1 prints the table again from bench-out/ without
# measuring anything.
measure() { [[ ${BENCH_TABLE_ONLY:-} != 1 ]]; }
if measure; then
  go test -run '^$' -bench . -benchtime "${BENCHTIME:-300x}" -timeout 60m ./index > bench-out/answer.txt
  go test -run '^$' -bench . -benchtime 5x -timeout 30m ./internal/ingest > bench-out/ingest.txt
  go test -run '^$' -bench . -benchtime 3x -timeout 30m ./internal/feed > bench-out/feed.txt
  go test -run '^$' -bench . -benchtime 2000x -timeout 30m ./internal/notify > bench-out/match.txt
  /usr/bin/time -f "%M %U %S" -o bench-out/help.wall bench-out/disputebot help > /dev/null
fi

metric() { # file benchmark-name unit
  # The name is compared as a string ("end+6mo" is no regular expression),
  # after the "-N" GOMAXPROCS suffix go test adds.
  awk -v b="$2" -v u="$3" '{ n = $1; sub(/-[0-9]+$/, "", n) } n == b { for (i = 1; i <= NF; i++) if ($(i+1) == u) print $i }' "$1"
}
echo
echo "| figure | value | floor | ratio | target |"
echo "|---|---|---|---|---|"
# Answers by class of question, at three clocks (the corpus ends on
# 2026-11-01; answers are timed that day, six months on and two years on),
# beside the product's own index search and the naive floor (Bleve alone).
for s in $sizes; do
  name=${s%%:*}
  for class in common-pair rare-pair single-party free-text varied; do
    ix=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/index/$class" median-ms)
    f=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/bare-bleve/$class" median-ms)
    fp=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/bare-bleve/$class" p99-ms)
    for clock in at-end end+6mo end+2y; do
      a=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/answer/$class/$clock" median-ms)
      ap=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/answer/$class/$clock" p99-ms)
      [[ -z $a ]] && continue
      echo "| answer, $name, $class, clock $clock | $a ms median, $ap ms p99 | index $ix ms; bare Bleve $f ms, p99 $fp ms | $(awk -v a="$a" -v i="$ix" -v f="$f" 'BEGIN{printf "%.2f× index, %.2f× bare", a/i, a/f}') | ≤ 10 ms median, ≤ 30 ms p99 at 1M |"
    done
    # The answer and its own searches timed in turn, question by question:
    # the ratio the 10k target is read from (the rows above are timed
    # apart, and drift between them by as much as the gap measured).
    pa=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/paired/$class" answer-median-ms)
    pi=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/paired/$class" index-median-ms)
    pr=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/paired/$class" answer/index)
    [[ -n $pa ]] && echo "| answer and its own searches in turn, $name, $class, clock at-end | $pa ms median | index $pi ms median | $(awk -v r="$pr" 'BEGIN{printf "%.2f× index", r}') | ≤ 2× index at 10k |"
    # Each question's first answer in the process, before the clocks:
    # what nothing cached yet costs.
    fa=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/first-ask/$class" median-ms)
    fap=$(metric bench-out/answer.txt "BenchmarkAnswer/$name/first-ask/$class" p99-ms)
    [[ -n $fa ]] && echo "| first answer to each question, $name, $class, clock at-end | $fa ms median, $fap ms p99 | — | — | |"
  done
  if [[ $name == *-pg ]]; then
    db=$(psql -Atq "$pg_url" -c "select pg_size_pretty(sum(pg_total_relation_size(c.oid))) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'disputebench' and c.relkind in ('r', 'm')")
    echo "| data folder, $name | index $(du -sh "$BENCH_DIR/$name/index.bleve" | cut -f1), PostgreSQL schema $db | — | — | |"
  else
    echo "| data folder, $name | $(du -sh "$BENCH_DIR/$name" | cut -f1) (index $(du -sh "$BENCH_DIR/$name/index.bleve" | cut -f1)) | — | — | |"
  fi
done
# Storing: generating the folders writes each article to the store and the
# index in batches of 2,000, as a feed poll does; the last tenth is the rate
# into a store already holding nine tenths.
for s in $sizes; do
  name=${s%%:*}
  g=$BENCH_DIR/$name/gen.txt
  [[ -f $g ]] || continue
  overall=$(sed -E 's/.*: ([0-9]+) articles\/s overall.*/\1/' "$g")
  tenth=$(sed -E 's/.* ([0-9]+) articles\/s over the last tenth.*/\1/' "$g")
  echo "| store and index, filling $name (generated $(date -u -r "$g" +%Y-%m-%d)) | $overall articles/s overall, $tenth articles/s over the last tenth | — | — | |"
done
p=$(metric bench-out/ingest.txt BenchmarkIngest/pipeline pages/s)
r=$(metric bench-out/ingest.txt BenchmarkIngest/bare-readability pages/s)
echo "| ingest, 130 real pages, batched | $p pages/s | $r pages/s (bare readability) | $(awk -v a="$p" -v f="$r" 'BEGIN{printf "%.2f×", a/f}') | ≥ 0.5× |"
ib=$(metric bench-out/ingest.txt BenchmarkIngestCPU/batched x-bare-cpu)
io=$(metric bench-out/ingest.txt BenchmarkIngestCPU/one-by-one x-bare-cpu)
echo "| ingest as users run it (CPU time, batched) | ${ib}× bare readability | one at a time ${io}× | | ≥ 0.5× |"
fs=$(metric bench-out/feed.txt BenchmarkPoll1000Feeds feeds/s)
cpu=$(metric bench-out/feed.txt BenchmarkPoll1000Feeds cpu-s)
echo "| poll 1,000 feeds (half 304) | $fs feeds/s, $(awk -v f="$fs" 'BEGIN{printf "%.1f s", 1000/f}') for all, $cpu CPU-s | — | — | ≤ 30 s |"
for n in 10k 100k; do
  m=$(metric bench-out/match.txt "BenchmarkMatch/$n" median-ms)
  mp=$(metric bench-out/match.txt "BenchmarkMatch/$n" p99-ms)
  echo "| match one article, $n subscriptions | $m ms median, $mp ms p99 | — | — | ≤ 5 ms at 100k |"
done
# Whole processes: start-up to the first answer (a fresh `ask`, package
# initialisation, opening the folder and answering included), and the peak
# memory of a process answering 300 questions.
echo "| \`help\` (peak RSS, CPU) | $(awk '{printf "%.1f MiB, %.2f s", $1/1024, $2+$3}' bench-out/help.wall) | — | — | ≤ 30 MiB |"
for s in $sizes; do
  name=${s%%:*}
  [[ $name == 10k ]] && continue
  mapfile -t env < <(folder "$name")
  measure && rm -f bench-out/ask-$name.wall bench-out/serve-$name.wall
  for i in 1 2 3 4 5; do
    measure || break
    /usr/bin/time -f "%e %M %U %S" -a -o bench-out/ask-$name.wall env "${env[@]}" bench-out/disputebot ask musk microsoft > /dev/null
    /usr/bin/time -f "%e %M" -a -o bench-out/serve-$name.wall env "${env[@]}" bench-out/disputebench bench-serve --queries 300 > /dev/null
  done
  first=$(awk '{print $1}' bench-out/ask-$name.wall | sort -n | sed -n 3p)
  cpu=$(awk '{print $3+$4}' bench-out/ask-$name.wall | sort -n | sed -n 3p)
  rss=$(awk '{print $2/1024}' bench-out/serve-$name.wall | sort -n | tail -1)
  echo "| a fresh \`ask\`, $name (median of 5) | $first s wall, $cpu s CPU | — | — | ≤ 0.1 s CPU |"
  echo "| peak RSS answering 300 questions, $name (max of 5) | $(printf '%.0f' "$rss") MB | — | — | ≤ 400 MB at 100k |"
done
# The two stores side by side: the same 100k articles (one generator, one
# seed), the same questions, in this run.
if [[ ${BENCH_PG:-1} == 1 ]]; then
  echo
  echo "| 100k articles, clock | SQLite median / p99 | PostgreSQL median / p99 | PostgreSQL ÷ SQLite (median) |"
  echo "|---|---|---|---|"
  for class in common-pair rare-pair single-party free-text varied; do
    for clock in at-end end+2y; do
      sm=$(metric bench-out/answer.txt "BenchmarkAnswer/100k/answer/$class/$clock" median-ms)
      sp=$(metric bench-out/answer.txt "BenchmarkAnswer/100k/answer/$class/$clock" p99-ms)
      pm=$(metric bench-out/answer.txt "BenchmarkAnswer/100k-pg/answer/$class/$clock" median-ms)
      pp=$(metric bench-out/answer.txt "BenchmarkAnswer/100k-pg/answer/$class/$clock" p99-ms)
      echo "| answer, $class, $clock | $sm / $sp ms | $pm / $pp ms | $(awk -v a="$pm" -v b="$sm" 'BEGIN{printf "%.2f×", a/b}') |"
    done
  done
  so=$(sed -E 's/.*: ([0-9]+) articles\/s overall.*/\1/' "$BENCH_DIR/100k/gen.txt")
  st=$(sed -E 's/.* ([0-9]+) articles\/s over the last tenth.*/\1/' "$BENCH_DIR/100k/gen.txt")
  po=$(sed -E 's/.*: ([0-9]+) articles\/s overall.*/\1/' "$BENCH_DIR/100k-pg/gen.txt")
  pt=$(sed -E 's/.* ([0-9]+) articles\/s over the last tenth.*/\1/' "$BENCH_DIR/100k-pg/gen.txt")
  echo "| store and index, filling to 100k: overall / last tenth | $so / $st articles/s | $po / $pt articles/s | $(awk -v a="$po" -v b="$so" 'BEGIN{printf "%.2f×", a/b}') |"
fi
