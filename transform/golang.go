package transform

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build/constraint"
	goparser "go/parser"
	"go/token"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// goArtifact is a binary a go build or go install writes.
type goArtifact struct {
	Path string // absolute path in the builder
	Name string // file name
	Line int
	// CgoEnv is the CGO_ENABLED value in force ("" when unset).
	CgoEnv string
	// Fetched is set when the go command builds packages whose sources
	// are not in the build context (go install pkg@version): the context
	// cannot prove them free of cgo.
	Fetched bool
}

// go build flags that take a value as the next word.
var goValueFlags = map[string]bool{
	"-o": true, "-p": true, "-tags": true, "-ldflags": true, "-gcflags": true, "-asmflags": true,
	"-installsuffix": true, "-mod": true, "-modfile": true, "-overlay": true, "-pkgdir": true,
	"-buildmode": true, "-compiler": true, "-gccgoflags": true, "-toolexec": true, "-pgo": true,
	"-covermode": true, "-coverpkg": true, "-C": true, "-buildvcs": false, "-json": false,
}

var passGolang = &Pass{
	Name: "golang",
	Doc: `Finds the binaries a Go build writes and whether they need cgo.
go build -o X (relative to WORKDIR and any cd before it; -o dir/ or a directory known to exist
writes inside it; $NAME and ${NAME} set by ENV, ARG or the RUN are expanded); go build without -o
writes a binary only for a single main package, named after its import path (the module path from
go.mod; a trailing /vN is skipped) or its first .go file; go install writes one per main package to
$GOBIN, else $GOPATH/bin (/go/bin in the official image), as go get without -d did before Go 1.18.
A ./... pattern is expanded over the build context as the go command does (no ., _, testdata,
vendor or nested modules; //go:build ignore files and other systems' files left out). In GOPATH
mode (Go before 1.11, 1.11-1.12 under $GOPATH/src, 1.13-1.15 without go.mod) a binary is named after
its directory. Without the build context, a program the container runs by bare name is taken from
$GOBIN, and the decision says so. The container's command is read through sh -c scripts, shell
form and tini/dumb-init/exec/env wrappers: a binary it (or a shell script from the build context it
runs) runs by bare name goes to /usr/local/bin, and the files it names in the build context are
copied. cgo is off when CGO_ENABLED=0 is set; it
is proven unused when the build context is present and no .go file imports "C" and no required
module is known to need it, and then CGO_ENABLED=0 is added so the binary is static. A package
the go command downloads (go install pkg@version, an import path outside the context's module) is
not in the build context, so it is never proven so, and CGO_ENABLED=0 is not added. Otherwise the
binary is dynamically linked to the builder's libc (glibc, or musl on alpine) and must run on the
same release as the builder.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"golang"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the Go toolchain", needs.ToolchainWhat)
			return nil
		}
		if needs.Exec == "go" {
			u.Skip(needs.ExecLine, "the container runs the go command: it needs the Go toolchain")
			return nil
		}
		run := u.containerCommands()
		scripted := append(append([]Command{}, run...), u.scriptCommands(run)...)
		var arts []goArtifact
		var unsure []goUnsure
		stepCmds := map[*Step][]Command{} // with make runs replaced by their recipes
		for _, s := range u.Steps {
			for _, sc := range s.Commands {
				cmds := []Command{sc}
				made, why := u.makeCommands(s, sc, "go")
				if why != "" {
					u.Skip(s.In.StartLine, "%s", why)
					return nil
				}
				if made != nil {
					cmds = made
				}
				stepCmds[s] = append(stepCmds[s], cmds...)
				for _, c := range cmds {
					if !u.goWrites(c) {
						continue
					}
					got, un, why := u.goOutputs(s, c)
					if why != "" {
						u.Skip(s.In.StartLine, "%s", why)
						return nil
					}
					unsure = append(unsure, un...)
					for _, a := range got {
						arts = append(arts, a)
						if made != nil {
							u.Fact(s.In.StartLine, "%s writes %s", makeNote(c, sc), a.Path)
						} else {
							u.Fact(s.In.StartLine, "go %s writes %s", c.Args[1], a.Path)
						}
					}
				}
			}
		}
		arts, ok := u.goSettleUnsure(arts, unsure, scripted)
		if !ok {
			return nil
		}
		arts = u.goFollowMoves(arts, stepCmds)
		// A tool go install fetched (templ, sqlc for go generate) that the
		// container never runs is the build's.
		words := u.runtimePrograms()
		for _, c := range scripted {
			for _, a := range c.Args {
				words[a] = true
				words[path.Base(a)] = true
			}
		}
		kept := arts[:0]
		for _, a := range arts {
			if a.Fetched && !words[a.Name] && !words[a.Path] {
				u.Fact(a.Line, "%s stays in the builder: a tool the go command fetched for the build, which the container does not run", a.Name)
				continue
			}
			kept = append(kept, a)
		}
		arts = kept
		if len(arts) == 0 {
			u.Skip(u.Stage.From.StartLine, "no go build or go install writes a binary: nothing to carry into a runtime stage%s", u.makeHint())
			return nil
		}
		plan := &Plan{Ecosystem: "go"}
		u.Plan = plan

		static := u.goStatic(arts)
		plan.Static = static
		// Copy each binary; one the container runs by bare name goes where
		// the runtime's PATH finds it.
		bare := map[string]bool{}
		for _, c := range scripted {
			if !strings.Contains(c.Args[0], "/") && !strings.Contains(c.Args[0], "$") {
				bare[c.Args[0]] = true
			}
		}
		builderPath := imagePathDirs(u.Base) // /go/bin
		byPath := map[string]bool{}
		for _, c := range scripted {
			for _, w := range c.Args {
				byPath[path.Clean(w)] = true
			}
		}
		seen := map[string]bool{}
		for _, a := range arts {
			if seen[a.Path] {
				continue
			}
			seen[a.Path] = true
			dst := a.Path
			why := "the binary built here"
			switch dir := path.Dir(a.Path); {
			case runtimeOnPath(dir):
			case bare[a.Name]:
				dst = "/usr/local/bin/" + a.Name
				why = fmt.Sprintf("the binary, run by bare name %q: /usr/local/bin is on the runtime's PATH", a.Name)
			case byPath[a.Path]:
				// The container names it by its path: it stays there.
			case builderPath[dir]:
				// docker run IMAGE worker found it by name in the builder.
				dst = "/usr/local/bin/" + a.Name
				why = fmt.Sprintf("the binary: %s is on the golang image's PATH, /usr/local/bin on the runtime's", dir)
			}
			plan.Copies = append(plan.Copies, Copy{Src: a.Path, Dst: dst, Why: why, Line: a.Line})
		}
		u.copyReferencedFiles(u.runNeeds(needs, run), arts)

		rel := u.Base.Release
		switch {
		case static && !needs.Shell && len(needs.Tools) == 0 && !u.needsUserReplay(needs) && goRunsBuilt(needs, arts) && (needs.User == "" || knownUser("distroless", needs.User)):
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
			why := "same Debian release as the builder"
			if rel == "" {
				if !static {
					if dev := u.releaseBoundDev(); dev != "" {
						u.Skip(u.Stage.From.StartLine, "cgo binary, and the Debian release of %s is unknown, while the library of %s has a different name (soname) per release: name the release in the tag (e.g. -bookworm)", u.Base.Expanded, dev)
						return nil
					}
					why = "the builder's Debian release is unknown, and glibc runs a program built against an older glibc: the newest Debian release the golang images use (" + newestGolangRelease + ")"
				}
				rel = newestGolangRelease
				if static {
					rel = "bookworm"
				}
			}
			ref := "debian:" + rel + "-slim"
			plan.Runtime = ParseImage(ref, ref)
			u.Fact(u.Stage.From.StartLine, "runtime %s: %s (%s)", ref, why, u.runtimeReason(static, needs))
		}
		return nil
	},
}

// goRunsBuilt reports whether the container runs one of the binaries the
// build wrote. Another program (dockerize, a downloaded release binary)
// may be linked against glibc, which distroless static lacks.
func goRunsBuilt(n Needs, arts []goArtifact) bool {
	for _, a := range arts {
		if n.Exec == a.Path || path.Base(n.Exec) == a.Name {
			return true
		}
	}
	return false
}

// goFollowMoves follows a binary that a later cp, mv or install puts
// elsewhere (RUN cp /build/main /dist/, go build -o app && mv app
// /usr/local/bin/): the copy takes it from where it ends up, which is
// where the container runs it, and after a mv the only place it is.
func (u *Unit) goFollowMoves(arts []goArtifact, stepCmds map[*Step][]Command) []goArtifact {
	dirs := map[string]bool{}
	for d := range standardDirs {
		dirs[d] = true
	}
	for _, s := range u.Steps {
		if s.Workdir != "" {
			dirs[normDir(s.Workdir)] = true
		}
		for _, c := range s.Commands {
			if c.Name() == "mkdir" {
				for _, a := range nonFlags(c.Args[1:]) {
					dirs[Resolve(c.Dir, a)] = true
				}
			}
		}
	}
	for i := range arts {
		a := &arts[i]
		for _, s := range u.Steps {
			if s.In.StartLine < a.Line {
				continue
			}
			cmds := s.Commands
			if sc, ok := stepCmds[s]; ok {
				cmds = sc
			}
			for _, c := range cmds {
				tool := c.Name()
				if tool != "cp" && tool != "mv" && tool != "install" {
					continue
				}
				srcs, dst, into, ok := moveOperands(tool, c.Args[1:])
				if !ok || strings.ContainsAny(dst+into, "$*?[") {
					continue
				}
				for _, src := range srcs {
					if strings.ContainsAny(src, "$*?[") || Resolve(c.Dir, src) != a.Path {
						continue
					}
					to := Resolve(c.Dir, into)
					if into == "" {
						d := Resolve(c.Dir, dst)
						to = d
						if len(srcs) > 1 || strings.HasSuffix(dst, "/") || dst == "." || dirs[d] {
							to = path.Join(d, path.Base(a.Path))
						}
					} else {
						to = path.Join(to, path.Base(a.Path))
					}
					u.Fact(s.In.StartLine, "%s puts %s at %s", tool, a.Path, to)
					a.Path, a.Name = to, path.Base(to)
					break
				}
			}
		}
	}
	return arts
}

// newestGolangRelease is the newest Debian release of the golang images
// (2026-11): a glibc program built on any earlier one runs there.
const newestGolangRelease = "trixie"

// releaseBoundDev returns a -dev package the Dockerfile installs whose
// run-time library is named per release: a program linked against it needs
// that release's soname.
func (u *Unit) releaseBoundDev() string {
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			m := devToRuntime[p]
			if m == nil {
				continue
			}
			if _, any := m["*"]; !any || len(m) > 1 {
				return p
			}
		}
	}
	return ""
}

func (u *Unit) runtimeReason(static bool, n Needs) string {
	switch {
	case !static:
		return "the binary links " + u.goLibc() + " through cgo"
	case n.Shell:
		return fmt.Sprintf("line %d: %s", n.ShellLine, n.ShellWhy)
	case len(n.Tools) > 0:
		return "the container calls " + strings.Join(mapKeys(n.Tools), ", ")
	case u.needsUserReplay(n):
		return "a USER created by the Dockerfile must be created again"
	case n.User != "" && !knownUser("distroless", n.User):
		return fmt.Sprintf("USER %s exists in Debian's base-passwd but not in distroless, which has root, nobody and nonroot", n.User)
	default:
		return fmt.Sprintf("the container runs %s, not a binary of this build: it may link glibc, which distroless static lacks", n.Exec)
	}
}

// goLibc is the C library a cgo binary of the builder links.
func (u *Unit) goLibc() string {
	if u.Base.Libc == "musl" {
		return "musl"
	}
	return "glibc"
}

// goStatic decides cgo for the build, adding CGO_ENABLED=0 to the builder
// when cgo is provably unused. The binaries share one runtime, so it is
// static only when every one of them is.
func (u *Unit) goStatic(arts []goArtifact) bool {
	libc := u.goLibc()
	var unset []goArtifact
	static := true
	said := map[int]bool{}
	for _, a := range arts {
		switch a.CgoEnv {
		case "0":
			if !said[a.Line] {
				u.Fact(a.Line, "CGO_ENABLED=0: the binary is static")
			}
		case "1":
			if !said[a.Line] {
				u.Fact(a.Line, "CGO_ENABLED=1: the binary links %s", libc)
			}
			static = false
		default:
			unset = append(unset, a)
			continue
		}
		said[a.Line] = true
	}
	if len(unset) == 0 || !static {
		return static
	}
	first := unset[0]
	for _, a := range unset {
		if a.Line < first.Line {
			first = a
		}
	}
	if maj, min := versionParts(u.Base.Version); u.Base.Libc == "musl" && !u.installsCCompiler() && (maj > 1 || maj == 1 && min >= 20 || u.Base.Version == "") {
		// Go 1.20 and later turn cgo off without a C compiler; before,
		// the standard library's precompiled net package linked musl.
		u.Fact(first.Line, "cgo: the alpine Go image has no C compiler and the Dockerfile installs none, so cgo is off: the binary is static")
		return true
	}
	for _, a := range unset {
		if a.Fetched {
			// The build context shows only the app's sources; a module the
			// go command downloads may need cgo (a sqlite driver), and
			// CGO_ENABLED=0 would build it without its C parts.
			u.Fact(a.Line, "cgo: the go command builds %s from sources it downloads, not from the build context, so cgo cannot be proven unused: keeping the default (cgo on, %s runtime)", a.Name, libc)
			return false
		}
	}
	if u.Context != nil && u.Context.GoMod == nil {
		// GOPATH mode: go get puts packages from outside the build context
		// in GOPATH, and the build imports them; any may need cgo.
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				if c.Name() == "go" && len(c.Args) > 1 && c.Args[1] == "get" {
					u.Fact(s.In.StartLine, "cgo: line %d fetches packages with go get (GOPATH mode), which the build context does not show: cgo cannot be proven unused; keeping the default (cgo on, %s runtime)", s.In.StartLine, libc)
					return false
				}
			}
		}
	}
	c := u.Context
	if c != nil && c.GoMod == nil && c.GoFilesSeen == 0 {
		// The context pass reads .go files only next to a go.mod; a
		// GOPATH-mode project has none.
		c.scanGo()
	}
	if c == nil || c.GoFilesSeen == 0 {
		u.Fact(first.Line, "cgo: cannot be proven unused without the Go sources in the build context; keeping the default (cgo on, %s runtime)", libc)
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

// goFetches reports whether a go command builds packages the build
// context does not hold: a module@version, which the go command downloads
// whatever go.mod says, or an import path outside the context's module.
func (u *Unit) goFetches(pkgs []string, mode string, env func(string) string) bool {
	for _, p := range pkgs {
		switch {
		case strings.Contains(p, "@"):
			return true
		case strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, ".go"):
			continue
		case mode != "gopath" && u.Context != nil && u.Context.GoModule != "" && (p == u.Context.GoModule || strings.HasPrefix(p, u.Context.GoModule+"/")):
			continue
		case mode == "gopath":
			gopath := strings.Split(env("GOPATH"), ":")[0]
			if gopath == "" {
				gopath = "/go"
			}
			if _, ok := u.contextRel(path.Join(gopath, "src", p)); ok {
				continue
			}
		}
		return true
	}
	return false
}

// goWrites reports whether a command can write a Go binary: go build, go
// install, and go get without -d before Go 1.18, which built and installed
// what it fetched.
func (u *Unit) goWrites(c Command) bool {
	if c.Name() != "go" || len(c.Args) < 2 {
		return false
	}
	switch c.Args[1] {
	case "build", "install":
		return true
	case "get":
		major, minor := versionParts(u.Base.Version)
		return major == 1 && minor > 0 && minor < 18 && !hasFlag(c.Args, "-d")
	}
	return false
}

// goUnsure is a go command whose binaries cannot all be named: a package
// pattern without the build context to expand it, or a module root whose
// module path is unknown.
type goUnsure struct {
	Line int
	Why  string
	// BinDir is where it writes binaries by package name (go install, or
	// -o dir/); "" for go build without -o.
	BinDir string
	Cgo    string
	// Fetched is as goArtifact's.
	Fetched bool
	// Names, when set, are the only names it can write (go get of a
	// package that may be a library); it is then not reported unused.
	Names map[string]bool
}

// goPkg is one package a go command builds.
type goPkg struct {
	Dir     string // in the image; "" for a package fetched by import path
	Name    string // the binary's default name
	Main    bool
	Known   bool   // Main was read from the build context
	NameWhy string // why Name is unknown
}

// goOutputs works out the binaries one go build/install/get command
// writes. un is set when some cannot be named; why when the command must
// stop the rewrite.
func (u *Unit) goOutputs(s *Step, c Command) (arts []goArtifact, unsure []goUnsure, why string) {
	verb := c.Args[1]
	install := verb == "install" || verb == "get"
	line := s.In.StartLine
	env := func(k string) string {
		if v, ok := c.Env[k]; ok {
			return v
		}
		v, _ := s.Env.Get(k)
		return v
	}
	cgo := env("CGO_ENABLED")
	dir := c.Dir
	if dir == "" {
		dir = s.Workdir
	}
	args := c.Args[2:]
	words := make([]string, len(args))
	notes := make([][]string, len(args))
	for i, a := range args {
		words[i], notes[i] = u.expandKnown(s, c, a)
	}
	var out string
	var pkgs []string
	used := map[int]string{} // the words whose expansion matters, as written
	for i := 0; i < len(words); i++ {
		arg := words[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			pkgs = append(pkgs, arg)
			used[i] = args[i]
			continue
		}
		name, val, hasVal := strings.Cut(strings.Replace(arg, "--", "-", 1), "=")
		flag, at := i, i
		if goValueFlags[name] && !hasVal {
			if i+1 >= len(words) {
				break
			}
			i++
			val, hasVal, at = words[i], true, i
		}
		if name == "-buildmode" && hasVal && val != "exe" && val != "pie" && val != "default" {
			return nil, nil, fmt.Sprintf("go build -buildmode=%s does not write a program", val)
		}
		switch name {
		case "-o":
			out = val
			used[at] = args[at] // -o=VALUE
			if at != flag {
				used[at] = args[flag] + " " + args[at]
			}
		case "-C":
			dir = Resolve(dir, val)
		}
	}
	if strings.Contains(out, "$") {
		return nil, nil, fmt.Sprintf("go %s -o %s: the output path depends on a shell expansion whose value is not known (only $NAME and ${NAME} set by ENV, ARG or the RUN itself are expanded)", verb, out)
	}
	for _, p := range pkgs {
		if strings.Contains(p, "$") || strings.ContainsAny(p, "*?[") {
			return nil, nil, fmt.Sprintf("go %s %s: the packages depend on a shell expansion or glob whose value is not known: cannot tell which binary it writes", verb, p)
		}
	}
	for i := range args {
		for _, n := range notes[i] {
			if w, ok := used[i]; ok {
				u.Fact(line, "go %s %s: %s", verb, w, n)
			}
		}
	}
	mode := u.goMode(env, dir)
	fetched := u.goFetches(pkgs, mode, env)
	if out != "" && !strings.HasSuffix(out, "/") && !u.goIsDir(s, Resolve(dir, out)) {
		p := Resolve(dir, out)
		return []goArtifact{{Path: p, Name: path.Base(p), Line: line, CgoEnv: cgo, Fetched: fetched}}, nil, ""
	}
	binDir := ""
	switch {
	case out != "":
		binDir = Resolve(dir, out)
	case install:
		if goarch, goos := env("GOARCH"), env("GOOS"); goarch != "" || (goos != "" && goos != "linux") {
			return nil, nil, fmt.Sprintf("go %s with GOOS/GOARCH set: when they differ from the build machine's platform the binary goes to $GOPATH/bin/GOOS_GOARCH/, and that platform is not known here", verb)
		}
		binDir = goBinDir(env)
	}
	list, incomplete, why := u.goMatch(verb, dir, pkgs, mode)
	if why != "" {
		return nil, nil, why
	}
	if binDir == "" {
		// go build without -o keeps a binary only for a single main
		// package; with several it compiles and discards them.
		if incomplete != "" {
			return nil, []goUnsure{{Line: line, Why: incomplete, Cgo: cgo, Fetched: fetched}}, ""
		}
		if len(list) != 1 || !list[0].Main {
			return nil, nil, ""
		}
		if list[0].Name == "" {
			return nil, nil, list[0].NameWhy
		}
		return []goArtifact{{Path: Resolve(dir, list[0].Name), Name: list[0].Name, Line: line, CgoEnv: cgo, Fetched: fetched}}, nil, ""
	}
	if incomplete != "" {
		unsure = append(unsure, goUnsure{Line: line, Why: incomplete, BinDir: binDir, Cgo: cgo, Fetched: fetched})
	}
	for _, p := range list {
		switch {
		case !p.Main:
		case verb == "get" && !p.Known && p.Name != "":
			// go get is mostly used for libraries, which it does not
			// install: only the container running the name shows that
			// it is a command.
			unsure = append(unsure, goUnsure{Line: line, BinDir: binDir, Cgo: cgo, Fetched: fetched, Names: map[string]bool{p.Name: true},
				Why: fmt.Sprintf("go get installs %s only if it is a command", p.Name)})
		case p.Name == "":
			unsure = append(unsure, goUnsure{Line: line, Why: p.NameWhy, BinDir: binDir, Cgo: cgo, Fetched: fetched})
		default:
			arts = append(arts, goArtifact{Path: path.Join(binDir, p.Name), Name: p.Name, Line: line, CgoEnv: cgo, Fetched: fetched})
		}
	}
	return arts, unsure, ""
}

// goBinDir is where go install writes: $GOBIN, else the first $GOPATH's
// bin (/go/bin in the official image).
func goBinDir(env func(string) string) string {
	if bin := env("GOBIN"); bin != "" {
		return path.Clean(bin)
	}
	gopath := env("GOPATH")
	if gopath == "" {
		gopath = "/go"
	}
	return path.Join(strings.Split(gopath, ":")[0], "bin")
}

var plainFileRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\.[A-Za-z][A-Za-z0-9]{0,4}$`)

var goVarRe = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// expandKnown replaces $NAME and ${NAME} by the values the RUN's own
// assignments or the Dockerfile's ENV and ARG give them at step s, with a
// note on where each came from. ${NAME:-x} and other operators, and names
// nothing sets, are left as they are.
func (u *Unit) expandKnown(s *Step, c Command, w string) (string, []string) {
	if !strings.Contains(w, "$") {
		return w, nil
	}
	var notes []string
	out := goVarRe.ReplaceAllStringFunc(w, func(m string) string {
		k := strings.Trim(m, "${}")
		if v, ok := c.Env[k]; ok {
			if strings.Contains(v, "$") {
				return m
			}
			notes = append(notes, fmt.Sprintf("%s=%s, set in the RUN", k, v))
			return v
		}
		if v, ok := s.Env.Get(k); ok {
			notes = append(notes, fmt.Sprintf("%s=%s, %s", k, v, u.envOrigin(s, k)))
			return v
		}
		return m
	})
	return out, notes
}

// envOrigin says which instruction before s gave the variable k its value.
func (u *Unit) envOrigin(s *Step, k string) string {
	origin := "from the base image's ENV"
	for _, x := range u.Steps {
		if x == s {
			break
		}
		switch c := x.In.Command.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == k {
					origin = fmt.Sprintf("from ENV at line %d", x.In.StartLine)
				}
			}
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				if kv.Key == k {
					origin = fmt.Sprintf("the default of ARG at line %d (a --build-arg %s=... would move the binary, and the copy would fail)", x.In.StartLine, k)
				}
			}
		}
	}
	return origin
}

// goIsDir reports whether abs is known to be a directory when the build
// runs, so that go build -o abs writes inside it.
func (u *Unit) goIsDir(s *Step, abs string) bool {
	switch abs {
	case "/", "/go", "/go/bin", "/go/src", "/usr/local/go/bin", "/usr/local/bin", "/usr/local", "/usr/bin", "/bin", "/tmp":
		return true
	}
	for _, x := range u.Steps {
		if x.Workdir == abs {
			return true
		}
		for _, c := range x.Commands {
			if c.Name() != "mkdir" {
				continue
			}
			for _, a := range nonFlags(c.Args[1:]) {
				if t := Resolve(c.Dir, a); t == abs || strings.HasPrefix(t, strings.TrimSuffix(abs, "/")+"/") {
					return true
				}
			}
		}
		if x == s {
			break
		}
	}
	if rel, ok := u.contextRel(abs); ok {
		if st, err := fs.Stat(u.Context.FS, rel); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// contextRel maps a path in the image to the build context, through the
// COPY . <dir> instructions.
func (u *Unit) contextRel(abs string) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	for _, root := range u.contextDirs() {
		if abs == root {
			return ".", true
		}
		if strings.HasPrefix(abs, strings.TrimSuffix(root, "/")+"/") {
			return strings.TrimPrefix(abs, strings.TrimSuffix(root, "/")+"/"), true
		}
	}
	return "", false
}

// goMode is "module" or "gopath", the way the go command finds packages at
// dir, or "" when it depends on a go.mod that cannot be seen.
func (u *Unit) goMode(env func(string) string, dir string) string {
	switch env("GO111MODULE") {
	case "off":
		return "gopath"
	case "on":
		return "module"
	}
	major, minor := versionParts(u.Base.Version)
	if major != 1 || minor == 0 {
		return "module" // latest or a major-only tag: Go 1.16 or later
	}
	gopath := strings.Split(env("GOPATH"), ":")[0]
	if gopath == "" {
		gopath = "/go"
	}
	inSrc := strings.HasPrefix(dir, gopath+"/src/")
	hasMod := u.goModule(dir)
	switch {
	case minor < 11:
		return "gopath"
	case minor <= 12 && inSrc:
		// GO111MODULE=auto of Go 1.11 and 1.12 ignores go.mod inside
		// $GOPATH/src.
		return "gopath"
	case minor <= 15:
		// auto: modules when a go.mod is found.
		switch hasMod {
		case 1:
			return "module"
		case 0:
			return "gopath"
		}
		return ""
	}
	return "module"
}

// goModule is 1 when a go.mod governs dir (in the build context, or made
// by go mod init), 0 when the build context shows none, -1 when unknown.
func (u *Unit) goModule(dir string) int {
	if _, ok := u.importPath(dir); ok {
		return 1
	}
	if u.Context == nil {
		return -1
	}
	if _, ok := u.contextRel(dir); ok && u.Context.GoModule == "" {
		return 0
	}
	return -1
}

// goMatch lists the packages the command's arguments name. incomplete says
// why a pattern could not be expanded.
func (u *Unit) goMatch(verb, dir string, pkgs []string, mode string) (list []goPkg, incomplete, why string) {
	if len(pkgs) == 0 {
		pkgs = []string{"."}
	}
	if strings.HasSuffix(pkgs[0], ".go") {
		return []goPkg{{Dir: dir, Name: strings.TrimSuffix(path.Base(pkgs[0]), ".go"), Main: true}}, "", ""
	}
	for _, p := range pkgs {
		p, _, _ = strings.Cut(p, "@")
		abs := ""
		switch {
		case strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/"):
			abs = Resolve(dir, p)
		case u.Context != nil && u.Context.GoModule != "" && (p == u.Context.GoModule || strings.HasPrefix(p, u.Context.GoModule+"/")):
			if roots := u.contextDirs(); len(roots) > 0 && mode != "gopath" {
				abs = path.Join(roots[0], strings.TrimPrefix(p, u.Context.GoModule))
			}
		}
		if abs == "" {
			if strings.Contains(p, "...") || p == "all" || p == "std" || p == "cmd" {
				incomplete = fmt.Sprintf("go %s %s: a pattern over import paths, whose binaries cannot be listed", verb, p)
				continue
			}
			list = append(list, goPkg{Name: importPathName(p, mode != "gopath"), Main: true})
			continue
		}
		if strings.Contains(abs, "...") {
			found, why := u.goExpand(abs, mode)
			if why != "" {
				incomplete = fmt.Sprintf("go %s %s: %s", verb, p, why)
				continue
			}
			for _, f := range found {
				pkg := u.goPkgAt(verb, f.Dir, f.Main, dir, mode)
				pkg.Known = true
				list = append(list, pkg)
			}
			continue
		}
		main, known := true, false
		if rel, ok := u.contextRel(abs); ok {
			if name, ok := u.goPackageClause(rel); ok {
				main, known = name == "main", true
			}
		}
		pkg := u.goPkgAt(verb, abs, main, dir, mode)
		pkg.Known = known
		list = append(list, pkg)
	}
	return list, incomplete, ""
}

// goPkgAt names the binary of the package in directory abs.
func (u *Unit) goPkgAt(verb, abs string, main bool, cwd, mode string) goPkg {
	p := goPkg{Dir: abs, Main: main}
	el := path.Base(abs)
	if mode == "gopath" {
		// The import path is the directory below $GOPATH/src (or _/dir
		// outside it): either way its last element.
		if abs == "/" {
			p.NameWhy = fmt.Sprintf("go %s in /: no package name", verb)
			return p
		}
		p.Name = el
		return p
	}
	if imp, ok := u.importPath(abs); ok {
		p.Name = importPathName(imp, true)
		return p
	}
	if abs != cwd && !isVersionElement(el) && el != "/" {
		// Below the module root the import path ends in the directory's
		// own name.
		p.Name = el
		return p
	}
	where := "no go.mod was found in the build context"
	if u.Context == nil {
		where = "there is no build context to read go.mod from"
	}
	p.NameWhy = fmt.Sprintf("go %s in %s without -o: the binary is named after the module path, and %s", verb, abs, where)
	return p
}

type goFound struct {
	Dir  string
	Main bool
}

// goExpand lists the package directories a pattern with ... matches, read
// from the build context, skipping what the go command skips: directories
// starting with . or _, testdata, vendor and (in module mode) nested
// modules.
func (u *Unit) goExpand(pattern, mode string) ([]goFound, string) {
	if u.Context == nil {
		return nil, "without the build context the packages it matches cannot be listed"
	}
	i := strings.Index(pattern, "...")
	base := pattern[:i]
	if strings.HasSuffix(base, "/") {
		base = path.Clean(base)
	} else {
		base = path.Dir(base)
	}
	rel, ok := u.contextRel(base)
	if !ok {
		return nil, fmt.Sprintf("%s is not a COPY of the whole build context, so the packages it matches cannot be listed", base)
	}
	re := goPatternRe(pattern)
	root := strings.TrimSuffix(base, "/")
	var found []goFound
	files := 0
	err := fs.WalkDir(u.Context.FS, rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != rel {
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
				return fs.SkipDir
			}
			if _, err := fs.Stat(u.Context.FS, path.Join(p, "go.mod")); err == nil && mode != "gopath" {
				return fs.SkipDir
			}
		}
		if files > maxGoFiles {
			return fs.SkipAll
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(p, rel), "/")
		if rel == "." {
			sub = strings.TrimPrefix(p, ".")
			sub = strings.TrimPrefix(sub, "/")
		}
		abs := root
		if sub != "" {
			abs = path.Join(root, sub)
		}
		if !re.MatchString(abs) {
			return nil
		}
		name, ok := u.goPackageClause(p)
		files++
		if ok {
			found = append(found, goFound{Dir: abs, Main: name == "main"})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Sprintf("reading %s in the build context: %v", rel, err)
	}
	if files > maxGoFiles {
		return nil, fmt.Sprintf("more than %d directories under %s", maxGoFiles, rel)
	}
	return found, ""
}

// goPatternRe is the go command's matching of a ... pattern: ... matches
// any string, and a trailing /... also matches the directory itself.
func goPatternRe(pat string) *regexp.Regexp {
	re := regexp.QuoteMeta(pat)
	re = strings.ReplaceAll(re, `\.\.\.`, `.*`)
	if strings.HasSuffix(re, `/.*`) {
		re = strings.TrimSuffix(re, `/.*`) + `(/.*)?`
	}
	return cachedRegexp("^" + re + "$")
}

var goOtherOS = regexp.MustCompile(`_(windows|darwin|freebsd|netbsd|openbsd|dragonfly|solaris|illumos|aix|plan9|js|wasip1|android|ios|hurd|zos)(_[a-z0-9]+)?\.go$`)

// goPackageClause returns the package name of the directory rel of the
// build context, from its first .go file that a Linux build compiles; ok
// is false when it has none.
func (u *Unit) goPackageClause(rel string) (string, bool) {
	ents, err := fs.ReadDir(u.Context.FS, rel)
	if err != nil {
		return "", false
	}
	fset := token.NewFileSet()
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || goOtherOS.MatchString(n) {
			continue
		}
		src, err := fs.ReadFile(u.Context.FS, path.Join(rel, n))
		if err != nil {
			continue
		}
		f, err := goparser.ParseFile(fset, n, src, goparser.PackageClauseOnly|goparser.ParseComments)
		if err != nil || !goBuildsOnLinux(f) {
			continue
		}
		return f.Name.Name, true
	}
	return "", false
}

// goBuildsOnLinux evaluates the file's //go:build line for a Linux build
// of either common architecture; `ignore` and `tools` files are left out.
func goBuildsOnLinux(f *ast.File) bool {
	for _, g := range f.Comments {
		if g.Pos() > f.Package {
			break
		}
		for _, c := range g.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			x, err := constraint.Parse(c.Text)
			if err != nil {
				return false
			}
			for _, arch := range []string{"amd64", "arm64"} {
				if x.Eval(func(tag string) bool {
					return tag == "linux" || tag == "unix" || tag == "gc" || tag == "cgo" || tag == arch || strings.HasPrefix(tag, "go1.")
				}) {
					return true
				}
			}
			return false
		}
	}
	return true
}

// importPathName is the binary name go gives an import path: its last
// element, or in module mode the one before a major-version suffix (v2 and
// up).
func importPathName(imp string, module bool) string {
	parts := strings.Split(strings.Trim(imp, "/"), "/")
	last := parts[len(parts)-1]
	if module && len(parts) > 1 && isVersionElement(last) {
		last = parts[len(parts)-2]
	}
	return last
}

// isVersionElement is cmd/go's test for a major-version path element: v2,
// v3, ... (v0 and v1 never appear as suffixes).
func isVersionElement(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || s[1] == '1' && len(s) == 2 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// goSystemPrograms are commands a container script runs that no go command
// writes.
var goSystemPrograms = map[string]bool{
	"sh": true, "bash": true, "dash": true, "ash": true, "echo": true, "printf": true, "exec": true,
	"true": true, "false": true, "test": true, "[": true, "sleep": true, "cat": true, "env": true,
	"printenv": true, "set": true, "export": true, "cd": true, "wait": true, "trap": true, "kill": true,
	"exit": true, ":": true, "ls": true, "mkdir": true, "rm": true, "cp": true, "mv": true, "chmod": true,
	"chown": true, "ln": true, "touch": true, "date": true, "id": true, "whoami": true, "source": true, ".": true,
}

// goSettleUnsure decides what to do with go commands whose binaries could
// not all be named. When every program the container runs is accounted
// for, they stay in the builder. A program the container runs by a bare
// name found in their $GOBIN (or by a path in it) is taken to be theirs.
// Anything else stops the rewrite.
func (u *Unit) goSettleUnsure(arts []goArtifact, unsure []goUnsure, run []Command) ([]goArtifact, bool) {
	if len(unsure) == 0 {
		return arts, true
	}
	onPath := map[string]bool{}
	for _, d := range u.builderPath() {
		onPath[d] = true
	}
	byPath, byName := map[string]bool{}, map[string]bool{}
	for _, a := range arts {
		byPath[a.Path] = true
		if onPath[path.Dir(a.Path)] {
			byName[a.Name] = true
		}
	}
	installed := map[string]bool{}
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			installed[p] = true
		}
	}
	used := map[int]bool{}
	for _, c := range run {
		p := c.Args[0]
		bare := !strings.Contains(p, "/")
		abs := Resolve(c.Dir, p)
		switch {
		case bare && (byName[p] || goSystemPrograms[p] || installed[p]):
			continue
		case !bare && !strings.Contains(p, "$") && (byPath[abs] || path.Ext(p) != "" || u.inContext(abs)):
			continue
		}
		taken := false
		for i, un := range unsure {
			if un.BinDir == "" || strings.Contains(p, "$") || (un.Names != nil && !un.Names[path.Base(p)]) {
				continue
			}
			if (bare && onPath[un.BinDir]) || (!bare && path.Dir(abs) == un.BinDir) {
				a := goArtifact{Path: path.Join(un.BinDir, path.Base(p)), Name: path.Base(p), Line: un.Line, CgoEnv: un.Cgo, Fetched: un.Fetched}
				arts = append(arts, a)
				byPath[a.Path], byName[a.Name] = true, true
				used[i], taken = true, true
				u.Fact(un.Line, "%s; the container runs %q, taken to be one of them: %s", un.Why, p, a.Path)
				break
			}
		}
		if taken {
			continue
		}
		for _, un := range unsure {
			if un.Names == nil {
				u.Skip(un.Line, "%s, and the container runs %s, which no step is known to write", un.Why, p)
				return nil, false
			}
		}
	}
	for i, un := range unsure {
		if !used[i] && un.Names == nil {
			u.Fact(un.Line, "%s; every program the container runs comes from another step, so whatever it writes stays in the builder", un.Why)
		}
	}
	return arts, true
}

// inContext reports whether a path in the image is a file the build
// context puts there.
func (u *Unit) inContext(abs string) bool {
	rel, ok := u.contextRel(abs)
	if !ok {
		return false
	}
	_, err := fs.Stat(u.Context.FS, rel)
	return err == nil
}

// builderPath is the PATH the container had: the base image's, as the
// Dockerfile's ENV changed it.
func (u *Unit) builderPath() []string {
	v := ""
	if base, ok := ConfigOf(u.Base); ok {
		for _, kv := range base.Env {
			if k, val, ok := strings.Cut(kv, "="); ok && k == "PATH" {
				v = val
			}
		}
	}
	lex := shell.NewLex(u.File.Escape)
	for _, s := range u.Steps {
		if c, ok := s.In.Command.(*instructions.EnvCommand); ok {
			for _, kv := range c.Env {
				if kv.Key == "PATH" {
					if w, _, err := lex.ProcessWord(kv.Value, s.Env); err == nil {
						v = w
					}
				}
			}
		}
	}
	if v == "" {
		v = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return strings.Split(v, ":")
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

// containerCommands lists the programs the container runs when it starts,
// as the shell sees them: the final ENTRYPOINT and CMD combined as Docker
// combines them, wrappers (tini, dumb-init, exec, env, gosu) taken off,
// and an sh -c script or a shell-form instruction split into its commands
// with the shell parser. Each command's Dir is the final WORKDIR, moved by
// any cd in the script.
func (u *Unit) containerCommands() []Command {
	var ep, cmd []string
	var epShell, cmdShell, haveEp bool
	for _, s := range u.Steps {
		switch c := s.In.Command.(type) {
		case *instructions.EntrypointCommand:
			ep, epShell, haveEp = c.CmdLine, c.PrependShell, true
		case *instructions.CmdCommand:
			cmd, cmdShell = c.CmdLine, c.PrependShell
		}
	}
	form := func(words []string, shellForm bool) []string {
		if shellForm && len(words) > 0 {
			return []string{"/bin/sh", "-c", strings.Join(words, " ")}
		}
		return words
	}
	var argv []string
	switch {
	case haveEp && epShell:
		argv = form(ep, true)
	case haveEp:
		argv = append(append([]string{}, ep...), form(cmd, cmdShell)...)
	default:
		argv = form(cmd, cmdShell)
	}
	return u.splitCommand(argv, u.finalWorkdir(), 0)
}

func (u *Unit) splitCommand(argv []string, wd string, depth int) []Command {
	argv = u.stripWrappers(argv)
	if len(argv) == 0 {
		return nil
	}
	script, ok := shellScript(argv)
	if !ok || depth > 2 {
		return []Command{{Args: argv, Dir: wd, Env: map[string]string{}}}
	}
	cmds, err := ParseScript(script, wd)
	if err != nil {
		return []Command{{Args: argv, Dir: wd, Env: map[string]string{}}}
	}
	var out []Command
	for _, c := range cmds {
		args := u.stripWrappers(c.Args)
		if len(args) == 0 {
			continue
		}
		if _, nested := shellScript(args); nested {
			out = append(out, u.splitCommand(args, c.Dir, depth+1)...)
			continue
		}
		c.Args = args
		out = append(out, c)
	}
	return out
}

// stripWrappers takes off the programs that only start another one.
func (u *Unit) stripWrappers(args []string) []string {
	for len(args) > 0 {
		switch path.Base(args[0]) {
		case "tini", "tini-static", "dumb-init", "catatonit":
			rest := args[1:]
			for i, a := range rest {
				if a == "--" {
					rest = rest[i+1:]
					break
				}
			}
			for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
				rest = rest[1:]
			}
			args = rest
		case "exec", "nohup":
			args = args[1:]
		case "env":
			args = args[1:]
			for len(args) > 0 && (strings.HasPrefix(args[0], "-") || strings.Contains(args[0], "=")) {
				args = args[1:]
			}
		case "gosu", "su-exec":
			if len(args) < 3 {
				return nil
			}
			args = args[2:]
		case "docker-entrypoint.sh":
			// The node image's entrypoint runs its arguments (node first
			// when they start with a flag).
			if u.Base.Family != "node" || args[0] != "docker-entrypoint.sh" || u.copiesFileNamed("docker-entrypoint.sh") {
				return args
			}
			args = args[1:]
			if len(args) > 0 && strings.HasPrefix(args[0], "-") {
				args = append([]string{"node"}, args...)
			}
		default:
			return args
		}
	}
	return args
}

// shellScript returns the script of `sh -c SCRIPT` (bash, dash, ash too,
// with other flags such as -ec).
func shellScript(args []string) (string, bool) {
	switch path.Base(args[0]) {
	case "sh", "bash", "dash", "ash", "zsh":
	default:
		return "", false
	}
	sawC := false
	i := 1
	for ; i < len(args) && (strings.HasPrefix(args[i], "-") || strings.HasPrefix(args[i], "+")); i++ {
		a := args[i]
		if a == "-o" || a == "+o" {
			i++
			continue
		}
		if !strings.HasPrefix(a, "--") && strings.Contains(a, "c") {
			sawC = true
		}
	}
	if !sawC || i >= len(args) {
		return "", false
	}
	return args[i], true
}

// runNeeds is n with the run-time command's words replaced by those of
// every command the container runs, so that copyReferencedFiles sees the
// paths inside an sh -c script rather than the script as one word. Only
// words that can name a file are kept: not host:port or URLs, not what
// echo prints, and a bare name with a dot (v1.2, "server...") only when
// the build context has such a file.
func (u *Unit) runNeeds(n Needs, run []Command) Needs {
	if len(run) == 0 {
		return n
	}
	wd := u.finalWorkdir()
	n.Exec, n.ExecArgs = "", nil
	for _, c := range run {
		switch c.Name() {
		case "echo", "printf", "test", "[", "exit", "sleep", "export", "set", "cd", "trap", "kill", "wait":
			continue
		}
		for _, w := range c.Args {
			if strings.Contains(w, ":") {
				continue
			}
			name := w
			if _, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(w, "-") {
				name = v
			}
			if !strings.Contains(name, "/") && path.Ext(name) != "" && !strings.Contains(name, "$") {
				if u.Context != nil && !u.inContext(Resolve(c.Dir, name)) {
					continue
				}
				if u.Context == nil && !plainFileRe.MatchString(name) {
					continue
				}
			}
			if c.Dir != wd && !strings.HasPrefix(w, "/") && !strings.HasPrefix(w, "-") && !strings.Contains(w, "$") {
				w = Resolve(c.Dir, w)
			}
			n.ExecArgs = append(n.ExecArgs, w)
		}
	}
	return n
}

// copiesFileNamed reports whether a COPY or ADD of the stage names a file
// called name (which may replace one the base image has).
func (u *Unit) copiesFileNamed(name string) bool {
	for _, s := range u.Steps {
		sd, ok := contextCopy(s)
		if !ok {
			continue
		}
		for _, p := range append(append([]string{}, sd.SourcePaths...), sd.DestPath) {
			if path.Base(p) == name {
				return true
			}
		}
	}
	return false
}

// contextScriptFile finds in the build context the script a command runs:
// by its path, or, run by bare name, copied onto the PATH.
func (u *Unit) contextScriptFile(dir, p string) (string, bool) {
	if strings.Contains(p, "/") {
		return u.contextFileFor(Resolve(dir, p))
	}
	for _, d := range []string{"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/bin"} {
		if rel, ok := u.contextFileFor(path.Join(d, p)); ok {
			return rel, true
		}
	}
	return "", false
}

// scriptCommands are the commands of the shell scripts from the build
// context that the container runs (CMD ["/start.sh"], or by name from the
// PATH), so that a binary they run by bare name is put on the runtime's
// PATH too.
func (u *Unit) scriptCommands(run []Command) []Command {
	var out []Command
	for _, c := range run {
		p := c.Args[0]
		// sh ./start.sh, bash /entrypoint.sh: the script is what runs.
		if n := path.Base(p); (n == "sh" || n == "bash") && len(c.Args) > 1 && !strings.HasPrefix(c.Args[1], "-") {
			p = c.Args[1]
		}
		if strings.Contains(p, "$") {
			continue
		}
		rel, ok := u.contextScriptFile(c.Dir, p)
		if !ok {
			continue
		}
		data, err := fs.ReadFile(u.Context.FS, rel)
		if err != nil || !(strings.HasSuffix(p, ".sh") || bytes.HasPrefix(data, []byte("#!/bin/sh")) || bytes.HasPrefix(data, []byte("#!/bin/bash")) || bytes.HasPrefix(data, []byte("#!/usr/bin/env bash"))) {
			continue
		}
		cmds, err := ParseScript(string(data), c.Dir)
		if err != nil {
			continue
		}
		for _, sc := range cmds {
			if sc.Args = u.stripWrappers(sc.Args); len(sc.Args) > 0 && !strings.HasPrefix(sc.Args[0], "$") {
				out = append(out, sc)
			}
		}
	}
	return out
}
