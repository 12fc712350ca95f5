#!/usr/bin/env bash
# .ci/fuzz_test.sh — tests .ci/fuzz's classifier of failed fuzz runs (fuzz_deadline_race) on
# fixtures: the output of a run that hit Go's -fuzztime deadline race (golang/go#75804) is a
# flake; a crasher, a worker that faulted (SIGSEGV), hung or died, and an assertion failure are
# failures, even when their output also holds the deadline's words. .ci/fuzz runs it first.
set -euo pipefail
source "$(dirname "$0")/fuzz"

failed=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect flake|failure NAME TARGET, the fixture on stdin.
expect() {
  local want=$1 name=$2 target=$3 got=failure
  n=$((n + 1))
  cat >"$tmp/out"
  if fuzz_deadline_race "$tmp/out" "$target"; then got=flake; fi
  if [ "$got" != "$want" ]; then
    echo "fuzz_test: $name: classified as $got, want $want:"
    sed 's/^/    | /' "$tmp/out"
    failed=1
  fi
}

# The deadline race as Go 1.25 and 1.26 print it: no input failed.
expect flake "deadline race" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 0/12 completed
fuzz: elapsed: 0s, gathering baseline coverage: 12/12 completed, now fuzzing with 16 workers
fuzz: elapsed: 3s, execs: 40304 (13431/sec), new interesting: 104 (total: 116)
fuzz: elapsed: 5s, execs: 67201 (13448/sec), new interesting: 121 (total: 133)
--- FAIL: FuzzParse (5.02s)
    context deadline exceeded
FAIL
exit status 1
FAIL	github.com/syncore/syncore/jit/jasm	5.031s
OUT

expect failure "crasher: a panic, its input written" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 0/1 completed
fuzz: elapsed: 0s, gathering baseline coverage: 1/1 completed, now fuzzing with 2 workers
fuzz: minimizing 48-byte failing input file
fuzz: elapsed: 0s, minimizing
--- FAIL: FuzzParse (0.12s)
    --- FAIL: FuzzParse (0.00s)
        testing.go:1927: panic: boom
            goroutine 2328 [running]:
            runtime/debug.Stack()
            	/usr/local/go/src/runtime/debug/stack.go:26 +0x9b
            github.com/syncore/syncore/jit/jasm.FuzzParse.func1(0x0?, {0x2067411dc220, 0x4, 0x489433?})
            	/work/main/jit/jasm/fuzz_test.go:15 +0xec
    
    Failing input written to testdata/fuzz/FuzzParse/1a4feb8ad1fe53b6
    To re-run:
    go test -run=FuzzParse/1a4feb8ad1fe53b6
FAIL
exit status 1
FAIL	github.com/syncore/syncore/jit/jasm	0.127s
OUT

expect failure "a worker killed by SIGSEGV as the deadline passed" FuzzParse <<'OUT'
fuzz: elapsed: 3s, execs: 40304 (13431/sec), new interesting: 104 (total: 116)
unexpected fault address 0xdeadbeef000
fatal error: fault
[signal SIGSEGV: segmentation violation code=0x1 addr=0xdeadbeef000 pc=0x5a613b]

goroutine 20 gp=0x268b17e005a0 m=0 mp=0x7bbe00 [running]:
runtime.throw({0x610a0f?, 0x268b17e06300?})
	/usr/local/go/src/runtime/panic.go:1229 +0x48 fp=0x268b17e5b788 sp=0x268b17e5b758 pc=0x486948
--- FAIL: FuzzParse (5.01s)
    context deadline exceeded
FAIL
exit status 1
FAIL	github.com/syncore/syncore/jit/jasm	5.020s
OUT

expect failure "a signal raised in the coordinator" FuzzParse <<'OUT'
fuzz: elapsed: 3s, execs: 40304 (13431/sec), new interesting: 104 (total: 116)
SIGSEGV: segmentation violation
PC=0x7f3a1c0021f3 m=5 sigcode=1 addr=0x18
--- FAIL: FuzzParse (5.00s)
    context deadline exceeded
FAIL
OUT

expect failure "a worker that died: its input written" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 0/2 completed
fuzz: elapsed: 0s, gathering baseline coverage: 2/2 completed, now fuzzing with 2 workers
fuzz: elapsed: 0s, execs: 701 (7031/sec), new interesting: 0 (total: 2)
--- FAIL: FuzzParse (0.10s)
    fuzzing process hung or terminated unexpectedly: exit status 2
    Failing input written to testdata/fuzz/FuzzParse/63dfbc2108e7ee4d
    To re-run:
    go test -run=FuzzParse/63dfbc2108e7ee4d
FAIL
exit status 1
FAIL	github.com/syncore/syncore/jit/jasm	0.104s
OUT

expect failure "a hung worker" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 1/1 completed, now fuzzing with 2 workers
fuzz: elapsed: 3s, execs: 1066 (355/sec), new interesting: 1 (total: 2)
fuzz: elapsed: 6s, execs: 1066 (0/sec), new interesting: 1 (total: 2)
fuzz: elapsed: 9s, execs: 1066 (0/sec), new interesting: 1 (total: 2)
--- FAIL: FuzzParse (10.26s)
    fuzzing process hung or terminated unexpectedly: exit status 2
    Failing input written to testdata/fuzz/FuzzParse/3d8e8ac8d3261a00
    To re-run:
    go test -run=FuzzParse/3d8e8ac8d3261a00
FAIL
OUT

expect failure "a worker hung at the deadline, no input written" FuzzParse <<'OUT'
fuzz: elapsed: 3s, execs: 1066 (355/sec), new interesting: 1 (total: 2)
fuzz: elapsed: 5s, execs: 1066 (0/sec), new interesting: 1 (total: 2)
--- FAIL: FuzzParse (5.00s)
    context deadline exceeded
    fuzzing process hung or terminated unexpectedly while minimizing: exit status 2
FAIL
OUT

expect failure "an assertion failure found by fuzzing, citing a deadline" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 1/1 completed, now fuzzing with 2 workers
fuzz: minimizing 33-byte failing input file
fuzz: elapsed: 0s, minimizing
--- FAIL: FuzzParse (0.02s)
    --- FAIL: FuzzParse (0.00s)
        fuzz_test.go:24: Call: context deadline exceeded
    
    Failing input written to testdata/fuzz/FuzzParse/c2501043394e49f2
    To re-run:
    go test -run=FuzzParse/c2501043394e49f2
FAIL
OUT

expect failure "an assertion failure in the seed corpus, citing a deadline" FuzzParse <<'OUT'
fuzz: elapsed: 0s, gathering baseline coverage: 0/1 completed
failure while testing seed corpus entry: FuzzParse/seed#0
fuzz: elapsed: 0s, gathering baseline coverage: 0/1 completed
--- FAIL: FuzzParse (0.01s)
    --- FAIL: FuzzParse (0.00s)
        fuzz_test.go:33: Call: context deadline exceeded
    
FAIL
exit status 1
FAIL	github.com/syncore/syncore/jit/jasm	0.013s
OUT

expect failure "the deadline of another target" FuzzParse <<'OUT'
--- FAIL: FuzzParseExpr (5.02s)
    context deadline exceeded
FAIL
OUT

expect failure "the deadline's words, not the line" FuzzParse <<'OUT'
--- FAIL: FuzzParse (5.02s)
    call: context deadline exceeded
FAIL
OUT

if [ "$failed" -ne 0 ]; then exit 1; fi
echo "fuzz_test: the deadline-race classifier is right on $n fixtures"
