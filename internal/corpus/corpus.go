// Package corpus finds the shared real-world Dockerfile corpus that sits
// next to a checkout (../shared/corpus) for tests. The corpus belongs to its
// authors and is never copied into this repository; tests that need it skip
// with a message when it is absent, as in a user's clone.
package corpus

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Dir returns the corpus directory, or skips t when it is not there.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err == nil {
		dir := filepath.Join(root, "..", "shared", "corpus")
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	t.Skip("corpus not found at ../shared/corpus next to the checkout: skipping the real-world corpus test")
	return ""
}

// File is one corpus file.
type File struct {
	Path string // absolute path
	Rel  string // path relative to the corpus dir
	// Negative is true for BuildKit's testfiles-negative cases, which must
	// fail to parse.
	Negative bool
}

// Files lists every Dockerfile of the corpus: the ecosystem folders and
// BuildKit's syntax cases (not their .result dumps), sorted.
func Files(t testing.TB) []File {
	dir := Dir(t)
	var out []File
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		base := filepath.Base(p)
		if !strings.Contains(rel, string(filepath.Separator)) || strings.HasSuffix(base, ".result") {
			return nil // README, MANIFEST, .gitattributes, BuildKit's expected dumps
		}
		out = append(out, File{Path: p, Rel: rel, Negative: strings.HasPrefix(base, "buildkit-negative__")})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
