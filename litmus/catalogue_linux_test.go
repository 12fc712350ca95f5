//go:build linux && (amd64 || arm64 || ppc64le)

package litmus

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
)

// catalogueIterations is a short pass: enough for every test to run its
// operations under load, not to measure rates (jitdemo litmus does that).
func catalogueIterations() int {
	switch {
	case testing.Short():
		return 200
	case jit.Emulated():
		return 1500
	}
	return 10000
}

// TestCatalogueRuns runs every catalogue test on this ISA: none may observe
// an outcome its expectation forbids — syncore's protocols above all.
func TestCatalogueRuns(t *testing.T) {
	var results []*Result
	for _, tt := range All() {
		r, err := Run(context.Background(), tt, Options{Iterations: catalogueIterations()})
		if err != nil {
			t.Fatalf("%s: %v", tt.Name, err)
		}
		results = append(results, r)
		var b bytes.Buffer
		r.WriteText(&b)
		if r.Forbidden() {
			t.Errorf("%s observed a forbidden outcome:\n%s", tt.Name, b.String())
		}
		if na := syncCoreNA(tt, membarrier.Query); na != "" && r.NotApplicable == na {
			// The one reason a catalogue test may not run here: the
			// kernel has no SYNC_CORE for its membarrier.
			t.Logf("%s: %s", tt.Name, na)
			continue
		}
		if r.NotApplicable != "" || r.Ran == 0 || r.Expect == nil {
			t.Errorf("%s did not run:\n%s", tt.Name, b.String())
		}
		if (r.Parked != nil) != tt.Parks("") {
			t.Errorf("%s: parked %v, but the test parks: %v", tt.Name, r.Parked, tt.Parks(""))
		}
		if r.Parked != nil && !testing.Short() && mustPark(r) && *r.Parked == 0 {
			t.Errorf("%s parks, but no exec reached a parked site in %d iterations:\n%s", tt.Name, r.Ran, b.String())
		}
		if r.Emulated && !strings.Contains(b.String(), "emulated") {
			t.Errorf("%s: an emulated result not labelled so:\n%s", tt.Name, b.String())
		}
	}
	var b bytes.Buffer
	WriteSummary(&b, results)
	t.Logf("\n%s", b.String())
	if ExitCode(results) != 0 {
		t.Error("ExitCode of the catalogue is not 0")
	}
}

// TestNegativeControl runs testdata/negative-control.litmus, whose
// expectation is deliberately wrong: the runner must report the forbidden
// outcome (the exit-1 path of jitdemo litmus).
func TestNegativeControl(t *testing.T) {
	src, err := os.ReadFile("testdata/negative-control.litmus")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ParseFile("litmus/testdata/negative-control.litmus", src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), nc, Options{Iterations: 100})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if !r.Forbidden() || r.Observed != Always || ExitCode([]*Result{r}) != 1 ||
		!strings.Contains(b.String(), "!!! FORBIDDEN OUTCOME OBSERVED: 100 of 100 iterations") {
		t.Errorf("the negative control was not reported:\n%s", b.String())
	}
}
