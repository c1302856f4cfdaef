package transform

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagesplit/stagesplit/parser"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want and decisions sections of the golden files")

// TestGolden runs every case of testdata/golden/*.txtar. A case holds the
// input (Dockerfile), optional build-context files (context/...), optional
// options (runtime=POLICY), the
// expected output (want) and the expected decisions. -update rewrites only
// want and decisions. Every output is also checked independently and run
// again, which must change nothing.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			var haveSrc bool
			ctx := fstest.MapFS{}
			hasCtx := false
			opts := Options{}
			for _, f := range ar.Files {
				switch {
				case f.Name == "Dockerfile":
					src, haveSrc = unescapeCR(f.Data), true
				case strings.HasPrefix(f.Name, "context/"):
					ctx[strings.TrimPrefix(f.Name, "context/")] = &fstest.MapFile{Data: f.Data}
					hasCtx = true
				case f.Name == "options":
					// runtime=POLICY lines, as the --runtime flag gives them.
					for _, l := range strings.Fields(string(f.Data)) {
						if v, ok := strings.CutPrefix(l, "runtime="); ok {
							opts.Runtime = v
						} else {
							t.Fatalf("options: unknown %q", l)
						}
					}
				}
			}
			if !haveSrc {
				t.Fatal("no Dockerfile section")
			}
			if bytes.HasSuffix(src, []byte("\\no-final-newline\n")) {
				src = bytes.TrimSuffix(src, []byte("\\no-final-newline\n"))
			}
			if hasCtx {
				opts.Context = ctx
			}
			f, err := parser.Parse("Dockerfile", src)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Rewrite(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			var dec strings.Builder
			for _, d := range res.Decisions {
				fmt.Fprintf(&dec, "%d: %s: %s: %s\n", d.Line, d.Pass, d.Action, d.Message)
			}
			got := map[string][]byte{"want": escapeCR(res.Output), "decisions": []byte(dec.String())}
			if *update {
				for _, name := range []string{"want", "decisions"} {
					setSection(ar, name, got[name])
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range []string{"want", "decisions"} {
				want, ok := section(ar, name)
				if !ok {
					t.Fatalf("no %s section (run with -update)", name)
				}
				if !bytes.Equal(want, got[name]) {
					t.Errorf("%s differs\n--- got\n%s\n--- want\n%s", name, got[name], want)
				}
			}
			if res.Changed {
				checkRewrite(t, "Dockerfile", src, res.Output, opts)
			} else if !bytes.Equal(res.Output, src) {
				t.Errorf("unchanged result is not the input")
			}
		})
	}
}

// CR bytes are shown as a visible marker so that CRLF cases survive in
// txtar files.
func escapeCR(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("<CR>"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, []byte("\\no-final-newline\n")...)
	}
	return b
}

func unescapeCR(b []byte) []byte { return bytes.ReplaceAll(b, []byte("<CR>"), []byte("\r")) }

func section(ar *txtar.Archive, name string) ([]byte, bool) {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}
