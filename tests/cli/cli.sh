#!/bin/sh
# SPDX-License-Identifier: MIT
# cli.sh VMMU: the command line's contract (tools/vmmu/opts.h): a bad value
# names its option and exits 2 without the whole usage; --seed takes no
# sign; --json to an unwritable path fails at once, --json - writes the
# report alone on stdout; bench --slots must ascend; Ctrl-C during run still
# gives the summary and the JSON; every line of run's output fits 80
# columns; -s/-q/-v mean the same wherever they exist; bench's table has
# KVM/vmmu, as the README; check --schedules N reports N schedules.
set -u
vmmu=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect_usage WHAT OPTION ARGS...: exit 2, stderr names OPTION, no usage dump
expect_usage() {
	what=$1 opt=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc != 2 ]; then fail "$what: exit $rc, expected 2"; return; fi
	if ! grep -q -- "$opt" "$tmp/err"; then fail "$what: stderr does not name $opt"; cat "$tmp/err"; return; fi
	if grep -q "^usage:" "$tmp/err" "$tmp/out"; then fail "$what: printed the whole usage"; return; fi
	ok "$what: $(head -1 "$tmp/err")"
}

expect_usage "run --seed -3" --seed "$vmmu" run --seed -3 -t 0.1
expect_usage "run --seed 12abc" --seed "$vmmu" run --seed 12abc -t 0.1
expect_usage "run --vcpus 0" --vcpus "$vmmu" run --vcpus 0 -t 0.1
expect_usage "run --seconds -1" --seconds "$vmmu" run --seconds -1
expect_usage "run --fence foo" --fence "$vmmu" run --fence foo -t 0.1
expect_usage "run --json unwritable" --json "$vmmu" run --json "$tmp/no/such/dir/r.json" -t 0.1
expect_usage "bench --slots 10,5" --slots "$vmmu" bench --slots 10,5 --no-kvm
expect_usage "bench --slots 10,10" --slots "$vmmu" bench --slots 10,10 --no-kvm
expect_usage "bench --reps x" --reps "$vmmu" bench --reps x
expect_usage "bench --json unwritable" --json "$vmmu" bench --json "$tmp/no/dir/b.json" --no-kvm
expect_usage "kvm-diff --seed -1" --seed "$vmmu" kvm-diff --seed -1
# the short options mean one thing, or are absent
expect_usage "bench -q (not --quick)" "'-q'" "$vmmu" bench -q
expect_usage "bench -s (not --suite)" "'-s'" "$vmmu" bench -s count

# --json -: the JSON alone on stdout; -s -q -v accepted by run
if "$vmmu" run -t 0.5 -s 7 -q -v --json - >"$tmp/json" 2>"$tmp/err"; then
	# format 2: the VM's counters under "stats", named as in the binary stats file
	if python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); s = d["stats"]
sys.exit(d["seed"] != 7 or d["format"] != 2 or
	 not all(k in s for k in ("pf_fixed", "pf_spurious", "pf_emulate", "pf_mmio_spte_created",
				  "mmio_exits", "remote_tlb_flush", "remote_tlb_flush_requests")))' \
		"$tmp/json" 2>/dev/null ||
	   { ! command -v python3 >/dev/null && head -c1 "$tmp/json" | grep -q '{'; }; then
		ok "run --json - writes the report (format 2, KVM's counter names) alone on stdout"
	else
		fail "run --json -: stdout is not the JSON report"; head -5 "$tmp/json"
	fi
else
	fail "run -t 0.5 -s 7 -q -v --json - failed"; cat "$tmp/err"
fi
[ ! -e ./- ] || fail "run --json - wrote a file named '-'"

# Every line of run's output (progress lines included) fits 80 columns.
"$vmmu" run -t 2.2 -s 3 -v >"$tmp/out" 2>&1 || fail "run -t 2.2 failed"
long=$(tr '\r' '\n' <"$tmp/out" | awk 'length($0) > 80')
if [ -n "$long" ]; then fail "run printed lines over 80 columns:"; echo "$long"
else ok "run: $(wc -l <"$tmp/out") lines, none over 80 columns"; fi

# Ctrl-C: the summary and the JSON survive.  Wait for the first progress
# line (the run is under way), then interrupt.
"$vmmu" run -t 120 -s 5 --json "$tmp/int.json" >"$tmp/int.out" 2>&1 &
pid=$!
i=0
until grep -q " ops " "$tmp/int.out" 2>/dev/null || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
if [ $rc = 0 ] && grep -q "interrupted after" "$tmp/int.out" && grep -q "^PASS" "$tmp/int.out" &&
   grep -q '"interrupted": true' "$tmp/int.json" && grep -q '"result": "PASS"' "$tmp/int.json"; then
	ok "Ctrl-C during run: exit 0, summary and JSON written"
else
	fail "Ctrl-C during run: exit $rc"; tail -5 "$tmp/int.out"; head -3 "$tmp/int.json" 2>/dev/null
fi

# bench prints KVM/vmmu (the README's ratio), not vmmu/KVM
"$vmmu" bench --suite memslot --no-kvm --slots 10 --reps 1 --budget 0.01 >"$tmp/bench" 2>&1
if grep -q "KVM/vmmu" "$tmp/bench" && ! grep -q "vmmu/KVM" "$tmp/bench"; then
	ok "bench: the table's ratio column is KVM/vmmu"
else
	fail "bench: no KVM/vmmu column"; grep -n "case" "$tmp/bench"
fi

# check --schedules N explores and reports N schedules
out=$("$vmmu" check --scenario create-mmio --schedules 200 2>&1 | tail -1)
case $out in
*": 200 schedules "*) ok "check --schedules 200: $out" ;;
*) fail "check --schedules 200 reports: $out" ;;
esac

echo "$fails failure(s)"
[ $fails = 0 ]
