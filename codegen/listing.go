package codegen

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Decoder decodes the instruction at the start of code, placed at address pc,
// and returns its GNU-syntax text and length. The ISA packages provide one
// (built on golang.org/x/arch). An error or a non-positive length makes the
// listing print the bytes as data and move on by the ISA's instruction alignment.
type Decoder func(code []byte, pc uint64) (text string, n int, err error)

// WriteListing prints bl as a listing: one line per instruction with its
// address (base + offset), bytes in hex and GNU syntax, and a marker line
// before every patch site naming it, its kind, its changed bytes and its
// guarantee. protocol, if not nil, names the patch protocol used for a site
// (the patcher knows; codegen does not) and is printed with it.
func WriteListing(w io.Writer, bl *Blob, base uint64, decode Decoder, minInst int, protocol func(Site) string) error {
	sites := append([]Site(nil), bl.Sites...)
	sort.SliceStable(sites, func(i, j int) bool { return sites[i].Offset < sites[j].Offset })
	labels := map[int][]int{}
	for i, off := range bl.Labels {
		if off >= 0 {
			labels[off] = append(labels[off], i+1)
		}
	}
	si := 0
	var b strings.Builder
	for off := 0; off < len(bl.Code); {
		for si < len(sites) && sites[si].Offset <= off {
			s := sites[si]
			fmt.Fprintf(&b, "%*s; ---- site %q: %s, %d bytes, changes [+%d,+%d), %s", 18, "", s.Name, s.Kind, s.Size, s.Change, s.Change+s.ChangeLen, s.Guarantee)
			if protocol != nil {
				fmt.Fprintf(&b, ", protocol %s", protocol(s))
			}
			b.WriteByte('\n')
			si++
		}
		if ls, ok := labels[off]; ok {
			for _, l := range ls {
				fmt.Fprintf(&b, "L%d:\n", l)
			}
		}
		text, n, err := decode(bl.Code[off:], base+uint64(off))
		if err != nil || n <= 0 {
			n = min(minInst, len(bl.Code)-off)
			text = "(bad) .byte 0x" + hexBytes(bl.Code[off:off+n], ", 0x")
		}
		// Data slots are not instructions: print them as data.
		for _, s := range sites {
			if s.Kind == SiteData && off == s.Offset {
				n = min(s.Size, len(bl.Code)-off)
				text = fmt.Sprintf(".quad 0x%x", leUint(bl.Code[off:off+n]))
			}
		}
		fmt.Fprintf(&b, "%8x:  %-24s %s\n", base+uint64(off), hexBytes(bl.Code[off:off+n], " "), text)
		off += n
		if b.Len() > 1<<15 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hexBytes(p []byte, sep string) string {
	var b strings.Builder
	for i, c := range p {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

func leUint(p []byte) uint64 {
	var v uint64
	for i := len(p) - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v
}
