package verify

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stagesplit/stagesplit/parser"
)

func TestPickProbe(t *testing.T) {
	old, mid, now := time.Unix(1e9, 0), time.Unix(2e9, 0), time.Unix(3e9, 0)
	fsys := fstest.MapFS{
		"Dockerfile":          {ModTime: now},
		"go.mod":              {ModTime: now},
		"package.json":        {ModTime: now},
		"smoke":               {ModTime: now},
		"README.md":           {ModTime: now},
		"vendor/x/x.go":       {ModTime: now},
		"node_modules/a/a.js": {ModTime: now},
		"dist/out.js":         {ModTime: now},
		"src/server.js":       {ModTime: old},
		"src/message.js":      {ModTime: mid},
		"build.sh":            {ModTime: now},
	}
	ignore := ignoreRules{"dist", "*.md"}
	got, err := pickProbe(fsys, []string{"."}, ignore)
	if err != nil || got != "src/message.js" {
		t.Errorf("pickProbe = %q, %v; want src/message.js", got, err)
	}
	// Only src/server.js is copied.
	got, err = pickProbe(fsys, []string{"package.json", "src/server.js"}, ignore)
	if err != nil || got != "src/server.js" {
		t.Errorf("pickProbe = %q, %v; want src/server.js", got, err)
	}
	// No preferred language: a file with a comment syntax.
	got, err = pickProbe(fsys, []string{"build.sh", "README.md", "go.mod"}, nil)
	if err != nil || got != "build.sh" {
		t.Errorf("pickProbe = %q, %v; want build.sh", got, err)
	}
	// Only manifests.
	if got, err := pickProbe(fsys, []string{"go.mod", "package.json"}, nil); err == nil {
		t.Errorf("pickProbe = %q, want an error", got)
	}
}

func TestCopiedSources(t *testing.T) {
	src := "FROM golang:1.26 AS b\nCOPY go.mod ./\nCOPY ./cmd/ /src/cmd\nADD *.go /src/\nCOPY --from=b /x /y\nFROM scratch\n"
	f, err := parser.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := copiedSources(f)
	want := []string{"go.mod", "cmd", "*.go"}
	if len(got) != len(want) {
		t.Fatalf("copiedSources = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("copiedSources = %q, want %q", got, want)
		}
	}
	for file, ok := range map[string]bool{"cmd/zsum/main.go": true, "main.go": true, "lib/x.go": false, "go.sum": false} {
		if isCopied(file, got) != ok {
			t.Errorf("isCopied(%q) = %v", file, !ok)
		}
	}
}

func TestIgnore(t *testing.T) {
	rules := ignoreRules{"node_modules", "*.log", "docs/**", "!docs/keep.md"}
	for file, want := range map[string]bool{
		"node_modules/a/b.js": true, "npm.log": true, "src/a.js": false,
		"docs/x.md": true, "docs/keep.md": false,
	} {
		if got := rules.ignored(file); got != want {
			t.Errorf("ignored(%q) = %v, want %v", file, got, want)
		}
	}
}

func TestTouchSourceAndCopy(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "m.go"), []byte("package a\n"), 0o644)
	os.WriteFile(filepath.Join(src, "data.txt"), []byte("x"), 0o600)
	os.Symlink("a/m.go", filepath.Join(src, "link"))
	dst := filepath.Join(t.TempDir(), "copy")
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "link")); err != nil || l != "a/m.go" {
		t.Errorf("symlink: %q %v", l, err)
	}
	if c, err := touchSource(filepath.Join(dst, "a", "m.go")); err != nil || c != "comment" {
		t.Fatal(c, err)
	}
	b, _ := os.ReadFile(filepath.Join(dst, "a", "m.go"))
	if len(b) <= len("package a\n") || string(b[:10]) != "package a\n" {
		t.Errorf("m.go = %q", b)
	}
	if c, err := touchSource(filepath.Join(dst, "data.txt")); err != nil || c != "newline" {
		t.Fatal(c, err)
	}
	b, _ = os.ReadFile(filepath.Join(dst, "data.txt"))
	if string(b) != "x\n" {
		t.Errorf("data.txt = %q", b)
	}
	// The original is untouched.
	if b, _ := os.ReadFile(filepath.Join(src, "a", "m.go")); string(b) != "package a\n" {
		t.Errorf("source changed: %q", b)
	}
}
