package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bkparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stagesplit/stagesplit/internal/corpus"
)

func TestRoundTripCorpus(t *testing.T) {
	for _, cf := range corpus.Files(t) {
		src, err := os.ReadFile(cf.Path)
		if err != nil {
			t.Fatal(err)
		}
		parse := Parse
		if strings.HasPrefix(cf.Rel, "syntax") {
			parse = ParseSyntax // BuildKit's parser cases, not all valid instructions
		}
		f, err := parse(cf.Rel, src)
		if cf.Negative {
			if err == nil {
				t.Errorf("%s: parsed, but BuildKit's negative case must fail", cf.Rel)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", cf.Rel, err)
			continue
		}
		if got := f.Bytes(); !bytes.Equal(got, src) {
			t.Errorf("%s: print(parse(x)) != x\n%s", cf.Rel, firstDiff(src, got))
		}
	}
}

func firstDiff(a, b []byte) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	lo := max(0, n-40)
	return "want ..." + strings.ReplaceAll(string(a[lo:min(len(a), n+40)]), "\n", "⏎") +
		"\n got ..." + strings.ReplaceAll(string(b[lo:min(len(b), n+40)]), "\n", "⏎")
}

var roundTripCases = map[string]string{
	"plain":          "FROM alpine\nRUN echo hi\n",
	"no final nl":    "FROM alpine\nRUN echo hi",
	"crlf":           "FROM alpine\r\nRUN echo hi \\\r\n  there\r\n",
	"bom":            "\xEF\xBB\xBFFROM alpine\nCMD [\"sh\"]\n",
	"escape":         "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n",
	"comments":       "# top\n\nFROM alpine\n# inner\n\n\nRUN a \\\n# comment inside\n  b\n# trailer\n\n",
	"heredoc":        "FROM alpine\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-EOT /x\n\tdata\n\tEOT\n",
	"meta args":      "ARG V=1\nARG REG\nFROM $REG/img:${V}\nARG V\n",
	"onbuild":        "FROM alpine\nONBUILD RUN make\n",
	"empty cont":     "FROM alpine\nRUN a \\\n\n  b\n",
	"trailing space": "FROM alpine\nRUN a \\  \n  b\n",
	"json":           "FROM alpine\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD [\"echo hi\"]\n",
}

func TestRoundTripCases(t *testing.T) {
	for name, src := range roundTripCases {
		f, err := Parse(name, []byte(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := string(f.Bytes()); got != src {
			t.Errorf("%s: got %q want %q", name, got, src)
		}
	}
}

func TestParseModel(t *testing.T) {
	src := "\xEF\xBB\xBF# syntax=docker/dockerfile:1\r\n# escape=\\\r\nARG V=1\r\n\r\n# the base\r\nFROM golang:${V} AS build\r\nRUN go build \\\r\n  -o /x .\r\n# end\r\n"
	f, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f.Newline != "\r\n" || f.Escape != '\\' || len(f.BOM) != 3 {
		t.Errorf("newline %q escape %q bom %v", f.Newline, f.Escape, f.BOM)
	}
	if len(f.Directives) != 2 || f.Directives[0].Name != "syntax" || f.Directives[1].Value != "\\" {
		t.Errorf("directives %+v", f.Directives)
	}
	if n := len(f.MetaArgs()); n != 1 {
		t.Errorf("meta args %d", n)
	}
	st := f.Stages()
	if len(st) != 1 || st[0].Base().Name != "build" || len(st[0].Body) != 1 {
		t.Fatalf("stages %+v", st)
	}
	run := st[0].Body[0]
	if run.StartLine != 7 || run.EndLine != 8 || string(run.Raw) != "RUN go build \\\r\n  -o /x .\r\n" {
		t.Errorf("run %d-%d %q", run.StartLine, run.EndLine, run.Raw)
	}
	if string(st[0].From.Lead) != "\r\n# the base\r\n" {
		t.Errorf("lead %q", st[0].From.Lead)
	}
	if string(f.Trailer) != "# end\r\n" {
		t.Errorf("trailer %q", f.Trailer)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"empty":       {"", "x: empty file"},
		"comments":    {"# just a comment\n\n", "x:"},
		"no from":     {"RUN echo\n", "x:1: no FROM instruction"},
		"unknown":     {"FROM a\nFOO bar\n", "x:2: unknown instruction: FOO"},
		"nul":         {"FROM a\nRUN \x00\n", "x:2: NUL byte"},
		"utf16":       {"\xFF\xFEF\x00R\x00", "x:1: UTF-16"},
		"bad utf8":    {"FROM a\nRUN \xff\n", "x:2: invalid UTF-8"},
		"heredoc":     {"FROM a\nRUN <<EOF\necho\n", "x:2: unterminated heredoc"},
		"bad flag":    {"FROM a\nCOPY --nope=1 a b\n", "x:2: "},
		"from no arg": {"FROM\n", "x:1: "},
	}
	for name, c := range cases {
		_, err := Parse("x", []byte(c.src))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %q, want prefix %q", name, err, c.want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, src := range roundTripCases {
		f.Add([]byte(src))
	}
	// Seed with the real-world corpus when it is next to the checkout.
	paths, _ := filepath.Glob("../../shared/corpus/*/*")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".result") {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		pf, err := ParseSyntax("fuzz", src)
		if err != nil {
			return
		}
		if got := pf.Bytes(); !bytes.Equal(got, src) {
			t.Fatalf("round trip changed the input\nin  %q\nout %q", src, got)
		}
	})
}

// TestLongLineBoundary: our check refuses exactly the lines BuildKit's
// scanner cannot read, and names the right line.
func TestLongLineBoundary(t *testing.T) {
	for _, n := range []int{65534, 65535, 65536, 65537, 70000} {
		src := []byte("FROM alpine\nRUN " + strings.Repeat("a", n-4) + "\n")
		_, bkErr := bkparser.Parse(bytes.NewReader(src))
		_, err := ParseSyntax("x", src)
		if (bkErr == nil) != (err == nil) {
			t.Errorf("line of %d bytes: BuildKit error %v, ours %v", n, bkErr, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "x:2: line longer than") {
			t.Errorf("line of %d bytes: %v", n, err)
		}
	}
}
