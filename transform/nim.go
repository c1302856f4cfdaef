package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// Nim compiles through C with the system's gcc, so a Nim program is planned
// like a C one: `nim c app.nim` (or nimble c, nim cpp) links ./app next to
// its main module, or where -o:/--out: and --outdir: say.

// nimCompileVerbs are the nim and nimble commands that compile and link a
// program.
var nimCompileVerbs = map[string]bool{"c": true, "cc": true, "compile": true, "cpp": true, "compileToC": true, "compileToCpp": true}

// nimOpt splits a Nim option (-o:x, --out=x, --passL:"-lfoo") into its name
// and value.
func nimOpt(a string) (name, val string) {
	a = strings.TrimLeft(a, "-")
	if i := strings.IndexAny(a, ":="); i >= 0 {
		return strings.ToLower(a[:i]), strings.Trim(a[i+1:], `"'`)
	}
	return strings.ToLower(a), ""
}

var nimbleBinRe = regexp.MustCompile(`(?m)^\s*bin\s*=\s*@\[([^\]]*)\]`)
var nimbleDirRe = regexp.MustCompile(`(?m)^\s*binDir\s*=\s*"([^"]*)"`)

// nim reads a nim or nimble command.
func (s *cScan) nim(st *Step, c Command, dir string) {
	line := st.In.StartLine
	args := c.Args[1:]
	verb := ""
	var rest []string
	for _, a := range args {
		switch {
		case verb == "" && !strings.HasPrefix(a, "-"):
			verb = a
		default:
			rest = append(rest, a)
		}
	}
	if c.Name() == "nimble" {
		switch verb {
		case "build":
			s.nimbleBuild(st, c, dir, rest)
			return
		case "install":
			if len(nonFlags(rest)) == 0 && !hasFlag(rest, "--depsOnly", "-d", "--deps-only") {
				s.nimLine = line
				s.nimUnknown = fmt.Sprintf("line %d runs nimble install: it puts the project's binaries in ~/.nimble/bin, which is not followed yet", line)
			}
			return
		}
	}
	if !nimCompileVerbs[verb] {
		return
	}
	l := &cLink{Dir: dir, Line: line}
	if verb == "cpp" || verb == "compileToCpp" {
		l.CXX = fmt.Sprintf("line %d compiles Nim to C++", line)
	}
	main, out, outdir := "", "", ""
	for _, a := range rest {
		if !strings.HasPrefix(a, "-") {
			if main == "" {
				main = a
			}
			continue
		}
		name, val := nimOpt(a)
		switch name {
		case "o", "out":
			out = val
		case "outdir":
			outdir = val
		case "d", "define":
			if val == "ssl" {
				l.Libs = append(l.Libs, "ssl", "crypto")
				s.nimDlopen = append(s.nimDlopen, nimLib{"libssl-dev", fmt.Sprintf("line %d builds with -d:ssl: the program loads libssl with dlopen", line)})
			}
		case "passl":
			for _, w := range strings.Fields(val) {
				switch {
				case w == "-static":
					l.Static = true
				case strings.HasPrefix(w, "-l"):
					l.Libs = append(l.Libs, w[2:])
				}
			}
		case "r", "run":
			// runs it too; the file is written all the same
		}
	}
	if main == "" || strings.ContainsAny(main+out+outdir, "$`") {
		l.Unknown = fmt.Sprintf("line %d: which program nim %s writes is not known", line, verb)
		s.nimLine, s.nimUnknown = line, l.Unknown
		return
	}
	if s.cxx == "" && l.CXX != "" {
		s.cxx, s.cxxLine = l.CXX, line
	}
	base := strings.TrimSuffix(path.Base(main), ".nim")
	switch {
	case out != "":
		l.Path = Resolve(dir, out)
	case outdir != "":
		l.Path = path.Join(Resolve(dir, outdir), base)
	default:
		l.Path = path.Join(Resolve(dir, path.Dir(main)), base)
	}
	s.nimLine = line
	s.links = append(s.links, l)
}

// nimbleBuild reads `nimble build`: the binaries and their directory come
// from the .nimble file of the build context.
func (s *cScan) nimbleBuild(st *Step, c Command, dir string, rest []string) {
	line := st.In.StartLine
	u := s.u
	var spec []byte
	if u.Context != nil {
		for _, d := range u.contextDirs() {
			rel, ok := under(dir, d)
			if !ok {
				continue
			}
			matches, _ := fs.Glob(u.Context.FS, path.Join(rel, "*.nimble"))
			if len(matches) == 1 {
				spec, _ = fs.ReadFile(u.Context.FS, matches[0])
			}
		}
	}
	m := nimbleBinRe.FindSubmatch(spec)
	if m == nil {
		s.nimLine = line
		s.nimUnknown = fmt.Sprintf("line %d runs nimble build: the binaries it writes are named in the .nimble file, which the build context does not show", line)
		return
	}
	binDir := dir
	if d := nimbleDirRe.FindSubmatch(spec); d != nil {
		binDir = Resolve(dir, string(d[1]))
	}
	for _, name := range strings.Split(string(m[1]), ",") {
		name = strings.Trim(strings.TrimSpace(name), `"`)
		if name == "" {
			continue
		}
		s.nimLine = line
		s.links = append(s.links, &cLink{Dir: dir, Line: line, Path: path.Join(binDir, path.Base(name))})
	}
}

// nimLib is a library a Nim program may load with dlopen, by its -dev
// package (devToRuntime names the run-time package of each release).
type nimLib struct{ dev, why string }

// nimPackageLibs are what Debian's and Ubuntu's nim package depends on:
// the builder had them, and Nim's re/nre and -d:ssl load them with dlopen,
// which no link line shows.
var nimPackageLibs = []string{"libpcre3-dev", "libssl-dev"}

// planNimLibs adds the run-time packages of the libraries a Nim program
// may load with dlopen; false when one has no known package.
func (s *cScan) planNimLibs() bool {
	u := s.u
	if s.nimLine == 0 {
		return true
	}
	libs := s.nimDlopen
	for _, st := range u.Steps {
		for _, p := range st.Installs {
			if p == "nim" {
				for _, dev := range nimPackageLibs {
					libs = append(libs, nimLib{dev, fmt.Sprintf("line %d installs nim, which brings %%s: a Nim program loads it with dlopen (re, nre, -d:ssl), which no link line shows", st.In.StartLine)})
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, l := range libs {
		rt := devRuntimeName(l.dev, u.Base.Release)
		if rt == "" {
			u.Skip(s.nimLine, "%s, and its run-time package on %s is not known (docs/tables.md)", strings.ReplaceAll(l.why, "%s", l.dev), u.Base.Expanded)
			return false
		}
		if !seen[rt] {
			seen[rt] = true
			why := l.why
			if strings.Contains(why, "%s") {
				why = fmt.Sprintf(why, rt)
			}
			u.Plan.Packages = append(u.Plan.Packages, Package{Name: rt, Why: why, Line: s.nimLine})
		}
	}
	return true
}
