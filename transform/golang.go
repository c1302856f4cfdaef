package transform

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// goArtifact is a binary a go build or go install writes.
type goArtifact struct {
	Path string // absolute path in the builder
	Name string // file name
	Line int
	// CgoEnv is the CGO_ENABLED value in force ("" when unset).
	CgoEnv string
}

// go build flags that take a value as the next word.
var goValueFlags = map[string]bool{
	"-o": true, "-p": true, "-tags": true, "-ldflags": true, "-gcflags": true, "-asmflags": true,
	"-installsuffix": true, "-mod": true, "-modfile": true, "-overlay": true, "-pkgdir": true,
	"-buildmode": true, "-compiler": true, "-gccgoflags": true, "-toolexec": true, "-pgo": true,
	"-covermode": true, "-coverpkg": true, "-C": true, "-buildvcs": false, "-json": false,
}

var majorVersionRe = regexp.MustCompile(`^v[0-9]+$`)

var passGolang = &Pass{
	Name: "golang",
	Doc: `Finds the binaries a Go build writes and whether they need cgo.
go build -o X (relative to WORKDIR and any cd before it; -o dir/ writes inside dir); go build
without -o names the binary after the package's import path (the module path from go.mod; a
trailing /vN is skipped) or its first .go file; go install writes to $GOBIN, else $GOPATH/bin
(/go/bin in the official image). cgo is off when CGO_ENABLED=0 is set; it is proven unused when
the build context is present and no .go file imports "C" and no required module is known to need
it, and then CGO_ENABLED=0 is added so the binary is static. Otherwise the binary is dynamically
linked to glibc and must run on the same Debian release as the builder.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"golang"},
	Run: func(u *Unit) error {
		if u.Base.Family != "golang" {
			return nil
		}
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the Go toolchain", needs.ToolchainWhat)
			return nil
		}
		if needs.Exec == "go" {
			u.Skip(needs.ExecLine, "the container runs the go command: it needs the Go toolchain")
			return nil
		}
		var arts []goArtifact
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				if c.Name() != "go" || len(c.Args) < 2 || (c.Args[1] != "build" && c.Args[1] != "install") {
					continue
				}
				a, ok, why := u.goOutput(s, c)
				if why != "" {
					u.Skip(s.In.StartLine, "%s", why)
					return nil
				}
				if ok {
					arts = append(arts, a)
					u.Fact(s.In.StartLine, "go %s writes %s", c.Args[1], a.Path)
				}
			}
		}
		if len(arts) == 0 {
			u.Skip(u.Stage.From.StartLine, "no go build or go install writes a binary: nothing to carry into a runtime stage")
			return nil
		}
		plan := &Plan{Ecosystem: "go"}
		u.Plan = plan

		static := u.goStatic(arts)
		plan.Static = static
		// Copy each binary; one the container runs by bare name goes where
		// the runtime's PATH finds it.
		for _, a := range arts {
			dst := a.Path
			if needs.Exec == a.Name && !runtimeOnPath(path.Dir(a.Path)) {
				dst = "/usr/local/bin/" + a.Name
			}
			why := "the binary built here"
			if dst != a.Path {
				why = fmt.Sprintf("the binary, run by bare name %q: /usr/local/bin is on the runtime's PATH", a.Name)
			}
			plan.Copies = append(plan.Copies, Copy{Src: a.Path, Dst: dst, Why: why, Line: a.Line})
		}
		u.copyReferencedFiles(needs, arts)

		rel := u.Base.Release
		switch {
		case static && !needs.Shell && len(needs.Tools) == 0 && !u.needsUserReplay(needs):
			plan.Runtime = ParseImage("gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian12")
			u.Fact(u.Stage.From.StartLine, "runtime gcr.io/distroless/static-debian12: the binary is static and the container needs no shell")
		case u.Base.Libc == "musl":
			ver := strings.TrimPrefix(rel, "alpine")
			if ver == "" && !static {
				u.Skip(u.Stage.From.StartLine, "cgo binary built on alpine without a pinned alpine version: cannot pick a runtime with the same musl")
				return nil
			}
			if ver == "" {
				ver = "latest"
			}
			ref := "alpine:" + ver
			plan.Runtime = ParseImage(ref, ref)
			u.Fact(u.Stage.From.StartLine, "runtime %s: same musl libc as the builder (%s)", ref, u.runtimeReason(static, needs))
		default:
			if rel == "" {
				if !static {
					u.Skip(u.Stage.From.StartLine, "cgo binary, and the Debian release of %s is unknown: name it in the tag (e.g. -bookworm) so the runtime can match its glibc", u.Base.Expanded)
					return nil
				}
				rel = "bookworm"
			}
			ref := "debian:" + rel + "-slim"
			plan.Runtime = ParseImage(ref, ref)
			u.Fact(u.Stage.From.StartLine, "runtime %s: same Debian release as the builder (%s)", ref, u.runtimeReason(static, needs))
		}
		return nil
	},
}

func (u *Unit) runtimeReason(static bool, n Needs) string {
	switch {
	case !static:
		return "the binary links glibc through cgo"
	case n.Shell:
		return fmt.Sprintf("line %d: %s", n.ShellLine, n.ShellWhy)
	case len(n.Tools) > 0:
		return "the container calls " + strings.Join(mapKeys(n.Tools), ", ")
	default:
		return "a USER created by the Dockerfile must be created again"
	}
}

// goStatic decides cgo for the build, adding CGO_ENABLED=0 to the builder
// when cgo is provably unused.
func (u *Unit) goStatic(arts []goArtifact) bool {
	first := arts[0]
	switch first.CgoEnv {
	case "0":
		u.Fact(first.Line, "CGO_ENABLED=0: the binary is static")
		return true
	case "1":
		u.Fact(first.Line, "CGO_ENABLED=1: the binary links glibc")
		return false
	}
	if u.Base.Libc == "musl" && !u.installsCCompiler() {
		u.Fact(first.Line, "cgo: the alpine Go image has no C compiler and the Dockerfile installs none, so cgo is off: the binary is static")
		return true
	}
	c := u.Context
	if c == nil || c.GoFilesSeen == 0 {
		u.Fact(first.Line, "cgo: cannot be proven unused without the Go sources in the build context; keeping the default (cgo on, glibc runtime)")
		return false
	}
	if len(c.CgoFiles) > 0 {
		u.Fact(first.Line, "cgo: %s imports \"C\"", c.CgoFiles[0])
		return false
	}
	if len(c.CgoModules) > 0 {
		u.Fact(first.Line, "cgo: go.mod requires %s, which needs cgo", c.CgoModules[0])
		return false
	}
	if c.GoFilesSeen >= maxGoFiles {
		u.Fact(first.Line, "cgo: more than %d .go files; not proven unused", maxGoFiles)
		return false
	}
	var before *Step
	for _, s := range u.Steps {
		if s.In.StartLine == first.Line {
			before = s
			break
		}
	}
	u.Plan.BuilderInserts = append(u.Plan.BuilderInserts, Insert{
		Before: before.In,
		Gen: Gen{
			In:   u.File.New("ENV", "ENV CGO_ENABLED=0"),
			Why:  fmt.Sprintf("no .go file of the %d read imports \"C\" and no required module needs cgo: build a static binary that needs no libc", c.GoFilesSeen),
			Line: first.Line,
		},
	})
	return true
}

// goOutput works out the binary one go build/install command writes. ok
// is false for commands that write nothing (several packages without -o);
// why is set when the output cannot be known with confidence.
func (u *Unit) goOutput(s *Step, c Command) (a goArtifact, ok bool, why string) {
	install := c.Args[1] == "install"
	a = goArtifact{Line: s.In.StartLine}
	env := func(k string) string {
		if v, ok := c.Env[k]; ok {
			return v
		}
		v, _ := s.Env.Get(k)
		return v
	}
	a.CgoEnv = env("CGO_ENABLED")
	dir := c.Dir
	if dir == "" {
		dir = s.Workdir
	}
	var out string
	var pkgs []string
	args := c.Args[2:]
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			pkgs = append(pkgs, arg)
			continue
		}
		name, val, hasVal := strings.Cut(strings.Replace(arg, "--", "-", 1), "=")
		if name == "-buildmode" && hasVal && val != "exe" && val != "pie" && val != "default" {
			return a, false, fmt.Sprintf("go build -buildmode=%s does not write a program", val)
		}
		if goValueFlags[name] && !hasVal {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
			if name == "-buildmode" && val != "exe" && val != "pie" && val != "default" {
				return a, false, fmt.Sprintf("go build -buildmode=%s does not write a program", val)
			}
		}
		switch name {
		case "-o":
			out = val
		case "-C":
			dir = Resolve(dir, val)
		}
	}
	if c.Dynamic && (out == "" || strings.Contains(out, "$")) {
		return a, false, "go build uses shell variables for its packages or output: cannot tell which binary it writes"
	}
	if strings.Contains(out, "$") {
		return a, false, fmt.Sprintf("go build -o %s: the output path depends on a shell variable", out)
	}
	// The default name comes from the package.
	name, many, why := u.goPackageName(dir, pkgs)
	if out != "" && !strings.HasSuffix(out, "/") {
		a.Path = Resolve(dir, out)
		a.Name = path.Base(a.Path)
		return a, true, ""
	}
	if many {
		if out != "" {
			return a, false, "go build -o dir/ with several packages: cannot tell which binaries it writes"
		}
		return a, false, "" // several packages and no -o: go build writes nothing
	}
	if why != "" {
		return a, false, why
	}
	a.Name = name
	switch {
	case out != "":
		a.Path = Resolve(Resolve(dir, out), name)
	case install:
		bin := env("GOBIN")
		if bin == "" {
			gopath := env("GOPATH")
			if gopath == "" {
				gopath = "/go"
			}
			bin = path.Join(strings.Split(gopath, ":")[0], "bin")
		}
		a.Path = path.Join(bin, name)
	default:
		a.Path = Resolve(dir, name)
	}
	return a, true, ""
}

// goPackageName returns the default binary name for the packages.
func (u *Unit) goPackageName(dir string, pkgs []string) (name string, many bool, why string) {
	if len(pkgs) > 1 && !strings.HasSuffix(pkgs[0], ".go") {
		return "", true, ""
	}
	if len(pkgs) > 0 && strings.HasSuffix(pkgs[0], ".go") {
		return strings.TrimSuffix(path.Base(pkgs[0]), ".go"), false, ""
	}
	pkg := "."
	if len(pkgs) == 1 {
		pkg = pkgs[0]
	}
	if strings.Contains(pkg, "...") {
		return "", true, ""
	}
	pkg, _, _ = strings.Cut(pkg, "@")
	if strings.HasPrefix(pkg, ".") || strings.HasPrefix(pkg, "/") {
		abs := Resolve(dir, pkg)
		imp, ok := u.importPath(abs)
		if !ok {
			// Without go.mod the last element of the directory is the best
			// guess only when it cannot be a major-version suffix.
			el := path.Base(abs)
			if pkg != "." && !majorVersionRe.MatchString(el) && el != "/" {
				return el, false, ""
			}
			return "", false, fmt.Sprintf("go build in %s without -o: the binary is named after the module path, and no go.mod was found in the build context", abs)
		}
		pkg = imp
	}
	return importPathName(pkg), false, ""
}

// importPathName is the binary name go gives an import path.
func importPathName(imp string) string {
	parts := strings.Split(strings.Trim(imp, "/"), "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && majorVersionRe.MatchString(last) {
		last = parts[len(parts)-2]
	}
	return last
}

// importPath maps a directory in the image to a Go import path using the
// go.mod of the build context copied there.
func (u *Unit) importPath(abs string) (string, bool) {
	// A module the Dockerfile makes itself: RUN go mod init NAME.
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "go" || len(c.Args) < 4 || c.Args[1] != "mod" || c.Args[2] != "init" || c.Dynamic {
				continue
			}
			root := normDir(c.Dir)
			if abs == root {
				return c.Args[3], true
			}
			if strings.HasPrefix(abs, strings.TrimSuffix(root, "/")+"/") {
				return c.Args[3] + "/" + strings.TrimPrefix(abs, strings.TrimSuffix(root, "/")+"/"), true
			}
		}
	}
	if u.Context == nil || u.Context.GoModule == "" {
		return "", false
	}
	for _, root := range u.contextDirs() {
		if abs == root {
			return u.Context.GoModule, true
		}
		if strings.HasPrefix(abs, strings.TrimSuffix(root, "/")+"/") {
			return u.Context.GoModule + "/" + strings.TrimPrefix(abs, strings.TrimSuffix(root, "/")+"/"), true
		}
	}
	return "", false
}

// installsCCompiler reports whether the Dockerfile installs a C compiler.
func (u *Unit) installsCCompiler() bool {
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			switch p {
			case "gcc", "clang", "build-base", "build-essential", "musl-dev", "g++":
				return true
			}
		}
	}
	return false
}
