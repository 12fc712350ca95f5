package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/syncore/syncore/jit"
	"github.com/syncore/syncore/membarrier"
	"github.com/syncore/syncore/patch"
)

func init() {
	register(&command{
		name:    "info",
		summary: "show the membarrier support and registrations of this machine",
		usage:   "info [--json]",
		details: `
Prints GOARCH, the kernel, the membarrier commands the kernel supports, the
process's registrations before and after registering
PRIVATE_EXPEDITED_SYNC_CORE, how long the registration took, and the median
cost of one SYNC_CORE barrier. Under qemu-user the kernel is the host's: the
report says "emulated". Exit status 1 when SYNC_CORE cannot be used here.`,
		flags: func(fs *flag.FlagSet) func([]string, io.Writer, io.Writer) int {
			asJSON := fs.Bool("json", false, "print one JSON object instead of text")
			return func(args []string, stdout, stderr io.Writer) int {
				if len(args) > 0 {
					return usageError(stderr, "info", "unexpected argument %q", args[0])
				}
				rep := gatherInfo()
				if *asJSON {
					if err := writeJSON(stdout, rep); err != nil {
						fmt.Fprintf(stderr, "jitdemo info: %v\n", err)
						return 1
					}
				} else {
					rep.writeText(stdout)
				}
				if !rep.SyncCoreReady {
					return 1
				}
				return 0
			}
		},
	})
}

// cmdSetJSON is a membarrier.CmdSet as JSON: the mask and the names.
type cmdSetJSON struct {
	Mask     string   `json:"mask"`
	Commands []string `json:"commands"`
}

func setJSON(s membarrier.CmdSet) cmdSetJSON {
	names := []string{}
	for _, c := range s.Cmds() {
		names = append(names, c.Name())
	}
	return cmdSetJSON{Mask: fmt.Sprintf("%#x", uint32(s)), Commands: names}
}

// infoReport is what info prints; as JSON, docs/schema/info.json.
type infoReport struct {
	SchemaVersion int    `json:"schema_version"`
	GOARCH        string `json:"goarch"`
	GOOS          string `json:"goos"`
	CPUs          int    `json:"cpus"`
	Kernel        string `json:"kernel"`      // release
	Machine       string `json:"machine"`     // uname machine, as this process sees it
	KernelArch    string `json:"kernel_arch"` // the kernel's own architecture
	Emulated      bool   `json:"emulated"`    // GOARCH differs from the kernel's architecture

	Supported        cmdSetJSON `json:"supported"`
	SupportedErr     string     `json:"supported_error,omitempty"`
	Before           cmdSetJSON `json:"registrations_before"`
	After            cmdSetJSON `json:"registrations_after"`
	RegistrationsErr string     `json:"registrations_error,omitempty"`
	RegisterNanos    int64      `json:"register_ns"`
	RegisterErr      string     `json:"register_error,omitempty"`
	SyncCoreReady    bool       `json:"sync_core_ready"`
	SyncCoreNanos    int64      `json:"sync_core_median_ns,omitempty"` // median of syncCoreSamples barriers
	SyncCoreErr      string     `json:"sync_core_error,omitempty"`

	// What the runtime and the patcher make of this machine: absent when
	// the runtime cannot start (RuntimeErr), the barrier fields when the
	// patcher cannot (BarrierErr).
	HeapMode      string `json:"heap_mode,omitempty"`   // the code heap's mapping after the coherence probe: "dual" or "rwx"
	HeapReason    string `json:"heap_reason,omitempty"` // why (the probe's finding)
	Barrier       string `json:"barrier,omitempty"`     // the patcher's barrier strategy
	BarrierReason string `json:"barrier_reason,omitempty"`
	BarrierErr    string `json:"barrier_error,omitempty"`
	Reclaim       string `json:"reclaim_reason,omitempty"` // how Program.Close orders the entry marks of running calls
	Reuse         string `json:"reuse_reason,omitempty"`   // whether freed code memory is reused, after which barrier
	RuntimeErr    string `json:"runtime_error,omitempty"`
}

const syncCoreSamples = 101

func gatherInfo() *infoReport {
	r := &infoReport{SchemaVersion: schemaVersion, GOARCH: runtime.GOARCH, GOOS: runtime.GOOS, CPUs: runtime.NumCPU()}
	// qemu-user rewrites uname's machine; KernelArch is the kernel's own.
	r.Kernel, r.Machine, r.KernelArch = hostKernel()
	r.Emulated = jit.Emulated()

	sup, err := membarrier.Query()
	r.Supported = setJSON(sup)
	if err != nil {
		r.SupportedErr = err.Error()
	}
	before, err := membarrier.Registrations()
	r.Before = setJSON(before)
	if err != nil {
		r.RegistrationsErr = err.Error()
	}
	start := time.Now()
	err = membarrier.Register(membarrier.CmdRegisterPrivateExpeditedSyncCore)
	r.RegisterNanos = time.Since(start).Nanoseconds()
	if err != nil {
		r.RegisterErr = err.Error()
	}
	after, err := membarrier.Registrations()
	r.After = setJSON(after)
	if err != nil && r.RegistrationsErr == "" {
		r.RegistrationsErr = err.Error()
	}
	var samples []time.Duration
	for range syncCoreSamples {
		t0 := time.Now()
		if err := membarrier.SyncCore(); err != nil {
			r.SyncCoreErr = err.Error()
			break
		}
		samples = append(samples, time.Since(t0))
	}
	if r.SyncCoreErr == "" {
		r.SyncCoreReady = true
		r.SyncCoreNanos = median(samples).Nanoseconds()
	}
	// What the runtime and the patcher make of this machine.
	rt, err := jit.New(jit.Options{})
	if err != nil {
		r.RuntimeErr = err.Error()
		return r
	}
	defer rt.Close()
	ji := rt.Info()
	r.HeapMode, r.HeapReason = heapModeName(ji.HeapMode), ji.HeapReason
	r.Reclaim, r.Reuse = ji.Reclaim, ji.Reuse
	if p, err := patch.New(rt, patch.Options{}); err != nil {
		r.BarrierErr = err.Error()
	} else {
		r.Barrier, r.BarrierReason = p.Barrier().Name(), p.Reason()
	}
	return r
}

func (r *infoReport) writeText(w io.Writer) {
	arch := r.GOARCH
	if r.Emulated {
		arch += fmt.Sprintf(" (emulated; the kernel is %s)", r.KernelArch)
	}
	row := func(k, v string) { fmt.Fprintf(w, "%-24s %s\n", k, v) }
	set := func(s cmdSetJSON, errText string) string {
		if errText != "" {
			return "error: " + errText
		}
		if len(s.Commands) == 0 {
			return "none (" + s.Mask + ")"
		}
		return s.Mask + wrap(s.Commands, 25, 78)
	}
	row("GOARCH", arch)
	if r.GOOS == "linux" {
		row("kernel", fmt.Sprintf("Linux %s (%s), %d CPUs", r.Kernel, r.KernelArch, r.CPUs))
	} else {
		row("OS", fmt.Sprintf("%s, %d CPUs (membarrier and the JIT runtime need Linux)", r.GOOS, r.CPUs))
	}
	row("membarrier supported", set(r.Supported, r.SupportedErr))
	row("registrations before", set(r.Before, r.RegistrationsErr))
	if r.RegisterErr != "" {
		row("register SYNC_CORE", "FAILED: "+r.RegisterErr)
	} else {
		row("register SYNC_CORE", fmt.Sprintf("ok in %v", time.Duration(r.RegisterNanos).Round(time.Microsecond)))
	}
	row("registrations after", set(r.After, r.RegistrationsErr))
	if r.SyncCoreReady {
		row("SYNC_CORE barrier", fmt.Sprintf("%v (median of %d)", time.Duration(r.SyncCoreNanos), syncCoreSamples))
	} else {
		row("SYNC_CORE barrier", "FAILED: "+r.SyncCoreErr)
	}
	if r.RuntimeErr != "" {
		row("jit runtime", "FAILED: "+r.RuntimeErr)
		return
	}
	row("code heap", heapModeText(r.HeapMode))
	row("", r.HeapReason)
	row("reclaiming code", r.Reclaim)
	row("", r.Reuse)
	if r.BarrierErr != "" {
		row("patch barrier", "FAILED: "+r.BarrierErr)
	} else {
		row("patch barrier", r.Barrier)
		row("", r.BarrierReason)
	}
}

// wrap joins words after a leading space, breaking lines before width and
// indenting continuation lines by indent.
func wrap(words []string, indent, width int) string {
	var b strings.Builder
	col := indent + 5 // after the mask
	for _, w := range words {
		if col+1+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
