#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what vmmu needs to build and test, on Debian 12.  Run by `make`,
# `make run` and `make check`; does nothing when everything is present.
# As root it installs with apt-get; otherwise it prints the command and fails.
set -eu

need=""
# installed without their recommended packages (a VMM's graphics stack is not needed)
need_norec=""
command -v meson >/dev/null 2>&1 || need="$need meson"
command -v ninja >/dev/null 2>&1 || need="$need ninja-build"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need gcc"
if ! pkg-config --exists liburcu-mb 2>/dev/null; then need="$need liburcu-dev"; fi
if [ "${1:-}" = "--check" ]; then
	command -v spin >/dev/null 2>&1 || need="$need spin"
	command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
	command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
	# the structured fuzzer (tests/fuzz): clang with libFuzzer's runtime
	command -v clang >/dev/null 2>&1 || need="$need clang"
	[ -n "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] ||
		need="$need libclang-rt-14-dev"
	# USDT probes (<sys/sdt.h>) and the tracer the 'trace' suite runs them under
	[ -f /usr/include/x86_64-linux-gnu/sys/sdt.h ] || [ -f /usr/include/sys/sdt.h ] ||
		need="$need systemtap-sdt-dev"
	command -v bpftrace >/dev/null 2>&1 || need="$need bpftrace"
	# the man-page test renders with man
	command -v man >/dev/null 2>&1 || need="$need man-db"
	# a real VMM in front of vmmu (suite 'shadow', tests/shadow): QEMU, its
	# firmware, and socat to talk to its monitor
	command -v qemu-system-x86_64 >/dev/null 2>&1 || need_norec="$need_norec qemu-system-x86"
	[ -e /usr/share/seabios/bios-256k.bin ] || need_norec="$need_norec seabios"
	command -v socat >/dev/null 2>&1 || need_norec="$need_norec socat"
fi

[ -z "$need$need_norec" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "vmmu: installing:$need$need_norec"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	[ -z "$need" ] || apt-get install -y -qq $need >/dev/null
	# shellcheck disable=SC2086
	[ -z "$need_norec" ] || apt-get install -y -qq --no-install-recommends $need_norec >/dev/null
else
	echo "vmmu: missing packages:$need$need_norec" >&2
	[ -z "$need" ] || echo "vmmu: run as root:  apt-get install -y$need" >&2
	[ -z "$need_norec" ] ||
		echo "vmmu: run as root:  apt-get install -y --no-install-recommends$need_norec" >&2
	exit 1
fi
