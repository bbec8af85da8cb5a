#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test suite and print one closing line: "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BUILD_ASAN=${BUILD_ASAN:-build-asan}
BUILD_TSAN=${BUILD_TSAN:-build-tsan}
summary=$(mktemp)
rc=0

run_suite() {	# name builddir meson-setup-args... ; runs "meson test"
	name=$1; dir=$2; shift 2
	echo "=== $name ($dir)"
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"; echo "0 0 0 1" >>"$summary"; rc=1; return; }
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		cat "$dir.build.log"; echo "0 0 0 1" >>"$summary"; rc=1; return
	fi
	meson test -C "$dir" --print-errorlogs $MESON_TEST_ARGS || rc=1
	# meson's summary lines: "Ok: N", "Fail: N", "Skipped: N", "Timeout: N"
	log="$dir/meson-logs/testlog.txt"
	ok=$(grep -E '^Ok:' "$log" | tail -1 | awk '{print $2}')
	xfail=$(grep -E '^Expected Fail:' "$log" | tail -1 | awk '{print $3}')
	ok=$(( ${ok:-0} + ${xfail:-0} ))
	fail=$(grep -E '^Fail:' "$log" | tail -1 | awk '{print $2}')
	skip=$(grep -E '^Skipped:' "$log" | tail -1 | awk '{print $2}')
	tout=$(grep -E '^Timeout:' "$log" | tail -1 | awk '{print $2}')
	xpass=$(grep -E '^Unexpected Pass:' "$log" | tail -1 | awk '{print $3}')
	echo "${ok:-0} ${skip:-0} $(( ${fail:-0} + ${tout:-0} + ${xpass:-0} )) 0" >>"$summary"
}

# Every suite in the release build (among them abi: exported symbols and the
# README recipe; trace: the USDT probes under bpftrace, skipped where it
# cannot attach; man: the man pages render); the correctness suites again under
# ASan+UBSan (benchmarks and the model checker gain nothing there), with
# `vmmu replay` (suite "replay": committed, malformed and hostile traces); the
# concurrency tests (suite "tsan") again under ThreadSanitizer.  Sanitizer
# runs set VMMU_TEST_SHORT=1 so stress tests cut their iteration counts.
base_args=${MESON_TEST_ARGS:-}
MESON_TEST_ARGS="$base_args"
run_suite release "$BUILD"
export VMMU_TEST_SHORT=1
MESON_TEST_ARGS="$base_args --suite unit --suite stress --suite kvm --suite checker --suite replay"
run_suite asan+ubsan "$BUILD_ASAN" -Db_sanitize=address,undefined -Db_lundef=false
MESON_TEST_ARGS="$base_args --suite tsan"
run_suite tsan "$BUILD_TSAN" -Db_sanitize=thread -Db_lundef=false

awk '{p+=$1; s+=$2; f+=$3+$4} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$summary"
f=$(awk '{f+=$3+$4} END {print f}' "$summary")
rm -f "$summary"
[ "$f" = 0 ] && [ $rc = 0 ]
