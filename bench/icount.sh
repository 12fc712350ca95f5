#!/bin/sh
# icount.sh [REV]: how many ppc64le instructions the compiled code of the
# example programs executes, counted under qemu-user (emulated) with one
# instruction per translation block (-singlestep -d exec,nochain). With REV,
# the programs are compiled by that commit's jit instead of the working
# tree's. Needs qemu-ppc64le-static and python3; each run writes a trace of
# about 1 GB to a temporary file and takes a few seconds.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
build=""
# The build directory lies in the source tree (the working tree when no REV
# is given): remove it whatever happens, so that no later go test ./...
# finds it.
trap 'rm -rf "$tmp" ${build:+"$build"}' EXIT
if [ $# -ge 1 ]; then
	mkdir "$tmp/tree"
	git archive "$1" | tar -x -C "$tmp/tree"
	src="$tmp/tree"
else
	src="$root"
fi
build="$src/cmd/icount-tmp"
mkdir -p "$build"
cp "$root/bench/cmd/icount/main.go" "$build/"
(cd "$src" && GOARCH=ppc64le GOFLAGS=-buildvcs=false go build -o "$tmp/icount" ./cmd/icount-tmp)
rm -rf "$build"
build=""
for run in "fib.jasm 15" "sum.jasm 1000" "gcd.jasm 1071 462" "collatz.jasm 27"; do
	set -- $run
	file=$1
	shift
	out=$(qemu-ppc64le-static -singlestep -d exec,nochain -D "$tmp/trace" "$tmp/icount" "examples/$file" "$@" 2>&1 | grep '^RANGE')
	python3 - "$tmp/trace" "$file $*" "$out" <<'PY'
import sys
trace, name, rng = sys.argv[1], sys.argv[2], sys.argv[3].split()
lo, hi = int(rng[1], 16), int(rng[2], 16)
n = 0
with open(trace, 'rb') as f:
    for line in f:
        if line.startswith(b'Trace'):
            pc = int(line[line.index(b'[') + 1:].split(b'/')[1], 16)
            if lo <= pc < hi:
                n += 1
print(f"{name:22} {n:8d} instructions  (result {rng[4]})")
PY
	rm -f "$tmp/trace"
done
