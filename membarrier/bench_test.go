//go:build linux

package membarrier_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/syncore/syncore/membarrier"
)

// busy starts n goroutines that spin on their own OS threads until the
// returned stop function is called: the siblings a barrier must interrupt.
func busy(n int) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for !done.Load() {
			}
		}()
	}
	return func() { done.Store(true); wg.Wait() }
}

func mustRegister(b *testing.B, c membarrier.Cmd) {
	if err := membarrier.Register(c); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBarrier measures one barrier of each expedited kind with 0..N
// busy sibling threads, beside getpid as the cost of a bare system call.
// Compare ratios within one run (benchstat); absolute figures depend on the
// machine and its load.
func BenchmarkBarrier(b *testing.B) {
	mustRegister(b, membarrier.CmdRegisterPrivateExpedited)
	mustRegister(b, membarrier.CmdRegisterPrivateExpeditedSyncCore)
	kinds := []struct {
		name string
		fn   func() error
	}{
		{"getpid", func() error { unix.Getpid(); return nil }},
		{"PrivateExpedited", func() error { return membarrier.Barrier(membarrier.CmdPrivateExpedited) }},
		{"SyncCore", membarrier.SyncCore},
	}
	for _, busyN := range []int{0, 1, runtime.NumCPU()} {
		for _, k := range kinds {
			b.Run(fmt.Sprintf("%s/busy=%d", k.name, busyN), func(b *testing.B) {
				stop := busy(busyN)
				defer stop()
				for b.Loop() {
					if err := k.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkGlobal is MEMBARRIER_CMD_GLOBAL: an RCU grace period per call.
func BenchmarkGlobal(b *testing.B) {
	for b.Loop() {
		if err := membarrier.Barrier(membarrier.CmdGlobal); err != nil {
			b.Fatal(err)
		}
	}
}
