package litmus

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/syncore/syncore/patch"
)

// protocolTests are the catalogue's tests of syncore's own protocols (every
// patch.Protocol that is not a negative control) and the ISAs on which
// syncore uses them: there their bad outcome is forbidden.
var protocolTests = map[patch.Protocol][]struct{ test, isas string }{
	patch.AtomicSlot: {{"syncore-AtomicSlot", "amd64 ppc64le arm64"}, {"syncore-guard-arm", "amd64 ppc64le arm64"}, {"syncore-guard-disarm", "amd64 ppc64le arm64"}},
	patch.SelfLoop:   {{"syncore-SelfLoop", "amd64"}},
	patch.DataSlot:   {{"syncore-DataSlot", "amd64 ppc64le arm64"}},
	patch.PatchClass: {{"syncore-PatchClass", "amd64 ppc64le arm64"}},
}

// TestCatalogue: the catalogue parses, round-trips, states a verdict and a
// source for every ISA, assembles for every ISA (on any host), and covers
// what docs/litmus.md promises.
func TestCatalogue(t *testing.T) {
	all := All()
	if len(all) < 10 {
		t.Fatalf("%d tests in the catalogue, want at least 10", len(all))
	}
	names := map[string]bool{}
	for _, tt := range all {
		t.Run(tt.Name, func(t *testing.T) {
			if names[tt.Name] {
				t.Errorf("two tests called %s", tt.Name)
			}
			names[tt.Name] = true
			if !strings.HasPrefix(tt.File, "litmus/tests/") || len(tt.Doc) == 0 {
				t.Errorf("file %q, doc %q", tt.File, tt.Doc)
			}
			roundTrip(t, tt)
			for _, arch := range Arches {
				e := tt.ExpectFor(arch)
				if e == nil || len(e.Source) < 10 {
					t.Errorf("%s: expectation %+v", arch, e)
				}
				if err := Check(tt, arch); err != nil {
					t.Errorf("%s: %v", arch, err)
				}
			}
			if _, err := newSpace(tt); err != nil {
				t.Error(err)
			}
		})
	}
	for proto := patch.AtomicSlot; proto < patch.Unsafe; proto++ {
		if len(protocolTests[proto]) == 0 {
			t.Errorf("protocol %v has no catalogue test", proto)
		}
		for _, p := range protocolTests[proto] {
			tt := Lookup(p.test)
			if tt == nil {
				t.Errorf("no protocol test %s", p.test)
				continue
			}
			for _, arch := range strings.Fields(p.isas) {
				if e := tt.ExpectFor(arch); e == nil || e.Verdict != Forbidden {
					t.Errorf("%s on %s: %+v, want forbidden", p.test, arch, e)
				}
			}
		}
	}
	// What the catalogue must cover.
	has := func(what string, ok func(*Test) bool) {
		for _, tt := range all {
			if ok(tt) {
				return
			}
		}
		t.Errorf("no catalogue test %s", what)
	}
	twoThreads := func(tt *Test) bool { return len(tt.Threads) == 2 }
	has("of message passing with no serialising instruction", func(tt *Test) bool {
		return twoThreads(tt) && tt.Uses(OpLoad, 0) && !tt.Uses(OpSerialise, 0) && !tt.Uses(OpMembarrier, 0)
	})
	has("of message passing with a serialising reader", func(tt *Test) bool { return twoThreads(tt) && tt.Uses(OpLoad, 0) && tt.Uses(OpSerialise, 0) })
	has("of message passing with membarrier", func(tt *Test) bool { return twoThreads(tt) && tt.Uses(OpMembarrier, 0) })
	for _, v := range []View{Same, RW} {
		for _, ser := range []bool{false, true} {
			has("of self-modification through "+v.String(), func(tt *Test) bool {
				return len(tt.Threads) == 1 && tt.Uses(OpWrite, v) && tt.Uses(OpSerialise, 0) == ser
			})
		}
	}
	has("of a straddling write", func(tt *Test) bool {
		for _, op := range tt.Threads[0].Ops {
			if op.Kind == OpWrite && op.Mode == Straddle {
				return true
			}
		}
		return false
	})
	has("of the self-loop protocol (park, tail, head)", func(tt *Test) bool {
		return tt.Parks("") && tt.Uses(OpMembarrier, 0) && tt.Uses(OpLoad, 0)
	})
	has("of an aligned write of the same shape", func(tt *Test) bool {
		return len(tt.Sites) == 1 && tt.Sites[0].Shape == ShapeWide && tt.Threads[0].Ops[0].Mode == Atomic
	})
	verdicts := func(tt *Test, ppc Verdict) bool { e := tt.ExpectFor("ppc64le"); return e != nil && e.Verdict == ppc }
	has("of ppc64le patch-class replacement", func(tt *Test) bool {
		return len(tt.Sites) == 1 && tt.Sites[0].Shape == ShapeBranch && !tt.Uses(OpLoad, 0) && len(tt.Threads) == 2 && verdicts(tt, Forbidden)
	})
	has("of ppc64le non-patch-class replacement", func(tt *Test) bool {
		return len(tt.Sites) == 1 && tt.Sites[0].Shape == ShapeImm && len(tt.Threads) == 2 && verdicts(tt, Allowed)
	})
	has("of ppc64le without icbi", func(tt *Test) bool {
		return tt.Uses(OpSerialise, 0) && !tt.Uses(OpSyncICache, 0) && len(tt.Threads) == 2 && verdicts(tt, Allowed)
	})
}

// TestLookup finds a catalogue test by name or file.
func TestLookup(t *testing.T) {
	for _, q := range []string{"CMC+flag", "cmc-flag", "cmc-flag.litmus"} {
		if tt := Lookup(q); tt == nil || tt.Name != "CMC+flag" {
			t.Errorf("Lookup(%q) = %v", q, tt)
		}
	}
	if Lookup("nonesuch") != nil {
		t.Error("Lookup(nonesuch) found a test")
	}
	// All returns fresh copies.
	a, b := All(), All()
	a[0].Name = "changed"
	if b[0].Name == "changed" || All()[0].Name == "changed" {
		t.Error("All shares its tests")
	}
}

// TestNegativeControlIsNotInTheCatalogue: testdata/ holds the negative
// control, which --all must not run.
func TestNegativeControlIsNotInTheCatalogue(t *testing.T) {
	src, err := os.ReadFile("testdata/negative-control.litmus")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ParseFile("litmus/testdata/negative-control.litmus", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range All() {
		if tt.Name == nc.Name {
			t.Errorf("the negative control %s is in the catalogue", nc.Name)
		}
	}
	names, _ := fs.Glob(catalogue, "*/*")
	for _, n := range names {
		if path.Dir(n) != "tests" {
			t.Errorf("embedded file %s outside tests/", n)
		}
	}
	for _, arch := range Arches {
		if err := Check(nc, arch); err != nil {
			t.Errorf("the negative control on %s: %v", arch, err)
		}
	}
}
