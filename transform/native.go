package transform

import (
	"fmt"
	"path"
	"strings"
)

// What the passes of the languages whose compiler writes one native
// program (Rust, Crystal, Swift) share: the file the container runs must
// reach the runtime stage.

// execInRuntime makes sure the file the container runs, when it is not a
// binary of the build, reaches the runtime: a script or launcher COPY put
// in the image is copied too; one the rewrite cannot trace is a skip.
// execPath is the absolute path the container runs, "" for a bare name.
func (u *Unit) execInRuntime(needs Needs, execPath string) bool {
	p := u.Plan
	exec := needs.Exec
	if exec == "" || strings.Contains(exec, "$") || notProgramNames[exec] {
		return true
	}
	has := func(f string) bool {
		for _, c := range p.Copies {
			if c.Dst == f {
				return true
			}
		}
		return false
	}
	if execPath == "" {
		// A bare name: a file COPY put on the PATH, else a program of the
		// system, which the rewrite cannot check.
		if f := u.copiedOnPath(exec); f != "" && !has(f) {
			dst := f
			if !runtimeOnPath(path.Dir(f)) {
				dst = path.Join("/usr/local/bin", exec)
			}
			p.Copies = append(p.Copies, Copy{Src: f, Dst: dst, Why: fmt.Sprintf("the container runs %s, which line %d copies in", exec, u.copiedFile(f)), Line: needs.ExecLine})
		}
		return true
	}
	if has(execPath) {
		return true
	}
	if line := u.copiedFile(execPath); line != 0 {
		p.Copies = append(p.Copies, Copy{Src: execPath, Dst: execPath, Why: fmt.Sprintf("the container runs it; line %d copies it in", line), Line: needs.ExecLine})
		return true
	}
	switch path.Dir(execPath) {
	case "/bin", "/usr/bin", "/sbin", "/usr/sbin":
		return true // the runtime's own programs
	}
	u.Skip(needs.ExecLine, "the container runs %s, which is neither a binary of the build nor a file copied into the image: the runtime stage would not have it", exec)
	return false
}

// copiedOnPath returns the file a COPY or ADD put on the builder's PATH
// (the standard directories, then the builder image's own, such as
// /usr/local/cargo/bin) under that name, or "".
func (u *Unit) copiedOnPath(name string) string {
	dirs := []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
	if cfg, ok := ConfigOf(u.Base); ok {
		for _, kv := range cfg.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				for _, d := range strings.Split(v, ":") {
					if d = path.Clean(d); strings.HasPrefix(d, "/") && !contains(dirs, d) {
						dirs = append(dirs, d)
					}
				}
			}
		}
	}
	for _, dir := range dirs {
		if f := path.Join(dir, name); u.copiedFile(f) != 0 {
			return f
		}
	}
	return ""
}

// nativeBin is a program a compiler of the build writes, where the build
// leaves it.
type nativeBin struct {
	Path string
	Line int
	Why  string
}

// copyNativeBins adds the copies of the programs the build wrote (to
// /usr/local/bin for one the container runs by bare name), of the files
// the container's command names, and of the file it runs when that is not
// one of them; false when the file is skipped.
func (u *Unit) copyNativeBins(bins []nativeBin) bool {
	needs := u.runtimeNeeds()
	p := u.Plan
	execPath := ""
	if strings.Contains(needs.Exec, "/") && !strings.Contains(needs.Exec, "$") {
		execPath = Resolve(u.finalWorkdir(), needs.Exec)
	}
	ran := false
	var arts []goArtifact
	for _, b := range bins {
		name := path.Base(b.Path)
		dst, why := b.Path, b.Why
		switch {
		case execPath == b.Path:
			ran = true
		case execPath == "" && needs.Exec == name:
			ran = true
			if !runtimeOnPath(path.Dir(b.Path)) {
				dst = path.Join("/usr/local/bin", name)
				why = fmt.Sprintf("%s, run by bare name %q: /usr/local/bin is on the runtime's PATH", why, name)
			}
		}
		p.Copies = append(p.Copies, Copy{Src: b.Path, Dst: dst, Why: why, Line: b.Line})
		arts = append(arts, goArtifact{Path: b.Path, Name: name})
	}
	u.copyReferencedFiles(needs, arts)
	u.copyCommandFiles(needs)
	if !ran {
		return u.execInRuntime(needs, execPath)
	}
	return true
}

// copyCommandFiles copies the files of the build context that the
// container's command names by path or by a file name with an extension
// (bash run.sh): the source tree they were copied into stays behind.
func (u *Unit) copyCommandFiles(needs Needs) {
	p := u.Plan
	wd := u.finalWorkdir()
	for _, w := range append([]string{needs.Exec}, needs.ExecArgs...) {
		if w == "" || strings.HasPrefix(w, "-") || strings.ContainsAny(w, "$:@ ") {
			continue
		}
		if !strings.Contains(w, "/") && !fileExtRe.MatchString(path.Ext(w)) {
			continue
		}
		f := Resolve(wd, w)
		line := u.copiedFile(f)
		if line == 0 {
			continue
		}
		covered := false
		for _, c := range p.Copies {
			if _, in := under(f, path.Clean(c.Dst)); in && c.Replay == nil {
				covered = true
			}
		}
		if !covered {
			p.Copies = append(p.Copies, Copy{Src: f, Dst: f, Line: line,
				Why: fmt.Sprintf("the container's command names %s, which line %d copies in", w, line)})
		}
	}
}
