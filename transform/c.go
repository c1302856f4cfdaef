package transform

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

var passC = &Pass{
	Name: "c",
	Doc: `Plans the split of a C or C++ build: on the official gcc image, or on debian, ubuntu or alpine with a toolchain from apt-get or apk.
The program is the file the CMD or ENTRYPOINT runs: written by a compiler command with -o (gcc, cc,
clang, g++, c++, clang++; cp, mv and install after it are followed), found in the directory where
make, cmake or ninja built, or installed by make install, cmake --install or ninja install under
its prefix (--prefix, PREFIX=, -DCMAKE_INSTALL_PREFIX=, else /usr/local for configure, CMake and
Meson). When the program lives in the WORKDIR or the project's source tree, that whole directory is
copied (config files next to the binary are common); elsewhere, the file alone.
On the gcc image (buildpack-deps plus a compiler in /usr/local) the runtime is debian:<release>-slim
of the image's release (docs/tables.md dates the gcc tags; an unknown release is a skip unless the
program is static). The libraries the link line names (-lpq, -lssl...) become their run-time
packages (the -l table of docs/tables.md; an unknown one is a skip). A C++ program links the image's
own libstdc++ and libgcc_s, newer than the release's: the two files are copied from /usr/local/lib64
with the image's /etc/ld.so.conf.d/000-local-lib.conf, and ldconfig runs after the copies
(-static-libstdc++ needs none of it). For make and cmake builds the Makefile or CMakeLists.txt of
the build context says which program, libraries and language; without it, the build is skipped.
make install on the gcc image is skipped, since /usr/local also holds the compiler, unless the CMD
names the installed program and the project builds no shared library: then that file alone is copied.
On debian, ubuntu and alpine the runtime is the same distribution image (debian:<tag>-slim,
ubuntu:<tag>, alpine:<tag>); /usr/local, empty in those images, is copied whole after make install,
with ldconfig on glibc; the packages pass maps the -dev packages, and an installed -dev package with
no known run-time package is a skip. A --sysconfdir (or -DCMAKE_INSTALL_SYSCONFDIR) outside the prefix
is copied too when the command names a file in it, and is a skip otherwise (the install may have put
nothing there, and a COPY --from of a missing path fails). A project copied file by file (COPY
CMakeLists.txt ./, COPY src ./src) is read from the context directory its files come from. Nim builds the same way through gcc: nim c/cpp and nimble c
write the program next to the main module (or at -o:, --outdir:), nimble build where the .nimble
file of the build context says; the libraries Nim loads with dlopen, which no link line shows, are
installed in the runtime: those of -d:ssl, and libpcre3 and libssl when the Dockerfile installed
the nim package, which brought them. A file that installs Node.js, Python, Go, Ruby, Java, PHP,
Rust or Erlang and uses it is left to those ecosystems, with the reason.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"gcc", "debian", "ubuntu", "alpine"},
	Run: func(u *Unit) error {
		if u.Plan != nil {
			return nil // PHP from the distribution's packages, planned by the php pass
		}
		for _, st := range u.Steps {
			if c, ok := st.In.Command.(*instructions.CopyCommand); ok && c.From != "" {
				u.Skip(st.In.StartLine, "COPY --from=%s already copies from another image; rewrite by hand", c.From)
				return nil
			}
		}
		s := &cScan{u: u, needs: u.runtimeNeeds(), gcc: u.Base.Family == "gcc"}
		s.run()
		return nil
	},
}

// compilerRe matches the C and C++ compiler drivers, with a versioned name
// (gcc-12) or a target triplet (x86_64-linux-gnu-gcc).
var compilerRe = regexp.MustCompile(`^(?:[a-z0-9_]+-(?:[a-z0-9_]+-)?linux-[a-z0-9_]+-)?(gcc|cc|clang|g\+\+|c\+\+|clang\+\+)(?:-[0-9][0-9.]*)?$`)

// cScan is what the RUN instructions of a C or C++ image build.
type cScan struct {
	u     *Unit
	needs Needs
	gcc   bool // the official gcc image; else debian, ubuntu or alpine
	links []*cLink
	runs  []*cBuild // make, cmake, ninja, meson, configure
	moves []cMove
	rms   []cMove // Src is the removed path
	mkdir []cMove // Dst is the created directory
	// cxx says why the project may be C++ ("" when nothing says so).
	cxx     string
	cxxLine int
	// Nim: the line of the first nim build, why a nim command cannot be
	// followed, and libraries the program loads with dlopen.
	nimLine    int
	nimUnknown string
	nimDlopen  []nimLib
}

// cLink is a compiler command that links a program.
type cLink struct {
	Path      string // where it is at the end of the stage
	Alts      []string
	Dir       string
	Line      int
	Static    bool
	StaticCxx bool
	CXX       string
	Libs      []string
	Unknown   string // why its libraries cannot be known
}

// cBuild is one run of a build tool.
type cBuild struct {
	Tool string // make, cmake, ninja, meson, configure
	Line int
	// Dir is where it runs (the build directory of cmake --build and
	// --install, of ninja -C and meson -C).
	Dir string
	// Src is the project's source directory of a configure step.
	Src string
	// Configure is set for a step that writes the build (configure, cmake
	// without --build, meson setup), with the prefix it records.
	Configure bool
	Install   bool
	Prefix    string
	PrefixWhy string
	// Unknown says why the build's directory or install location is not
	// known.
	Unknown  string
	Targets  []string
	Makefile string
	Vars     map[string]string
	Shared   bool // -DBUILD_SHARED_LIBS=ON
	Step     *Step
	// Sysconfdir is an absolute --sysconfdir (or
	// -DCMAKE_INSTALL_SYSCONFDIR): the install puts configuration files
	// there, outside the prefix.
	Sysconfdir string
}

type cMove struct {
	Src, Dst string
	Line     int
}

func isCxxSource(a string) bool {
	switch ext := path.Ext(a); ext {
	case ".C", ".cpp", ".cc", ".cxx", ".c++", ".cp", ".CPP", ".ixx", ".cppm":
		return true
	}
	return false
}

func (s *cScan) run() {
	u, needs := s.u, s.needs
	if needs.Toolchain != 0 {
		u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the toolchain", needs.ToolchainWhat)
		return
	}
	if m := compilerRe.FindStringSubmatch(path.Base(needs.Exec)); m != nil {
		u.Skip(needs.ExecLine, "the container runs %s: it needs the toolchain", needs.Exec)
		return
	}
	switch path.Base(needs.Exec) {
	case "make", "cmake", "ninja", "meson":
		u.Skip(needs.ExecLine, "the container runs %s: it needs the toolchain", needs.Exec)
		return
	}
	if !s.gcc {
		if why, line := s.otherLanguage(); why != "" {
			u.Skip(line, "%s", why)
			return
		}
	}
	if why, line := s.scan(); why != "" {
		u.Skip(line, "%s", why)
		return
	}
	if s.nimUnknown != "" {
		u.Skip(s.nimLine, "%s", s.nimUnknown)
		return
	}
	if len(s.links) == 0 && len(s.runs) == 0 {
		if s.gcc {
			u.Skip(u.Stage.From.StartLine, "no compiler, make or cmake command builds a program: nothing to carry into a runtime stage")
		} else {
			u.Skip(u.Stage.From.StartLine, "no C or C++ build (a compiler, make, cmake, ninja or configure): on %s images only C and C++ builds are planned", u.Base.Family)
		}
		return
	}
	if !s.gcc {
		if why, line := s.toolchain(); why != "" {
			u.Skip(line, "%s", why)
			return
		}
	}
	prog := s.locate()
	if prog == nil {
		return
	}
	if s.gcc {
		s.planGcc(prog)
	} else {
		s.planDistro(prog)
	}
}

// otherLangs are the toolchains of the other ecosystems, by the
// distribution packages that install them and the commands that use them.
var otherLangs = []struct {
	name string
	pkgs *regexp.Regexp
	cmds map[string]bool
}{
	{"Node.js", regexp.MustCompile(`^(nodejs|npm|yarn|nodejs-current)$`), map[string]bool{"npm": true, "npx": true, "yarn": true, "pnpm": true, "node": true, "nodejs": true}},
	{"Python", regexp.MustCompile(`^(python[0-9.]*|python[0-9.]*-(pip|setuptools|venv)|py[0-9]*-pip|python-software-properties)$`), map[string]bool{"pip": true, "pip3": true, "python": true, "python3": true, "easy_install": true, "poetry": true, "pipenv": true, "uv": true, "gunicorn": true, "uwsgi": true}},
	{"Go", regexp.MustCompile(`^(golang|golang-go|go|golang-[0-9.]+-go)$`), map[string]bool{"go": true}},
	{"Ruby", regexp.MustCompile(`^(ruby|ruby-full|rubygems|ruby-bundler|bundler|ruby[0-9.]+)$`), map[string]bool{"gem": true, "bundle": true, "ruby": true, "rake": true, "rails": true}},
	{"Java", regexp.MustCompile(`^(openjdk.*|default-jdk.*|default-jre.*|maven|gradle|ant)$`), map[string]bool{"java": true, "javac": true, "mvn": true, "gradle": true, "ant": true}},
	{"PHP", regexp.MustCompile(`^php[0-9.]*(-.*)?$`), map[string]bool{"php": true, "composer": true, "php-fpm": true}},
	{"Rust", regexp.MustCompile(`^(rustc|cargo|rust)$`), map[string]bool{"cargo": true, "rustc": true}},
	{"Erlang", regexp.MustCompile(`^(erlang.*|elixir|rebar3?)$`), map[string]bool{"erl": true, "erlc": true, "rebar3": true, "mix": true, "elixir": true}},
}

// otherLanguage finds another language's toolchain in play on a
// distribution image: installed by the package manager (or called) and
// used by a RUN, the CMD or the ENTRYPOINT. Those images are the other
// ecosystems' work.
func (s *cScan) otherLanguage() (string, int) {
	for _, l := range otherLangs {
		installLine, installed := 0, ""
		useLine, used := 0, ""
		for _, st := range s.u.Steps {
			for _, p := range st.Installs {
				if installLine == 0 && l.pkgs.MatchString(p) {
					installLine, installed = st.In.StartLine, p
				}
			}
			for _, c := range st.Commands {
				if useLine == 0 && l.cmds[c.Name()] {
					useLine, used = st.In.StartLine, c.Name()
				}
			}
		}
		if useLine == 0 {
			exec := path.Base(s.needs.Exec)
			if l.cmds[exec] || (l.name == "Python" && strings.HasPrefix(exec, "python")) {
				useLine, used = s.needs.ExecLine, exec
			}
		}
		if useLine == 0 || installLine == 0 {
			continue
		}
		if installLine != 0 {
			return fmt.Sprintf("%s installed from the distribution's packages (line %d installs %s; line %d runs %s): not supported yet", l.name, installLine, installed, useLine, used), installLine
		}
		return fmt.Sprintf("%s builds or runs the program (line %d runs %s): not supported yet", l.name, useLine, used), useLine
	}
	return "", 0
}

// toolchainPackages install a C or C++ compiler or build tool.
var toolchainPackages = regexp.MustCompile(`^(build-essential|build-base|alpine-sdk|gcc|g\+\+|clang|cmake|make|gcc-[0-9.]+|g\+\+-[0-9.]+|clang-[0-9.]+|musl-dev|libc6-dev|libc-dev)$`)

// toolchain checks that the distribution image got its compiler from the
// package manager, so that the runtime of the same image lacks nothing the
// build did not install.
func (s *cScan) toolchain() (string, int) {
	for _, st := range s.u.Steps {
		for _, p := range st.Installs {
			if toolchainPackages.MatchString(p) {
				return "", 0
			}
		}
	}
	line := s.u.Stage.From.StartLine
	if len(s.runs) > 0 {
		line = s.runs[0].Line
	} else if len(s.links) > 0 {
		line = s.links[0].Line
	}
	return fmt.Sprintf("the build at line %d uses a compiler no apt-get or apk install of this file provides (%s has none): where it comes from is not known", line, s.u.Base.Expanded), line
}

// expand substitutes the ENV, ARG and exported variables in a word; ok is
// false when it holds a command substitution or an unset variable.
func (s *cScan) expand(st *Step, c Command, w string) (string, bool) {
	return expandWord(st, c, w)
}

// expandWord substitutes the ENV, ARG and exported variables known where c
// runs in a word; ok is false when it holds a command substitution or an
// unset variable.
func expandWord(st *Step, c Command, w string) (string, bool) {
	if !strings.ContainsAny(w, "$`") {
		return w, true
	}
	if strings.Contains(w, "$(") || strings.Contains(w, "`") {
		return w, false
	}
	env := map[string]string{}
	for _, k := range st.Env.Keys() {
		env[k], _ = st.Env.Get(k)
	}
	for k, v := range c.Env {
		env[k] = v
	}
	for _, m := range varRefRe.FindAllStringSubmatch(w, -1) {
		if _, ok := env[m[1]]; !ok {
			return w, false
		}
	}
	v, _, err := shell.NewLex('\\').ProcessWord(w, envMap(env))
	if err != nil || strings.ContainsAny(v, "$`") {
		return w, false
	}
	return v, true
}

var varRefRe = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// scan reads every command of the RUN instructions. The reason is set when
// a build's place or output cannot be followed.
func (s *cScan) scan() (string, int) {
	for _, st := range s.u.Steps {
		dynCd := ""
		for _, c := range st.Commands {
			dir := c.Dir
			if dir == "" {
				dir = st.Workdir
			}
			if dir == "" {
				dir = "/"
			}
			name := c.Name()
			line := st.In.StartLine
			switch {
			case name == "cd" && c.Dynamic && len(c.Args) > 1:
				if v, ok := s.expand(st, c, c.Args[1]); ok {
					// The shell walker did not follow it; the rest of the
					// RUN is then read with the wrong directory.
					dynCd = fmt.Sprintf("line %d changes directory with cd %s", line, v)
				} else {
					dynCd = fmt.Sprintf("line %d changes directory with cd %s", line, c.Args[1])
				}
			case compilerRe.MatchString(name):
				if dynCd != "" {
					return dynCd + ": where the compiler writes is not followed", line
				}
				s.compiler(st, c, dir)
			case name == "make" || name == "gmake" || name == "cmake" || name == "ninja" || name == "meson" ||
				(strings.HasPrefix(name, "configure") && strings.Contains(c.Args[0], "/")):
				b := s.build(st, c, dir)
				if b == nil {
					continue
				}
				if dynCd != "" {
					b.Unknown = dynCd + ": where it builds is not followed"
				}
				s.runs = append(s.runs, b)
			case name == "nim" || name == "nimble":
				if dynCd != "" {
					return dynCd + ": where nim writes is not followed", line
				}
				s.nim(st, c, dir)
			case name == "cp" || name == "mv" || name == "install":
				s.move(st, c, dir)
			case name == "rm":
				for _, a := range nonFlags(c.Args[1:]) {
					if v, ok := s.expand(st, c, a); ok && !strings.ContainsAny(v, "*?[") {
						s.rms = append(s.rms, cMove{Src: Resolve(dir, v), Line: line})
					}
				}
			case name == "mkdir":
				for i := 1; i < len(c.Args); i++ {
					a := c.Args[i]
					if a == "-m" || a == "--mode" {
						i++
						continue
					}
					if strings.HasPrefix(a, "-") {
						continue
					}
					if v, ok := s.expand(st, c, a); ok {
						s.mkdir = append(s.mkdir, cMove{Dst: Resolve(dir, v), Line: line})
					}
				}
			}
		}
	}
	return "", 0
}

// compiler reads a compiler command.
func (s *cScan) compiler(st *Step, c Command, dir string) {
	driver := compilerRe.FindStringSubmatch(c.Name())[1]
	l := &cLink{Dir: dir, Line: st.In.StartLine}
	if driver == "g++" || driver == "c++" || driver == "clang++" {
		l.CXX = fmt.Sprintf("line %d compiles with %s", l.Line, c.Name())
	}
	link := true
	out := ""
	args := c.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-c" || a == "-E" || a == "-S" || a == "-M" || a == "-MM" || a == "-shared" || a == "-r" ||
			a == "--version" || a == "-v" || strings.HasPrefix(a, "-dump") || strings.HasPrefix(a, "-print-"):
			link = false
		case a == "-o":
			out = next()
		case strings.HasPrefix(a, "-o"):
			out = a[2:]
		case a == "-static" || a == "-static-pie" || a == "--static":
			l.Static = true
		case a == "-static-libstdc++":
			l.StaticCxx = true
		case a == "-l":
			l.Libs = append(l.Libs, next())
		case strings.HasPrefix(a, "-l"):
			l.Libs = append(l.Libs, a[2:])
		case a == "-x":
			if v := next(); strings.HasPrefix(v, "c++") {
				l.CXX = fmt.Sprintf("line %d compiles with -x %s", l.Line, v)
			}
		case a == "-fopenmp":
			l.Libs = append(l.Libs, "gomp")
		case strings.HasPrefix(a, "-fsanitize="):
			l.Unknown = fmt.Sprintf("line %d links with %s: the sanitizer run-time libraries are the gcc image's own", l.Line, a)
		case strings.HasPrefix(a, "-Wl,") && (strings.Contains(a, "-Bstatic") || strings.Contains(a, "-Bdynamic") || strings.Contains(a, ",-l")):
			l.Unknown = fmt.Sprintf("line %d links with %s: which libraries the linker takes is not followed", l.Line, a)
		case strings.ContainsAny(a, "$`"):
			if strings.HasPrefix(a, "-D") || strings.HasPrefix(a, "-I") || strings.HasPrefix(a, "-O") || strings.HasPrefix(a, "-W") || strings.HasPrefix(a, "-f") || strings.HasPrefix(a, "-m") || strings.HasPrefix(a, "-std") {
				continue
			}
			if v, ok := s.expand(st, c, a); ok && !strings.Contains(v, " ") {
				if isCxxSource(v) {
					l.CXX = fmt.Sprintf("line %d compiles %s", l.Line, v)
				}
				if strings.HasPrefix(v, "-l") {
					l.Libs = append(l.Libs, v[2:])
				}
				continue
			}
			l.Unknown = fmt.Sprintf("line %d links words from %s: the libraries it links are not known", l.Line, a)
		case !strings.HasPrefix(a, "-") && isCxxSource(a):
			l.CXX = fmt.Sprintf("line %d compiles %s", l.Line, a)
		}
	}
	for _, lib := range l.Libs {
		if lib == "stdc++" && l.CXX == "" {
			l.CXX = fmt.Sprintf("line %d links -lstdc++", l.Line)
		}
	}
	if l.CXX != "" && s.cxx == "" {
		s.cxx, s.cxxLine = l.CXX, l.Line
	}
	if !link || out == "" {
		return
	}
	v, ok := s.expand(st, c, out)
	if !ok {
		return
	}
	l.Path = Resolve(dir, v)
	s.links = append(s.links, l)
}

// build reads a run of make, cmake, ninja, meson or a configure script.
func (s *cScan) build(st *Step, c Command, dir string) *cBuild {
	b := &cBuild{Tool: c.Name(), Line: st.In.StartLine, Dir: dir, Vars: map[string]string{}, Step: st}
	args := c.Args[1:]
	val := func(i *int) (string, bool) {
		if *i+1 >= len(args) {
			return "", false
		}
		*i++
		return s.expand(st, c, args[*i])
	}
	setDir := func(v string, ok bool, what string) {
		if !ok {
			b.Unknown = fmt.Sprintf("line %d: %s %s is not known", b.Line, what, v)
			return
		}
		b.Dir = Resolve(dir, v)
	}
	switch b.Tool {
	case "make", "gmake":
		b.Tool = "make"
		mc := parseMakeArgs(args)
		for _, d := range mc.Dirs {
			v, ok := s.expand(st, c, d)
			if !ok {
				setDir(v, ok, "the directory")
				break
			}
			dir = Resolve(dir, v)
			b.Dir = dir
		}
		if mc.File != "" {
			b.Makefile, _ = s.expand(st, c, mc.File)
		}
		for k, v := range mc.Vars {
			if ev, ok := s.expand(st, c, v); ok {
				b.Vars[k] = ev
			} else {
				b.Vars[k] = "$"
			}
		}
		for _, t := range mc.Targets {
			if !strings.ContainsAny(t, "$`") {
				b.Targets = append(b.Targets, t)
			}
		}
		for _, t := range b.Targets {
			if t == "install" || strings.HasPrefix(t, "install-") {
				b.Install = true
			}
		}
		for _, k := range []string{"PREFIX", "prefix", "DESTDIR"} {
			if _, ok := b.Vars[k]; ok {
				continue
			}
			if v, ok := c.Env[k]; ok {
				b.Vars[k] = v
			} else if v, ok := st.Env.Get(k); ok && k == "DESTDIR" {
				b.Vars[k] = v
			}
		}
	case "cmake":
		var src, bdir string
		build, install := false, false
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-E" || a == "-P" || a == "--version" || a == "--help":
				return nil // a command-line tool or script run, not a build
			case a == "--build":
				build = true
				v, ok := val(&i)
				setDir(v, ok, "the build directory")
			case a == "--install":
				install = true
				v, ok := val(&i)
				setDir(v, ok, "the build directory")
			case a == "--target" || a == "-t":
				v, _ := val(&i)
				b.Targets = append(b.Targets, v)
			case a == "--prefix":
				v, ok := val(&i)
				b.setPrefix(v, ok, "--prefix")
			case a == "-S":
				src, _ = val(&i)
			case a == "-B":
				bdir, _ = val(&i)
			case strings.HasPrefix(a, "-S") && len(a) > 2:
				src = a[2:]
			case strings.HasPrefix(a, "-B") && len(a) > 2:
				bdir = a[2:]
			case a == "-D":
				v, _ := val(&i)
				b.define(v)
			case strings.HasPrefix(a, "-D"):
				v, ok := s.expand(st, c, a[2:])
				if !ok && strings.HasPrefix(a[2:], "CMAKE_INSTALL_PREFIX") {
					b.Unknown = fmt.Sprintf("line %d: the install prefix %s is not known", b.Line, a)
				}
				b.define(v)
			case a == "-G" || a == "-C" || a == "-T" || a == "-A" || a == "--config" || a == "-j" || a == "--parallel" || a == "--component":
				i++
			case strings.HasPrefix(a, "-"):
			default:
				if !build && !install {
					src = a
				}
			}
		}
		switch {
		case install:
			b.Install = true
		case build:
			for _, t := range b.Targets {
				if t == "install" || t == "install/strip" {
					b.Install = true
				}
			}
		default:
			b.Configure = true
			b.Src = b.Dir
			if bdir != "" {
				// cmake -B build without -S configures the working
				// directory's project (CMake 3.13 and later).
				b.Dir = Resolve(dir, bdir)
			}
			if src != "" {
				if v, ok := s.expand(st, c, src); ok {
					b.Src = Resolve(dir, v)
				}
			}
			if b.Prefix == "" && b.Unknown == "" {
				b.Prefix, b.PrefixWhy = "/usr/local", "CMake's default prefix"
			}
		}
	case "ninja":
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-C":
				v, ok := val(&i)
				setDir(v, ok, "the build directory")
			case a == "-j" || a == "-l" || a == "-k" || a == "-f" || a == "-t" || a == "-d" || a == "-w":
				i++
			case strings.HasPrefix(a, "-"):
			default:
				b.Targets = append(b.Targets, a)
			}
		}
		b.Install = contains(b.Targets, "install")
	case "meson":
		sub := ""
		var pos []string
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-C":
				v, ok := val(&i)
				setDir(v, ok, "the build directory")
			case a == "--prefix":
				v, ok := val(&i)
				b.setPrefix(v, ok, "--prefix")
			case strings.HasPrefix(a, "--prefix="):
				v, ok := s.expand(st, c, strings.TrimPrefix(a, "--prefix="))
				b.setPrefix(v, ok, "--prefix")
			case strings.HasPrefix(a, "-"):
			case sub == "":
				sub = a
			default:
				pos = append(pos, a)
			}
		}
		switch sub {
		case "install":
			b.Install = true
		case "compile":
		case "setup", "configure":
			b.Configure = true
			if len(pos) > 0 {
				b.Dir = Resolve(dir, pos[0])
			}
			b.Src = dir
		default:
			if sub == "" {
				return nil
			}
			b.Configure = true // meson BUILDDIR, the old form of setup
			b.Dir = Resolve(dir, sub)
			b.Src = dir
		}
		if b.Configure && b.Prefix == "" && b.Unknown == "" {
			b.Prefix, b.PrefixWhy = "/usr/local", "Meson's default prefix"
		}
	default: // a configure script
		b.Tool = "configure"
		b.Configure = true
		b.Src = Resolve(dir, path.Dir(c.Args[0]))
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "--prefix":
				v, ok := val(&i)
				b.setPrefix(v, ok, "--prefix")
			case strings.HasPrefix(a, "--prefix="):
				v, ok := s.expand(st, c, strings.TrimPrefix(a, "--prefix="))
				b.setPrefix(v, ok, "--prefix")
			case a == "--sysconfdir":
				if v, ok := val(&i); ok && strings.HasPrefix(v, "/") {
					b.Sysconfdir = path.Clean(v)
				}
			case strings.HasPrefix(a, "--sysconfdir="):
				if v, ok := s.expand(st, c, strings.TrimPrefix(a, "--sysconfdir=")); ok && strings.HasPrefix(v, "/") {
					b.Sysconfdir = path.Clean(v)
				}
			}
		}
		if b.Prefix == "" && b.Unknown == "" {
			if c.Name() != "configure" {
				b.Unknown = fmt.Sprintf("line %d runs %s without --prefix: where its build installs is not known", b.Line, c.Args[0])
			} else {
				b.Prefix, b.PrefixWhy = "/usr/local", "the default prefix of configure"
			}
		}
	}
	return b
}

func (b *cBuild) setPrefix(v string, ok bool, flag string) {
	if !ok {
		b.Unknown = fmt.Sprintf("line %d: the install prefix %s %s is not known", b.Line, flag, v)
		return
	}
	b.Prefix, b.PrefixWhy = path.Clean(v), fmt.Sprintf("line %d sets %s", b.Line, flag)
}

// define reads a cmake -D definition.
func (b *cBuild) define(d string) {
	k, v, ok := strings.Cut(d, "=")
	if !ok {
		return
	}
	k, _, _ = strings.Cut(k, ":")
	switch k {
	case "CMAKE_INSTALL_PREFIX":
		if strings.ContainsAny(v, "$`") {
			b.Unknown = fmt.Sprintf("line %d: the install prefix %s is not known", b.Line, v)
			return
		}
		b.Prefix, b.PrefixWhy = path.Clean(v), fmt.Sprintf("line %d sets -DCMAKE_INSTALL_PREFIX", b.Line)
	case "CMAKE_INSTALL_SYSCONFDIR":
		if strings.HasPrefix(v, "/") && !strings.ContainsAny(v, "$`") {
			b.Sysconfdir = path.Clean(v)
		}
	case "BUILD_SHARED_LIBS":
		switch strings.ToUpper(v) {
		case "ON", "1", "TRUE", "YES":
			b.Shared = true
		}
	}
}

// move follows cp, mv and install of a program out of where it was built.
func (s *cScan) move(st *Step, c Command, dir string) {
	tool := c.Name()
	if tool == "install" && hasFlag(c.Args, "-d") {
		return // creates directories
	}
	ops, dst, intoDir, ok := moveOperands(tool, c.Args[1:])
	if !ok {
		return
	}
	if intoDir == "" {
		ops = append(ops, dst)
	}
	var srcs []string
	for _, a := range ops {
		v, ok := s.expand(st, c, a)
		if !ok || strings.ContainsAny(v, "*?[") {
			return
		}
		srcs = append(srcs, v)
	}
	if intoDir != "" {
		v, ok := s.expand(st, c, intoDir)
		if !ok {
			return
		}
		dst = v + "/"
	} else {
		dst, srcs = srcs[len(srcs)-1], srcs[:len(srcs)-1]
	}
	d := Resolve(dir, dst)
	toDir := len(srcs) > 1 || strings.HasSuffix(dst, "/") || dst == "." || standardDirs[d] || s.isDir(d)
	for _, src := range srcs {
		from := Resolve(dir, src)
		to := d
		if toDir {
			to = path.Join(d, path.Base(from))
		}
		s.moves = append(s.moves, cMove{Src: from, Dst: to, Line: st.In.StartLine})
		for _, l := range s.links {
			if l.Path == from {
				if tool != "mv" {
					l.Alts = append(l.Alts, l.Path)
				}
				l.Path = to
			}
		}
	}
}

// isDir reports whether the stage made p a directory (WORKDIR, mkdir, an
// install prefix's bin).
func (s *cScan) isDir(p string) bool {
	for _, st := range s.u.Steps {
		if st.Workdir == p {
			return true
		}
	}
	for _, m := range s.mkdir {
		if m.Dst == p {
			return true
		}
	}
	for _, b := range s.runs {
		if b.Prefix != "" && (p == b.Prefix+"/bin" || p == b.Prefix+"/sbin") {
			return true
		}
	}
	return false
}

// removedAfter returns the line of an rm that takes p (or a directory
// above it) away after line, or 0.
func (s *cScan) removedAfter(p string, line int) int {
	for _, r := range s.rms {
		if r.Line < line {
			continue
		}
		if _, in := under(p, r.Src); in {
			return r.Line
		}
	}
	return 0
}

// cProg is the program the container runs and where it comes from.
type cProg struct {
	Path string
	// Kind is "link" (a compiler command wrote it), "install" (make install
	// and the like put it under a prefix), "tree" (it is in a build
	// directory) or "moved" (cp, mv or install took it out of one).
	Kind  string
	Line  int
	Link  *cLink
	Build *cBuild // the build that made it (the install for "install")
	From  string  // the file a move took, for "moved"
}

// installs returns the install runs with their prefixes resolved; the
// reason is set for one whose location is not known.
func (s *cScan) installs() ([]*cBuild, string, int) {
	var out []*cBuild
	for i, b := range s.runs {
		if !b.Install {
			continue
		}
		if b.Unknown != "" {
			return nil, b.Unknown, b.Line
		}
		if b.Tool == "make" {
			if v, ok := b.Vars["DESTDIR"]; ok && v != "" {
				return nil, fmt.Sprintf("line %d: make install DESTDIR=%s stages the install elsewhere: not planned", b.Line, v), b.Line
			}
			for _, k := range []string{"PREFIX", "prefix"} {
				if v, ok := b.Vars[k]; ok {
					if strings.Contains(v, "$") || !strings.HasPrefix(v, "/") {
						return nil, fmt.Sprintf("line %d: the install prefix %s=%s is not known", b.Line, k, v), b.Line
					}
					b.Prefix, b.PrefixWhy = path.Clean(v), fmt.Sprintf("line %d sets %s", b.Line, k)
				}
			}
		}
		if b.Prefix == "" {
			// The configure step of the same project recorded it.
			for j := i - 1; j >= 0; j-- {
				cf := s.runs[j]
				if !cf.Configure {
					continue
				}
				_, inBuild := under(b.Dir, cf.Dir)
				_, inSrc := under(b.Dir, cf.Src)
				if inBuild || (cf.Src != "" && inSrc) {
					if cf.Unknown != "" {
						return nil, cf.Unknown, cf.Line
					}
					b.Prefix, b.PrefixWhy = cf.Prefix, cf.PrefixWhy
					if b.Sysconfdir == "" {
						b.Sysconfdir = cf.Sysconfdir
					}
					if cf.Shared {
						b.Shared = true
					}
					break
				}
			}
		}
		if b.Prefix == "" && b.Tool == "make" {
			if mf := s.makefileAt(b); mf != nil && mf.Prefix != "" {
				b.Prefix, b.PrefixWhy = mf.Prefix, "the Makefile's prefix"
			}
		}
		if b.Prefix == "" {
			return nil, fmt.Sprintf("line %d runs %s install, and no configure step or Makefile of the build context says where it installs", b.Line, b.Tool), b.Line
		}
		out = append(out, b)
	}
	return out, "", 0
}

// finalPath is the PATH the container runs with.
func (s *cScan) finalPath() []string {
	pathVal := stdPath[len("PATH="):]
	if cfg, ok := ConfigOf(s.u.Base); ok {
		for _, kv := range cfg.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				pathVal = v
			}
		}
	}
	lex := shell.NewLex(s.u.File.Escape)
	for _, st := range s.u.Steps {
		if e, ok := st.In.Command.(*instructions.EnvCommand); ok {
			for _, kv := range e.Env {
				if kv.Key != "PATH" {
					continue
				}
				env := map[string]string{}
				for _, k := range st.Env.Keys() {
					env[k], _ = st.Env.Get(k)
				}
				if _, ok := env["PATH"]; !ok {
					env["PATH"] = pathVal
				}
				if v, _, err := lex.ProcessWord(kv.Value, envMap(env)); err == nil {
					pathVal = v
				}
			}
		}
	}
	var out []string
	for _, d := range strings.Split(pathVal, ":") {
		if strings.HasPrefix(d, "/") {
			out = append(out, path.Clean(d))
		}
	}
	return out
}

// locate finds the program the container runs; it records the skip when
// it cannot.
func (s *cScan) locate() *cProg {
	u, needs := s.u, s.needs
	exec := needs.Exec
	if exec == "" || strings.ContainsAny(exec, "$`") {
		u.Skip(u.Stage.From.StartLine, "the container's command is not known: cannot tell which program to carry")
		return nil
	}
	if notProgramNames[path.Base(exec)] || path.Base(exec) == "taskset" || path.Base(exec) == "nice" {
		u.Skip(needs.ExecLine, "the container runs %s: which program it starts is not followed", exec)
		return nil
	}
	installs, why, line := s.installs()
	if why != "" {
		u.Skip(line, "%s", why)
		return nil
	}
	var cands []string
	if strings.Contains(exec, "/") {
		cands = []string{Resolve(u.finalWorkdir(), exec)}
	} else {
		// A prefix's bin before its sbin: installs put programs in bin
		// unless the project says otherwise (checked on the gcc image).
		var sbin []string
		for _, d := range s.finalPath() {
			if path.Base(d) == "sbin" {
				sbin = append(sbin, path.Join(d, exec))
				continue
			}
			cands = append(cands, path.Join(d, exec))
		}
		cands = append(cands, sbin...)
	}
	for _, p := range cands {
		if prog := s.origin(p, installs); prog != nil {
			if l := s.removedAfter(prog.Path, prog.Line); l != 0 {
				u.Skip(l, "the container runs %s, but line %d removes it", prog.Path, l)
				return nil
			}
			return prog
		}
	}
	for _, p := range cands {
		if line := u.copiedFile(p); line != 0 {
			u.Skip(needs.ExecLine, "the container runs %s, which line %d copies in from the build context, not a program built here: what it runs is not followed", exec, line)
			return nil
		}
	}
	where := "a program of the distribution's packages or a file copied in"
	if s.gcc {
		where = "a file copied in or a program of the image"
	}
	u.Skip(needs.ExecLine, "the container runs %s, which no compiler command with -o, build directory or install of this file writes (%s?)", exec, where)
	return nil
}

// origin says how p came to be, or nil when no build made it.
func (s *cScan) origin(p string, installs []*cBuild) *cProg {
	for _, l := range s.links {
		if l.Path == p || contains(l.Alts, p) {
			return &cProg{Path: p, Kind: "link", Line: l.Line, Link: l}
		}
	}
	for i := len(installs) - 1; i >= 0; i-- {
		b := installs[i]
		if _, in := under(p, b.Prefix); in {
			return &cProg{Path: p, Kind: "install", Line: b.Line, Build: b}
		}
	}
	for i := len(s.moves) - 1; i >= 0; i-- {
		m := s.moves[i]
		if m.Dst != p {
			continue
		}
		if b := s.treeOf(m.Src, m.Line); b != nil {
			return &cProg{Path: p, Kind: "moved", Line: m.Line, Build: b, From: m.Src}
		}
	}
	if b := s.treeOf(p, 1<<30); b != nil {
		return &cProg{Path: p, Kind: "tree", Line: b.Line, Build: b}
	}
	return nil
}

// treeOf returns the last build (not an install) before line whose
// directory holds p.
func (s *cScan) treeOf(p string, line int) *cBuild {
	var best *cBuild
	for _, b := range s.runs {
		if b.Install || b.Line > line {
			continue
		}
		// A build in / (no WORKDIR) writes ./server at the top, not
		// every path of the image.
		if _, in := under(p, b.Dir); in && (b.Dir != "/" || path.Dir(p) == "/") {
			best = b
		}
	}
	return best
}

// appDir is the directory copied for a program outside any install
// prefix: the outermost of the final WORKDIR, the build's directories and
// the directories the build context was copied into that holds it; "" when
// it is in none (or only in a system directory), and the file alone is
// copied.
func (s *cScan) appDir(prog *cProg) string {
	cands := []string{s.u.finalWorkdir()}
	if prog.Build != nil {
		cands = append(cands, prog.Build.Dir, prog.Build.Src)
		for _, b := range s.runs {
			if b.Configure && (b.Dir == prog.Build.Dir || b.Src == prog.Build.Dir) {
				cands = append(cands, b.Src, b.Dir)
			}
		}
	}
	if prog.Link != nil {
		cands = append(cands, prog.Link.Dir)
	}
	lex := shell.NewLex(s.u.File.Escape)
	for _, st := range s.u.Steps {
		if _, dest, destDir, ok := s.u.copyOf(st, lex); ok && destDir {
			cands = append(cands, dest)
		}
	}
	best := ""
	for _, d := range cands {
		if d == "" || d == "/" || systemDirs[d] || strings.HasPrefix(d, "/tmp/") || standardDirs[d] {
			continue
		}
		if _, in := under(prog.Path, d); !in || d == prog.Path {
			continue
		}
		if best == "" || len(d) < len(best) {
			best = d
		}
	}
	return best
}

// copyProgram adds the copy of the program: its directory when it lives
// in the WORKDIR or the project's tree, else the file.
func (s *cScan) copyProgram(prog *cProg) string {
	p := s.u.Plan
	if d := s.appDir(prog); d != "" {
		p.Copies = append(p.Copies, Copy{Src: d, Dst: d, Line: prog.Line,
			Why: fmt.Sprintf("the program %s and what lies next to it (config files are often read from there): its whole directory is the safe copy", prog.Path)})
		return d
	}
	p.Copies = append(p.Copies, Copy{Src: prog.Path, Dst: prog.Path, Line: prog.Line, Why: "the program built here"})
	return prog.Path
}

func ldconfigRun(u *Unit, why string, line int) Gen {
	return Gen{In: u.File.New("RUN", "RUN ldconfig"), Why: why, Line: line}
}

// cFacts are what the rewrite knows about how the program was linked.
type cFacts struct {
	Static, StaticCxx bool
	CXX               string
	Libs              []string
	Unknown           string
	Shared            bool
	Sbin              bool
}

// tlsLibs are the libraries whose clients verify certificates against the
// system's CA bundle.
var tlsLibs = map[string]bool{"ssl": true, "crypto": true, "curl": true, "gnutls": true}

func (s *cScan) planGcc(prog *cProg) {
	u := s.u
	var f cFacts
	switch prog.Kind {
	case "link":
		l := prog.Link
		f = cFacts{Static: l.Static, StaticCxx: l.StaticCxx, CXX: l.CXX, Libs: l.Libs, Unknown: l.Unknown}
		if f.CXX == "" && s.cxx != "" {
			f.CXX = s.cxx // objects of a C++ compile may be linked by gcc
		}
	default:
		if prog.Kind == "install" && u.Context == nil {
			u.Skip(prog.Line, "line %d runs %s install into %s, which on the gcc image also holds the compiler: only the program itself could be copied, and without the build context whether the project also installs libraries, and which it links, cannot be read", prog.Line, prog.Build.Tool, prog.Build.Prefix)
			return
		}
		var why string
		f, why = s.projectFacts(prog)
		if why != "" {
			u.Skip(prog.Line, "%s", why)
			return
		}
	}
	if f.Unknown != "" {
		u.Skip(prog.Line, "%s", f.Unknown)
		return
	}
	if prog.Kind == "install" && f.Sbin {
		u.Skip(prog.Line, "the project's install may put programs in %s/sbin as well as bin: which file the container runs is not followed", prog.Build.Prefix)
		return
	}
	if prog.Kind == "install" && f.Shared {
		u.Skip(prog.Line, "line %d installs into %s a project that builds shared libraries: on the gcc image /usr/local also holds the compiler, so its libraries cannot be told apart; not planned", prog.Line, prog.Build.Prefix)
		return
	}
	plan := &Plan{Ecosystem: "c", Static: f.Static}
	u.Plan = plan
	if prog.Kind == "install" {
		plan.Copies = append(plan.Copies, Copy{Src: prog.Path, Dst: prog.Path, Line: prog.Line,
			Why: fmt.Sprintf("the program line %d installs; the rest of %s is the gcc image's compiler", prog.Line, prog.Build.Prefix)})
	} else {
		s.copyProgram(prog)
	}
	s.copyWorkdir()
	if !s.copyContextFiles() {
		return
	}
	rel := u.Base.Release
	from := u.Stage.From.StartLine
	if f.Static {
		u.Fact(prog.Line, "%s is linked with -static: it needs no library at run time", prog.Path)
		if rel == "" {
			rel = "bookworm"
		}
		ref := "debian:" + rel + "-slim"
		plan.Runtime = ParseImage(ref, ref)
		u.Fact(from, "runtime %s: a static binary needs no library of the builder's release", ref)
		return
	}
	if rel == "" {
		u.Skip(from, "%s links glibc dynamically, and the Debian release of %s is unknown (docs/tables.md lists the gcc tags the rewrite knows): use a tag the table knows, or link with -static", prog.Path, u.Base.Expanded)
		return
	}
	pkgs, why := runtimeLibPackages(f.Libs, rel)
	if why != "" {
		u.Skip(prog.Line, "%s links %s", prog.Path, why)
		return
	}
	for _, l := range mapKeys(pkgs) {
		plan.Packages = append(plan.Packages, Package{Name: pkgs[l], Line: prog.Line,
			Why: fmt.Sprintf("the program links -l%s: the gcc image had its library (buildpack-deps), the runtime needs %s", l, pkgs[l])})
	}
	for _, l := range f.Libs {
		if tlsLibs[l] {
			// libcurl4 and libssl3 only recommend the CA bundle, which
			// --no-install-recommends leaves out; buildpack-deps had it.
			plan.Packages = append(plan.Packages, Package{Name: "ca-certificates", Line: prog.Line,
				Why: fmt.Sprintf("the program links -l%s, whose TLS checks read the CA certificates the gcc image had", l)})
			break
		}
	}
	var gccLibs []string
	if f.CXX != "" && !f.StaticCxx {
		gccLibs = append(gccLibs, "stdc++", "gcc_s")
	}
	for _, l := range f.Libs {
		if _, ok := gccRuntimeLibs[l]; ok && !contains(gccLibs, l) && l != "gcc_s" {
			gccLibs = append(gccLibs, l)
		}
	}
	if len(gccLibs) > 0 {
		if pf := u.Stage.Base().Platform; strings.Contains(pf, "386") || strings.Contains(pf, "arm/v") {
			u.Skip(from, "on %s the gcc image keeps its run-time libraries in /usr/local/lib, not %s: not planned", pf, gccLibDir)
			return
		}
		why := fmt.Sprintf("the program links the gcc image's own %%s (%s), newer than %s's", f.CXX, rel)
		if f.CXX == "" {
			why = "the program links the gcc image's own %s"
		}
		for _, l := range gccLibs {
			file := path.Join(gccLibDir, gccRuntimeLibs[l])
			plan.Copies = append(plan.Copies, Copy{Src: file, Dst: file, Line: prog.Line, Why: fmt.Sprintf(why, gccRuntimeLibs[l])})
		}
		plan.Copies = append(plan.Copies, Copy{Src: gccLdConf, Dst: gccLdConf, Line: prog.Line,
			Why: "the gcc image's ld.so.conf entry that puts " + gccLibDir + " before the release's libraries"})
		plan.RuntimeTail = append(plan.RuntimeTail, ldconfigRun(u, "the dynamic linker's cache must list "+gccLibDir+" first, as in the gcc image", prog.Line))
		if f.CXX != "" {
			u.Fact(prog.Line, "C++ program (%s): it needs the gcc image's libstdc++ and libgcc_s", f.CXX)
		}
	}
	ref := "debian:" + rel + "-slim"
	plan.Runtime = ParseImage(ref, ref)
	u.Fact(from, "runtime %s: same Debian release as the gcc image (the program links its glibc)", ref)
}

// copyWorkdir copies the directory the container runs in when the build
// or a COPY put something there: the program may read files relative to
// it, so the whole directory is the safe copy.
func (s *cScan) copyWorkdir() {
	u := s.u
	p := u.Plan
	wd := u.finalWorkdir()
	if wd == "" || wd == "/" || systemDirs[wd] || standardDirs[wd] || strings.HasPrefix(wd, "/tmp/") {
		return
	}
	for _, c := range p.Copies {
		if _, in := under(wd, c.Src); in {
			return
		}
	}
	lex := shell.NewLex(u.File.Escape)
	for _, st := range u.Steps {
		line := st.In.StartLine
		wrote := false
		if _, dest, _, ok := u.copyOf(st, lex); ok {
			_, wrote = under(dest, wd)
		} else if st.In.Keyword == "run" {
			_, wrote = under(st.Workdir, wd)
		}
		if wrote && s.removedAfter(wd, line) == 0 {
			p.Copies = append(p.Copies, Copy{Src: wd, Dst: wd, Line: line,
				Why: fmt.Sprintf("the container runs in %s and line %d puts files there: the program may read them, so the whole directory is the safe copy", wd, line)})
			return
		}
	}
}

// copyContextFiles carries what COPY or ADD put outside the copied
// directories and outside the source trees the build ran in (a config file
// in /etc, a data directory), taken from the builder as the build left it.
func (s *cScan) copyContextFiles() bool {
	u := s.u
	p := u.Plan
	lex := shell.NewLex(u.File.Escape)
	covered := func(x string) bool {
		for _, c := range p.Copies {
			if _, in := under(x, c.Src); in {
				return true
			}
		}
		return false
	}
	// A target holding a build directory, or inside one, is source.
	builtIn := func(t string) bool {
		var dirs []string
		for _, b := range s.runs {
			dirs = append(dirs, b.Dir, b.Src)
		}
		for _, l := range s.links {
			dirs = append(dirs, l.Dir)
		}
		for _, d := range dirs {
			if d == "" || d == "/" {
				continue
			}
			if _, in := under(d, t); in {
				return true
			}
			if _, in := under(t, d); in {
				return true
			}
		}
		return false
	}
	for _, st := range u.Steps {
		srcs, dest, destDir, ok := u.copyOf(st, lex)
		if !ok {
			continue
		}
		line := st.In.StartLine
		for _, src := range srcs {
			isDir := src == "." || strings.HasSuffix(src, "/") || isContextDir(u, src)
			t := dest
			if !isDir && destDir {
				t = path.Join(dest, path.Base(src))
			}
			if builtIn(t) {
				continue // the source tree: the program is what was built there
			}
			if covered(t) || s.removedAfter(t, line) != 0 {
				continue
			}
			if isDir && t == "/" && slices.ContainsFunc(s.runs, func(b *cBuild) bool { return normDir(b.Dir) == "/" }) {
				continue // the sources of a build in /: the effects pass carries their assets and configuration
			}
			if isDir && (t == "/" || systemDirs[t]) {
				u.Skip(line, "line %d copies the build context into %s: its files cannot be told apart from the image's own", line, t)
				u.Plan = nil
				return false
			}
			p.Copies = append(p.Copies, Copy{Src: t, Dst: t, Line: line, Why: fmt.Sprintf("line %d copies it in from the build context", line)})
		}
	}
	return true
}

// projectFacts reads the Makefile or CMakeLists.txt of the build that made
// the program, from the build context: the gcc image supplied every
// buildpack-deps library silently, so the libraries must be read there.
func (s *cScan) projectFacts(prog *cProg) (cFacts, string) {
	u := s.u
	b := prog.Build
	tool := b.Tool
	src := b.Dir
	var cf *cBuild
	for _, r := range s.runs {
		if r.Configure && r.Line <= b.Line {
			if _, in := under(b.Dir, r.Dir); in || r.Dir == b.Dir {
				cf = r
			}
		}
	}
	if cf != nil {
		tool, src = cf.Tool, cf.Src
	}
	if u.Context == nil {
		return cFacts{}, fmt.Sprintf("line %d runs %s, and there is no build context: which libraries the program links, and whether it is C++, cannot be read", b.Line, tool)
	}
	name := path.Base(prog.Path)
	if prog.From != "" {
		name = path.Base(prog.From)
	}
	switch tool {
	case "make":
		mf := s.makefileAt(b)
		if mf == nil {
			return cFacts{}, fmt.Sprintf("line %d runs make, and the build context has no Makefile for %s: which libraries the program links cannot be read", b.Line, b.Dir)
		}
		if mf.Unknown != "" {
			return cFacts{}, mf.Unknown
		}
		if !contains(mf.Names, name) {
			return cFacts{}, fmt.Sprintf("the Makefile of %s names no program %s (a -o target, TARGET = or a rule): cannot tell that the build writes it", b.Dir, name)
		}
		f := cFacts{Static: mf.Static, StaticCxx: mf.StaticCxx, CXX: mf.CXX, Libs: mf.Libs, Shared: mf.Shared, Sbin: mf.Sbin}
		s.envFlags(b, &f)
		return f, ""
	case "cmake":
		cm := s.cmakeAt(src, b.Line)
		if cm == nil {
			return cFacts{}, fmt.Sprintf("line %d runs cmake, and the build context has no CMakeLists.txt for %s", b.Line, src)
		}
		if cm.Unknown != "" {
			return cFacts{}, cm.Unknown
		}
		if !contains(cm.Names, name) {
			return cFacts{}, fmt.Sprintf("the CMakeLists.txt of %s adds no executable %s: cannot tell that the build writes it", src, name)
		}
		return cFacts{Static: cm.Static, StaticCxx: cm.StaticCxx, CXX: cm.CXX, Libs: cm.Libs, Sbin: cm.Sbin, Shared: cm.Shared || b.Shared || (cf != nil && cf.Shared)}, ""
	}
	return cFacts{}, fmt.Sprintf("line %d builds with %s: which libraries its build links is decided at build time, not known offline", b.Line, tool)
}

// envFlags adds the LDFLAGS and LDLIBS of the environment, which make
// passes to the link.
func (s *cScan) envFlags(b *cBuild, f *cFacts) {
	for _, k := range []string{"LDFLAGS", "LDLIBS", "LIBS"} {
		v, ok := b.Vars[k]
		if !ok {
			v, ok = b.Step.Env.Get(k)
		}
		if !ok {
			continue
		}
		for _, w := range strings.Fields(v) {
			switch {
			case w == "-static":
				f.Static = true
			case w == "-static-libstdc++":
				f.StaticCxx = true
			case strings.HasPrefix(w, "-l") && len(w) > 2:
				f.Libs = append(f.Libs, w[2:])
			}
		}
	}
}

// contextDir maps a directory of the image to the build context ("." for
// its root), or false when no COPY or ADD before line put it there.
func (s *cScan) contextDir(img string, line int) (string, bool) {
	return s.u.contextDirOf(img, line)
}

// contextDirOf maps a directory of the image to the build context ("." for
// its root), or false when no COPY or ADD before line put it there.
func (u *Unit) contextDirOf(img string, line int) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	lex := shell.NewLex(u.File.Escape)
	for i := len(u.Steps) - 1; i >= 0; i-- {
		st := u.Steps[i]
		if st.In.StartLine > line {
			continue
		}
		srcs, dest, destDir, ok := u.copyOf(st, lex)
		if !ok {
			continue
		}
		for _, src := range srcs {
			rel, in := under(img, dest)
			if !in {
				continue
			}
			cand := path.Clean(path.Join(src, rel))
			if isContextDir(u, cand) {
				return cand, true
			}
			// COPY CMakeLists.txt ./ then COPY src ./src: the directory is
			// put together file by file, in the context's own layout.
			if destDir && rel == "." && isContextDir(u, path.Dir(path.Clean(src))) {
				return path.Dir(path.Clean(src)), true
			}
		}
	}
	return "", false
}

func init() {
	familyNames["gcc"] = "gcc"
	// The official gcc image: buildpack-deps with GPG_KEYS, GCC_MIRRORS and
	// GCC_VERSION set, and debian's CMD. GPG_KEYS and GCC_MIRRORS are left
	// out: no Dockerfile sets them and the runtime never needs them.
	familyConfigs["gcc"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{stdPath, "GCC_VERSION=" + im.Version}, Cmd: []string{"bash"}}
	}
}
