package verify

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/stagesplit/stagesplit/parser"
)

// Manifests are dependency manifests and lock files: changing them is not a
// source-only change, so the rebuild probe never touches them.
var Manifests = map[string]bool{
	"go.mod": true, "go.sum": true, "go.work": true, "go.work.sum": true,
	"package.json": true, "package-lock.json": true, "npm-shrinkwrap.json": true,
	"yarn.lock": true, "pnpm-lock.yaml": true, "pnpm-workspace.yaml": true, "bun.lockb": true, "bun.lock": true,
	".npmrc": true, ".yarnrc": true, ".yarnrc.yml": true,
	"requirements.txt": true, "pyproject.toml": true, "poetry.lock": true, "Pipfile": true, "Pipfile.lock": true, "setup.py": true, "setup.cfg": true,
	"Cargo.toml": true, "Cargo.lock": true, "Gemfile": true, "Gemfile.lock": true,
	"pom.xml": true, "build.gradle": true, "build.gradle.kts": true, "settings.gradle": true, "composer.json": true, "composer.lock": true,
}

// notSource are context files that are not the application's source.
var notSource = map[string]bool{
	"Dockerfile": true, ".dockerignore": true, "smoke": true, "smoke.out": true,
}

// dependencyDirs hold vendored or installed dependencies.
var dependencyDirs = map[string]bool{"vendor": true, "node_modules": true, ".git": true}

// lineComment is how to append a comment to a source file, by extension.
var lineComment = map[string]string{
	".go": "//", ".js": "//", ".mjs": "//", ".cjs": "//", ".ts": "//", ".mts": "//", ".cts": "//",
	".jsx": "//", ".tsx": "//", ".java": "//", ".kt": "//", ".rs": "//", ".c": "//", ".h": "//",
	".cc": "//", ".cpp": "//", ".cs": "//", ".swift": "//", ".scala": "//", ".php": "//",
	".nim": "#", ".py": "#", ".rb": "#", ".sh": "#", ".pl": "#", ".yaml": "#", ".yml": "#", ".toml": "#",
}

// preferred are the source files the probe picks first.
var preferred = map[string]bool{".go": true, ".js": true, ".ts": true, ".mjs": true}

// buildFunc builds df with context dir and tags it.
type buildFunc func(df, dir, tag string) (time.Duration, error)

// rebuild measures the rebuild time of both Dockerfiles after a source-only
// change: the context is copied to a temporary directory, each Dockerfile is
// built there once (warm cache), then, for each in turn, one source file
// gets a comment (or a newline) appended and the Dockerfile is built again.
// The file is changed again before the second rebuild so that the rewrite's
// build stage cannot reuse the layers the original's rebuild just made.
func rebuild(ctx context.Context, build buildFunc, work, dockerfile, ctxDir, rewritten string, tags []string, f *parser.File) (*Rebuild, error) {
	probe, err := pickProbe(os.DirFS(ctxDir), copiedSources(f), readIgnore(ctxDir))
	if err != nil {
		return nil, err
	}
	copyDir := filepath.Join(work, "context")
	if err := copyTree(ctxDir, copyDir); err != nil {
		return nil, fmt.Errorf("copying the context: %v", err)
	}
	rel, err := filepath.Rel(ctxDir, dockerfile)
	if err != nil {
		return nil, err
	}
	dfs := []string{filepath.Join(copyDir, rel), rewritten}
	for i, df := range dfs {
		if _, err := build(df, copyDir, tags[i]); err != nil {
			return nil, fmt.Errorf("warm-up build: %v", err)
		}
	}
	// One rebuild is at the mercy of whatever else the machine does: take
	// the median of rebuildRounds, alternating original and rewrite.
	rb := &Rebuild{File: probe}
	var times [2][]float64
	for round := 0; round < rebuildRounds; round++ {
		for i, df := range dfs {
			if rb.Change, err = touchSource(filepath.Join(copyDir, filepath.FromSlash(probe))); err != nil {
				return nil, err
			}
			took, err := build(df, copyDir, tags[i])
			if err != nil {
				return nil, fmt.Errorf("rebuild after changing %s: %v", probe, err)
			}
			times[i] = append(times[i], took.Seconds())
		}
	}
	rb.Before, rb.After = median(times[0]), median(times[1])
	return rb, nil
}

// rebuildRounds is how many rebuilds of each Dockerfile the median is
// taken over.
const rebuildRounds = 3

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// touchSource appends a comment line (or, for files without a known
// comment syntax, a newline) to the file. The comment carries the time so
// that a build cache from an earlier run cannot match it.
// It returns "comment" or "newline".
func touchSource(p string) (string, error) {
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return "", err
	}
	text, change := "\n", "newline"
	if c, ok := lineComment[strings.ToLower(filepath.Ext(p))]; ok {
		text = fmt.Sprintf("\n%s stagesplit verify: rebuild probe %d\n", c, time.Now().UnixNano())
		change = "comment"
	}
	_, err = io.WriteString(fh, text)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return change, err
}

// copiedSources are the source paths of the COPY and ADD instructions that
// read from the build context (not --from), cleaned and relative.
func copiedSources(f *parser.File) []string {
	var out []string
	for _, in := range f.Instructions {
		var srcs []string
		switch c := in.Command.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				continue
			}
			srcs = c.SourcePaths
		case *instructions.AddCommand:
			srcs = c.SourcePaths
		}
		for _, s := range srcs {
			if strings.Contains(s, "://") {
				continue
			}
			out = append(out, cleanRel(s))
		}
	}
	return out
}

func cleanRel(p string) string {
	p = path.Clean("/" + filepath.ToSlash(p))
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// isCopied reports whether file (relative, slash-separated) is named by one
// of the COPY sources: the source is ".", the file itself, one of its
// parent directories, or a glob matching either.
func isCopied(file string, sources []string) bool {
	for _, s := range sources {
		if s == "." {
			return true
		}
		for p := file; p != "."; p = path.Dir(p) {
			if p == s {
				return true
			}
			if ok, _ := path.Match(s, p); ok {
				return true
			}
		}
	}
	return false
}

// ignoreRules is a .dockerignore, approximated: a path is ignored when the
// last pattern that matches it or one of its parents is not a "!" pattern.
// "**" is treated as "*" within one component.
type ignoreRules []string

func readIgnore(dir string) ignoreRules {
	b, err := os.ReadFile(filepath.Join(dir, ".dockerignore"))
	if err != nil {
		return nil
	}
	var rules ignoreRules
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rules = append(rules, line)
	}
	return rules
}

func (rules ignoreRules) ignored(file string) bool {
	ignored := false
	for _, r := range rules {
		neg := strings.HasPrefix(r, "!")
		pat := cleanRel(strings.ReplaceAll(strings.TrimPrefix(r, "!"), "**", "*"))
		for p := file; p != "."; p = path.Dir(p) {
			if ok, _ := path.Match(pat, p); ok {
				ignored = !neg
				break
			}
		}
	}
	return ignored
}

// pickProbe chooses the context file the rebuild measure changes: a file
// that a COPY/ADD sends into the image, is not ignored, is not a dependency
// manifest nor under vendor/ or node_modules/: the newest .go/.js/.ts/.mjs
// file, else the newest file with a known comment syntax, else the newest
// such file.
func pickProbe(fsys fs.FS, sources []string, ignore ignoreRules) (string, error) {
	type cand struct {
		path string
		rank int
		mod  time.Time
	}
	var cands []cand
	err := fs.WalkDir(fsys, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			if p != "." && (dependencyDirs[de.Name()] || ignore.ignored(p)) {
				return fs.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() || Manifests[de.Name()] || notSource[de.Name()] ||
			strings.HasPrefix(de.Name(), "Dockerfile") || ignore.ignored(p) || !isCopied(p, sources) {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		ext := strings.ToLower(path.Ext(p))
		rank := 2
		switch {
		case preferred[ext]:
			rank = 0
		case lineComment[ext] != "":
			rank = 1
		}
		cands = append(cands, cand{p, rank, info.ModTime()})
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no source file to change: no context file is COPY'd that is not a dependency manifest")
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if !a.mod.Equal(b.mod) {
			return a.mod.After(b.mod)
		}
		return a.path < b.path
	})
	return cands[0].path, nil
}

// copyTree copies a directory tree, keeping modes and symlinks.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := de.Info()
		if err != nil {
			return err
		}
		switch {
		case de.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case de.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case de.Type().IsRegular():
			return copyFile(p, target, info.Mode().Perm())
		}
		return nil // sockets, devices: not part of a build context
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
