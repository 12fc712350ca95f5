package patch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/jit"
)

// TestISABytesFor: each ISA the runtime runs has its byte builders, picked
// once by New; an ISA without them is refused up front (jit.ErrUnsupported),
// not at the first patch.
func TestISABytesFor(t *testing.T) {
	for arch, want := range map[jit.Arch]isaBytes{jit.ArchAMD64: amd64Bytes{}, jit.ArchPPC64LE: ppc64leBytes{}} {
		got, err := isaBytesFor(arch)
		require.NoError(t, err, arch)
		assert.Equal(t, want, got, arch)
	}
	_, err := isaBytesFor("riscv64")
	assert.ErrorIs(t, err, jit.ErrUnsupported)
	// Only amd64 has a multi-phase protocol; ppc64le code never parks.
	assert.True(t, amd64Bytes{}.selfLoop())
	assert.False(t, ppc64leBytes{}.selfLoop())
	assert.False(t, amd64Bytes{}.entryData())
	assert.True(t, ppc64leBytes{}.entryData())
}
