package transform

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
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
	f.Fuzz(func(t *testing.T, src []byte) { fuzzOne(t, src, Options{}) })
}

// fuzzOne rewrites one fuzz input: no panic, no internal error, no
// minutes-long run; an unchanged result is the input byte for byte, and a
// rewrite passes checkRewrite.
func fuzzOne(t *testing.T, src []byte, opts Options) {
	pf, err := parser.Parse("fuzz", src)
	if err != nil {
		return
	}
	start := time.Now()
	res, err := Rewrite(pf, opts)
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
	checkRewrite(t, "fuzz", src, res.Output, opts)
}

// FuzzRewriteContext is FuzzRewrite with a build context: each input is a
// txtar archive of a Dockerfile and its context files (the golden cases'),
// so mutations reach what the passes read from package.json, Cargo.toml,
// requirements files, Makefiles and scripts. A Rust project moved into /
// once made a search for its workspace root loop forever.
func FuzzRewriteContext(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			continue
		}
		seed := &txtar.Archive{}
		for _, af := range ar.Files {
			if af.Name == "Dockerfile" || strings.HasPrefix(af.Name, "context/") {
				seed.Files = append(seed.Files, af)
			}
		}
		if len(seed.Files) > 1 {
			f.Add(txtar.Format(seed))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ar := txtar.Parse(data)
		var src []byte
		fsys := fstest.MapFS{}
		for _, af := range ar.Files {
			switch name := path.Clean(strings.TrimPrefix(af.Name, "context/")); {
			case af.Name == "Dockerfile":
				src = unescapeCR(af.Data)
			case strings.HasPrefix(af.Name, "context/") && fs.ValidPath(name) && name != ".":
				fsys[name] = &fstest.MapFile{Data: af.Data}
			}
		}
		fuzzOne(t, src, Options{Context: fsys})
	})
}
