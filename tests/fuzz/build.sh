#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the vmmu fuzz target with clang directly (docs/FUZZING.md).
#
#   tests/fuzz/build.sh [OUTDIR]          default OUTDIR: build-fuzz
#
# Builds, from the library sources (src/*.c, as in meson.build's
# lib_sources with -DVMMU_BUILDING_LIB=1 -D_GNU_SOURCE) compiled into each
# binary with the same flags:
#   fuzz_vmmu           libFuzzer + ASan + UBSan
#   fuzz_vmmu_variants  the same with -DVMMU_VARIANTS=1: FUZZ_VMMU_VARIANT=<name>
#                       switches on one of src/'s historic-bug variants
#   fuzz_vmmu_cov       standalone driver, clang source-based coverage
#                       (-fprofile-instr-generate -fcoverage-mapping), no sanitizer
#   fuzz_vmmu_standalone standalone driver with ASan + UBSan (no libFuzzer)
# With OUTFILE set, builds only the binary ONLY names, into OUTFILE (as the
# Meson build does to get a libFuzzer target when it compiles with gcc).
# Environment: CC (default: clang, else clang-14), VMMU_SRC (a tree whose
# src/ and include/ to build instead of this one, e.g. an old commit exported
# with `git archive`), ONLY (one of the names above), EXTRA_CFLAGS (e.g.
# -DFUZZ_VMMU_OLD_API for sources before 4e020f0, whose vmmu_stats lacks
# invalidate_end_unmatched and fault_flushes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build-fuzz}
src=${VMMU_SRC:-$top}
if [ -z "${CC:-}" ]; then
	if command -v clang >/dev/null 2>&1; then CC=clang; else CC=clang-14; fi
fi
[ -n "${OUTFILE:-}" ] || mkdir -p "$out"
urcu=$(pkg-config --cflags --libs liburcu-mb)
common="${EXTRA_CFLAGS:-} -std=c11 -D_GNU_SOURCE -DVMMU_BUILDING_LIB=1 -I$src/include -I$src/src -I$src/testlib -g -O1
	-fno-omit-frame-pointer -fno-strict-aliasing -Wall -Wno-unused-parameter -Wno-unknown-attributes"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
lib=$(ls "$src"/src/*.c)
fz="$here/fuzz_vmmu.c"
sa="$here/standalone.c"

build() {	# name flags...
	name=$1; shift
	if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then return 0; fi
	dst=${OUTFILE:-$out/$name}
	echo "  CC $dst"
	# shellcheck disable=SC2086
	$CC $common "$@" $lib -o "$dst" $urcu -lpthread
}

build fuzz_vmmu -fsanitize=fuzzer $san "$fz"
build fuzz_vmmu_variants -DVMMU_VARIANTS=1 -fsanitize=fuzzer $san "$fz"
build fuzz_vmmu_cov -fprofile-instr-generate -fcoverage-mapping "$fz" "$sa"
build fuzz_vmmu_standalone $san "$fz" "$sa"
