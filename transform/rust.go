package transform

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

var passRust = &Pass{
	Name: "rust",
	Doc: `Finds the binaries a Rust build writes and the system libraries they link.
cargo build writes to <target-dir>/[<triple>/]<profile>/<name>: the target dir is --target-dir,
CARGO_TARGET_DIR, build.target-dir of .cargo/config.toml, else target/ at the workspace root;
the profile dir is debug without --release, release with it, or the --profile name. cargo install
--path P writes to <root>/bin (--root, CARGO_INSTALL_ROOT, else $CARGO_HOME/bin, which is
/usr/local/cargo/bin in the official image and not on a slim image's PATH). Binary names come from
the build context's Cargo.toml ([[bin]], src/main.rs named after the package, src/bin/*, workspace
members, --bin and -p); without it, from the file the CMD or ENTRYPOINT runs, or from a cp/mv/install
of the binary out of the target dir. cp, mv and install after the build are followed; cargo clean,
rm and RUN cache mounts that take the binary away are noticed. A musl target (or the alpine image,
which links statically unless RUSTFLAGS turns crt-static off) gives a static binary; otherwise the
binary links glibc and runs on debian:<release>-slim of the builder's release. The rust image
(buildpack-deps) supplied libssl, libpq, libmariadb, libsqlite3, zlib and libcurl silently: the
-sys crates of Cargo.lock (openssl-sys, pq-sys, mysqlclient-sys, libsqlite3-sys without bundled,
libz-sys, curl-sys) decide which run-time libraries the slim image gets, and ca-certificates when
the program reads the system's certificate store. Without Cargo.lock, libssl and ca-certificates
are assumed and database words in the Dockerfile (diesel, postgres, mysql, sqlite) add their
client libraries, with a warning.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"rust"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the Rust toolchain", needs.ToolchainWhat)
			return nil
		}
		switch needs.Exec {
		case "cargo", "rustc", "rustup":
			u.Skip(needs.ExecLine, "the container runs %s: it needs the Rust toolchain", needs.Exec)
			return nil
		}
		r := &rustScan{u: u, needs: needs}
		if !r.scan() {
			return nil
		}
		return r.plan()
	},
}

// rustArtifact is a binary a cargo command leaves in the builder.
type rustArtifact struct {
	Name string
	// Path is where it is at the end of the stage; Alts are other copies
	// that still exist (the original of a cp).
	Path string
	Alts []string
	Line int
	Run  *cargoRun
	// Gone says which line took it away (rm, cargo clean, a cache mount).
	Gone     string
	GoneLine int
	// Used is set for a registry tool's binary a script of the container
	// runs (diesel of diesel_cli in the entrypoint script).
	Used bool
}

// cargoRun is one cargo build or cargo install.
type cargoRun struct {
	Line      int
	Step      int // index in Unit.Steps
	Install   bool
	Registry  string // cargo install of a crate from a registry or git
	Dir       string // where cargo runs
	Manifest  string // the Cargo.toml it builds (image path)
	TargetDir string
	OutDir    string // where the binaries land
	Triple    string
	Profile   string // the profile's directory: debug, release, or a custom name
	Bins      []string
	Examples  []string
	Pkgs      []string
	AllBins   bool
	Workspace bool
	Features  []string
	AllFeats  bool
	NoDefault bool
	// FeaturesUnknown is set when --features names a shell variable.
	FeaturesUnknown bool
	Rustflags       string
	Static          bool
	StaticWhy       string
	Project         *cargoProject
	// Known is set when the binary names come from the build context or
	// the command line; found counts the artifacts attributed to the run.
	Known bool
	found int
}

type rustScan struct {
	u     *Unit
	needs Needs
	runs  []*cargoRun
	arts  []*rustArtifact
	dirs  map[string]bool // directories known to exist in the image
	// execPath is the absolute path the container runs, or "" for a bare
	// name.
	execPath string
}

// cargo flags that take a value as the next word.
var cargoValueFlags = map[string]bool{
	"--bin": true, "--example": true, "-p": true, "--package": true, "--features": true, "-F": true,
	"--target": true, "--target-dir": true, "--manifest-path": true, "--profile": true, "-j": true,
	"--jobs": true, "--color": true, "--message-format": true, "--config": true, "-Z": true,
	"--exclude": true, "--test": true, "--bench": true, "--root": true, "--path": true, "--git": true,
	"--branch": true, "--tag": true, "--rev": true, "--registry": true, "--index": true,
	"--version": true, "--vers": true, "--out-dir": true, "--artifact-dir": true, "--lockfile-path": true,
	"-C": true,
}

// standardDirs exist in every Debian and Alpine image, so a cp to one of
// them puts the file inside.
var standardDirs = map[string]bool{
	"/": true, "/bin": true, "/sbin": true, "/usr/bin": true, "/usr/sbin": true, "/usr/local": true,
	"/usr/local/bin": true, "/usr/local/sbin": true, "/opt": true, "/srv": true, "/root": true,
	"/home": true, "/tmp": true, "/usr/local/cargo/bin": true, "/etc": true, "/var": true, "/usr/src": true,
}

// shells and launchers the container may run instead of the program.
var notProgramNames = map[string]bool{"sh": true, "bash": true, "env": true, "tini": true, "dumb-init": true, "exec": true}

func (r *rustScan) scan() bool {
	u := r.u
	r.dirs = map[string]bool{}
	for d := range standardDirs {
		r.dirs[d] = true
	}
	if strings.Contains(r.needs.Exec, "/") && !strings.Contains(r.needs.Exec, "$") {
		r.execPath = Resolve(u.finalWorkdir(), r.needs.Exec)
	}
	for i, s := range u.Steps {
		if s.Workdir != "" {
			r.dirs[s.Workdir] = true
		}
		if w, ok := s.In.Command.(*instructions.WorkdirCommand); ok && strings.HasPrefix(w.Path, "/") {
			r.dirs[path.Clean(w.Path)] = true
		}
		var cmds []Command
		for _, c := range s.Commands {
			made, why := u.makeCommands(s, c, "cargo")
			if why != "" {
				u.Skip(s.In.StartLine, "%s", why)
				return false
			}
			if made != nil {
				u.Fact(s.In.StartLine, "%s: the recipes its Makefile runs are read as the build", strings.Join(c.Args, " "))
				cmds = append(cmds, made...)
				continue
			}
			cmds = append(cmds, c)
		}
		for _, c := range cmds {
			dir := normDir(c.Dir)
			if c.Dir == "" {
				dir = normDir(s.Workdir) // no WORKDIR: /
			}
			r.dirs[dir] = true
			switch c.Name() {
			case "cargo":
				sub, rest, global := cargoSubcommand(c.Args[1:])
				if global.dir != "" {
					dir = Resolve(dir, global.dir)
				}
				switch sub {
				case "build", "b", "install", "zigbuild":
					run, why := r.cargoRun(i, s, c, dir, sub == "install", rest)
					if why != "" {
						u.Skip(s.In.StartLine, "%s", why)
						return false
					}
					r.runs = append(r.runs, run)
					if !r.attribute(run) {
						return false
					}
				case "clean":
					target := cargoEnv(s, c, "CARGO_TARGET_DIR")
					if target == "" {
						target = "target"
					}
					r.remove(Resolve(dir, target), s.In.StartLine, "cargo clean")
				}
			case "cp", "mv", "install":
				r.follow(s, c, dir)
			case "ln":
				for _, a := range nonFlags(c.Args[1:]) {
					if art := r.find(Resolve(dir, a)); art != nil && art.Gone == "" {
						u.Skip(s.In.StartLine, "line %d links %s elsewhere: a link into the builder cannot be copied on its own", s.In.StartLine, art.Path)
						return false
					}
				}
			case "mkdir":
				for _, a := range nonFlags(c.Args[1:]) {
					r.dirs[Resolve(dir, a)] = true
				}
			case "rm":
				for _, a := range nonFlags(c.Args[1:]) {
					if !strings.ContainsAny(a, "$*?[") {
						r.remove(Resolve(dir, a), s.In.StartLine, "rm")
					}
				}
			}
		}
		if run, ok := s.In.Command.(*instructions.RunCommand); ok {
			// The parser leaves mount options unread until they are
			// expanded; Expand only (re)computes the mounts.
			lex := shell.NewLex(u.File.Escape)
			env := s.Env
			if err := run.Expand(func(w string) (string, error) {
				v, _, err := lex.ProcessWord(w, env)
				return v, err
			}); err != nil {
				u.Skip(s.In.StartLine, "cannot read the --mount options of this RUN: %v", err)
				return false
			}
			for _, m := range instructions.GetMounts(run) {
				if m.Type == instructions.MountTypeSecret || m.Type == instructions.MountTypeSSH || m.Target == "" {
					continue
				}
				r.remove(Resolve(s.Workdir, m.Target), s.In.StartLine, fmt.Sprintf("a --mount=type=%s", m.Type))
			}
		}
	}
	if len(r.runs) == 0 {
		u.Skip(u.Stage.From.StartLine, "no cargo build or cargo install writes a binary: nothing to carry into a runtime stage%s", u.makeHint())
		return false
	}
	return true
}

type cargoGlobal struct{ dir string }

// cargoSubcommand skips the toolchain override (+nightly) and global
// options before cargo's subcommand.
func cargoSubcommand(args []string) (sub string, rest []string, g cargoGlobal) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "+"):
		case a == "-C" || a == "--config" || a == "-Z" || a == "--color":
			if i+1 < len(args) && a == "-C" {
				g.dir = args[i+1]
			}
			i++
		case strings.HasPrefix(a, "-"):
		case a == "auditable": // cargo-auditable wraps build
		default:
			return a, args[i+1:], g
		}
	}
	return "", nil, g
}

// cargoEnv is an environment variable as the command sees it.
func cargoEnv(s *Step, c Command, k string) string {
	if v, ok := c.Env[k]; ok {
		return v
	}
	v, _ := s.Env.Get(k)
	return v
}

var glibcSuffixRe = regexp.MustCompile(`\.\d+(\.\d+)?$`)

// cargoRun reads one cargo build or install, or says why its output
// cannot be known.
func (r *rustScan) cargoRun(idx int, s *Step, c Command, dir string, install bool, args []string) (*cargoRun, string) {
	run := &cargoRun{Line: s.In.StartLine, Step: idx, Install: install, Dir: dir}
	var targets []string
	var targetDir, manifestPath, profile, root, installPath string
	release := install
	var positional []string
	var dynamic []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			if strings.ContainsAny(a, "$`") {
				// Words from a variable may be any flags (--target, --bin).
				return nil, fmt.Sprintf("line %d: cargo takes arguments from %s: the binary's path or name cannot be known", s.In.StartLine, a)
			}
			positional = append(positional, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !hasVal && cargoValueFlags[name] {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
		}
		if strings.Contains(val, "$") || strings.Contains(val, "`") {
			switch name {
			case "--features", "-F":
				run.FeaturesUnknown = true
			case "--config", "-j", "--jobs", "--color", "--message-format", "-Z", "--exclude", "--test", "--bench",
				"--branch", "--tag", "--rev", "--registry", "--index", "--version", "--vers", "--lockfile-path":
			default:
				dynamic = append(dynamic, name+" "+val)
			}
		}
		switch name {
		case "--release", "-r":
			release = true
		case "--debug":
			release = false
		case "--profile":
			profile = val
		case "--target":
			targets = append(targets, val)
		case "--target-dir":
			targetDir = val
		case "--manifest-path":
			manifestPath = val
		case "--bin":
			run.Bins = append(run.Bins, val)
		case "--bins":
			run.AllBins = true
		case "--example":
			run.Examples = append(run.Examples, val)
		case "--examples":
			return nil, fmt.Sprintf("line %d: cargo %s --examples: the example names are not read from the build context", s.In.StartLine, map[bool]string{true: "install", false: "build"}[install])
		case "-p", "--package":
			run.Pkgs = append(run.Pkgs, val)
		case "--workspace", "--all":
			run.Workspace = true
		case "--features", "-F":
			run.Features = append(run.Features, strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })...)
		case "--all-features":
			run.AllFeats = true
		case "--no-default-features":
			run.NoDefault = true
		case "--root":
			root = val
		case "--path":
			installPath = val
		case "--git":
			run.Registry = val
		case "--out-dir", "--artifact-dir":
			return nil, fmt.Sprintf("line %d: cargo %s copies the binaries elsewhere (unstable, not followed)", s.In.StartLine, name)
		}
	}
	if len(dynamic) > 0 {
		return nil, fmt.Sprintf("cargo %s %s: the value depends on a shell variable, so the binary's path or name cannot be known", map[bool]string{true: "install", false: "build"}[install], dynamic[0])
	}
	if install && installPath == "" && run.Registry == "" {
		if len(positional) > 0 {
			run.Registry = positional[0]
		} else {
			installPath = "." // cargo before 1.4x installed the current package
		}
	}
	switch {
	case install && installPath != "":
		run.Manifest = path.Join(Resolve(dir, installPath), "Cargo.toml")
	case manifestPath != "":
		run.Manifest = Resolve(dir, manifestPath)
	default:
		run.Manifest = path.Join(dir, "Cargo.toml")
	}
	if run.Registry == "" {
		run.Project = r.u.cargoProjectAt(run.Manifest, idx)
	} else {
		run.Project = &cargoProject{}
	}
	p := run.Project
	if len(targets) == 0 {
		if t := cargoEnv(s, c, "CARGO_BUILD_TARGET"); t != "" {
			targets = []string{t}
		} else if p.Target != "" {
			targets = strings.Split(p.Target, ",")
		}
	}
	if len(targets) > 1 {
		return nil, fmt.Sprintf("line %d: cargo builds for several targets (%s): the runtime can run only one", s.In.StartLine, strings.Join(targets, ", "))
	}
	if len(targets) == 1 {
		run.Triple = glibcSuffixRe.ReplaceAllString(targets[0], "")
		if !strings.Contains(run.Triple, "-linux-") {
			return nil, fmt.Sprintf("line %d: cargo builds for %s, which is not a Linux target", s.In.StartLine, targets[0])
		}
	}
	switch {
	case profile == "dev" || profile == "test":
		run.Profile = "debug"
	case profile == "release" || profile == "bench":
		run.Profile = "release"
	case profile != "":
		run.Profile = profile
	case release:
		run.Profile = "release"
	default:
		run.Profile = "debug"
	}
	for _, k := range []string{"CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS"} {
		if v := cargoEnv(s, c, k); v != "" {
			run.Rustflags = v
			break
		}
	}
	if run.Rustflags == "" {
		run.Rustflags = p.Rustflags
	}
	if targetDir == "" {
		targetDir = cargoEnv(s, c, "CARGO_TARGET_DIR")
	}
	if targetDir == "" {
		targetDir = cargoEnv(s, c, "CARGO_BUILD_TARGET_DIR")
	}
	switch {
	case strings.Contains(targetDir, "$"):
		return nil, fmt.Sprintf("line %d: the target dir %s depends on a shell variable", s.In.StartLine, targetDir)
	case targetDir != "":
		run.TargetDir = Resolve(dir, targetDir)
	case p.TargetDir != "":
		run.TargetDir = p.TargetDir
	case p.Root != nil:
		run.TargetDir = path.Join(p.Root.imgDir, "target")
	default:
		run.TargetDir = path.Join(path.Dir(run.Manifest), "target")
	}
	if install {
		if root == "" {
			root = cargoEnv(s, c, "CARGO_INSTALL_ROOT")
		}
		if root == "" {
			root = p.InstallRoot
		}
		if root == "" {
			root = cargoEnv(s, c, "CARGO_HOME")
		}
		if root == "" {
			root = "/root/.cargo"
		}
		if strings.Contains(root, "$") {
			return nil, fmt.Sprintf("line %d: cargo install's root %s depends on a shell variable", s.In.StartLine, root)
		}
		run.OutDir = path.Join(Resolve(dir, root), "bin")
	} else {
		run.OutDir = run.TargetDir
		if run.Triple != "" {
			run.OutDir = path.Join(run.OutDir, run.Triple)
		}
		run.OutDir = path.Join(run.OutDir, run.Profile)
	}
	run.Static, run.StaticWhy = r.linkage(run)
	return run, ""
}

// linkage decides whether the binaries link no libc at run time.
func (r *rustScan) linkage(run *cargoRun) (bool, string) {
	flags := run.Rustflags
	switch {
	case strings.Contains(flags, "-crt-static"):
		return false, "RUSTFLAGS turn crt-static off: the binary links libc dynamically"
	case strings.Contains(run.Triple, "-musl"):
		return true, fmt.Sprintf("--target %s links musl statically", run.Triple)
	case r.u.Base.Libc == "musl" && run.Triple == "":
		return true, "the alpine rust image's musl host links statically by default (crt-static)"
	case strings.Contains(flags, "+crt-static"):
		return true, "RUSTFLAGS turn crt-static on: the binary links its libc statically"
	}
	return false, ""
}

// attribute turns a run into artifacts: its binary names from the build
// context or the command line, else from what the container runs.
func (r *rustScan) attribute(run *cargoRun) bool {
	u := r.u
	what := "cargo build"
	if run.Install {
		what = "cargo install"
	}
	names, why := r.cargoNames(run)
	if why != "" {
		u.Skip(run.Line, "%s", why)
		return false
	}
	usedByScript := false
	switch {
	case names != nil:
		run.Known = true
	case run.Registry != "":
		u.Fact(run.Line, "cargo install %s: a tool from a registry; its binaries are copied only if the container runs one", run.Registry)
		// Only a binary named like its crate (or its CLI crate) is known
		// without the crate.
		crate := path.Base(strings.TrimSuffix(run.Registry, ".git"))
		// The command itself, or the words of its sh -c string.
		cmdWords := map[string]bool{r.needs.Exec: true}
		if path.Base(r.needs.Exec) == "sh" || path.Base(r.needs.Exec) == "bash" {
			for _, w := range strings.Fields(strings.Join(r.needs.ExecArgs, " ")) {
				cmdWords[w] = true
			}
		}
		var e string
		for _, w := range []string{crate, strings.TrimSuffix(crate, "_cli"), strings.TrimSuffix(crate, "-cli")} {
			if w != "" && cmdWords[w] {
				e = w
				break
			}
		}
		if e != "" {
			names = []string{e}
			usedByScript = e != r.needs.Exec // named inside sh -c
			u.Fact(run.Line, "the container runs %s, the binary of the crate %s", e, crate)
		} else if script, words := u.runtimeScript(); script != "" {
			for _, w := range []string{crate, strings.TrimSuffix(crate, "_cli"), strings.TrimSuffix(crate, "-cli")} {
				if words[w] {
					names, usedByScript = []string{w}, true
					u.Fact(run.Line, "%s runs %s, the binary of cargo install %s", script, w, crate)
					break
				}
			}
		}
	case r.execPath != "" && path.Dir(r.execPath) == run.OutDir:
		names = []string{path.Base(r.execPath)}
		u.Fact(run.Line, "binary name %s from the path the container runs (no Cargo.toml in the build context)", names[0])
	case r.execPath != "" && len(run.Examples) == 0 && path.Dir(r.execPath) == path.Join(run.OutDir, "examples"):
		names = []string{"examples/" + path.Base(r.execPath)}
	case run.Install && r.needs.Exec != "" && !strings.Contains(r.needs.Exec, "/") && !notProgramNames[r.needs.Exec]:
		names = []string{r.needs.Exec}
		u.Fact(run.Line, "binary name %s from the command the container runs by bare name (no Cargo.toml in the build context)", names[0])
	}
	for _, n := range names {
		r.arts = append(r.arts, &rustArtifact{Name: path.Base(n), Path: path.Join(run.OutDir, n), Line: run.Line, Run: run, Used: usedByScript})
		run.found++
	}
	if run.Registry == "" {
		if len(names) > 0 {
			u.Fact(run.Line, "%s writes %s", what, strings.Join(r.paths(run), ", "))
		} else {
			u.Fact(run.Line, "%s writes into %s; the binary's name is not known yet", what, run.OutDir)
		}
	}
	return true
}

func (r *rustScan) paths(run *cargoRun) []string {
	var out []string
	for _, a := range r.arts {
		if a.Run == run {
			out = append(out, a.Path)
		}
	}
	return out
}

// cargoNames lists the binaries a run writes, relative to its output dir
// (examples/x for an example); nil when they cannot be read.
func (r *rustScan) cargoNames(run *cargoRun) ([]string, string) {
	var names []string
	for _, e := range run.Examples {
		names = append(names, "examples/"+e)
	}
	if len(run.Bins) > 0 {
		return append(names, run.Bins...), ""
	}
	if len(run.Examples) > 0 && !run.AllBins {
		return names, ""
	}
	p := run.Project
	if p == nil || p.Manifest == nil {
		return nil, ""
	}
	fsys := r.u.Context.FS
	var pkgs []*cargoManifest
	switch {
	case len(run.Pkgs) > 0:
		for _, want := range run.Pkgs {
			want, _, _ = strings.Cut(want, "@")
			var found *cargoManifest
			for _, m := range p.Members {
				if m.name() == want {
					found = m
				}
			}
			if found == nil {
				return nil, fmt.Sprintf("line %d: -p %s names no package of the workspace in the build context", run.Line, want)
			}
			pkgs = append(pkgs, found)
		}
	case run.Workspace:
		pkgs = p.Members
	case p.Manifest.Package != nil:
		pkgs = []*cargoManifest{p.Manifest}
	case p.Manifest.Workspace != nil:
		pkgs = p.defaultMembers(fsys)
	}
	feats := map[string]bool{}
	for _, f := range run.Features {
		feats[f] = true
		if _, after, ok := strings.Cut(f, "/"); ok {
			feats[after] = true
		}
	}
	for _, m := range pkgs {
		for _, b := range m.binaries(fsys) {
			if len(b.Requires) > 0 && run.FeaturesUnknown && !run.AllFeats {
				return nil, fmt.Sprintf("line %d: binary %s needs features %s, and the build's --features come from a shell variable", run.Line, b.Name, strings.Join(b.Requires, ", "))
			}
			ok := true
			for _, f := range b.Requires {
				if !run.AllFeats && !feats[f] {
					ok = false
				}
			}
			if ok {
				names = append(names, b.Name)
			} else {
				r.u.Fact(run.Line, "binary %s of %s needs features %s, which the build does not enable: not built", b.Name, m.name(), strings.Join(b.Requires, ", "))
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Sprintf("line %d: the build context's Cargo.toml at %s has no binary target: cargo builds a library only", run.Line, run.Manifest)
	}
	sort.Strings(names)
	return names, ""
}

// find returns the live artifact at p (its path or a copy of it).
func (r *rustScan) find(p string) *rustArtifact {
	for _, a := range r.arts {
		if a.Gone != "" {
			continue
		}
		if a.Path == p {
			return a
		}
		for _, alt := range a.Alts {
			if alt == p {
				return a
			}
		}
	}
	return nil
}

// remove takes away the copies of artifacts at or under p.
func (r *rustScan) remove(p string, line int, how string) {
	for _, a := range r.arts {
		if a.Gone != "" {
			continue
		}
		var alts []string
		for _, alt := range a.Alts {
			if _, in := under(alt, p); !in {
				alts = append(alts, alt)
			}
		}
		a.Alts = alts
		if _, in := under(a.Path, p); in {
			if len(alts) > 0 {
				a.Path, a.Alts = alts[len(alts)-1], alts[:len(alts)-1]
				continue
			}
			a.Gone, a.GoneLine = fmt.Sprintf("%s at line %d removes %s", how, line, a.Path), line
		}
	}
}

// follow tracks cp, mv and install of a binary out of the target dir; the
// name of a binary not yet known is learnt from the file copied.
func (r *rustScan) follow(s *Step, c Command, dir string) {
	tool := c.Name()
	srcs, dst, intoDir, ok := moveOperands(tool, c.Args[1:])
	if !ok {
		return
	}
	for _, src := range srcs {
		if strings.ContainsAny(src, "$*?[") {
			continue
		}
		p := Resolve(dir, src)
		art := r.find(p)
		if art == nil {
			// A binary of a run whose names are not known yet.
			for _, run := range r.runs {
				if !run.Known && run.Registry == "" && path.Dir(p) == run.OutDir {
					art = &rustArtifact{Name: path.Base(p), Path: p, Line: run.Line, Run: run}
					r.arts = append(r.arts, art)
					run.found++
					r.u.Fact(s.In.StartLine, "binary name %s from the %s of it at line %d", art.Name, tool, s.In.StartLine)
				}
			}
		}
		if art == nil {
			continue
		}
		var to string
		switch {
		case intoDir != "":
			to = path.Join(Resolve(dir, intoDir), path.Base(p))
		case strings.ContainsAny(dst, "$*?["):
			continue
		default:
			d := Resolve(dir, dst)
			if len(srcs) > 1 || strings.HasSuffix(dst, "/") || dst == "." || r.dirs[d] {
				to = path.Join(d, path.Base(p))
			} else {
				to = d
			}
		}
		if tool == "mv" {
			if art.Path == p {
				art.Path = to
			} else {
				art.Alts = removeString(art.Alts, p)
				art.Alts = append(art.Alts, art.Path)
				art.Path = to
			}
		} else {
			art.Alts = append(art.Alts, art.Path)
			art.Path = to
		}
		art.Name = path.Base(to)
		r.u.Fact(s.In.StartLine, "%s puts the binary at %s", tool, to)
	}
}

func removeString(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// plan chooses the copies, the runtime image and its libraries.
func (r *rustScan) plan() error {
	u, needs := r.u, r.needs
	// Which copy of each binary goes to the runtime: the one the container
	// runs, else where it ended up.
	type pick struct {
		a   *rustArtifact
		src string
	}
	var picks []pick
	var ran *rustArtifact
	for _, a := range r.arts {
		locs := append([]string{a.Path}, a.Alts...)
		src := a.Path
		for _, l := range locs {
			if r.execPath != "" && l == r.execPath {
				src, ran = l, a
			}
		}
		if r.execPath == "" && needs.Exec != "" && path.Base(a.Path) == needs.Exec {
			ran = a
		}
		if a.Gone != "" {
			if ran == a {
				u.Skip(a.GoneLine, "the container runs %s, but %s: it is not in the image to copy", needs.Exec, a.Gone)
				return nil
			}
			u.Fact(a.GoneLine, "%s: not copied", a.Gone)
			continue
		}
		if a.Run.Registry != "" && ran != a && !a.Used {
			continue
		}
		picks = append(picks, pick{a, src})
	}
	for _, run := range r.runs {
		if run.Registry != "" && run.found == 0 {
			u.Warn(run.Line, "cargo install %s stays in the builder: its binaries are not known offline and the container does not run one by name", run.Registry)
		}
	}
	if bare := needs.Exec != "" && !strings.Contains(needs.Exec, "/") && !strings.Contains(needs.Exec, "$") && !notProgramNames[needs.Exec]; bare && ran == nil && u.copiedOnPath(needs.Exec) == "" {
		for _, run := range r.runs {
			if run.Registry != "" && run.found == 0 {
				u.Skip(needs.ExecLine, "the container runs %s, which may be a binary of cargo install %s (line %d): the names of its binaries are not known offline", needs.Exec, run.Registry, run.Line)
				return nil
			}
			if run.Install && run.Known && run.Registry == "" {
				u.Skip(needs.ExecLine, "the container runs %s by name, but cargo install at line %d writes %s", needs.Exec, run.Line, strings.Join(r.paths(run), ", "))
				return nil
			}
		}
	}
	if r.execPath != "" && ran == nil {
		for _, run := range r.runs {
			if run.Registry == "" && path.Dir(r.execPath) == run.OutDir && run.Known {
				u.Skip(needs.ExecLine, "the container runs %s, but the build context's Cargo.toml names the binaries %s", needs.Exec, strings.Join(r.paths(run), ", "))
				return nil
			}
		}
	}
	if len(picks) == 0 {
		for _, run := range r.runs {
			if run.Registry == "" && run.found == 0 {
				u.Skip(run.Line, "cannot tell which binary cargo writes into %s: no Cargo.toml in the build context, and the CMD/ENTRYPOINT runs no file there", run.OutDir)
				return nil
			}
		}
		u.Skip(u.Stage.From.StartLine, "no binary of a cargo build or install is left in the image to copy")
		return nil
	}
	for _, run := range r.runs {
		if run.Registry == "" && run.found == 0 {
			u.Warn(run.Line, "the binary cargo writes into %s is not known: not copied", run.OutDir)
		}
	}

	plan := &Plan{Ecosystem: "rust"}
	u.Plan = plan
	ev := r.linkEvidence(picks[0].a.Line)
	static := true
	for _, pk := range picks {
		if !pk.a.Run.Static {
			static = false
		}
	}
	if static && u.Base.Libc == "musl" && picks[0].a.Run.Triple == "" {
		// crt-static does not stop the linker from taking a system .so:
		// the binary then needs it (and crashes when libc is mixed).
		if why := r.alpineDynamic(ev); why != "" {
			static = false
			u.Fact(picks[0].a.Line, "not static: the alpine rust image links statically by default, but %s links a system library", why)
		}
	}
	if static {
		u.Fact(picks[0].a.Line, "static binary: %s", picks[0].a.Run.StaticWhy)
	}
	plan.Static = static
	var gargs []goArtifact
	seen := map[string]bool{}
	builderPath := imagePathDirs(u.Base) // /usr/local/cargo/bin
	for _, pk := range picks {
		if seen[pk.src] {
			continue
		}
		seen[pk.src] = true
		dst := pk.src
		name := path.Base(pk.src)
		why := "the binary built here"
		dir := path.Dir(pk.src)
		switch {
		case runtimeOnPath(dir) || pk.src == r.execPath:
		case needs.Exec == name:
			dst = "/usr/local/bin/" + name
			why = fmt.Sprintf("the binary, run by bare name %q: /usr/local/bin is on the runtime's PATH", name)
		case builderPath[dir]:
			// A script or argument may name it without a path, as it
			// could in the builder.
			dst = "/usr/local/bin/" + name
			why = fmt.Sprintf("the binary: %s is on the rust image's PATH, /usr/local/bin on the runtime's", dir)
		}
		plan.Copies = append(plan.Copies, Copy{Src: pk.src, Dst: dst, Why: why, Line: pk.a.Line})
		gargs = append(gargs, goArtifact{Path: pk.src, Name: name})
	}
	u.copyReferencedFiles(needs, gargs)
	r.copyRuntimeConfig()
	if ran == nil && !u.execInRuntime(needs, r.execPath) {
		return nil
	}

	rel := u.Base.Release
	switch {
	case u.Base.Libc == "musl":
		ver := strings.TrimPrefix(rel, "alpine")
		if ver == "" && !static {
			u.Skip(u.Stage.From.StartLine, "dynamically linked binary built on alpine without a pinned alpine version: cannot pick a runtime with the same musl and libraries")
			return nil
		}
		if ver == "" {
			ver = "latest"
		}
		ref := "alpine:" + ver
		plan.Runtime = ParseImage(ref, ref)
		u.Fact(u.Stage.From.StartLine, "runtime %s: same musl libc as the builder", ref)
		if !static {
			// Rust's unwinder links libgcc_s on musl without crt-static
			// (library/unwind: link(name = "gcc_s", cfg(not(crt-static)))).
			plan.Packages = append(plan.Packages, Package{Name: "libgcc", Line: u.Stage.From.StartLine,
				Why: "a dynamically linked musl Rust binary loads libgcc_s for unwinding"})
		}
	default:
		if rel == "" {
			if !static {
				u.Skip(u.Stage.From.StartLine, "the binary links glibc, and the Debian release of %s is unknown: name it in the tag (e.g. -bookworm) so the runtime can match its glibc", u.Base.Expanded)
				return nil
			}
			rel = "bookworm"
		}
		ref := "debian:" + rel + "-slim"
		plan.Runtime = ParseImage(ref, ref)
		if static {
			u.Fact(u.Stage.From.StartLine, "runtime %s: a static binary needs no libc of its own; a slim Debian keeps a shell", ref)
		} else {
			u.Fact(u.Stage.From.StartLine, "runtime %s: same Debian release as the builder (the binary links its glibc)", ref)
		}
	}
	r.installLibraries(ev)
	return nil
}

// alpineDynamic names what makes a build on the alpine image link a
// system library: a -dev package the Dockerfile installs, or a -sys crate.
func (r *rustScan) alpineDynamic(ev linkEvidence) string {
	for _, s := range r.u.Steps {
		for _, pkg := range s.Installs {
			if strings.HasSuffix(pkg, "-dev") && pkg != "musl-dev" {
				return fmt.Sprintf("line %d installs %s, and the build", s.In.StartLine, pkg)
			}
		}
	}
	for _, crate := range mapKeys(ev.need) {
		return fmt.Sprintf("%s (%s)", crate, ev.need[crate].cause)
	}
	return ""
}

// copyRuntimeConfig copies files frameworks and tools read from the
// working directory at run time (Rocket.toml, diesel.toml for the diesel
// CLI), when the build context has them.
func (r *rustScan) copyRuntimeConfig() {
	u := r.u
	if u.Context == nil {
		return
	}
	wd := u.finalWorkdir()
	names := []string{"Rocket.toml"}
	for _, a := range r.arts {
		if a.Run.Registry == "diesel_cli" && a.Gone == "" {
			names = append(names, "diesel.toml") // where diesel migration run finds the migrations
		}
	}
	for _, name := range names {
		img := Resolve(wd, name)
		if _, ok := u.contextFile(img, len(u.Steps)); ok && !slices.ContainsFunc(u.Plan.Copies, func(c Copy) bool { return c.Src == img }) {
			u.Plan.Copies = append(u.Plan.Copies, Copy{Src: img, Dst: img, Why: name + " is read from the working directory at run time", Line: 0})
		}
	}
}

func init() {
	// The official image (rust-lang/docker-rust): buildpack-deps, or alpine
	// for -alpine tags, plus rustup in /usr/local. It sets no WORKDIR, USER
	// or CMD, so the CMD is the distribution's.
	familyConfigs["rust"] = func(im Image) BaseConfig {
		c := BaseConfig{
			Env: []string{
				"RUSTUP_HOME=/usr/local/rustup",
				"CARGO_HOME=/usr/local/cargo",
				"PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"RUST_VERSION=" + im.Version,
			},
			Cmd: []string{"bash"},
		}
		if im.Libc == "musl" {
			c.Cmd = []string{"/bin/sh"}
		}
		return c
	}
}
