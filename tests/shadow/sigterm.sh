#!/bin/sh
# SPDX-License-Identifier: MIT
# sigterm.sh VMMU: SIGTERM sent to `vmmu shadow` goes to COMMAND (here a cat
# blocked on a FIFO), and vmmu shadow reports its end: the summary, and
# COMMAND's status 128 + 15 as its own.
set -u
vmmu=$1
tmp=$(mktemp -d)
vpid=
cleanup() {
	[ -n "$vpid" ] && kill "$vpid" 2>/dev/null
	exec 3>&-	# the FIFO's writer: a cat still reading it ends
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out"; exit 1; }
mkfifo "$tmp/fifo" || exit 1
exec 3<>"$tmp/fifo"
"$vmmu" shadow -- sh -c 'echo up; exec cat' <"$tmp/fifo" >"$tmp/out" 2>&1 3>&- &
vpid=$!
i=0
until grep -q '^up$' "$tmp/out"; do
	i=$((i + 1))
	[ $i -gt 400 ] && fail "COMMAND did not start"
	kill -0 "$vpid" 2>/dev/null || fail "vmmu shadow exited early"
	sleep 0.05	# polling interval, not synchronisation
done
kill -TERM "$vpid"
wait "$vpid"
rc=$?
vpid=
cat "$tmp/out"
grep -q "^shadow: COMMAND exited with status 143 " "$tmp/out" ||
	fail "no summary: vmmu shadow did not wait for COMMAND (exit $rc)"
[ $rc -eq 143 ] || fail "exit $rc, not 143"
echo "ok: SIGTERM passed on to COMMAND"
