#!/bin/sh
# SPDX-License-Identifier: MIT
# scenario.sh VMMU NAME [TRACE_OUT]: QEMU under `vmmu shadow`, driven through
# its monitor socket; SeaBIOS's debug console (port 0x402) tells when POST is
# done.  Scenarios (docs/SHADOW.md):
#   pc        i440fx + e1000, 128 MiB pc-dimm hotplug, 3 resets, migration to a file
#   q35       q35, one reset, migration to a file
#   paused    i440fx, guest stopped after POST, migration with --exact-dirty
#   wrong-as  POST and migration only, on a shadow configured with 2 address
#             spaces: the shadow must report a mismatch and exit 1
# Asserts 0 mismatches (wrong-as: at least one, exit 1) and floors on what the
# shadow saw.  Exits 77 (SKIP, with the reason) without a /dev/kvm it can
# read and write, QEMU, socat, or the firmware QEMU loads here (SeaBIOS's
# bios-256k.bin and vgabios-stdvga.bin, looked for in the directories of
# $SCENARIO_FIRMWARE_DIRS, by default Debian's /usr/share/seabios and
# /usr/share/qemu), and when `vmmu shadow` skips or QEMU cannot find its
# firmware; it never passes without having run.
# Every wait polls a condition (the debug console, the monitor); none is a
# fixed sleep.  With TRACE_OUT, the trace is copied there (tests/traces/).
# With SCENARIO_NO_SHADOW=1 QEMU runs alone (no assertions): the same
# workload's wall time without the shadow, for comparison.
set -u
vmmu=$1
name=$2
trace_out=${3:-}

skip() { echo "SKIP: $*"; exit 77; }
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable"
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (scripts/deps.sh)"
command -v socat >/dev/null || skip "socat not installed (scripts/deps.sh)"
# firmware FILE: FILE in one of the firmware directories
firmware() {
	for d in ${SCENARIO_FIRMWARE_DIRS:-/usr/share/seabios /usr/share/qemu}; do
		[ -r "$d/$1" ] && return 0
	done
	return 1
}
firmware bios-256k.bin || skip "SeaBIOS (bios-256k.bin) not installed (scripts/deps.sh)"
firmware vgabios-stdvga.bin || skip "the VGA BIOS (vgabios-stdvga.bin) not installed (scripts/deps.sh)"

tmp=$(mktemp -d)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $name: $*"; [ -f "$tmp/out" ] && cat "$tmp/out"; exit 1; }

sock=$tmp/mon.sock
dbg=$tmp/debugcon.log
start=$(date +%s.%N)

# mon CMD: one monitor command; its output (without the banner) on stdout
mon() {
	printf '%s\n' "$1" | socat -t 5 - "unix-connect:$sock" 2>/dev/null |
		tr -d '\r' | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g'
}
# exited DESC: QEMU (or `vmmu shadow`) is gone before DESC: skip if for want
# of something this machine lacks, else fail
exited() {
	wait "$qpid"
	rc=$?
	qpid=
	[ $rc -eq 77 ] && { cat "$tmp/out"; skip "vmmu shadow skipped"; }
	grep -Eqi "could not (load|open|find).*(bios|rom)|failed to find romfile" "$tmp/out" &&
		{ cat "$tmp/out"; skip "QEMU lacks its firmware"; }
	fail "QEMU exited (status $rc) while waiting for $1"
}
# wait_for DESC SECONDS CMD...: poll until CMD succeeds
wait_for() {
	desc=$1 limit=$2; shift 2
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((limit * 20)) ] && fail "timed out waiting for $desc"
		kill -0 "$qpid" 2>/dev/null || exited "$desc"
		sleep 0.05	# polling interval, not synchronisation
	done
}
posts() { grep -c "No bootable device" "$dbg" 2>/dev/null || true; }
post_done() { [ "$(posts)" -ge "$1" ]; }
monitor_up() { [ -S "$sock" ] && mon "info status" | grep -q "VM status"; }
migrated() { mon "info migrate" | grep -q "Migration status: completed"; }
migrate_failed() { mon "info migrate" | grep -q "Migration status: failed"; }

shadow_opts=
machine="-M pc"
case $name in
pc|wrong-as) ;;
q35) machine="-M q35" ;;
paused) shadow_opts=--exact-dirty ;;
*) echo "unknown scenario $name"; exit 2 ;;
esac
[ "$name" = wrong-as ] && shadow_opts="--nr-address-spaces 2"

shadow_cmd="$vmmu shadow $shadow_opts --record $tmp/trace --"
[ "${SCENARIO_NO_SHADOW:-0}" = 1 ] && shadow_cmd=
# shellcheck disable=SC2086
$shadow_cmd "$qemu" -enable-kvm $machine -m 128M,slots=2,maxmem=1G -smp 1 \
	-display none -device e1000,romfile=,netdev=n0 -netdev user,id=n0 \
	-serial none -parallel none -nodefaults -device VGA \
	-debugcon "file:$dbg" -global isa-debugcon.iobase=0x402 \
	-monitor "unix:$sock,server,nowait" >"$tmp/out" 2>&1 &
qpid=$!

wait_for "the monitor" 20 monitor_up
wait_for "SeaBIOS POST" 30 post_done 1
case $name in
pc)
	mon "object_add memory-backend-ram,id=mem1,size=128M" >/dev/null
	mon "device_add pc-dimm,id=dimm1,memdev=mem1" >/dev/null
	mon "info memory-devices" | grep -q dimm1 || fail "the pc-dimm was not plugged"
	for n in 2 3 4; do
		mon system_reset >/dev/null
		wait_for "SeaBIOS POST after reset $((n - 1))" 30 post_done $n
	done
	;;
q35)
	mon system_reset >/dev/null
	wait_for "SeaBIOS POST after the reset" 30 post_done 2
	;;
paused)
	mon stop >/dev/null
	mon "info status" | grep -q paused || fail "the guest did not stop"
	;;
esac
mon "migrate \"exec:cat > $tmp/migration.bin\"" >/dev/null
i=0
until migrated; do
	migrate_failed && fail "the migration failed: $(mon 'info migrate')"
	i=$((i + 1))
	[ $i -gt 600 ] && fail "timed out waiting for the migration"
	sleep 0.05	# polling interval, not synchronisation
done
mon quit >/dev/null
wait "$qpid"
rc=$?
qpid=
end=$(date +%s.%N)
cat "$tmp/out"
echo "scenario $name: wall time $(awk "BEGIN { printf \"%.2f\", $end - $start }") s" \
	"($([ -n "$shadow_cmd" ] && echo with || echo without) the shadow)"
[ -z "$shadow_cmd" ] && exit "$rc"

summary=$(grep "^shadow: [0-9]* memslot calls" "$tmp/out")
[ -n "$summary" ] || fail "no summary line"
num() { echo "$summary" | sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p"; }
slots=$(echo "$summary" | sed -n 's/^shadow: \([0-9]*\) memslot calls.*/\1/p')
dlog=$(num "dirty-log calls")
mmio=$(num "MMIO exits checked")
mism=$(num "mismatches")
clears=$(sed -n 's/.*CLEAR \([0-9]*\)$/\1/p' "$tmp/out")
exact=$(sed -n 's/.*GET [0-9]* (exact \([0-9]*\)).*/\1/p' "$tmp/out")
echo "scenario $name: memslot calls $slots, dirty-log calls $dlog, CLEAR $clears," \
	"exact GETs $exact, MMIO exits checked $mmio, mismatches $mism, exit $rc"

if [ "$name" = wrong-as ]; then
	[ "$rc" -eq 1 ] || fail "the wrong shadow exited $rc, not 1"
	[ "$mism" -gt 0 ] || fail "the wrong shadow reported no mismatch"
	# for the right reason: KVM's address spaces against vmmu's configuration
	grep -q "^shadow: MISMATCH: vm 0: KVM_CHECK_EXTENSION(KVM_CAP_MULTI_ADDRESS_SPACE) on the VM fd: KVM [01], vmmu configured with 2$" "$tmp/out" ||
		fail "no mismatch of KVM_CAP_MULTI_ADDRESS_SPACE against vmmu's configuration"
	echo "ok: the shadow with 2 address spaces reported $mism mismatches and exited 1"
	exit 0
fi
[ "$rc" -eq 0 ] || fail "vmmu shadow exited $rc"
[ "$mism" -eq 0 ] || fail "$mism mismatches"
[ "$slots" -ge 20 ] || fail "only $slots memslot calls"
[ "$clears" -gt 0 ] || fail "no KVM_CLEAR_DIRTY_LOG"
[ "$mmio" -gt 0 ] || fail "no MMIO exit checked"
if [ "$name" = paused ]; then
	[ "$exact" -gt 0 ] || fail "no GET compared exactly"
fi
if [ -n "$trace_out" ]; then
	cp "$tmp/trace" "$trace_out" || fail "cannot copy the trace to $trace_out"
fi
echo "ok: scenario $name"
