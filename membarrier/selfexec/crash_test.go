package selfexec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCrash: what Crash makes of the crash reports children leave, and of
// output that is none (the negative control).
func TestCrash(t *testing.T) {
	sites := []Site{{"s0", 0x7f0000001000, 8}, {"s1", 0x7f0000001040, 8}}
	for _, tc := range []struct {
		name, stderr string
		sites        []Site
		want         []string // substrings of the description; nil: no crash
	}{
		{"signal with PC=, inside a site", "SIGILL: illegal instruction\nPC=0x7f0000001044 m=3 sigcode=2\n", sites,
			[]string{"SIGILL: illegal instruction", "at pc 0x7f0000001044", "inside site s1 (at +0x4)"}},
		{"signal line with pc=", "fatal error: fault\n[signal SIGSEGV: segmentation violation code=0x2 addr=0x7f5621a5c000 pc=0x7f0000001003]\n", sites,
			[]string{"signal SIGSEGV", "pc=0x7f0000001003", "inside site s0 (at +0x3)"}},
		{"after a site", "SIGTRAP: trace trap\nPC=0x7f0000001050 m=0\n", sites, []string{"SIGTRAP", "(16 bytes after site s1)"}},
		{"no site", "SIGSEGV: segmentation violation\nPC=0x1234 m=0\n", nil, []string{"SIGSEGV", "at pc 0x1234"}},
		{"fatal error without a signal", "runtime: newstack sp=0x40\n\tmorebuf={pc:0x404777621c}\nfatal error: runtime: split stack overflow\n", sites,
			[]string{"fatal error: runtime: split stack overflow"}},
		{"panic", "panic: BUG: site kind guard\n\ngoroutine 21 [running]:\n", nil, []string{"panic: BUG: site kind guard"}},
		{"unexpected fault address", "unexpected fault address 0x0\n", nil, []string{"unexpected fault address 0x0"}},
		{"no crash", "stress child: bad configuration\n", sites, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desc, ok := Crash(tc.stderr, tc.sites)
			assert.Equal(t, tc.want != nil, ok, desc)
			for _, w := range tc.want {
				assert.Contains(t, desc, w)
			}
		})
	}
	assert.Equal(t, "c\nd", Tail("a\nb\nc\nd\n", 2))
	assert.Equal(t, "a", Tail("a", 5))
}
