package jit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dumpRecord is one record of a jitdump file, as parseJITDump reads it.
type dumpRecord struct {
	id    uint32
	ts    uint64
	addr  uint64 // load: code_addr; debug info: code_addr
	index uint64 // load: code_index
	name  string // load
	code  []byte // load
	lines []uint32
	files []string
}

// parseJITDump checks a jitdump file against the format perf reads
// (jitdump-specification.txt) and returns its header's machine and its
// records.
func parseJITDump(b []byte) (mach uint32, recs []dumpRecord, err error) {
	ne := binary.NativeEndian
	if len(b) < jitHeaderSize {
		return 0, nil, errors.New("short header")
	}
	if ne.Uint32(b) != jitMagic || ne.Uint32(b[4:]) != jitVersion || ne.Uint32(b[8:]) != jitHeaderSize {
		return 0, nil, fmt.Errorf("bad header %x", b[:12])
	}
	if int(ne.Uint32(b[20:])) != os.Getpid() {
		return 0, nil, errors.New("header pid is not ours")
	}
	mach = ne.Uint32(b[12:])
	cstr := func(p []byte) (string, int, error) {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			return "", 0, errors.New("unterminated string")
		}
		return string(p[:i]), i + 1, nil
	}
	last := uint64(0)
	for off := jitHeaderSize; off < len(b); {
		if len(b)-off < jitRecordHead {
			return 0, nil, fmt.Errorf("short record at %d", off)
		}
		r := dumpRecord{id: ne.Uint32(b[off:]), ts: ne.Uint64(b[off+8:])}
		size := int(ne.Uint32(b[off+4:]))
		if size < jitRecordHead || off+size > len(b) {
			return 0, nil, fmt.Errorf("record at %d: size %d past the end (%d)", off, size, len(b))
		}
		if r.ts < last {
			return 0, nil, fmt.Errorf("record at %d: timestamp goes back", off)
		}
		last = r.ts
		p := b[off+jitRecordHead : off+size]
		switch r.id {
		case jitCodeLoad:
			if len(p) < jitLoadFixed-jitRecordHead {
				return 0, nil, errors.New("short load")
			}
			r.addr, r.index = ne.Uint64(p[16:]), ne.Uint64(p[32:])
			if ne.Uint64(p[8:]) != r.addr {
				return 0, nil, errors.New("vma differs from code_addr")
			}
			n := int(ne.Uint64(p[24:]))
			name, k, err := cstr(p[40:])
			if err != nil {
				return 0, nil, err
			}
			r.name = name
			if 40+k+n != len(p) {
				return 0, nil, fmt.Errorf("load %s: %d code bytes do not fill the record", name, n)
			}
			r.code = p[40+k:]
		case jitDebugInfo:
			r.addr = ne.Uint64(p)
			n := int(ne.Uint64(p[8:]))
			q := p[16:]
			for range n {
				if len(q) < jitDebugEntry0 {
					return 0, nil, errors.New("short debug entry")
				}
				r.lines = append(r.lines, ne.Uint32(q[8:]))
				file, k, err := cstr(q[16:])
				if err != nil {
					return 0, nil, err
				}
				r.files = append(r.files, file)
				q = q[16+k:]
			}
			if len(q) != 0 {
				return 0, nil, errors.New("debug info: bytes after the entries")
			}
		case jitCodeClose:
		default:
			return 0, nil, fmt.Errorf("unknown record %d", r.id)
		}
		recs = append(recs, r)
		off += size
	}
	return mach, recs, nil
}

// TestJITDump: the file names every function with its address and bytes,
// its jasm lines come before it, and code that is closed and whose memory a
// later program reuses is recorded again, later, at the same address.
func TestJITDump(t *testing.T) {
	dir := t.TempDir()
	rt := newTestRuntime(t, Options{JITDump: true, JITDumpDir: dir})
	require.Equal(t, filepath.Join(dir, fmt.Sprintf("jit-%d.dump", os.Getpid())), rt.Info().JITDump)
	src := "func sq 1\n    arg 0\n    arg 0\n    mul\n    ret\nend\nfunc main 1\n    arg 0\n    call sq\n    ret\nend\n"
	a, err := rt.Compile("/tmp/a.jasm", []byte(src))
	require.NoError(t, err)
	v, err := a.Func("main").Call(7)
	require.NoError(t, err)
	require.EqualValues(t, 49, v)
	aAddr, aCode := a.Func("sq").Addr(), append([]byte(nil), a.Block().RW[a.Code().Entries[0]:a.Code().Entries[1]]...)
	require.NoError(t, a.Close())
	b, err := rt.Compile("/tmp/b.jasm", []byte(src))
	require.NoError(t, err)
	require.Equal(t, aAddr, b.Func("sq").Addr(), "the block is reused")
	require.NoError(t, rt.Close())

	raw, err := os.ReadFile(rt.Info().JITDump)
	require.NoError(t, err)
	mach, recs, err := parseJITDump(raw)
	require.NoError(t, err)
	wantMach := map[Arch]uint32{ArchAMD64: elfMachX86_64, ArchPPC64LE: elfMachPPC64, ArchARM64: elfMachAArch64}[rt.Info().Arch]
	assert.Equal(t, wantMach, mach)
	var loads []dumpRecord
	for i, r := range recs {
		if r.id == jitCodeLoad {
			loads = append(loads, r)
			require.Positive(t, i)
			assert.Equal(t, uint32(jitDebugInfo), recs[i-1].id, "the line table comes before the code")
			assert.Equal(t, r.addr, recs[i-1].addr)
			assert.Contains(t, recs[i-1].files[0], ".jasm")
		}
	}
	require.Len(t, loads, 4, "two functions, loaded twice")
	assert.Equal(t, "sq [a.jasm]", loads[0].name)
	assert.Equal(t, "main [a.jasm]", loads[1].name)
	assert.Equal(t, "sq [b.jasm]", loads[2].name)
	assert.Equal(t, uint64(aAddr), loads[0].addr)
	assert.Equal(t, aCode, loads[0].code)
	assert.Equal(t, loads[0].addr, loads[2].addr, "reused memory, recorded again")
	assert.Less(t, loads[0].ts, loads[2].ts)
	assert.Equal(t, []uint64{0, 1, 2, 3}, []uint64{loads[0].index, loads[1].index, loads[2].index, loads[3].index})
	assert.Equal(t, uint32(jitCodeClose), recs[len(recs)-1].id)
	// Each function's line table holds the lines of its own instructions
	// (and its func line, for the entry's stack check), no other's.
	for i, r := range recs {
		if r.id != jitCodeLoad {
			continue
		}
		lo, hi := uint32(1), uint32(5) // sq
		if r.name[:4] == "main" {
			lo, hi = 7, 10
		}
		assert.Contains(t, recs[i-1].lines, lo+1, "%s: its first instruction's line", r.name)
		for _, l := range recs[i-1].lines {
			assert.True(t, l >= lo && l <= hi, "%s: line %d is another function's", r.name, l)
		}
	}
	assert.Equal(t, a.Code().Blob.Code[a.Code().Entries[1]:], loads[1].code, "main runs to the end of the blob")

	// The parser's negative controls: it must reject a broken file.
	_, _, err = parseJITDump(raw[:len(raw)-3])
	assert.Error(t, err, "truncated")
	bad := append([]byte(nil), raw...)
	bad[0] ^= 1
	_, _, err = parseJITDump(bad)
	assert.Error(t, err, "bad magic")
}

// TestJITDumpTwoRuntimes: runtimes of one process that profile into one
// directory share its file (one writer, one code_index sequence), which
// stays open until the last of them closes. Two writers of jit-PID.dump,
// each truncating it and writing at its own offset, left perf a corrupt
// file.
func TestJITDumpTwoRuntimes(t *testing.T) {
	dir := t.TempDir()
	rts := []*Runtime{
		newTestRuntime(t, Options{JITDump: true, JITDumpDir: dir}),
		newTestRuntime(t, Options{JITDump: true, JITDumpDir: dir}),
	}
	path := rts[0].Info().JITDump
	require.Equal(t, path, rts[1].Info().JITDump)
	src := "func sq 1\n    arg 0\n    arg 0\n    mul\n    ret\nend\nfunc main 1\n    arg 0\n    call sq\n    ret\nend\n"
	const rounds = 10
	want := map[string]int{}
	var wg sync.WaitGroup
	for i, rt := range rts {
		file := fmt.Sprintf("/tmp/rt%d.jasm", i)
		want["sq ["+filepath.Base(file)+"]"] = rounds
		want["main ["+filepath.Base(file)+"]"] = rounds
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				p, err := rt.Compile(file, []byte(src))
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, p.Close())
			}
		}()
	}
	wg.Wait()
	require.NoError(t, rts[0].Close())
	// The file is still open for the other runtime.
	p, err := rts[1].Compile("/tmp/late.jasm", []byte(src))
	require.NoError(t, err)
	want["sq [late.jasm]"], want["main [late.jasm]"] = 1, 1
	require.NoError(t, p.Close())
	require.NoError(t, rts[1].Close())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	_, recs, err := parseJITDump(raw)
	require.NoError(t, err)
	got := map[string]int{}
	var index uint64
	for i, r := range recs {
		switch r.id {
		case jitCodeLoad:
			got[r.name]++
			assert.Equal(t, index, r.index, "one code_index sequence")
			index++
		case jitCodeClose:
			assert.Equal(t, len(recs)-1, i, "one JIT_CODE_CLOSE, the last record")
		}
	}
	assert.Equal(t, want, got, "every load of both runtimes")
	assert.Equal(t, uint32(jitCodeClose), recs[len(recs)-1].id)
}
