package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagesplit/stagesplit/parser"
	"golang.org/x/tools/txtar"
)

// slowRewrite fails a fuzz input that takes far longer than any real
// Dockerfile (milliseconds): the fuzzer then keeps it as a regression case.
var slowRewrite = 5 * time.Second

// FuzzRewrite: any input BuildKit accepts is rewritten without panic, and
// a rewrite parses, converts, keeps the final image config and is left
// alone by a second run.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			continue
		}
		for _, af := range ar.Files {
			if af.Name == "Dockerfile" {
				f.Add(unescapeCR(af.Data))
			}
		}
	}
	if dir, err := filepath.Abs("../../shared/corpus"); err == nil {
		// Every ecosystem's files: each pass gets real inputs to mutate.
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		pf, err := parser.Parse("fuzz", src)
		if err != nil {
			return
		}
		start := time.Now()
		res, err := Rewrite(pf, Options{})
		if d := time.Since(start); d > slowRewrite {
			t.Fatalf("a %d-byte input took %v to rewrite", len(src), d)
		}
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if !res.Changed {
			if string(res.Output) != string(src) {
				t.Fatal("unchanged result differs from the input")
			}
			return
		}
		checkRewrite(t, "fuzz", src, res.Output, Options{})
	})
}
