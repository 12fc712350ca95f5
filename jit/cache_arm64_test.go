package jit

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCacheMaintenanceARM64 checks the writer's half of arm64's
// cross-modification rule by what it executes, since qemu-user keeps
// instruction caches coherent and cannot show a missing step by running
// stale code: CTR_EL0's line sizes are sane, every data line of the written
// range is cleaned and every instruction line invalidated (counted by the
// assembly loops themselves), and a step CTR_EL0.IDC or DIC makes
// unnecessary is skipped.
func TestCacheMaintenanceARM64(t *testing.T) {
	require.NotZero(t, ctr, "CTR_EL0")
	for _, line := range []uintptr{dcacheLine, icacheLine} {
		assert.True(t, line >= 4 && line <= 2048 && line&(line-1) == 0, "line size %d", line)
	}
	rt := newTestRuntime(t, Options{})
	b, err := rt.heap.Alloc(4096)
	require.NoError(t, err)
	defer rt.heap.Free(b)
	rw := uintptr(unsafe.Pointer(&b.RW[0]))
	lines := func(start, n, line uintptr) uintptr { // lines that [start, start+n) touches
		return (start+n-1)/line - start/line + 1
	}
	for _, tc := range []struct{ off, n uintptr }{{0, 4}, {4, 4}, {60, 8}, {0, 4096}, {dcacheLine - 4, 8}, {icacheLine - 4, 8}} {
		d, i := maintain(rw+tc.off, b.RX+tc.off, tc.n, 0) // neither IDC nor DIC: both steps
		assert.Equal(t, lines(rw+tc.off, tc.n, dcacheLine), d, "data lines for %+v", tc)
		assert.Equal(t, lines(b.RX+tc.off, tc.n, icacheLine), i, "instruction lines for %+v", tc)
	}
	d, i := maintain(rw, b.RX, 64, ctrIDC|ctrDIC)
	assert.Zero(t, d+i, "IDC and DIC: no line maintenance")
	d, i = maintain(rw, b.RX, 64, ctrIDC)
	assert.Zero(t, d)
	assert.NotZero(t, i)
}
