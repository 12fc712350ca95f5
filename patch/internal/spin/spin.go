// Package spin waits without sleeping, for patch and patch/stress: the
// Unsafe protocol's pause between bytes and the stress harness's early
// publication window, both of which must stay open on a running core.
package spin

import "time"

// For waits d without sleeping: a sleep would give the core away and close
// the window the wait keeps open.
func For(d time.Duration) {
	for t := time.Now(); time.Since(t) < d; {
	}
}
