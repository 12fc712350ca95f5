package stress

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/patch"
)

// Busy starts n goroutines, each locked to an OS thread, that call f with
// args in a loop (each through a jit.Caller of its own) until stop is
// called: the running threads that a barrier must reach, for benchmarks.
// check, if not nil, judges every result. With hs, each worker joins the
// handshake and calls Safepoint between calls. GOMAXPROCS is raised to n+1
// until stop, so the goroutine that patches always has a P. stop waits for
// the workers and returns how many calls they made and the first failure:
// a call error or a result check refused.
func Busy(n int, f *jit.Func, args []int64, check func(int64) bool, hs *patch.Handshake) (stop func() (uint64, error), err error) {
	procs := runtime.GOMAXPROCS(0)
	if procs < n+1 {
		runtime.GOMAXPROCS(n + 1)
	}
	var (
		done, ready sync.WaitGroup
		quit        atomic.Bool
		calls       atomic.Uint64
		bad, badVal atomic.Int64
		fail        atomic.Pointer[error]
	)
	for range n {
		c, err := f.NewCaller()
		if err != nil {
			quit.Store(true)
			done.Wait()
			runtime.GOMAXPROCS(procs)
			return nil, err
		}
		done.Add(1)
		ready.Add(1)
		go func() {
			defer done.Done()
			defer c.Close()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var part *patch.Participant
			if hs != nil {
				part = hs.Join()
				defer part.Leave()
			}
			ready.Done()
			k := uint64(0)
			for !quit.Load() {
				v, err := c.Call(args...)
				if err != nil {
					fail.CompareAndSwap(nil, &err)
					break
				}
				if check != nil && !check(v) {
					bad.Add(1)
					badVal.Store(v)
				}
				k++
				if part != nil {
					part.Safepoint()
				}
			}
			calls.Add(k)
		}()
	}
	ready.Wait()
	return func() (uint64, error) {
		quit.Store(true)
		done.Wait()
		runtime.GOMAXPROCS(procs)
		if e := fail.Load(); e != nil {
			return calls.Load(), fmt.Errorf("stress: a busy worker's call failed: %w", *e)
		}
		if k := bad.Load(); k > 0 {
			return calls.Load(), fmt.Errorf("stress: busy workers saw %d wrong results (last %d)", k, badVal.Load())
		}
		return calls.Load(), nil
	}, nil
}
