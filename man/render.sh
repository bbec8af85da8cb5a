#!/bin/sh
# SPDX-License-Identifier: MIT
# render.sh PAGE...: each man page renders at 80 columns without a warning
# from man/groff.  Exits 77 (skipped) where man is not installed.
set -u
command -v man >/dev/null 2>&1 || { echo "SKIP: man not installed (apt-get install man-db)"; exit 77; }
bad=0
for p in "$@"; do
	out=$(MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings -l "$p" 2>&1 >/dev/null)
	if [ -n "$out" ]; then
		echo "FAIL: $p:"; echo "$out"; bad=1
		continue
	fi
	n=$(MANWIDTH=80 man -l "$p" 2>/dev/null | wc -l)
	[ "$n" -gt 20 ] || { echo "FAIL: $p renders to $n lines"; bad=1; continue; }
	echo "ok: $p: $n lines, no warnings"
done
exit $bad
