#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Verify the Promela models exhaustively with spin and check every
# expectation: the protocol as vmmu implements it verifies with no error, and
# each checker variant (a model switch) has a counterexample, which is replayed
# with `spin -t -p`.  Prints one line per case:
#
#	PASS|FAIL <model> <variant> (<states> states, <seconds> s)
#
# and exits non-zero if any expectation fails, 77 (skipped) without spin or a
# C compiler.
#
# Usage: model/run.sh [-k DIR] [-v] [-j N] [PATTERN]
#   -k DIR    keep the counterexamples: DIR/<model>-<variant>.trail.txt
#   -v        print the whole condensed counterexample, not its last steps
#   -j N      run N cases at a time (default 1; the machine has 2 cores)
#   PATTERN   run only the cases whose "<model> <variant>" contains PATTERN
#
# Environment: SPIN (default: spin on PATH), CC (default: gcc or cc).
set -u

here=$(cd "$(dirname "$0")" && pwd)
keep=""
verbose=0
jobs=1
pattern=""
while getopts "k:vj:" opt; do
	case $opt in
	k) keep=$OPTARG ;;
	v) verbose=1 ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-k DIR] [-v] [-j N] [PATTERN]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
pattern=${1:-}

spin=${SPIN:-}
[ -n "$spin" ] && [ -x "$spin" ] || spin=$(command -v spin 2>/dev/null || true)
if [ -z "$spin" ]; then
	echo "SKIP: spin not found (Debian package 'spin'); the models were not checked"
	exit 77
fi
cc=${CC:-}
[ -n "$cc" ] || cc=$(command -v gcc 2>/dev/null || command -v cc 2>/dev/null || true)
if [ -z "$cc" ]; then
	echo "SKIP: no C compiler for the spin verifiers"
	exit 77
fi
if [ -n "$keep" ]; then
	mkdir -p "$keep" && keep=$(cd "$keep" && pwd) || exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmu-model.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Cases: model | variant | expect | spin -D flags | expected violation (regex)
#   expect "ok":    exhaustive DFS, must end with "errors: 0" and full depth;
#   expect "error": breadth-first search (shortest counterexample), must find
#                   an error whose pan message matches the regex, and a trail.
# The generation model's assertions: "after_create" is property (a), the bare
# "may_mmio" one is (b); notifier: "dead" is (c), "in_progress" is (d);
# notifier_rp: the same, "armed" is (k) (no SPTE maps the page once start()
# has returned) and "hit" is the precision property (p); fence:
# "freed" is the stale-translation property.
cases=(
"generation|correct/1as|ok|-DNR_AS=1 -DGEN_BITS=1 -DNSWAPS=3 -DNVCPU=2|"
"generation|correct/2as|ok|-DNR_AS=2 -DGEN_BITS=2 -DNSWAPS=3 -DNVCPU=2|"
"generation|gen-before-publish|error|-DGEN_BEFORE_PUBLISH -DPROP_A_ONLY -DNVCPU=1|violated.*after_create"
"generation|no-wrap-zap|error|-DNO_WRAP_ZAP -DPROP_A_ONLY -DNVCPU=1|violated.*after_create"
"generation|wrap-check-keeps-as-bits|error|-DWRAP_KEEPS_AS_BITS -DPROP_A_ONLY -DNVCPU=1 -DFIRST_AS=1|violated.*after_create"
"generation|wrap-check-keeps-as-bits/as0-only|ok|-DWRAP_KEEPS_AS_BITS -DNVCPU=1 -DFIRST_AS=0|"
"generation|mmio-cache-ignores-in-progress|error|-DMMIO_CACHE_IGNORES_IP -DNVCPU=1|violated may_mmio"
"notifier|correct|ok|-DNHOST=2 -DNUPD=2 -DNVCPU=2|"
"notifier|correct/3host|ok|-DNHOST=3 -DNUPD=2 -DNVCPU=1|"
"notifier|fault-no-seq-recheck|error|-DFAULT_NO_SEQ_RECHECK|violated.*dead"
"notifier|swap-ignores-active-invalidations|error|-DSWAP_IGNORES_ACTIVE_INVALIDATIONS|violated.*in_progress"
"notifier|swap-ignores-active-invalidations/stale|error|-DSWAP_IGNORES_ACTIVE_INVALIDATIONS -DPROP_C_ONLY|violated.*dead"
"notifier|change-pte-unbracketed|error|-DCHANGE_PTE_UNBRACKETED|violated.*dead"
"notifier|change-pte-installs-nonpresent|error|-DCHANGE_PTE_INSTALLS_NONPRESENT|violated.*dead"
"notifier_rp|correct|ok|-DNHOST=2 -DNUPD=2 -DNVCPU=1|"
"notifier_rp|correct/init-none|ok|-DINIT_NONE|"
"notifier_rp|correct/wide|ok|-DWIDE|"
"notifier_rp|correct/same-bucket|ok|-DSAME_BUCKET|"
"notifier_rp|end-skips-range-bump|error|-DEND_SKIPS_RANGE_BUMP|violated.*dead"
"notifier_rp|swap-ignores-open-brackets|error|-DSWAP_IGNORES_OPEN_BRACKETS|violated.*armed"
"notifier_rp|swap-ignores-open-brackets/c|error|-DSWAP_IGNORES_OPEN_BRACKETS -DPROP_C_ONLY|violated.*dead"
"notifier_rp|swap-ignores-open-brackets/create|error|-DSWAP_IGNORES_OPEN_BRACKETS -DINIT_NONE -DPROP_C_ONLY|violated.*dead"
"notifier_rp|shared-bucket-precision|error|-DSHARED_BUCKET_PRECISION|violated hit"
"notifier_rp|start-skips-intent-scan|error|-DSTART_SKIPS_INTENT_SCAN|violated.*armed"
"notifier_rp|start-skips-intent-scan/c|error|-DSTART_SKIPS_INTENT_SCAN -DPROP_C_ONLY|violated.*dead"
"notifier_rp|start-skips-intent-scan/c-at-use|error|-DSTART_SKIPS_INTENT_SCAN -DPROP_C_ONLY -DNO_INSTALL_CHECK|violated.*spte.*dead"
"notifier_rp|fault-intent-after-check|error|-DFAULT_INTENT_AFTER_CHECK|violated.*armed"
"notifier_rp|fault-intent-after-check/c|error|-DFAULT_INTENT_AFTER_CHECK -DPROP_C_ONLY -DNO_INSTALL_CHECK|violated.*spte.*dead"
"notifier_rp|end-open-before-bump|error|-DEND_OPEN_BEFORE_BUMP|violated.*dead"
"notifier_rp|correct/prefetch|ok|-DPREFETCH|"
"notifier_rp|prefetch-ignores-open-brackets|error|-DPREFETCH_IGNORES_OPEN_BRACKETS|violated.*armed"
"notifier_rp|prefetch-ignores-open-brackets/c|error|-DPREFETCH_IGNORES_OPEN_BRACKETS -DPROP_C_ONLY|violated.*dead"
"fence|correct|ok||"
"fence|correct/4acc-3flush|ok|-DNACC=4 -DNFLUSH=3|"
"fence|flush-trusts-fast|error|-DFLUSH_TRUSTS_FAST|violated.*freed"
"fence|flush-without-membarrier|error|-DFLUSH_WITHOUT_MEMBARRIER|violated.*freed"
"fence|answer-without-fence|error|-DANSWER_WITHOUT_FENCE|violated.*freed"
)

now() { date +%s.%N; }

# Condense a `spin -t -p` replay: the steps of the model's processes, without
# pure control flow, with the line prefix squeezed.
condense() {
	grep -E '^ *[0-9]+:[[:space:]]+proc +[0-9]+ \(' |
		grep -vE '\((:init:|monitor)' |
		grep -E '\[' |
		grep -vE '\[(DO|IF|else|\.\(goto\)|break|goto :b[0-9]+|\(1\)|\(\(i<[0-9]+\)\)|i = \(i\+1\))\]' |
		grep -vE '\[((p|g|s|b|a|cur|nxt|snap|pg)|[a-z_]+\[id\]) = 0\]' |
		sed -E 's/^ *([0-9]+):[[:space:]]+proc +([0-9]+) \(([a-z_]+):[0-9]+\) [a-z_]+\.pml:([0-9]+) \(state [0-9]+\)[[:space:]]*/\1 \3#\2 l.\4 /'
}

# run_case N LINE: runs one case in its own directory, writes "$tmp/N.out"
run_case() {
	local n=$1 line=$2
	local model variant expect defs want
	IFS='|' read -r model variant expect defs want <<<"$line"
	local dir="$tmp/case$n" out="$tmp/$n.out"
	local t0 t1 ok=1 why="" states="?" secs
	mkdir -p "$dir"
	cp "$here/$model.pml" "$dir/"
	t0=$(now)
	(
		cd "$dir" || exit 1
		# shellcheck disable=SC2086
		"$spin" -a $defs "$model.pml" >spin.log 2>&1 || { echo "spin -a failed" >why; exit 1; }
		local cflags="-O2 -DSAFETY -DVECTORSZ=1024 -w"
		[ "$expect" = error ] && cflags="$cflags -DBFS"
		# shellcheck disable=SC2086
		"$cc" $cflags -o pan pan.c >cc.log 2>&1 || { echo "gcc failed" >why; exit 1; }
		if [ "$expect" = ok ]; then
			./pan -m1000000 -w25 >pan.log 2>&1
		else
			./pan -w24 >pan.log 2>&1
		fi
		exit 0
	) || { ok=0; why=$(cat "$dir/why" 2>/dev/null); }
	t1=$(now)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	local log="$dir/pan.log"
	if [ $ok = 1 ]; then
		states=$(awk '/states, stored/ { print $1; exit }' "$log")
		[ -n "$states" ] || states="?"
		local errors
		errors=$(sed -nE 's/.*errors: ([0-9]+).*/\1/p' "$log" | tail -1)
		if [ -z "$errors" ]; then
			ok=0; why="pan did not finish"
		elif grep -q 'max search depth too small' "$log"; then
			ok=0; why="search truncated (max search depth too small)"
		elif [ "$expect" = ok ]; then
			[ "$errors" = 0 ] || { ok=0; why="expected errors: 0, got errors: $errors"; }
		else
			if [ "$errors" = 0 ]; then
				ok=0; why="expected a counterexample, got errors: 0"
			elif [ ! -s "$dir/$model.pml.trail" ]; then
				ok=0; why="errors: $errors but no trail file"
			elif ! grep -qE "$want" "$log"; then
				ok=0; why="unexpected violation: $(grep -m1 -E 'violated|error:' "$log")"
			fi
		fi
	fi
	{
		if [ $ok = 1 ]; then
			echo "PASS $model $variant ($states states, $secs s)"
		else
			echo "FAIL $model $variant ($states states, $secs s): $why"
			[ -f "$dir/spin.log" ] && grep -m5 -iE 'error' "$dir/spin.log" | sed 's/^/    /'
			[ -f "$dir/pan.log" ] && grep -m3 -E 'violated|errors:|error' "$dir/pan.log" | sed 's/^/    /'
		fi
		if [ "$expect" = error ] && [ -s "$dir/$model.pml.trail" ]; then
			(
				cd "$dir" || exit 0
				# shellcheck disable=SC2086
				"$spin" -t -p $defs "$model.pml" >replay.txt 2>&1
				condense <replay.txt >condensed.txt
				local steps
				steps=$(wc -l <condensed.txt)
				echo "    $(grep -m1 -E 'assertion violated' pan.log | sed 's/^pan:1: //') - counterexample, $steps steps:"
				if [ $verbose = 1 ]; then
					sed 's/^/      /' condensed.txt
				else
					tail -n 8 condensed.txt | sed 's/^/      /'
				fi
				if [ -n "$keep" ]; then
					local base="$keep/$model-${variant//\//-}"
					{ echo "# spin -t -p $defs $model.pml"; cat replay.txt; } >"$base.trail.txt"
					cp condensed.txt "$base.condensed.txt"
				fi
			)
		fi
	} >"$out"
	[ $ok = 1 ]
}

selected=()
for line in "${cases[@]}"; do
	IFS='|' read -r m v _ <<<"$line"
	[ -z "$pattern" ] || [[ "$m $v" == *"$pattern"* ]] || continue
	selected+=("$line")
done
if [ ${#selected[@]} = 0 ]; then
	echo "no case matches '$pattern'" >&2
	exit 2
fi

echo "spin: $("$spin" -V 2>&1 | head -1); cc: $cc; ${#selected[@]} cases"
start=$(now)
fails=0
running=0
for i in "${!selected[@]}"; do
	run_case "$i" "${selected[$i]}" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait
for i in "${!selected[@]}"; do
	if [ -f "$tmp/$i.out" ]; then
		cat "$tmp/$i.out"
		head -1 "$tmp/$i.out" | grep -q '^PASS' || fails=$((fails + 1))
	else
		echo "FAIL ${selected[$i]%%|*} (no result)"
		fails=$((fails + 1))
	fi
done
total=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
passed=$(( ${#selected[@]} - fails ))
echo "total time: $total s"
echo "model: $passed passed, $fails failed"
[ "$fails" = 0 ]
