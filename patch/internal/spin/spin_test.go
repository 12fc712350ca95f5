package spin

import (
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	for _, d := range []time.Duration{0, time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		For(d)
		if got := time.Since(start); got < d {
			t.Errorf("For(%v) returned after %v", d, got)
		}
	}
}
