package litmus

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// catalogue holds the tests that All returns; negative controls live in
// testdata/ and are not part of it.
//
//go:embed tests/*.litmus
var catalogue embed.FS

// All returns the catalogue (litmus/tests/*.litmus), parsed, sorted by file
// name. Each call returns fresh copies. The files are checked by the
// package's tests, so a parse error here is a bug.
func All() []*Test {
	names, err := fs.Glob(catalogue, "tests/*.litmus")
	if err != nil {
		panic("BUG: litmus catalogue: " + err.Error())
	}
	sort.Strings(names)
	var all []*Test
	for _, n := range names {
		src, err := catalogue.ReadFile(n)
		if err != nil {
			panic("BUG: litmus catalogue: " + err.Error())
		}
		t, err := ParseFile("litmus/"+n, src)
		if err != nil {
			panic(fmt.Sprintf("BUG: litmus catalogue: %v", err))
		}
		all = append(all, t)
	}
	return all
}

// Lookup returns the catalogue test called name (its "litmus" line) or whose
// file is name (with or without the .litmus suffix), or nil.
func Lookup(name string) *Test {
	for _, t := range All() {
		base := path.Base(t.File)
		if t.Name == name || base == name || base == name+".litmus" {
			return t
		}
	}
	return nil
}
