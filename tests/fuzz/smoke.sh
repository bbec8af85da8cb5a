#!/bin/sh
# SPDX-License-Identifier: MIT
# The fuzzer's smoke test (docs/FUZZING.md): replay the seed corpus and the
# saved findings (regressions: each must pass on a fixed vmmu), then fuzz for
# SECONDS more.  Works with the libFuzzer binary and with the standalone
# driver, which takes the same options.
#
#   tests/fuzz/smoke.sh FUZZ_BINARY [SECONDS]        (default 40)
#
# Exit status 0 when no violation was found.  A failing input is printed in
# hex (and kept in $FUZZ_ARTIFACTS if set) so that it can be replayed.
set -u
bin=$1
secs=${2:-40}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmu-fuzz-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -error_exitcode=1 \
	-timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$tmp/" \
	"$tmp/corpus" "$here/corpus" "$here/findings"
rc=$?
for f in "$tmp"/crash-* "$tmp"/timeout-* "$tmp"/leak-* "$tmp"/oom-*; do
	[ -f "$f" ] || continue
	echo "fuzz smoke: failing input $(basename "$f"):"
	od -An -tx1 -v "$f"
	if [ -n "${FUZZ_ARTIFACTS:-}" ]; then
		mkdir -p "$FUZZ_ARTIFACTS" && cp "$f" "$FUZZ_ARTIFACTS/"
	fi
	rc=1
done
exit $rc
