#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_diverge.sh VMMU TRACE: a trace whose recorded KVM bitmap was altered
# must make the replay report a divergence (exit 1, "DIVERGENCE at line"),
# shrink it and print the reproducer; not a failure of the replay (3).
set -u
out=$("$1" replay "$2" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || { echo "FAIL: exit $rc, not 1"; exit 1; }
echo "$out" | grep -q "^replay: DIVERGENCE at line [0-9]*: " || { echo "FAIL: no divergence named"; exit 1; }
echo "$out" | grep -q "^replay: reproducer (" || { echo "FAIL: no reproducer"; exit 1; }
echo "ok: divergence"
