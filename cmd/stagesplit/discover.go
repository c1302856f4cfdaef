package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// skipDirs are never walked.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, ".bzr": true, "node_modules": true, ".terraform": true}

// IsDockerfileName reports whether a file name is one the directory walk
// picks up.
func IsDockerfileName(name string) bool {
	lower := strings.ToLower(name)
	for _, suf := range []string{".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".orig", ".bak", ".rej", ".swp", ".swo", "~", ".md", ".txt", ".golden"} {
		if strings.HasSuffix(lower, suf) {
			return false
		}
	}
	switch {
	case name == "Dockerfile", name == "Containerfile", lower == "dockerfile":
		return true
	case strings.HasPrefix(name, "Dockerfile."), strings.HasPrefix(name, "Containerfile."):
		return true
	case strings.HasSuffix(lower, ".dockerfile"):
		return true
	}
	return false
}

// discover calls found for path itself when it is a file, or for every
// Dockerfile below it in lexical order. The walk never follows symbolic
// links, skips VCS and node_modules directories, and leaves out what git
// ignores: inside a git work tree git itself is asked (git ls-files), so
// nested repositories, global excludes and .git/info/exclude count as git
// counts them; outside one, the .gitignore files are read with go-git's
// matcher.
func discover(root string, found func(string), fail func(error)) {
	st, err := os.Stat(root)
	if err != nil {
		fail(fmt.Errorf("%s: %v", root, cleanErr(err)))
		return
	}
	if !st.IsDir() {
		found(root)
		return
	}
	var repos []*gitRepo // the enclosing repositories, innermost last
	if r := enclosingRepo(root); r != nil {
		repos = append(repos, r)
	}
	var ign []gitignore.Pattern // .gitignore patterns outside any repository
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fail(fmt.Errorf("%s: %v", p, cleanErr(err)))
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		for len(repos) > 0 && !within(p, repos[len(repos)-1].dir) {
			repos = repos[:len(repos)-1]
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			if hasGit(p) && (len(repos) == 0 || repos[len(repos)-1].dir != absPath(p)) {
				if r := openRepo(p); r != nil {
					repos = append(repos, r)
				}
			}
			if len(repos) > 0 {
				if p != root && !repos[len(repos)-1].hasDir(p) && !hasGit(p) {
					return filepath.SkipDir // git ignores everything below
				}
				return nil
			}
			if data, err := os.ReadFile(filepath.Join(p, ".gitignore")); err == nil {
				ign = append(ign, parseIgnore(data, splitPath(root, p))...)
			}
			if p != root && gitignore.NewMatcher(ign).Match(splitPath(root, p), true) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !IsDockerfileName(d.Name()) {
			return nil
		}
		if len(repos) > 0 {
			if !repos[len(repos)-1].hasFile(p) {
				return nil
			}
		} else if gitignore.NewMatcher(ign).Match(splitPath(root, p), false) {
			return nil
		}
		found(p)
		return nil
	})
	if err != nil {
		fail(err)
	}
}

// gitRepo is the set of files git does not ignore in one work tree.
type gitRepo struct {
	dir   string // absolute
	files map[string]bool
	dirs  map[string]bool
}

func (r *gitRepo) hasFile(p string) bool { return r.files[absPath(p)] }
func (r *gitRepo) hasDir(p string) bool  { return r.dirs[absPath(p)] }

func hasGit(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// enclosingRepo returns the work tree containing dir, when dir is inside
// one but not at its top (the walk finds tops itself).
func enclosingRepo(dir string) *gitRepo {
	if hasGit(dir) {
		return openRepo(dir)
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return nil
	}
	return openRepo(strings.TrimSpace(string(out)))
}

// openRepo lists the tracked and the untracked-but-not-ignored files of a
// work tree; nil when git is not there to ask.
func openRepo(dir string) *gitRepo {
	out, err := exec.Command("git", "-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return nil
	}
	r := &gitRepo{dir: absPath(dir), files: map[string]bool{}, dirs: map[string]bool{}}
	r.dirs[r.dir] = true
	for _, rel := range bytes.Split(out, []byte{0}) {
		if len(rel) == 0 {
			continue
		}
		abs := filepath.Join(r.dir, filepath.FromSlash(string(rel)))
		r.files[abs] = true
		for d := filepath.Dir(abs); within(d, r.dir) && !r.dirs[d]; d = filepath.Dir(d) {
			r.dirs[d] = true
		}
	}
	return r
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func within(p, dir string) bool {
	a := absPath(p)
	return a == dir || strings.HasPrefix(a, dir+string(filepath.Separator))
}

func splitPath(root, p string) []string {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == "." {
		return nil
	}
	return strings.Split(filepath.ToSlash(rel), "/")
}

func parseIgnore(data []byte, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}
