#!/bin/sh
# SPDX-License-Identifier: MIT
# publish-archive.sh OUT.a IN.a LD OBJCOPY AR
# The public static library: every object of the internal archive IN.a
# linked into one relocatable object (ld -r), in which every symbol that is
# not default-visible (everything but the VMMU_API functions) is made local
# (objcopy --localize-hidden), archived as OUT.a.  A program linking OUT.a
# sees only vmmu_* globals, so its own avl_insert() cannot clash with ours.
set -eu
out=$1 in=$2 ld=$3 objcopy=$4 ar=$5
tmp=$(mktemp -d "${out}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$ld" -r -o "$tmp/vmmu.o" --whole-archive "$in"
"$objcopy" --localize-hidden "$tmp/vmmu.o"
rm -f "$out"
"$ar" rcD "$out" "$tmp/vmmu.o"
