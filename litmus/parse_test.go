package litmus

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// mp is a message-passing test that uses every statement and operation.
const mp = `# a comment line
litmus CMC+flag+all   # trailing comment
doc "Message passing of new code."
doc "Second line: Intel SDM Vol. 3 §8.1.3."

site f branch old new
site g imm a b c init b at 8
data flag = 0
data other = -0x10

thread 0
    write f new atomic rw
    write g c bytewise same
    write g a straddle
    sync_icache f
    membarrier
    store flag 1
thread 1
	flag = load flag
	serialise
	ran = exec f
	v = exec g

exists (1:flag=1 /\ (1:ran=old \/ 1:ran=torn) /\ ~1:v=b \/ crash)
expect amd64 allowed "Intel SDM Vol. 3 §8.1.3"
expect ppc64le forbidden "Power ISA Book II, \"CMODX\""
`

func TestParse(t *testing.T) {
	tt, err := ParseFile("mp.litmus", []byte(mp))
	if err != nil {
		t.Fatal(err)
	}
	if tt.Name != "CMC+flag+all" || tt.File != "mp.litmus" || len(tt.Doc) != 2 || tt.Doc[1] != "Second line: Intel SDM Vol. 3 §8.1.3." {
		t.Errorf("header: %q %q %q", tt.Name, tt.File, tt.Doc)
	}
	if tt.Pos.String() != "mp.litmus:2:1" {
		t.Errorf("test position %v", tt.Pos)
	}
	wantSites := []*Site{
		{Name: "f", Shape: ShapeBranch, Versions: []string{"old", "new"}, Init: 0, At: -1},
		{Name: "g", Shape: ShapeImm, Versions: []string{"a", "b", "c"}, Init: 1, At: 8},
	}
	for i, s := range tt.Sites {
		s.Pos = Pos{}
		if !reflect.DeepEqual(s, wantSites[i]) {
			t.Errorf("site %d = %+v, want %+v", i, s, wantSites[i])
		}
	}
	if len(tt.Data) != 2 || tt.Data[0].Init != 0 || tt.Data[1].Init != -16 {
		t.Errorf("data %+v %+v", tt.Data[0], tt.Data[1])
	}
	wantOps := [][]string{
		{"write f new atomic rw", "write g c bytewise same", "write g a straddle rw", "sync_icache f", "membarrier", "store flag 1"},
		{"flag = load flag", "serialise", "ran = exec f", "v = exec g"},
	}
	if len(tt.Threads) != 2 {
		t.Fatalf("%d threads", len(tt.Threads))
	}
	for i, th := range tt.Threads {
		var got []string
		for _, op := range th.Ops {
			got = append(got, op.String())
		}
		if !reflect.DeepEqual(got, wantOps[i]) {
			t.Errorf("thread %d ops = %q, want %q", i, got, wantOps[i])
		}
	}
	if got, want := tt.Exists.String(), `(1:flag=1 /\ (1:ran=old \/ 1:ran=torn) /\ ~1:v=b) \/ crash`; got != want {
		t.Errorf("exists = %s, want %s", got, want)
	}
	if len(tt.Expect) != 2 || tt.ExpectFor("ppc64le").Verdict != Forbidden || tt.ExpectFor("ppc64le").Source != `Power ISA Book II, "CMODX"` ||
		tt.ExpectFor("amd64").Verdict != Allowed || tt.ExpectFor("arm64") != nil {
		t.Errorf("expect = %+v", tt.Expect)
	}
	if op := tt.RegOp(1, "flag"); op == nil || op.Pos.String() != "mp.litmus:19:2" {
		t.Errorf("1:flag's op at %v", op)
	}
}

// TestParseErrors: every mistake is an *Error with file:line:col and the
// right kind.
func TestParseErrors(t *testing.T) {
	const head = "litmus t\nsite f branch old new\ndata x\n"
	const thr = "thread 0\n    r = exec f\n"
	cases := []struct {
		name, src string
		kind      error
		pos, msg  string
	}{
		{"empty", "", ErrSyntax, "", "empty test"},
		{"no litmus", "site f imm a b\n", ErrSyntax, "1:1", `starts with "litmus NAME"`},
		{"two litmus", "litmus a\nlitmus b\n", ErrDuplicate, "2:1", "second"},
		{"litmus without name", "litmus\n", ErrSyntax, "1:7", "expected the test's name"},
		{"bad char", "litmus t\n$\n", ErrSyntax, "2:1", "unexpected character"},
		{"unterminated", "litmus t\ndoc \"abc\n", ErrSyntax, "2:5", "unterminated string"},
		{"bad escape", "litmus t\ndoc \"a\\qb\"\n", ErrSyntax, "2:5", "bad string"},
		{"doc late", head + "doc \"x\"\n", ErrSyntax, "4:1", "doc belongs"},
		{"no thread", "litmus t\nsite f imm a b\n", ErrSyntax, "1:1", "no thread"},
		{"no exists", head + thr, ErrSyntax, "1:1", "no exists"},
		{"empty thread", head + "thread 0\nexists (crash)\n", ErrSyntax, "4:1", "no operation"},
		{"unknown statement", head + "frob\n", ErrSyntax, "4:1", "unknown statement 'frob'"},
		{"bad shape", "litmus t\nsite f square a b\n", ErrSyntax, "2:8", "expected a shape"},
		{"one version", "litmus t\nsite f imm a\n", ErrSyntax, "2:8", "at least two versions"},
		{"nine versions", "litmus t\nsite f imm a b c d e f g h i\n", ErrSyntax, "2:8", "at most 8"},
		{"seventeen sites", "litmus t\n" + manySites(MaxSites+1), ErrSyntax, "18:6", "site s16: a test has at most 16 sites"},
		{"seventeen threads", head + manyThreads(MaxThreads+1), ErrSyntax, "36:8", "thread 16: a test has at most 16 threads"},
		{"guard of three", "litmus t\nsite f guard a b c\n", ErrSyntax, "2:8", "exactly two"},
		{"reserved version", "litmus t\nsite f imm a torn\n", ErrSyntax, "2:14", "reserved"},
		{"version twice", "litmus t\nsite f imm a a\n", ErrDuplicate, "2:14", "named twice"},
		{"site twice", head + "site f imm a b\n", ErrDuplicate, "4:6", "declared twice"},
		{"data named as site", head + "data f\n", ErrDuplicate, "4:6", "declared twice"},
		{"bad init", "litmus t\nsite f imm a b init c\n", ErrUndefined, "2:21", "no version c"},
		{"bad at", "litmus t\nsite f imm a b at 64\n", ErrSyntax, "2:19", "0..63"},
		{"at twice", "litmus t\nsite f imm a b at 4 at 8\n", ErrSyntax, "2:21", "unexpected 'at'"},
		{"bad site name", "litmus t\nsite 1f imm a b\n", ErrSyntax, "2:6", "expected the site's name"},
		{"data bad value", "litmus t\ndata x = y\n", ErrSyntax, "2:10", "initial value"},
		{"data junk", "litmus t\ndata x = 1 2\n", ErrSyntax, "2:12", "at the end of the statement"},
		{"decl after thread", head + thr + "data y\n", ErrSyntax, "6:1", "after the threads"},
		{"thread numbering", head + "thread 1\n", ErrSyntax, "4:8", "expected 0"},
		{"op outside", head + "r = exec f\n", ErrSyntax, "4:1", "outside a thread"},
		{"unknown site", head + "thread 0\n r = exec g\n", ErrUndefined, "5:11", "no site g"},
		{"unknown data", head + "thread 0\n r = load y\n", ErrUndefined, "5:11", "no data word y"},
		{"bad verb", head + "thread 0\n r = run f\n", ErrSyntax, "5:6", "expected load or exec"},
		{"reg twice", head + "thread 0\n r = exec f\n r = load x\n", ErrDuplicate, "6:2", "register r twice"},
		{"unknown version", head + "thread 0\n write f newer\n", ErrUndefined, "5:10", "no version newer"},
		{"bad write mode", head + "thread 0\n write f new fast\n", ErrSyntax, "5:14", "unexpected 'fast'"},
		{"write mode twice", head + "thread 0\n write f new atomic bytewise\n", ErrSyntax, "5:21", "unexpected 'bytewise'"},
		{"store no value", head + "thread 0\n store x\n", ErrSyntax, "5:9", "the value to store"},
		{"serialise junk", head + "thread 0\n serialise now\n", ErrSyntax, "5:12", "at the end"},
		{"exists empty", head + thr + "exists\n", ErrSyntax, "6:7", "expected a condition"},
		{"exists twice", head + thr + "exists (crash)\nexists (crash)\n", ErrDuplicate, "7:1", "second exists"},
		{"thread after exists", head + thr + "exists (crash)\nthread 1\n", ErrSyntax, "7:1", "thread after exists"},
		{"exists unbalanced", head + thr + "exists (0:r=old\n", ErrSyntax, "6:16", "expected ')'"},
		{"exists junk", head + thr + "exists (crash) crash\n", ErrSyntax, "6:16", "at the end"},
		{"exists no thread", head + thr + "exists (3:r=old)\n", ErrUndefined, "6:9", "no thread 3"},
		{"exists no reg", head + thr + "exists (0:q=old)\n", ErrUndefined, "6:11", "no register q"},
		{"exists bad version", head + thr + "exists (0:r=mid)\n", ErrUndefined, "6:13", "or torn, not mid"},
		{"exists load not int", head + "thread 0\n r = load x\nexists (0:r=old)\n", ErrSyntax, "6:13", "loaded integer"},
		{"exists no colon", head + thr + "exists (0 r=old)\n", ErrSyntax, "6:11", "expected ':'"},
		{"expect before exists", head + thr + "expect amd64 allowed \"x\"\n", ErrSyntax, "6:1", "after exists"},
		{"expect bad isa", head + thr + "exists (crash)\nexpect mips allowed \"x\"\n", ErrSyntax, "7:8", "expected an ISA"},
		{"expect twice", head + thr + "exists (crash)\nexpect amd64 allowed \"x\"\nexpect amd64 forbidden \"y\"\n", ErrDuplicate, "8:8", "second expectation"},
		{"expect bad verdict", head + thr + "exists (crash)\nexpect amd64 maybe \"x\"\n", ErrSyntax, "7:14", "allowed or forbidden"},
		{"expect no source", head + thr + "exists (crash)\nexpect amd64 allowed\n", ErrSyntax, "7:21", "source in quotes"},
		{"expect empty source", head + thr + "exists (crash)\nexpect amd64 allowed \" \"\n", ErrSyntax, "7:22", "names the manual"},
		{"park without head", head + "thread 0\n write f new park\n write f new tail\n" + "exists (crash)\n", ErrSyntax, "5:2", "does not write its head"},
		{"head before park", head + "thread 0\n write f new head\n write f new park\n" + "exists (crash)\n", ErrSyntax, "6:2", "parks site f"},
		{"head of another thread", head + "thread 0\n write f new park\nthread 1\n write f new head\n" + "exists (crash)\n", ErrSyntax, "5:2", "thread 0 parks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile("e.litmus", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error for\n%s", tc.src)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q: want kind %v", err, tc.kind)
			}
			want := "e.litmus"
			if tc.pos != "" {
				want += ":" + tc.pos
			}
			if !strings.HasPrefix(err.Error(), want+": ") {
				t.Errorf("error %q: want position %s", err, want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q: want it to say %q", err, tc.msg)
			}
		})
	}
}

// manySites declares sites s0, s1, … sN-1.
func manySites(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "site s%d imm a b\n", i)
	}
	return b.String()
}

// manyThreads starts threads 0 … n-1, each executing site f.
func manyThreads(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "thread %d\n    r = exec f\n", i)
	}
	return b.String()
}

// TestParseLimits: a test may have MaxSites sites and MaxThreads threads
// (one more of either is refused: TestParseErrors).
func TestParseLimits(t *testing.T) {
	src := "litmus t\nsite f imm a b\n" + manySites(MaxSites-1) + manyThreads(MaxThreads) + "exists (0:r=a)\n"
	tt, err := ParseFile("limits.litmus", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(tt.Sites) != MaxSites || len(tt.Threads) != MaxThreads {
		t.Errorf("%d sites, %d threads", len(tt.Sites), len(tt.Threads))
	}
	roundTrip(t, tt)
}

// clearPos zeroes every position in t, so that two parses of different
// text can be compared.
func clearPos(t *Test) {
	t.Pos, t.File = Pos{}, ""
	for _, s := range t.Sites {
		s.Pos = Pos{}
	}
	for _, d := range t.Data {
		d.Pos = Pos{}
	}
	for _, th := range t.Threads {
		th.Pos = Pos{}
		for _, op := range th.Ops {
			op.Pos = Pos{}
		}
	}
	var walk func(e *Expr)
	walk = func(e *Expr) {
		e.Pos = Pos{}
		for _, a := range e.Args {
			walk(a)
		}
	}
	if t.Exists != nil {
		walk(t.Exists)
	}
	for _, e := range t.Expect {
		e.Pos = Pos{}
	}
}

// roundTrip checks that the canonical text of t parses back to t and
// formats to itself.
func roundTrip(t *testing.T, tt *Test) {
	t.Helper()
	text := tt.String()
	back, err := ParseFile("again.litmus", []byte(text))
	if err != nil {
		t.Fatalf("the canonical text does not parse: %v\n%s", err, text)
	}
	if again := back.String(); again != text {
		t.Fatalf("formatting is not stable:\n%s\n---\n%s", text, again)
	}
	a, b := *tt, *back
	clearPos(&a)
	clearPos(&b)
	if !reflect.DeepEqual(&a, &b) {
		t.Fatalf("round trip changed the test:\n%s", text)
	}
}

func TestRoundTrip(t *testing.T) {
	tt, err := ParseFile("mp.litmus", []byte(mp))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, tt)
	// Nested conditions keep their shape.
	for _, cond := range []string{
		`0:r=a`, `~0:r=a`, `~~0:r=a`, `~(0:r=a /\ 0:r=b)`, `(0:r=a /\ 0:r=b) /\ 0:r=torn`,
		`0:r=a \/ (0:r=b \/ crash)`, `((0:r=a))`, `crash \/ 0:r=a /\ 0:r=b`,
	} {
		src := "litmus t\nsite f imm a b\nthread 0\n r = exec f\nexists " + cond + "\n"
		tt, err := ParseFile("c.litmus", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", cond, err)
		}
		roundTrip(t, tt)
	}
}
