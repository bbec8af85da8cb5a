#!/bin/sh
# SPDX-License-Identifier: MIT
# recipe.sh SRCDIR BUILDDIR VMMU-CLI: the README's build-against-the-tree
# recipe, taken from the README as written (the line that starts with
# "cc prog.c"), run in a scratch directory whose build/ is BUILDDIR, on a
# small program: the binary must run as it is (no LD_LIBRARY_PATH), the
# flags must put no src/ directory on the include path, and pkg-config's
# version, vmmu_version() and `vmmu --version` must agree.
set -eu
srcdir=$1 builddir=$2 cli=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
recipe=$(grep -E '^cc prog\.c ' "$srcdir/README.md" | head -1)
[ -n "$recipe" ] || { echo "recipe.sh: no 'cc prog.c' line in README.md"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$builddir" "$tmp/build"
cp "$(dirname "$0")/prog.c" "$tmp/prog.c"
cd "$tmp"
echo "recipe: $recipe"
flags=$(echo "$recipe" | sed 's/^cc prog\.c //')
eval "pcflags=\"$flags\""
echo "flags:  $pcflags"
for f in $pcflags; do
	case $f in
	-I*/src|-I*/src/) echo "recipe.sh: the uninstalled flags expose $f"; exit 1 ;;
	esac
done
# shellcheck disable=SC2086
cc prog.c $pcflags
unset LD_LIBRARY_PATH
v=$(./a.out) || { echo "recipe.sh: the program built by the recipe fails"; exit 1; }
pcv=$(PKG_CONFIG_PATH="$builddir/meson-uninstalled" pkg-config --modversion vmmu-uninstalled)
cliv=$("$cli" --version | awk 'NR == 1 {print $2}')
echo "versions: vmmu_version() $v, pkg-config $pcv, vmmu --version $cliv"
[ "$v" = "$pcv" ] && [ "$v" = "$cliv" ] || { echo "recipe.sh: versions disagree"; exit 1; }
