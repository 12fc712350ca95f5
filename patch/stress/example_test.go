package stress_test

import (
	"context"
	"fmt"
	"time"

	"github.com/syncore/syncore/patch/stress"
)

// Two worker threads call JIT code in a loop while a patcher retargets its
// call sites; every result is checked against the versions the patcher
// published. Run does it in this process, which is fine for the safe
// protocols (use RunChild for anything that may crash).
func Example() {
	rep, err := stress.Run(context.Background(), stress.Config{
		Site:       "call",
		Threads:    2,
		Sites:      2,
		Duration:   200 * time.Millisecond,
		MinOverlap: 1,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("violations:", rep.Violations.Total())
	fmt.Println("calls checked:", rep.Calls > 0)
	if rep.Verdict == stress.VerdictFail {
		fmt.Println(rep.VerdictReason, rep.Examples)
	}
	// Output:
	// violations: 0
	// calls checked: true
}

// RunChild runs the workers in a child process (this executable started
// again), so that a crash of torn code is a reported violation, not a dead
// program. The executable calls ChildMain first thing in main (or TestMain).
func ExampleRunChild() {
	rep, err := stress.RunChild(context.Background(), stress.Config{
		Site:       "guard",
		Threads:    2,
		Sites:      2,
		Duration:   200 * time.Millisecond,
		MinOverlap: 1,
	}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("violations:", rep.Violations.Total(), "crashes:", rep.Violations.Crash)
	fmt.Println("calls checked:", rep.Calls > 0)
	// Output:
	// violations: 0 crashes: 0
	// calls checked: true
}
