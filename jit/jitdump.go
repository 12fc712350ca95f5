package jit

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
)

// Profiling: a jitdump file names JIT code for perf.
//
// perf sees machine code in the code heap as anonymous bytes of a memfd
// ("memfd:syncore-jit (deleted)"), and its /tmp/perf-PID.map convention
// covers only anonymous mappings. jitdump is the route V8 (--perf-prof),
// Wasmtime (--profile=jitdump) and .NET take: the runtime writes
// jit-PID.dump (the format of tools/perf/Documentation/jitdump-specification.txt
// in the Linux tree), mapping it executable once so that `perf record`
// sees the file; `perf inject --jit` then turns every JIT_CODE_LOAD into an
// ELF image with the function's name, and JIT_CODE_DEBUG_INFO into its
// line table (jasm file:line). Records carry CLOCK_MONOTONIC timestamps
// (record with `perf record -k 1`), so code that is closed and its memory
// reused by a later program is attributed to whichever was loaded at the
// time of each sample.
//
//	perf record -k 1 -e cpu-clock jitdemo run --perf examples/fib.jasm 32
//	perf inject --jit -i perf.data -o perf.jit.data
//	perf report -i perf.jit.data

// JITDumpEnv names the environment variable that turns jitdump on for a
// program that embeds syncore: its value is the directory for the file
// ("1" or "" for the default, os.TempDir()).
const JITDumpEnv = "SYNCORE_JITDUMP"

// jitdump record kinds and constants (jitdump-specification.txt).
const (
	jitMagic       = 0x4A695444 // "JiTD", written in the host's byte order
	jitVersion     = 1
	jitHeaderSize  = 40
	jitCodeLoad    = 0
	jitDebugInfo   = 2
	jitCodeClose   = 3
	elfMachX86_64  = 62
	elfMachPPC64   = 21
	elfMachAArch64 = 183
	jitRecordHead  = 16 // id, total_size, timestamp
	jitLoadFixed   = jitRecordHead + 4 + 4 + 8*4
	jitDebugFixed  = jitRecordHead + 8 + 8
	jitDebugEntry0 = 8 + 4 + 4 // code_addr, line, discrim, then the file name
)

// jitDump writes one process's jitdump file in one directory. Every
// runtime of the process that profiles into that directory shares it
// (acquireJITDump): the file name is jit-PID.dump whichever runtime opens
// it, and perf expects one writer and one code_index sequence per file.
type jitDump struct {
	mu    sync.Mutex
	f     *os.File
	w     *bufio.Writer
	mark  []byte // the executable mapping perf records (see openJITDump)
	index uint64 // code_index of the next load
	path  string
	err   error // the first write error; the file is abandoned after it

	key  string // in dumps.open
	refs int    // runtimes using the file (guarded by dumps.mu)
}

// dumps holds the process's open jitdump files by absolute path.
var dumps struct {
	mu   sync.Mutex
	open map[string]*jitDump
}

// acquireJITDump returns the jitdump writer for dir (see openJITDump),
// opening the file for the first runtime that profiles there; each call
// must be paired with a release.
func acquireJITDump(dir string, arch Arch) (*jitDump, error) {
	if dir == "" || dir == "1" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("jit-%d.dump", os.Getpid()))
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	dumps.mu.Lock()
	defer dumps.mu.Unlock()
	if d := dumps.open[key]; d != nil {
		d.refs++
		return d, nil
	}
	d, err := openJITDump(path, arch)
	if err != nil {
		return nil, err
	}
	d.key, d.refs = key, 1
	if dumps.open == nil {
		dumps.open = map[string]*jitDump{}
	}
	dumps.open[key] = d
	return d, nil
}

// release ends one runtime's use of the file; the last one closes it.
func (d *jitDump) release() error {
	dumps.mu.Lock()
	defer dumps.mu.Unlock()
	if d.refs--; d.refs > 0 {
		return nil
	}
	delete(dumps.open, d.key)
	return d.close()
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds, as perf -k 1 records.
func monotonic() uint64 { return uint64(monoNow()) }

// openJITDump creates the jitdump file path, writes its header and maps it
// executable once, which is what makes perf record notice it.
func openJITDump(path string, arch Arch) (*jitDump, error) {
	mach := uint32(elfMachX86_64)
	switch arch {
	case ArchPPC64LE:
		mach = elfMachPPC64
	case ArchARM64:
		mach = elfMachAArch64
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("jit: jitdump: %w", err)
	}
	d := &jitDump{f: f, w: bufio.NewWriter(f), path: path}
	var h [jitHeaderSize]byte
	ne := binary.NativeEndian
	ne.PutUint32(h[0:], jitMagic)
	ne.PutUint32(h[4:], jitVersion)
	ne.PutUint32(h[8:], jitHeaderSize)
	ne.PutUint32(h[12:], mach)
	ne.PutUint32(h[20:], uint32(os.Getpid()))
	ne.PutUint64(h[24:], monotonic())
	d.w.Write(h[:])
	if err := d.w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("jit: jitdump: %w", err)
	}
	if d.mark, err = mapForPerf(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("jit: jitdump: map %s for perf: %w", path, err)
	}
	return d, nil
}

// Path returns the file's path.
func (d *jitDump) Path() string { return d.path }

// load records every function of p: its line table (when the code has
// one), then a JIT_CODE_LOAD with its name, address and bytes.
func (d *jitDump) load(p *Program) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	c := p.code
	tid := uint32(gettid())
	abs := map[string]string{} // file name -> absolute path, for this load (the working directory may change between loads)
	// A function's code runs to the next entry above its own (or the end of
	// the blob): one sorted copy of the entries answers that for all.
	sorted := slices.Clone(c.Entries)
	slices.Sort(sorted)
	var es []debugEntry // reused from function to function
	for i, f := range c.Program.Funcs {
		start := c.Entries[i]
		end := len(c.Blob.Code)
		if j := sort.SearchInts(sorted, start+1); j < len(sorted) {
			end = sorted[j]
		}
		addr := uint64(p.block.Addr(start))
		es = d.debugInfo(c, i, start, end, addr, abs, es[:0])
		name := f.Name
		if c.Program.Funcs[i].Pos.File != "" {
			name += " [" + filepath.Base(c.Program.Funcs[i].Pos.File) + "]"
		}
		size := jitLoadFixed + len(name) + 1 + (end - start)
		ts := monotonic()
		d.head(jitCodeLoad, size, ts)
		d.u32(uint32(os.Getpid()))
		d.u32(tid)
		d.u64(addr) // vma
		d.u64(addr) // code_addr
		d.u64(uint64(end - start))
		d.u64(d.index)
		d.index++
		d.w.WriteString(name)
		d.w.WriteByte(0)
		d.w.Write(p.block.RW[start:end])
	}
	if err := d.w.Flush(); err != nil {
		d.err = err
	}
}

// debugEntry is one line of a JIT_CODE_DEBUG_INFO record.
type debugEntry struct {
	addr uint64
	line uint32
	file string
}

// debugInfo writes the JIT_CODE_DEBUG_INFO of function fn (code
// [start, end) at addr): one entry per line of Code.Lines in the range
// (Lines is sorted by offset: only that range is read). abs caches the
// absolute path of each file name; the entries are appended to es, which
// is returned for reuse.
func (d *jitDump) debugInfo(c *Code, fn, start, end int, addr uint64, abs map[string]string, es []debugEntry) []debugEntry {
	lo := sort.Search(len(c.Lines), func(k int) bool { return c.Lines[k].Offset >= start })
	for _, l := range c.Lines[lo:] {
		if l.Offset >= end {
			break
		}
		if l.Func != fn {
			continue
		}
		pos := c.Pos(l)
		if !pos.IsValid() {
			continue
		}
		file, ok := abs[pos.File]
		if !ok {
			file = pos.File
			if a, err := filepath.Abs(file); err == nil {
				file = a
			}
			abs[pos.File] = file
		}
		es = append(es, debugEntry{addr + uint64(l.Offset-start), uint32(pos.Line), file})
	}
	if len(es) == 0 {
		return es
	}
	size := jitDebugFixed
	for _, e := range es {
		size += jitDebugEntry0 + len(e.file) + 1
	}
	d.head(jitDebugInfo, size, monotonic())
	d.u64(addr)
	d.u64(uint64(len(es)))
	for _, e := range es {
		d.u64(e.addr)
		d.u32(e.line)
		d.u32(0) // discriminator
		d.w.WriteString(e.file)
		d.w.WriteByte(0)
	}
	return es
}

// close writes JIT_CODE_CLOSE and closes the file.
func (d *jitDump) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	if d.err == nil {
		d.head(jitCodeClose, jitRecordHead, monotonic())
		d.err = d.w.Flush()
	}
	unmapForPerf(d.mark)
	err := d.f.Close()
	d.f = nil
	if d.err != nil {
		return fmt.Errorf("jit: jitdump %s: %w", d.path, d.err)
	}
	return err
}

func (d *jitDump) head(id uint32, size int, ts uint64) {
	d.u32(id)
	d.u32(uint32(size))
	d.u64(ts)
}

func (d *jitDump) u32(v uint32) {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	d.w.Write(b[:])
}

func (d *jitDump) u64(v uint64) {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], v)
	d.w.Write(b[:])
}

// jitDumpDir returns the directory for the jitdump file, or "" when
// jitdump is off: Options.JITDump, else the environment.
func jitDumpDir(opts Options) (string, bool) {
	if opts.JITDump {
		return opts.JITDumpDir, true
	}
	if v, ok := os.LookupEnv(JITDumpEnv); ok && v != "0" {
		return v, true
	}
	return "", false
}
