// Package examples holds small real apps with a legacy single-stage
// Dockerfile each, the rewrite stagesplit must produce (rewrite.golden),
// and a smoke command with its expected output for the real-build tests.
package examples

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stagesplit/stagesplit/parser"
	"github.com/stagesplit/stagesplit/transform"
)

var update = flag.Bool("update", false, "rewrite the rewrite.golden files")

// TestRewriteGolden rewrites every example with its directory as the build
// context and compares with rewrite.golden; the golden output, rewritten
// again, must not change. An example without rewrite.golden (an ecosystem
// whose rewrite is not written yet) is skipped, unless -update is given and
// the rewrite changes the file.
func TestRewriteGolden(t *testing.T) {
	dirs, _ := filepath.Glob("*/Dockerfile")
	if len(dirs) < 4 {
		t.Fatalf("expected at least 4 examples, found %d", len(dirs))
	}
	for _, df := range dirs {
		dir := filepath.Dir(df)
		t.Run(dir, func(t *testing.T) {
			golden := filepath.Join(dir, "rewrite.golden")
			_, statErr := os.Stat(golden)
			noGolden := errors.Is(statErr, fs.ErrNotExist)
			if noGolden && !*update {
				t.Skip("no rewrite.golden yet")
			}
			src, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.Parse(df, src)
			if err != nil {
				t.Fatal(err)
			}
			opts := transform.Options{Context: os.DirFS(dir)}
			res, err := transform.Rewrite(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed {
				if noGolden {
					t.Skipf("no rewrite.golden yet, and not rewritten: %s", res.SkippedReason)
				}
				t.Fatalf("not rewritten: %s", res.SkippedReason)
			}
			if *update {
				if err := os.WriteFile(golden, res.Output, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(res.Output, want) {
				t.Errorf("rewrite differs from %s:\n%s", golden, res.Output)
			}
			f2, err := parser.Parse(golden, want)
			if err != nil {
				t.Fatal(err)
			}
			again, err := transform.Rewrite(f2, opts)
			if err != nil || again.Changed {
				t.Errorf("the golden rewrite is rewritten again (err %v)", err)
			}
		})
	}
}
