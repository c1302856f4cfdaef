package transform

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	bkparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stagesplit/stagesplit/internal/corpus"
	"github.com/stagesplit/stagesplit/parser"
)

// sized returns a Go Dockerfile of about n bytes: a rewrite candidate
// whose bulk is ordinary RUN and ENV lines.
func sized(n int) []byte {
	var b bytes.Buffer
	b.WriteString("FROM golang:1.22-bookworm\nWORKDIR /app\nCOPY . .\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "RUN echo step %d && mkdir -p /tmp/s%d\n", i, i)
		if i%50 == 0 {
			fmt.Fprintf(&b, "ENV V%d=value%d\n", i, i)
		}
	}
	b.WriteString("RUN CGO_ENABLED=0 go build -o /app/app .\nCMD [\"/app/app\"]\n")
	return b.Bytes()
}

// continuation returns a Dockerfile whose RUN spans n lines.
func continuation(n int) []byte {
	var b bytes.Buffer
	b.WriteString("FROM golang:1.22-bookworm\nWORKDIR /app\nRUN echo \\\n")
	b.WriteString(strings.Repeat(" a \\\n", n))
	b.WriteString(" end\nRUN CGO_ENABLED=0 go build -o /app/app .\nCMD [\"/app/app\"]\n")
	return b.Bytes()
}

func benchRewrite(b *testing.B, src []byte) {
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, err := parser.Parse("Dockerfile", src)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Rewrite(f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Changed && len(f.Instructions) <= MaxInstructions {
			b.Fatalf("not rewritten: %s", res.SkippedReason)
		}
	}
}

// Time and memory per byte should stay flat from 1 KB to 10 MB. The 10 MB
// file has more than MaxInstructions instructions: it is parsed, printed
// and skipped, which is the linear part; see MaxInstructions.
func BenchmarkRewrite1KB(b *testing.B)   { benchRewrite(b, sized(1<<10)) }
func BenchmarkRewrite100KB(b *testing.B) { benchRewrite(b, sized(100<<10)) }
func BenchmarkRewrite1MB(b *testing.B)   { benchRewrite(b, sized(1<<20)) }
func BenchmarkRewrite10MB(b *testing.B)  { benchRewrite(b, sized(10<<20)) }

func BenchmarkRewriteContinuation100k(b *testing.B) { benchRewrite(b, continuation(100000)) }

func corpusSources(b *testing.B) [][]byte {
	var out [][]byte
	for _, cf := range corpus.Files(b) {
		if strings.HasPrefix(cf.Rel, "syntax") {
			continue
		}
		src, err := os.ReadFile(cf.Path)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, src)
	}
	return out
}

// BenchmarkCorpusParseOnly is BuildKit's parser alone over the corpus,
// the yardstick for BenchmarkCorpusRewrite.
func BenchmarkCorpusParseOnly(b *testing.B) {
	srcs := corpusSources(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, src := range srcs {
			_, _ = bkparser.Parse(bytes.NewReader(src))
		}
	}
}

// BenchmarkCorpusRewrite is the whole pipeline over the corpus: parse,
// passes, BuildKit conversion of input and output, second run.
func BenchmarkCorpusRewrite(b *testing.B) {
	srcs := corpusSources(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, src := range srcs {
			f, err := parser.Parse("Dockerfile", src)
			if err != nil {
				continue
			}
			if _, err := Rewrite(f, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCorpusRewriteNoSelfcheck is the pipeline without the self-check
// (--skip-pass selfcheck): what the passes cost apart from BuildKit's
// conversion of input and output.
func BenchmarkCorpusRewriteNoSelfcheck(b *testing.B) {
	srcs := corpusSources(b)
	skip := map[string]bool{"selfcheck": true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, src := range srcs {
			f, err := parser.Parse("Dockerfile", src)
			if err != nil {
				continue
			}
			if _, err := Rewrite(f, Options{Skip: skip}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
