#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh BUILDDIR: `meson install` into a scratch DESTDIR installs the
# headers (vmmu/version.h included), both libraries, vmmu.pc and the man
# pages vmmu(1) and vmmu(3); the installed libvmmu.a exports only vmmu_*;
# a program built with the installed vmmu.pc (prefix moved to DESTDIR) runs.
set -u
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest/log" 2>&1 ||
	{ cat "$dest/log"; echo "FAIL: meson install"; exit 1; }
prefix=$(meson introspect "$build" --buildoptions |
	 python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
root=$dest$prefix
bad=0
for f in include/vmmu.h include/vmmu/version.h include/vmmu/hostmm.h \
	 share/man/man1/vmmu.1 share/man/man3/vmmu.3; do
	[ -f "$root/$f" ] || { echo "FAIL: not installed: $f"; bad=1; }
done
a=$(find "$root" -name libvmmu.a | head -1)
so=$(find "$root" -name 'libvmmu.so.*.*.*' | head -1)
pc=$(find "$root" -name vmmu.pc | head -1)
[ -n "$a" ] && [ -n "$so" ] && [ -n "$pc" ] || { echo "FAIL: libvmmu.a, libvmmu.so or vmmu.pc missing"; exit 1; }
other=$(nm -g --defined-only "$a" | awk 'NF == 3 && $3 !~ /^vmmu_/')
[ -z "$other" ] || { echo "FAIL: the installed libvmmu.a exports:"; echo "$other"; bad=1; }
cp "$(dirname "$0")/prog.c" "$dest/prog.c"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$root" \
	--cflags --libs vmmu) || { echo "FAIL: pkg-config vmmu"; exit 1; }
# shellcheck disable=SC2086
cc "$dest/prog.c" -o "$dest/prog" $flags || { echo "FAIL: cc with the installed vmmu.pc"; exit 1; }
v=$(LD_LIBRARY_PATH=$(dirname "$so") "$dest/prog") || { echo "FAIL: the program does not run"; exit 1; }
echo "installed under $prefix: headers, libraries, vmmu.pc (version $v), man pages"
exit $bad
