#!/bin/sh
# SPDX-License-Identifier: MIT
# symbols.sh LIBVMMU.a LIBVMMU.so: every global symbol either library
# defines is a vmmu_* function (the .so also has its version node VMMU_x.y),
# and every function of the .so is versioned.
set -eu
a=$1 so=$2
bad=$(nm -g --defined-only "$a" | awk 'NF == 3 && $3 !~ /^vmmu_/')
[ -z "$bad" ] || { echo "libvmmu.a exports non-vmmu_ symbols:"; echo "$bad"; exit 1; }
n=$(nm -g --defined-only "$a" | awk 'NF == 3' | wc -l)
[ "$n" -gt 30 ] || { echo "libvmmu.a: only $n global symbols"; exit 1; }
bad=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 !~ /^vmmu_.*@@VMMU_[0-9]/ && $3 !~ /^VMMU_[0-9.]*$/')
[ -z "$bad" ] || { echo "libvmmu.so exports unversioned or non-vmmu_ symbols:"; echo "$bad"; exit 1; }
m=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 ~ /^vmmu_/' | wc -l)
[ "$m" = "$n" ] || { echo "libvmmu.a has $n API symbols, libvmmu.so $m"; exit 1; }
echo "symbols: libvmmu.a and libvmmu.so export the same $n vmmu_* functions and nothing else"
