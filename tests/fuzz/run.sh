#!/bin/sh
# run.sh BIN NAME SECONDS [SEED] - one libFuzzer harness: first every input kept
# in tests/fuzz/corpus/NAME (seeds and past crashes), then SECONDS of
# fuzzing.  New coverage goes to build/fuzz/work/NAME (scratch, not the
# repo); a crash's input to build/fuzz/crashes/.  Quiet unless it fails.
set -eu
bin=$1 name=$2 secs=$3
# A fixed seed (make test) makes the run reproducible: a later, longer or
# faster run explores a superset of the same inputs.  No seed: random,
# for exploring (make fuzz).
seed=${4:+-seed=$4}
out=$(dirname "$bin")
corpus=tests/fuzz/corpus/$name
mkdir -p "$out/work/$name" "$out/crashes" "$corpus"
log=$out/$name.log
# -timeout: an input that takes 10 s is a hang; -rss_limit_mb: a parser
# that allocates by a length in the input must not take the machine.
# shellcheck disable=SC2086
if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 $seed \
	-print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
	"$out/work/$name" "$corpus" >"$log" 2>&1; then
	tail -n 60 "$log"
	echo "FAIL $name: reproducer in $out/crashes/ (keep it in $corpus" \
	     "once fixed); log: $log"
	exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "ok   $name: $(ls "$corpus" | wc -l) kept inputs, $runs runs in ${secs}s"
