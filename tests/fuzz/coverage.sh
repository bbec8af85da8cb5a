#!/bin/sh
# SPDX-License-Identifier: MIT
# Line/branch coverage of src/ reached by a fuzz corpus (docs/FUZZING.md):
# builds fuzz_vmmu_cov (clang source-based coverage, standalone driver),
# replays every input of the given corpus directories once, and prints
# llvm-cov's report restricted to src/.
#
#   tests/fuzz/coverage.sh OUTDIR CORPUS_DIR...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1; shift
suffix=""
command -v llvm-profdata >/dev/null 2>&1 || suffix=-14
ONLY=fuzz_vmmu_cov "$here/build.sh" "$out" >/dev/null
rm -rf "$out/profraw" && mkdir -p "$out/profraw"
LLVM_PROFILE_FILE="$out/profraw/%p.profraw" "$out/fuzz_vmmu_cov" "$@" 2>&1 | tail -1
"llvm-profdata$suffix" merge -sparse "$out"/profraw/*.profraw -o "$out/fuzz.profdata"
"llvm-cov$suffix" report "$out/fuzz_vmmu_cov" -instr-profile="$out/fuzz.profdata" \
	"$top"/src/*.c
echo "(html: llvm-cov$suffix show $out/fuzz_vmmu_cov -instr-profile=$out/fuzz.profdata" \
	"-format=html -output-dir=$out/cov-html $top/src)"
