package amd64_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/syncore/syncore/codegen/amd64"
)

// Assemble a small function and print its listing. The package doc's "Use"
// snippet is this function's body (TestDocSnippetIsExample checks it).
func Example() {
	a := amd64.New()
	done := a.NewLabel()
	a.CmpRI(amd64.RDI, 0)
	a.Jcc(amd64.CondE, done) // rel8 or rel32, chosen at Finish
	a.AddRR(amd64.RAX, amd64.RDI)
	a.Bind(done)
	a.Ret()
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	amd64.WriteListing(os.Stdout, blob, 0x1000)
	// Output:
	//     1000:  48 83 ff 00              cmp $0x0,%rdi
	//     1004:  74 03                    je 0x1009
	//     1006:  48 01 f8                 add %rdi,%rax
	// L1:
	//     1009:  c3                       retq
}

// A patchable call: CallSite records a site whose changed bytes lie in one
// aligned qword, and EncodeCallRel32 computes the bytes a patcher stores there
// to retarget it (package patch does the store, and the barrier, live).
func ExampleAsm_CallSite() {
	a := amd64.New()
	slow, fast := a.NewLabel(), a.NewLabel()
	a.CallSite("hot", slow)
	a.Ret()
	a.Bind(slow)
	a.MovRI(amd64.RAX, 1)
	a.Ret()
	a.Bind(fast)
	a.MovRI(amd64.RAX, 2)
	a.Ret()
	blob, err := a.Finish()
	if err != nil {
		panic(err)
	}
	const base = 0x1000
	amd64.WriteListing(os.Stdout, blob, base)

	site := blob.Sites[0]
	at := site.Offset + site.Change
	call, err := amd64.EncodeCallRel32(base+uint64(at), base+uint64(blob.Offset(fast)))
	if err != nil {
		panic(err)
	}
	copy(blob.Code[at:], call[:])
	text, _, _ := amd64.Decode(blob.Code[at:], base+uint64(at))
	fmt.Printf("retargeted: % x  %s\n", call, text)
	// Output:
	//                   ; ---- site "hot": branch, 8 bytes, changes [+3,+8), in-aligned-qword
	//     1000:  0f 1f 00                 nopl (%rax)
	//     1003:  e8 01 00 00 00           callq 0x1009
	//     1008:  c3                       retq
	// L1:
	//     1009:  b8 01 00 00 00           mov $0x1,%eax
	//     100e:  c3                       retq
	// L2:
	//     100f:  b8 02 00 00 00           mov $0x2,%eax
	//     1014:  c3                       retq
	// retargeted: e8 07 00 00 00  callq 0x100f
}

// TestDocSnippetIsExample keeps the package doc's "Use" snippet identical to
// the body of Example, so the snippet is code that compiles and runs.
func TestDocSnippetIsExample(t *testing.T) {
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	text := doc.Doc.Text()
	i := strings.Index(text, "# Use\n")
	if i < 0 {
		t.Fatal(`doc.go: no "# Use" section`)
	}
	var snippet []string
	for _, line := range strings.Split(text[i:], "\n")[1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		if strings.HasPrefix(line, "\t") {
			snippet = append(snippet, line[1:])
		} else if len(snippet) > 0 {
			break // the first code block only
		}
	}

	if len(snippet) == 0 {
		t.Fatal(`doc.go: the "# Use" section has no code block`)
	}

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(fset, "example_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var body []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Example" || len(fn.Body.List) == 0 {
			continue
		}
		from := fset.Position(fn.Body.List[0].Pos()).Offset
		to := fset.Position(fn.Body.List[len(fn.Body.List)-1].End()).Offset
		for _, line := range strings.Split(string(src[from:to]), "\n") {
			body = append(body, strings.TrimPrefix(line, "\t"))
		}
	}
	if got, want := strings.Join(snippet, "\n"), strings.Join(body, "\n"); got != want {
		t.Errorf("doc.go's Use snippet differs from Example's body:\n--- doc.go\n%s\n--- Example\n%s", got, want)
	}
}
