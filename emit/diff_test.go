package emit

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

type diffCase struct {
	name string
	a, b string
	// cmp marks cases whose hunks must equal diff -u and git diff output
	// byte for byte: no ambiguous slides, no NUL bytes (those tools then
	// print "Binary files differ").
	cmp bool
}

// numbered returns lines "<prefix>1\n" ... "<prefix>n\n".
func numbered(prefix string, n int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sb, "%s%d\n", prefix, i)
	}
	return sb.String()
}

// edit replaces the listed 1-based lines of s with "<line>-edited".
func edit(s string, lines ...int) string {
	ls := strings.SplitAfter(s, "\n")
	for _, n := range lines {
		ls[n-1] = strings.TrimSuffix(ls[n-1], "\n") + "-edited\n"
	}
	return strings.Join(ls, "")
}

var diffCases = []diffCase{
	{name: "equal", a: "FROM alpine\n", b: "FROM alpine\n", cmp: true},
	{name: "both empty", a: "", b: "", cmp: true},
	{name: "insert at start", a: "b\nc\nd\ne\n", b: "a\nb\nc\nd\ne\n", cmp: true},
	{name: "insert in middle", a: numbered("l", 10), b: strings.Replace(numbered("l", 10), "l5\n", "l5\nnew\n", 1), cmp: true},
	{name: "insert at end", a: "a\nb\nc\nd\ne\n", b: "a\nb\nc\nd\ne\nf\ng\n", cmp: true},
	{name: "delete first", a: "a\nb\nc\nd\ne\n", b: "b\nc\nd\ne\n", cmp: true},
	{name: "delete middle", a: numbered("l", 10), b: strings.Replace(numbered("l", 10), "l4\nl5\n", "", 1), cmp: true},
	{name: "delete last", a: "a\nb\nc\nd\ne\n", b: "a\nb\nc\nd\n", cmp: true},
	{name: "replace one", a: "FROM alpine\nRUN make\nCMD run\n", b: "FROM alpine\nRUN make all\nCMD run\n", cmp: true},
	{name: "replace block", a: numbered("l", 12), b: strings.Replace(numbered("l", 12), "l5\nl6\nl7\n", "x\ny\n", 1), cmp: true},
	{name: "single line file", a: "a\n", b: "b\n", cmp: true},
	{name: "crlf replace", a: "FROM a\r\nRUN b\r\nCMD c\r\n", b: "FROM a\r\nRUN B\r\nCMD c\r\n", cmp: true},
	{name: "crlf to lf", a: "a\r\nb\r\nc\r\n", b: "a\nb\nc\n", cmp: true},
	{name: "mixed endings", a: "a\r\nb\nc\r\nd\n", b: "a\nb\r\nc\r\nd\n", cmp: true},
	{name: "crlf no final newline", a: "a\r\nb\r\nc\r", b: "a\r\nB\r\nc\r\n", cmp: true},
	{name: "old lacks final newline", a: "a\nb\nc", b: "a\nb\nC\n", cmp: true},
	{name: "new lacks final newline", a: "a\nb\nc\n", b: "a\nB\nc", cmp: true},
	{name: "both lack final newline", a: "a\nb\nc\nd\ne\nf\ng\nh", b: "a\nB\nc\nd\ne\nf\ng\nh", cmp: true},
	{name: "both lack final newline last changed", a: "a\nb\nc", b: "a\nb\nC", cmp: true},
	{name: "only final newline added", a: "a\nb\nc", b: "a\nb\nc\n", cmp: true},
	{name: "only final newline removed", a: "a\nb\nc\n", b: "a\nb\nc", cmp: true},
	{name: "only newline", a: "", b: "\n", cmp: true},
	{name: "newline to empty", a: "\n", b: "", cmp: true},
	{name: "no newline at all", a: "abc", b: "abd", cmp: true},
	{name: "empty old", a: "", b: "FROM alpine\nRUN true\nCMD sh\n", cmp: true},
	{name: "empty old no final newline", a: "", b: "FROM alpine", cmp: true},
	{name: "empty new", a: "FROM alpine\nRUN true\nCMD sh\n", b: "", cmp: true},
	{name: "empty new from no final newline", a: "FROM alpine\nRUN true", b: "", cmp: true},
	{name: "multiple hunks", a: numbered("l", 40), b: edit(numbered("l", 40), 2, 20, 39), cmp: true},
	// Changes 6 equal lines apart share their context, so GNU diff and git
	// print one hunk; 7 apart they are separate hunks.
	{name: "merged hunks gap 6", a: numbered("l", 30), b: edit(numbered("l", 30), 10, 17), cmp: true},
	{name: "split hunks gap 7", a: numbered("l", 30), b: edit(numbered("l", 30), 10, 18), cmp: true},
	{name: "merged hunks gap 5", a: numbered("l", 30), b: edit(numbered("l", 30), 10, 16), cmp: true},
	{name: "hunks near edges", a: numbered("l", 9), b: edit(numbered("l", 9), 1, 9), cmp: true},
	{name: "invalid utf8", a: "FROM a\n\xff\xfe\xfd\nRUN \xc3\x28\n", b: "FROM a\n\xff\xfe\nRUN \xc3\x28\n\xed\xa0\x80\n", cmp: true},
	{name: "invalid utf8 only", a: "\xff\n\xfe\n\xc0\xaf\n", b: "\xfe\n\xff\n\xc0\xaf\n\x80"},
	{name: "nul bytes", a: "a\x00b\nc\n", b: "a\x00b\nC\x00\n"},
	{name: "lone cr lines", a: "a\rb\nc\n", b: "a\rB\nc\n", cmp: true},
	{name: "diff-looking content", a: "--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file\n", b: "--- a/y\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file"},
	{name: "blank lines", a: "\n\n\n", b: "\n\n\n\n\n"},
	{name: "duplicate lines", a: "x\nx\nx\ny\nx\n", b: "x\ny\nx\nx\nx\n"},
	{name: "rewrite", a: "a\nb\nc\n", b: "d\ne\nf\ng\n", cmp: true},
}

// TestUnifiedExact pins the exact bytes for a few cases, so the format is
// checked even where git and patch are missing.
func TestUnifiedExact(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"empty old", "", "a\nb\n", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"empty new", "a\n", "", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +0,0 @@\n-a\n"},
		{"crlf", "a\r\nb\r\n", "a\r\nc\r\n", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"},
		{"final newline", "a\nb", "a\nb\n", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"context without newline", "a\nb", "A\nb", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n-a\n+A\n b\n\\ No newline at end of file\n"},
		{"both sides without newline", "a", "b", "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unified("Dockerfile", "Dockerfile", []byte(tt.a), []byte(tt.b))
			if string(got) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	if got := Unified("x", "x", []byte("same"), []byte("same")); got != nil {
		t.Errorf("equal inputs: got %q, want nil", got)
	}
	if got := Unified("x", "x", nil, []byte{}); got != nil {
		t.Errorf("nil vs empty: got %q, want nil", got)
	}
	got := string(Unified("old/Dockerfile", "new/Dockerfile.prod", []byte("a\n"), []byte("b\n")))
	if !strings.HasPrefix(got, "--- a/old/Dockerfile\n+++ b/new/Dockerfile.prod\n") {
		t.Errorf("headers: got %q", got)
	}
}

// TestUnifiedGoApply checks every case with the strict in-test applier, which
// also validates hunk headers and context layout without external tools.
func TestUnifiedGoApply(t *testing.T) {
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			checkGoApply(t, []byte(c.a), []byte(c.b))
		})
	}
}

func TestUnifiedGitApply(t *testing.T) {
	files := casesAsFiles(diffCases)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			applyWithTool(t, "git", []fileCase{f})
		})
	}
}

func TestUnifiedPatch(t *testing.T) {
	files := casesAsFiles(diffCases)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			applyWithTool(t, "patch", []fileCase{f})
		})
	}
}

// TestUnifiedQuotedName checks that names which would break the header line
// are quoted in a form both appliers read back.
func TestUnifiedQuotedName(t *testing.T) {
	f := fileCase{name: "odd\tna\"me\\x", a: []byte("a\n"), b: []byte("b\n")}
	d := string(Unified(f.name, f.name, f.a, f.b))
	if want := `--- "a/odd\tna\"me\\x"` + "\n"; !strings.HasPrefix(d, want) {
		t.Fatalf("got %q, want prefix %q", d, want)
	}
	for _, tool := range []string{"git", "patch"} {
		t.Run(tool, func(t *testing.T) { applyWithTool(t, tool, []fileCase{f}) })
	}
}

// TestUnifiedMatchesDiff proves the hunk layout (ranges, context, merging,
// no-newline markers) is GNU diff's, by comparing everything below the
// file headers.
func TestUnifiedMatchesDiff(t *testing.T) {
	needTool(t, "diff")
	for _, c := range diffCases {
		if !c.cmp {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "old"), []byte(c.a))
			writeFile(t, filepath.Join(dir, "new"), []byte(c.b))
			cmd := exec.Command("diff", "-u", "old", "new")
			cmd.Dir = dir
			out, err := cmd.Output()
			var ee *exec.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
				t.Fatalf("diff -u: %v", err)
			}
			want := dropHeaders(out)
			got := dropHeaders(Unified("old", "new", []byte(c.a), []byte(c.b)))
			if !bytes.Equal(got, want) {
				t.Errorf("hunks differ from diff -u\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// funcContext strips what git appends after a hunk header (the enclosing
// "function" line), which is not part of the hunk layout.
var funcContext = regexp.MustCompile(`(?m)^(@@ [^@]* @@).*$`)

func TestUnifiedMatchesGitDiff(t *testing.T) {
	needTool(t, "git")
	for _, c := range diffCases {
		if !c.cmp {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "old"), []byte(c.a))
			writeFile(t, filepath.Join(dir, "new"), []byte(c.b))
			cmd := exec.Command("git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--no-textconv", "-U3", "old", "new")
			cmd.Dir = dir
			cmd.Env = gitEnv(dir)
			out, err := cmd.Output()
			var ee *exec.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
				t.Fatalf("git diff --no-index: %v", err)
			}
			want := funcContext.ReplaceAll(fromFirstHunk(out), []byte("$1"))
			got := fromFirstHunk(Unified("old", "new", []byte(c.a), []byte(c.b)))
			if !bytes.Equal(got, want) {
				t.Errorf("hunks differ from git diff\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestUnifiedRandom is the property test: for random files and random edits
// the diff must turn a into exactly b under our applier, git apply and
// patch. All files go through one git/patch run to keep it fast.
func TestUnifiedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240607, 1))
	n := 400
	if testing.Short() {
		n = 50
	}
	var files []fileCase
	for i := range n {
		a := randomFile(rng)
		b := randomEdit(rng, a)
		if i%17 == 0 {
			b = a // equal files must yield no diff
		}
		f := fileCase{name: fmt.Sprintf("dir%d/Dockerfile.%03d", i%4, i), a: a, b: b}
		checkGoApply(t, a, b)
		if d1, d2 := Unified(f.name, f.name, a, b), Unified(f.name, f.name, a, b); !bytes.Equal(d1, d2) {
			t.Fatalf("%s: output is not deterministic", f.name)
		}
		files = append(files, f)
	}
	for _, tool := range []string{"git", "patch"} {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			applyWithTool(t, tool, files)
		})
	}
}

// TestUnifiedLarge checks correctness at 100,000 lines for both a few edits
// and a total rewrite; the rewrite is the case that would be quadratic
// without discarding lines unique to one side.
func TestUnifiedLarge(t *testing.T) {
	a := largeFile(100000, "line")
	few := largeEdits(a)
	rewrite := []byte(strings.ReplaceAll(string(a), "line", "other"))
	for _, tt := range []struct {
		name string
		b    []byte
	}{{"few edits", few}, {"rewrite", rewrite}} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			d := Unified("Dockerfile", "Dockerfile", a, tt.b)
			t.Logf("%d lines, diff %d bytes in %v", 100000, len(d), time.Since(start))
			got, err := applyUnified(a, d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.b) {
				t.Fatal("applying the diff does not give b")
			}
			if testing.Short() {
				return
			}
			for _, tool := range []string{"git", "patch"} {
				t.Run(tool, func(t *testing.T) {
					applyWithTool(t, tool, []fileCase{{name: "Dockerfile", a: a, b: tt.b}})
				})
			}
		})
	}
}

func BenchmarkUnified(b *testing.B) {
	a := largeFile(100000, "line")
	nb := largeEdits(a)
	b.SetBytes(int64(len(a) + len(nb)))
	b.ReportAllocs()
	for b.Loop() {
		Unified("Dockerfile", "Dockerfile", a, nb)
	}
}

// BenchmarkUnifiedRewrite covers the worst realistic input: every line
// changed.
func BenchmarkUnifiedRewrite(b *testing.B) {
	a := largeFile(100000, "line")
	nb := []byte(strings.ReplaceAll(string(a), "line", "other"))
	b.SetBytes(int64(len(a) + len(nb)))
	b.ReportAllocs()
	for b.Loop() {
		Unified("Dockerfile", "Dockerfile", a, nb)
	}
}

func FuzzUnified(f *testing.F) {
	for _, c := range diffCases {
		f.Add([]byte(c.a), []byte(c.b))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := Unified("Dockerfile", "Dockerfile", a, b)
		if bytes.Equal(a, b) {
			if d != nil {
				t.Fatalf("equal inputs gave a diff: %q", d)
			}
			return
		}
		got, err := applyUnified(a, d)
		if err != nil {
			t.Fatalf("%v\ndiff:\n%q", err, d)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("applied diff gives %q, want %q\ndiff:\n%q", got, b, d)
		}
	})
}

// --- helpers ---

type fileCase struct {
	name string
	a, b []byte
}

func casesAsFiles(cs []diffCase) []fileCase {
	var fs []fileCase
	for _, c := range cs {
		fs = append(fs, fileCase{name: c.name, a: []byte(c.a), b: []byte(c.b)})
	}
	for i := range fs {
		fs[i].name = strings.ReplaceAll(fs[i].name, " ", "-") + "/Dockerfile"
	}
	return fs
}

func checkGoApply(t *testing.T, a, b []byte) {
	t.Helper()
	d := Unified("Dockerfile", "Dockerfile", a, b)
	if bytes.Equal(a, b) {
		if d != nil {
			t.Fatalf("equal inputs gave a diff: %q", d)
		}
		return
	}
	got, err := applyUnified(a, d)
	if err != nil {
		t.Fatalf("%v\na=%q\nb=%q\ndiff:\n%s", err, a, b, d)
	}
	if !bytes.Equal(got, b) {
		t.Fatalf("applied diff gives %q, want %q\ndiff:\n%s", got, b, d)
	}
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not on PATH: %v", name, err)
	}
}

// gitEnv keeps the user's and system's git config (autocrlf, whitespace
// fixing, diff prefixes) from changing what the tests see.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"HOME="+home,
		"LC_ALL=C",
	)
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// applyWithTool writes each a into a fresh directory, applies the
// concatenated diffs with the real tool and compares every file with b.
// Offsets and fuzz are treated as failures: they would hide wrong headers.
func applyWithTool(t *testing.T, tool string, files []fileCase) {
	t.Helper()
	needTool(t, tool)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	var patch bytes.Buffer
	for _, f := range files {
		writeFile(t, filepath.Join(work, f.name), f.a)
		patch.Write(Unified(f.name, f.name, f.a, f.b))
	}
	if patch.Len() == 0 {
		return
	}
	patchFile := filepath.Join(dir, "change.diff")
	writeFile(t, patchFile, patch.Bytes())

	var cmd *exec.Cmd
	switch tool {
	case "git":
		initCmd := exec.Command("git", "init", "-q")
		initCmd.Dir = work
		initCmd.Env = gitEnv(dir)
		if out, err := initCmd.CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
		cmd = exec.Command("git", "apply", "--verbose", patchFile)
		cmd.Env = gitEnv(dir)
	case "patch":
		cmd = exec.Command("patch", "-p1", "--fuzz=0", "--forward", "--no-backup-if-mismatch", "-i", patchFile)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
	}
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s\npatch:\n%s", tool, err, out, patch.Bytes())
	}
	if bytes.Contains(out, []byte("offset")) || bytes.Contains(out, []byte("fuzz")) {
		t.Fatalf("%s applied inexactly:\n%s", tool, out)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(work, f.name))
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if !bytes.Equal(got, f.b) {
			t.Errorf("%s: %s gave %q, want %q\ndiff:\n%s", f.name, tool, got, f.b, Unified(f.name, f.name, f.a, f.b))
		}
	}
}

func dropHeaders(d []byte) []byte {
	for range 2 {
		if i := bytes.IndexByte(d, '\n'); i >= 0 {
			d = d[i+1:]
		}
	}
	return d
}

func fromFirstHunk(d []byte) []byte {
	if bytes.HasPrefix(d, []byte("@@ ")) {
		return d
	}
	if i := bytes.Index(d, []byte("\n@@ ")); i >= 0 {
		return d[i+1:]
	}
	return nil
}

var randomLines = []string{
	"FROM alpine:3.20\n", "FROM golang:1.22 AS build\n", "RUN apk add --no-cache git\n",
	"RUN go build ./...\n", "COPY . /src\n", "WORKDIR /src\n", "\n", "\n", "# comment\n",
	"ENV A=1\r\n", "RUN make \\\r\n", "\r\n", "  && make install\n", "\xff\xfeinvalid\n",
	"caf\xc3\xa9\n", "\xed\xa0\x80 surrogate\n", "nul\x00byte\n", "--- a/x\n", "+++ b/x\n",
	"@@ -1 +1 @@\n", "\\ No newline at end of file\n", "lone\rcr\n", " leading space\n",
}

func randomFile(rng *rand.Rand) []byte {
	var buf bytes.Buffer
	n := rng.IntN(60)
	for range n {
		buf.WriteString(randomLines[rng.IntN(len(randomLines))])
	}
	if buf.Len() > 0 && rng.IntN(4) == 0 {
		buf.Truncate(buf.Len() - 1) // drop the final newline
	}
	return buf.Bytes()
}

func randomEdit(rng *rand.Rand, a []byte) []byte {
	lines := splitLines(bytes.Clone(a))
	for range rng.IntN(6) + 1 {
		pos := 0
		if len(lines) > 0 {
			pos = rng.IntN(len(lines) + 1)
		}
		switch rng.IntN(3) {
		case 0: // insert
			var ins [][]byte
			for range rng.IntN(4) + 1 {
				ins = append(ins, []byte(randomLines[rng.IntN(len(randomLines))]))
			}
			lines = append(lines[:pos:pos], append(ins, lines[pos:]...)...)
		case 1: // delete
			end := min(pos+rng.IntN(4)+1, len(lines))
			if end > pos {
				lines = append(lines[:pos:pos], lines[end:]...)
			}
		case 2: // replace
			if pos < len(lines) {
				lines[pos] = []byte(randomLines[rng.IntN(len(randomLines))])
			}
		}
	}
	// Any line may have lost its position as the last one, so restore
	// newlines in the middle before optionally stripping the final one.
	var buf bytes.Buffer
	for i, l := range lines {
		buf.Write(l)
		if i < len(lines)-1 && !bytes.HasSuffix(l, []byte("\n")) {
			buf.WriteByte('\n')
		}
	}
	out := buf.Bytes()
	if len(out) > 0 && rng.IntN(5) == 0 {
		if out[len(out)-1] == '\n' {
			out = out[:len(out)-1]
		} else {
			out = append(out, '\n')
		}
	}
	return out
}

func largeFile(n int, word string) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, "RUN echo %s %d\n", word, i)
	}
	return buf.Bytes()
}

// largeEdits makes a handful of scattered edits: a replace, an insert, a
// delete and a change at each end.
func largeEdits(a []byte) []byte {
	lines := splitLines(bytes.Clone(a))
	lines[0] = []byte("FROM scratch\n")
	lines[25000] = []byte("RUN changed\n")
	lines = append(lines[:50000:50000], append([][]byte{[]byte("RUN inserted 1\n"), []byte("RUN inserted 2\n")}, lines[50000:]...)...)
	lines = append(lines[:75000:75000], lines[75010:]...)
	lines[len(lines)-1] = []byte("CMD [\"done\"]")
	return bytes.Join(lines, nil)
}

// --- strict pure-Go applier (test only) ---

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyUnified applies a single-file diff produced by Unified to a. Unlike
// patch it allows no offsets, and it also enforces the layout: exactly
// contextLines of context wherever the file has them, and hunks separated
// by more than 2*contextLines unchanged lines.
func applyUnified(a, diff []byte) ([]byte, error) {
	if len(diff) == 0 || diff[len(diff)-1] != '\n' {
		return nil, errors.New("diff does not end in a newline")
	}
	dl := strings.Split(string(diff[:len(diff)-1]), "\n")
	if len(dl) < 3 || !strings.HasPrefix(dl[0], "--- ") || !strings.HasPrefix(dl[1], "+++ ") {
		return nil, errors.New("missing file headers")
	}
	dl = dl[2:]
	al := splitLines(a)
	var out []byte
	outLines := 0
	pos := 0           // next line of a
	prevEnd := -1      // end of previous hunk in a
	newClosed := false // the new side has had its no-newline line
	for len(dl) > 0 {
		m := hunkHeader.FindStringSubmatch(dl[0])
		if m == nil {
			return nil, fmt.Errorf("bad hunk header %q", dl[0])
		}
		dl = dl[1:]
		num := func(s string, def int) int {
			if s == "" {
				return def
			}
			n, _ := strconv.Atoi(s)
			return n
		}
		oldStart, oldCount := num(m[1], 0), num(m[2], 1)
		newStart, newCount := num(m[3], 0), num(m[4], 1)
		if m[2] == "1" || m[4] == "1" {
			return nil, fmt.Errorf("header %q: count 1 must be implied", m[0])
		}
		start0 := func(start, count int) int {
			if count == 0 {
				return start
			}
			return start - 1
		}
		os0, ns0 := start0(oldStart, oldCount), start0(newStart, newCount)
		if os0 < pos || os0 > len(al) {
			return nil, fmt.Errorf("hunk %q starts at %d, before or after the current line %d", m[0], os0, pos)
		}
		if prevEnd >= 0 && os0-prevEnd <= 0 {
			return nil, fmt.Errorf("hunk %q touches the previous hunk and should have been merged", m[0])
		}
		for ; pos < os0; pos++ {
			out = append(out, al[pos]...)
			outLines++
		}
		if ns0 != outLines {
			return nil, fmt.Errorf("hunk %q: new start %d, but output has %d lines", m[0], ns0, outLines)
		}
		if newClosed {
			return nil, errors.New("new side continues after its no-newline line")
		}

		// Context runs between changes, to check the layout.
		var runs []int
		run, seenChange := 0, false
		oldSeen, newSeen := 0, 0
		for oldSeen < oldCount || newSeen < newCount {
			if len(dl) == 0 {
				return nil, fmt.Errorf("hunk %q is truncated", m[0])
			}
			l := dl[0]
			dl = dl[1:]
			if l == "" {
				return nil, fmt.Errorf("hunk %q has an empty line", m[0])
			}
			text := l[1:] + "\n"
			noNL := len(dl) > 0 && dl[0] == `\ No newline at end of file`
			if noNL {
				dl = dl[1:]
				text = l[1:]
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(al) || string(al[pos]) != text {
					return nil, fmt.Errorf("hunk %q: line %d of a is %q, diff says %q", m[0], pos+1, lineAt(al, pos), text)
				}
				if noNL && pos != len(al)-1 {
					return nil, fmt.Errorf("no-newline marker on line %d of a, not the last", pos+1)
				}
				pos++
				oldSeen++
				if l[0] == ' ' {
					out = append(out, text...)
					outLines++
					newSeen++
					run++
					if noNL {
						newClosed = true
					}
				} else {
					runs, run, seenChange = append(runs, run), 0, true
				}
			case '+':
				if newClosed {
					return nil, errors.New("line added after the new side's no-newline line")
				}
				out = append(out, text...)
				outLines++
				newSeen++
				if noNL {
					newClosed = true
				}
				runs, run, seenChange = append(runs, run), 0, true
			default:
				return nil, fmt.Errorf("bad diff line %q", l)
			}
		}
		if oldSeen != oldCount || newSeen != newCount {
			return nil, fmt.Errorf("hunk %q: counted %d old, %d new lines", m[0], oldSeen, newSeen)
		}
		if !seenChange {
			return nil, fmt.Errorf("hunk %q changes nothing", m[0])
		}
		lead, trail := runs[0], run
		if lead != contextLines && !(lead < contextLines && os0 == 0) {
			return nil, fmt.Errorf("hunk %q has %d leading context lines", m[0], lead)
		}
		if trail != contextLines && !(trail < contextLines && pos == len(al)) {
			return nil, fmt.Errorf("hunk %q has %d trailing context lines", m[0], trail)
		}
		for _, r := range runs[1:] {
			if r > 2*contextLines {
				return nil, fmt.Errorf("hunk %q has %d context lines in a row and should have been split", m[0], r)
			}
		}
		prevEnd = pos
	}
	for ; pos < len(al); pos++ {
		if newClosed {
			return nil, errors.New("unchanged lines follow the new side's no-newline line")
		}
		out = append(out, al[pos]...)
	}
	return out, nil
}

func lineAt(al [][]byte, i int) string {
	if i < len(al) {
		return string(al[i])
	}
	return "<EOF>"
}
