#!/bin/sh
# SPDX-License-Identifier: MIT
# expect_exit.sh CODE CMD [ARGS...]: run CMD; pass (exit 0) only if it exits
# with exactly CODE.  Used where a test must see one specific failure (e.g.
# a checker variant must be caught: exit 1, not a crash or a usage error).
want=$1
shift
"$@"
got=$?
# 77 is "skipped" (e.g. no /dev/kvm): report it as such, never as a pass.
[ "$got" -eq 77 ] && [ "$want" -ne 77 ] && exit 77
if [ "$got" -ne "$want" ]; then
	echo "expected exit $want, got $got" >&2
	exit 1
fi
exit 0
