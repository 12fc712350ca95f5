package bench

import "encoding/binary"

// A minimal WebAssembly binary encoder: just what the benchmarks need to
// express the jasm programs as Wasm modules (functions over i64 with i64
// locals, exported by name). See the WebAssembly core specification, §5
// "Binary Format".

// Wasm opcodes used by the benchmark modules.
const (
	opBlock    = 0x02
	opLoop     = 0x03
	opIf       = 0x04
	opElse     = 0x05
	opEnd      = 0x0b
	opBr       = 0x0c
	opBrIf     = 0x0d
	opCall     = 0x10
	opLocalGet = 0x20
	opLocalSet = 0x21
	opI64Const = 0x42
	opI64Eqz   = 0x50
	opI64LtS   = 0x53
	opI64LeS   = 0x57
	opI64Add   = 0x7c
	opI64Sub   = 0x7d
	opI64Mul   = 0x7e
	opI64RemS  = 0x81
	opI64And   = 0x83
	opI64ShrS  = 0x87

	typeI64   = 0x7e
	blockVoid = 0x40
)

// WasmFunc is one function of a module: all parameters, locals and the
// result are i64. Body is the instruction sequence without the final end.
type WasmFunc struct {
	Params int
	Locals int
	Body   []byte
	Export string // "" for none
}

// WasmModule encodes funcs as a module (type, function, export and code
// sections). When tag is not zero a custom section carrying it is appended,
// so that modules built with different tags have different bytes and so
// different module IDs: a runtime's compilation cache cannot serve one for
// another.
func WasmModule(funcs []WasmFunc, tag uint64) []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

	// Type section: one signature per function, (i64 × Params) -> i64.
	types := uleb(nil, uint64(len(funcs)))
	for _, f := range funcs {
		types = append(types, 0x60)
		types = uleb(types, uint64(f.Params))
		for range f.Params {
			types = append(types, typeI64)
		}
		types = append(types, 1, typeI64)
	}
	out = section(out, 1, types)

	// Function section: function i has type i.
	fs := uleb(nil, uint64(len(funcs)))
	for i := range funcs {
		fs = uleb(fs, uint64(i))
	}
	out = section(out, 3, fs)

	// Export section.
	var exports []byte
	n := 0
	for i, f := range funcs {
		if f.Export == "" {
			continue
		}
		n++
		exports = uleb(exports, uint64(len(f.Export)))
		exports = append(exports, f.Export...)
		exports = append(exports, 0x00) // func
		exports = uleb(exports, uint64(i))
	}
	out = section(out, 7, append(uleb(nil, uint64(n)), exports...))

	// Code section.
	code := uleb(nil, uint64(len(funcs)))
	for _, f := range funcs {
		var body []byte
		if f.Locals > 0 {
			body = uleb(body, 1)
			body = uleb(body, uint64(f.Locals))
			body = append(body, typeI64)
		} else {
			body = uleb(body, 0)
		}
		body = append(body, f.Body...)
		body = append(body, opEnd)
		code = uleb(code, uint64(len(body)))
		code = append(code, body...)
	}
	out = section(out, 10, code)

	if tag != 0 {
		const name = "syncore.bench.tag"
		c := uleb(nil, uint64(len(name)))
		c = append(c, name...)
		c = binary.LittleEndian.AppendUint64(c, tag)
		out = section(out, 0, c)
	}
	return out
}

func section(out []byte, id byte, payload []byte) []byte {
	out = append(out, id)
	out = uleb(out, uint64(len(payload)))
	return append(out, payload...)
}

// uleb appends v in unsigned LEB128.
func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sleb appends v in signed LEB128.
func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// wasmCode builds an instruction sequence.
type wasmCode []byte

func (c wasmCode) op(ops ...byte) wasmCode        { return append(c, ops...) }
func (c wasmCode) get(i int) wasmCode             { return uleb(append(c, opLocalGet), uint64(i)) }
func (c wasmCode) set(i int) wasmCode             { return uleb(append(c, opLocalSet), uint64(i)) }
func (c wasmCode) i64(v int64) wasmCode           { return sleb(append(c, opI64Const), v) }
func (c wasmCode) call(f int) wasmCode            { return uleb(append(c, opCall), uint64(f)) }
func (c wasmCode) br(op byte, depth int) wasmCode { return uleb(append(c, op), uint64(depth)) }
