package jit

import (
	"os"

	"golang.org/x/sys/unix"
)

// monoNow returns CLOCK_MONOTONIC in nanoseconds (perf record -k 1).
func monoNow() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return ts.Nano()
}

func gettid() int { return unix.Gettid() }

// mapForPerf maps the first page of the jitdump file readable and
// executable: perf record logs executable mappings, and perf inject --jit
// finds the file through that record.
func mapForPerf(f *os.File) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
}

func unmapForPerf(b []byte) {
	if b != nil {
		unix.Munmap(b)
	}
}
