package transform

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// distroRuntime is the runtime of a build on a distribution image: the
// same image, or for a Debian tag that names a release its slim variant.
// An unpinned tag (latest, stable, sid) stays the same reference, so that
// builder and runtime are resolved together.
func distroRuntime(b Image) (Image, string) {
	if b.Family == "debian" && b.Release != "" && b.Digest == "" && b.Tag != "" &&
		!strings.Contains(b.Tag, "slim") && !strings.Contains(b.Tag, "backports") {
		if rt, why := slimOf(b); why == "" {
			return rt, "the slim variant of the same Debian release"
		}
	}
	rt := ParseImage(b.Ref, b.Expanded)
	switch {
	case b.Family == "debian" && strings.Contains(b.Tag, "slim"):
		return rt, "the builder's own image, already slim: the split leaves the toolchain and sources behind"
	case b.Release == "" || b.Tag == "" || b.Tag == "latest":
		return rt, "the builder's own reference: its tag names no release, so only the same reference has the same libraries"
	}
	return rt, "the builder's own image: the split leaves the toolchain and sources behind"
}

// forbiddenPrefixes hold the distribution's own files: an install there
// cannot be copied apart.
var forbiddenPrefixes = map[string]bool{
	"/": true, "/usr": true, "/bin": true, "/sbin": true, "/lib": true, "/lib32": true, "/lib64": true,
	"/libx32": true, "/etc": true, "/var": true, "/root": true, "/home": true, "/tmp": true, "/usr/lib": true,
	"/usr/share": true, "/usr/bin": true, "/usr/sbin": true,
}

// unknownDev lists the -dev packages the build keeps whose run-time
// package is not known: a C program links the library of each, so the
// runtime would lack it.
func (s *cScan) unknownDev() (string, int) {
	u := s.u
	purged := map[string]bool{}
	for _, st := range u.Steps {
		for _, x := range st.Purges {
			purged[x] = true
		}
	}
	musl := u.Base.Libc == "musl"
	var unknown []string
	line := 0
	for _, st := range u.Steps {
		for _, p := range st.Installs {
			if purged[p] || !strings.HasSuffix(p, "-dev") || buildOnlyPackages[p] || headerOnly[p] || strings.Contains(p, "$") {
				continue
			}
			known := devToRuntime[p] != nil
			if musl {
				_, known = apkDevToRuntime[p]
			}
			if !known && !contains(unknown, p) {
				unknown = append(unknown, p)
				if line == 0 {
					line = st.In.StartLine
				}
			}
		}
	}
	if len(unknown) == 0 {
		return "", 0
	}
	return fmt.Sprintf("line %d installs %s, whose run-time package is not known (docs/tables.md): a C or C++ program links the library of each, and the runtime would lack it", line, strings.Join(unknown, ", ")), line
}

func (s *cScan) planDistro(prog *cProg) {
	u := s.u
	if why, line := s.unknownDev(); why != "" {
		u.Skip(line, "%s", why)
		return
	}
	installs, _, _ := s.installs()
	// Distinct prefixes, the outermost of nested ones.
	sort.SliceStable(installs, func(i, j int) bool { return len(installs[i].Prefix) < len(installs[j].Prefix) })
	type prefix struct {
		dir   string
		lines []string
	}
	var prefixes []*prefix
	for _, b := range installs {
		if forbiddenPrefixes[b.Prefix] {
			u.Skip(b.Line, "line %d installs into %s (%s), among the distribution's own files: what the install adds cannot be copied apart", b.Line, b.Prefix, b.PrefixWhy)
			return
		}
		var in *prefix
		for _, p := range prefixes {
			if _, ok := under(b.Prefix, p.dir); ok {
				in = p
			}
		}
		what := fmt.Sprintf("line %d (%s install)", b.Line, b.Tool)
		if in == nil {
			prefixes = append(prefixes, &prefix{dir: b.Prefix, lines: []string{what}})
		} else if !contains(in.lines, what) {
			in.lines = append(in.lines, what)
		}
	}
	// --sysconfdir=/etc/relayd: make install puts the configuration there,
	// outside the prefix. It is copied when the container names a file in
	// it (it exists then); otherwise what lies there is not known.
	var etcs []Copy
	for _, b := range installs {
		d := b.Sysconfdir
		if d == "" {
			continue
		}
		if _, in := under(d, b.Prefix); in {
			continue
		}
		named := false
		for _, a := range append([]string{s.needs.Exec}, s.needs.ExecArgs...) {
			if _, in := under(path.Clean(a), d); in && strings.HasPrefix(a, "/") {
				named = true
			}
		}
		if !named || distroDirs[d] {
			u.Skip(b.Line, "line %d installs with --sysconfdir=%s, outside the prefix %s: which configuration files make install puts there is not known", b.Line, d, b.Prefix)
			return
		}
		etcs = append(etcs, Copy{Src: d, Dst: d, Line: b.Line,
			Why: fmt.Sprintf("line %d installs the configuration into %s (--sysconfdir), and the container reads it", b.Line, d)})
	}
	plan := &Plan{Ecosystem: "c"}
	u.Plan = plan
	plan.Copies = append(plan.Copies, etcs...)
	for _, p := range prefixes {
		why := fmt.Sprintf("%s installs programs and libraries there", strings.Join(p.lines, ", "))
		if p.dir == "/usr/local" {
			why += fmt.Sprintf("; %s has nothing of its own in it", u.Base.Expanded)
		}
		plan.Copies = append(plan.Copies, Copy{Src: p.dir, Dst: p.dir, Why: why, Line: installs[0].Line})
	}
	inPrefix := false
	for _, p := range prefixes {
		if _, ok := under(prog.Path, p.dir); ok {
			inPrefix = true
			u.Fact(prog.Line, "the container runs %s, which the install puts under %s", s.needs.Exec, p.dir)
		}
	}
	if !inPrefix {
		s.copyProgram(prog)
	}
	s.copyWorkdir()
	if !s.copyContextFiles() {
		return
	}
	s.copyMadeDirs()
	if u.Base.Libc != "musl" && len(prefixes) > 0 {
		plan.RuntimeTail = append(plan.RuntimeTail, ldconfigRun(u,
			fmt.Sprintf("the libraries installed under %s must be in the dynamic linker's cache", prefixes[0].dir), installs[0].Line))
	}
	if u.Base.Libc == "musl" && s.mayBeCxx() {
		why := "the program may be C++ (the build runs make or cmake with g++ installed): alpine has no libstdc++ of its own"
		if s.cxx != "" {
			why = "C++ program (" + s.cxx + "): alpine has no libstdc++ of its own"
		}
		plan.Packages = append(plan.Packages, Package{Name: "libstdc++", Why: why, Line: prog.Line})
	}
	if !s.planNimLibs() {
		return
	}
	rt, why := distroRuntime(u.Base)
	plan.Runtime = rt
	u.Fact(u.Stage.From.StartLine, "runtime %s: %s", rt.Ref, why)
}

// mayBeCxx reports whether a program built on alpine may link libstdc++.
func (s *cScan) mayBeCxx() bool {
	if s.cxx != "" {
		return true
	}
	if len(s.runs) == 0 {
		return false // compiler commands only, none of them C++
	}
	for _, st := range s.u.Steps {
		for _, p := range st.Installs {
			switch p {
			case "g++", "build-base", "alpine-sdk", "clang":
				return true
			}
		}
	}
	return false
}

// copyMadeDirs carries the directories a RUN made (mkdir), outside what
// is copied already and outside the build trees.
func (s *cScan) copyMadeDirs() {
	u := s.u
	p := u.Plan
	covered := func(x string) bool {
		for _, c := range p.Copies {
			if _, in := under(x, c.Src); in {
				return true
			}
		}
		return false
	}
	inBuild := func(d string) bool {
		for _, b := range s.runs {
			for _, t := range []string{b.Dir, b.Src} {
				if t == "" {
					continue
				}
				if _, in := under(d, t); in {
					return true
				}
				if _, in := under(t, d); in {
					return true
				}
			}
		}
		return false
	}
	keep := func(d string) bool {
		return !(d == "/" || systemDirs[d] || standardDirs[d] || strings.HasPrefix(d, "/tmp/") || covered(d) || inBuild(d))
	}
	for _, m := range s.mkdir {
		if keep(m.Dst) && s.removedAfter(m.Dst, m.Line) == 0 {
			p.Copies = append(p.Copies, Copy{Src: m.Dst, Dst: m.Dst, Why: fmt.Sprintf("line %d creates it", m.Line), Line: m.Line, Chown: u.runUserAt(m.Line)})
		}
	}
}
