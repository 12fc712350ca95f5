package jit

import (
	"fmt"
	"io"

	"github.com/syncore/syncore/codegen"
	x86 "github.com/syncore/syncore/codegen/amd64"
	a64 "github.com/syncore/syncore/codegen/arm64"
	ppc "github.com/syncore/syncore/codegen/ppc64"
)

// WriteListing prints the compiled code as a listing (address from base,
// bytes, GNU syntax) with every function's entry and every patch site marked.
func (c *Code) WriteListing(w io.Writer, base uint64) error {
	return c.WriteListingWith(w, base, nil)
}

// WriteListingWith is WriteListing naming each site's patch protocol with
// protocol (the patcher knows it; jit does not).
func (c *Code) WriteListingWith(w io.Writer, base uint64, protocol func(codegen.Site) string) error {
	// Calls and jumps to a function's entry print its name.
	entries := map[uint64]string{}
	for i, f := range c.Program.Funcs {
		entries[base+uint64(c.Entries[i])] = f.Name
	}
	sym := func(addr uint64) (string, uint64) {
		if name, ok := entries[addr]; ok {
			return name, addr
		}
		return "", 0
	}
	var dec codegen.Decoder
	min := 1
	switch c.Arch {
	case ArchAMD64:
		dec = x86.DecodeSym(sym)
	case ArchPPC64LE:
		dec, min = ppc.DecodeSym(sym), 4
	case ArchARM64:
		dec, min = a64.DecodeSym(sym), 4
	default:
		return fmt.Errorf("jit: no listing for %q", c.Arch)
	}
	// Name function entries through the blob's labels: copy the blob with
	// entry names as sites of no kind would confuse; print a header instead.
	for i, f := range c.Program.Funcs {
		if _, err := fmt.Fprintf(w, "; func %s (%d params) at %#x\n", f.Name, f.Params, base+uint64(c.Entries[i])); err != nil {
			return err
		}
	}
	return codegen.WriteListing(w, c.Blob, base, dec, min, protocol)
}
