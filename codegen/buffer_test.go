package codegen_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncore/syncore/codegen"
)

// toyArch has one branch form: short = 2 bytes (0xEB, int8 disp from the
// branch's end), long = 5 bytes (0xE9, int32 disp); pad bytes are 0x90.
type toyArch struct{}

func (toyArch) Name() string   { return "toy" }
func (toyArch) InstAlign() int { return 1 }
func (toyArch) RefSize(r codegen.Ref) int {
	if r.Long {
		return 5
	}
	return 2
}
func (toyArch) HasLong(r codegen.Ref) bool { return !r.Long }
func (a toyArch) Reaches(r codegen.Ref, from, to int) bool {
	d := to - (from + a.RefSize(r))
	if r.Long {
		return d >= math.MinInt32 && d <= math.MaxInt32
	}
	return d >= -128 && d <= 127
}
func (a toyArch) EncodeRef(dst []byte, r codegen.Ref, from, to int) []byte {
	d := to - (from + a.RefSize(r))
	if r.Long {
		return append(dst, 0xE9, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	}
	return append(dst, 0xEB, byte(d))
}
func (toyArch) Pad(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, 0x90)
	}
	return dst
}

func TestRelaxation(t *testing.T) {
	tests := []struct {
		name     string
		gap      int // filler bytes between branch and label
		backward bool
		wantLen  int
	}{
		{"forward short", 127, false, 2 + 127},
		{"forward just too far", 128, false, 5 + 128},
		{"backward short", 126, true, 126 + 2},
		{"backward just too far", 127, true, 127 + 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := codegen.NewBuffer(toyArch{})
			l := b.NewLabel()
			if tc.backward {
				b.Bind(l)
				b.Emit(make([]byte, tc.gap)...)
				b.Ref(codegen.Ref{}, l)
			} else {
				b.Ref(codegen.Ref{}, l)
				b.Emit(make([]byte, tc.gap)...)
				b.Bind(l)
			}
			bl, err := b.Finish()
			require.NoError(t, err)
			assert.Len(t, bl.Code, tc.wantLen)
		})
	}
}

// A chain where growing one branch pushes another out of reach: layout must
// iterate until stable.
func TestRelaxationCascades(t *testing.T) {
	b := codegen.NewBuffer(toyArch{})
	end := b.NewLabel()
	b.Ref(codegen.Ref{}, end) // reaches only if the second stays short
	b.Emit(make([]byte, 120)...)
	far := b.NewLabel()
	b.Ref(codegen.Ref{}, far) // must grow
	b.Emit(make([]byte, 200)...)
	b.Bind(far)
	b.Bind(end)
	bl, err := b.Finish()
	require.NoError(t, err)
	assert.Equal(t, byte(0xE9), bl.Code[0])
	assert.Equal(t, byte(0xE9), bl.Code[5+120])
	assert.Equal(t, 5+120+5+200, bl.Offset(end))
}

func TestAlignWindowEveryOffset(t *testing.T) {
	for pre := range 16 {
		for n := 1; n <= 8; n++ {
			b := codegen.NewBuffer(toyArch{})
			b.Emit(make([]byte, pre)...)
			b.AlignWindow(1, n, 8)
			b.AddSite(codegen.Site{Name: "s", Change: 1, ChangeLen: n})
			b.Emit(make([]byte, 1+n)...)
			bl, err := b.Finish()
			require.NoError(t, err)
			s := bl.Sites[0]
			first, last := s.Offset+s.Change, s.Offset+s.Change+s.ChangeLen-1
			require.Equal(t, first/8, last/8, "pre=%d n=%d: changed bytes [%d,%d] cross a qword", pre, n, first, last)
			require.Less(t, s.Offset-pre, 8, "pad is minimal")
		}
	}
}

func TestErrors(t *testing.T) {
	b := codegen.NewBuffer(toyArch{})
	b.Ref(codegen.Ref{}, b.NewLabel())
	_, err := b.Finish()
	assert.ErrorIs(t, err, codegen.ErrUndefinedLabel)

	b = codegen.NewBuffer(toyArch{})
	l := b.NewLabel()
	b.Bind(l)
	b.Bind(l)
	_, err = b.Finish()
	assert.ErrorIs(t, err, codegen.ErrLabelRebound)

	b = codegen.NewBuffer(toyArch{})
	b.Align(3)
	_, err = b.Finish()
	assert.ErrorIs(t, err, codegen.ErrBadOperand)

	b = codegen.NewBuffer(toyArch{})
	l = b.NewLabel()
	b.Ref(codegen.Ref{Site: true}, l) // a site never relaxes
	b.Emit(make([]byte, 300)...)
	b.Bind(l)
	_, err = b.Finish()
	assert.ErrorIs(t, err, codegen.ErrOutOfRange)
}

// TestReserve: a buffer given room up front grows nothing while the
// reserved bytes, items and labels are emitted; without it the same
// emission grows each slice several times.
func TestReserve(t *testing.T) {
	emit := func(b *codegen.Buffer) {
		for range 200 {
			l := b.NewLabel()
			b.Bind(l)
			b.Commit(append(b.Grow(20), make([]byte, 20)...))
			b.Ref(codegen.Ref{}, l)
		}
	}
	with := testing.AllocsPerRun(20, func() {
		b := codegen.NewBuffer(toyArch{})
		b.Reserve(4000, 200, 200)
		emit(b)
	})
	without := testing.AllocsPerRun(20, func() { emit(codegen.NewBuffer(toyArch{})) })
	// The race detector adds allocations of its own to both: compare them.
	assert.Greater(t, without, with+5, "with Reserve %v allocations, without %v", with, without)
}
