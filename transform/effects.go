package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/stagesplit/stagesplit/parser"
)

var passEffects = &Pass{
	Name: "effects",
	Doc: `Carries into the runtime what the build stage put outside the copied directories.
A new stage starts from its base image: a file a COPY or ADD placed elsewhere (an entrypoint script
in /usr/local/bin, a config in /etc), and what a RUN made there by a command whose output is known
(mkdir, touch, ln, cp, mv, install, curl -o, wget -O, tar -C, unzip -d, git clone, sed -i, the NLTK
downloader, Django's collectstatic into the STATIC_ROOT an ENV or the settings module manage.py
names sets to an absolute path, or to an environment variable the build sets) is copied from the
builder to the same path. A symbolic link a RUN puts in a bin directory is made again with ln -s
when what it points to is in the runtime (a copy would follow it); one into the toolchain stays
behind. Build-only places (the source tree the
toolchain compiled, /tmp, package caches, ~/.m2, ~/.gradle, ~/.cargo, credentials files) are left
behind. A RUN that executes the project's own code (python, node, ruby, a ./script) after the
install may write elsewhere too: that is said in a warning, since what it writes cannot be known. A
program compiled in / (no WORKDIR) leaves the sources the COPY brought there behind, like any
source tree. A plan that would copy a directory of the distribution itself (/lib, /usr, /etc: a
class path's lib/ in /) is skipped: the builder's would replace the runtime image's. locale-gen,
localedef, update-locale and dpkg-reconfigure locales write the compiled locale archive (and
/etc/default/locale), which the runtime's locales package does not regenerate; a copied
/etc/ld.so.conf.d entry is followed by ldconfig. File capabilities a setcap set on a copied file get
a warning: COPY --from may not keep them.`,
	Requires: []*Pass{passRuntime},
	Run: func(u *Unit) error {
		if u.Plan == nil || u.skipped {
			return nil
		}
		u.carryEffects()
		u.copyScriptPaths(0)
		u.ldconfigForConf()
		u.warnCapabilities()
		for _, c := range u.Plan.Copies {
			if c.Replay == nil && distroDirs[path.Clean(c.Src)] {
				// The app's lib/ in / is the image's /lib: copying it would
				// put the builder's C library and loader over the runtime's.
				u.Skip(c.Line, "the runtime would get %s from the builder (%s), and %s is a system directory of the image: set a WORKDIR so the app lives apart from it", c.Src, c.Why, c.Src)
				return nil
			}
		}
		return nil
	},
}

// warnCapabilities warns about file capabilities a RUN set with setcap on
// a file the runtime copies: they live in an extended attribute, which a
// COPY --from between stages has been reported to drop
// (moby/buildkit#2250).
func (u *Unit) warnCapabilities() {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			ops := nonFlags(c.Args[1:])
			if c.Name() != "setcap" || len(ops) < 2 || c.Dynamic {
				continue
			}
			target := Resolve(c.Dir, ops[len(ops)-1])
			for _, cp := range u.Plan.Copies {
				if _, in := under(target, path.Clean(cp.Src)); in && cp.Replay == nil {
					u.Warn(s.In.StartLine, "line %d sets file capabilities on %s with setcap, and COPY --from may not keep them (moby/buildkit#2250): check the runtime image, or run the setcap there again", s.In.StartLine, target)
					break
				}
			}
		}
	}
}

// ldconfigForConf runs ldconfig in the runtime after a copied
// /etc/ld.so.conf.d entry (a library directory the build registered): the
// dynamic linker reads its cache, not the configuration.
func (u *Unit) ldconfigForConf() {
	p := u.Plan
	for _, g := range append(append([]Gen{}, p.RuntimeTail...), p.RuntimeRuns...) {
		if g.In != nil && (strings.Contains(string(g.In.Raw), "ldconfig") || strings.Contains(strings.Join(g.In.Text, " "), "ldconfig")) {
			return
		}
	}
	for _, c := range p.Copies {
		if _, in := under(path.Clean(c.Dst), "/etc/ld.so.conf.d"); in && c.Replay == nil {
			p.RuntimeTail = append(p.RuntimeTail, ldconfigRun(u, fmt.Sprintf("%s registers a library directory: the dynamic linker's cache must list it", c.Dst), c.Line))
			return
		}
	}
}

// distroDirs hold the distribution's own programs, libraries and
// settings: a COPY --from of one would replace the runtime image's with
// the builder's.
var distroDirs = map[string]bool{
	"/": true, "/bin": true, "/sbin": true, "/lib": true, "/lib32": true, "/lib64": true, "/libx32": true, "/etc": true,
	"/usr": true, "/usr/bin": true, "/usr/sbin": true, "/usr/lib": true, "/usr/lib64": true, "/usr/share": true,
	"/usr/include": true, "/var": true, "/var/lib": true, "/boot": true, "/dev": true, "/proc": true, "/sys": true, "/run": true,
}

// effect is how a build step puts a path in place, which decides whether
// a path inside a source tree is carried.
type effect int

const (
	effWrite    effect = iota // copied, linked, written, unpacked
	effCreate                 // made empty by mkdir or touch
	effDownload               // fetched from the network: never a source
)

// buildOnlyPlaces are where builds keep what the program does not need.
var buildOnlyPlaces = []string{
	"/tmp", "/var/tmp", "/var/cache", "/var/lib/apt", "/var/lib/dpkg", "/var/log/apt", "/root/.cache", "/root/.npm",
	"/root/.m2", "/root/.gradle", "/root/.cargo", "/usr/local/cargo", "/usr/local/rustup", "/go/pkg",
	"/root/.composer", "/root/.nuget", "/usr/src", "/etc/apt", "/usr/share/keyrings", "/root/.gnupg",
}

// configExt are extensions of files a program reads at run time.
var configExt = map[string]bool{".toml": true, ".yaml": true, ".yml": true, ".json": true, ".conf": true, ".ini": true, ".properties": true, ".env": true, ".xml": false}

// buildManifests are the build's own files, not the program's.
var buildManifests = map[string]bool{
	"Cargo.toml": true, "Cargo.lock": true, "go.mod": true, "go.sum": true, "pom.xml": true, "package.json": true,
	"Gopkg.toml": true, "Gopkg.lock": true, "glide.yaml": true, "glide.lock": true, "vendor.conf": true,
	"package-lock.json": true, "tsconfig.json": true, "composer.json": true, "build.gradle": true, "settings.gradle": true,
	"build.gradle.kts": true, "settings.gradle.kts": true, "global.json": true, "nuget.config": true, "rust-toolchain.toml": true,
	"CMakeLists.txt": true, "Makefile": true, "Directory.Build.props": true, "build.properties": true, "build.sbt": true,
	"plugins.sbt": true, "gradle.properties": true, "gradle-wrapper.properties": true, "maven-wrapper.properties": true,
	"shard.yml": true, "shard.lock": true, "Package.swift": true, "Package.resolved": true, "stack.yaml": true,
	"stack.yaml.lock": true, "cabal.project": true, "cabal.project.freeze": true, "cabal.project.local": true,
}

// sourceDirs are the usual names of a compiled project's source trees.
var sourceDirs = map[string]bool{"src": true, "source": true, "sources": true, "cmd": true, "pkg": true, "internal": true, "include": true, "project": true}

// secretFiles are names that hold credentials for the build.
var secretFiles = map[string]bool{".npmrc": true, ".netrc": true, ".pypirc": true, "pip.conf": true, "settings.xml": true, ".git-credentials": true, "NuGet.Config": true, "nuget.config": true}

func (u *Unit) carryEffects() {
	p := u.Plan
	last := u.lastFileChanging()
	if last < 0 {
		return
	}
	head := u.Steps[:last+1]
	replayed := map[*parser.Instruction]bool{}
	for _, c := range p.Copies {
		if c.Replay != nil {
			replayed[c.Replay] = true
		}
	}
	for in := range p.Replays {
		replayed[in] = true
	}
	var rootReplays []int // replayed COPYs into /
	for i, s := range u.Steps {
		if sd, ok := contextCopy(s); ok && replayed[s.In] && Resolve(s.Workdir, sd.DestPath) == "/" {
			rootReplays = append(rootReplays, i)
		}
	}
	rootWhole := rootWholeContext(u, rootReplays)
	covered := func(x string) bool {
		for _, c := range p.Copies {
			if c.Replay != nil {
				continue
			}
			if _, ok := under(x, path.Clean(c.Dst)); ok && c.Dst != "/" {
				return true
			}
		}
		return false
	}
	// The source trees the toolchain built in: the directories RUNs
	// worked in and the build context was copied into. A compiled
	// program needs nothing of them but its artifacts, which the
	// ecosystem pass copies already.
	seenMkdir := map[string]bool{}
	removed := map[string]bool{} // what an rm of the stage deletes
	for _, s := range head {
		for _, c := range s.Commands {
			if c.Name() == "rm" && !c.Dynamic {
				for _, a := range nonFlags(c.Args[1:]) {
					removed[path.Clean(Resolve(c.Dir, a))] = true
				}
			}
		}
	}
	compiled := map[string]bool{"go": true, "rust": true, "c": true, "java": true, "dotnet": true, "crystal": true, "swift": true, "haskell": true}[p.Ecosystem]
	var trees []string
	if compiled {
		for _, s := range head {
			if s.In.Keyword == "run" && s.Workdir != "" && s.Workdir != "/" {
				trees = append(trees, normDir(s.Workdir))
			}
			for _, c := range s.Commands {
				// cd /usr/local/bin && ln -s svc svc-admin: a program
				// directory is not a source tree.
				if c.Dir != "" && c.Dir != "/" && !binDirs[normDir(c.Dir)] {
					trees = append(trees, normDir(c.Dir))
				}
			}
		}
		trees = append(trees, u.contextDirs()...)
	}
	// A directory a non-root user owns (mkdir + chown for its data) must
	// exist in the runtime even inside a source tree.
	nonRoot := func() bool { n := u.runtimeNeeds(); return n.User != "" && normUser(n.User) != "0" && n.User != "root" }()
	// inTreeKept says which paths inside a source tree still reach the
	// runtime: downloads (never sources), and what a program reads at run
	// time (asset directories, config files).
	inTreeKept := func(kind effect, x string) bool {
		if kind == effDownload {
			return true
		}
		base := path.Base(x)
		for _, el := range strings.Split(path.Dir(x), "/") {
			if strings.HasPrefix(el, ".") && el != "." {
				return false // .cargo/config.toml, .mvn/jvm.config: the build's settings
			}
		}
		for _, t := range trees {
			if x == t {
				return false // the source tree itself (WORKDIR /usr/src/web), not an asset directory in it
			}
		}
		for _, d := range assetDirs {
			if base == d {
				return true
			}
		}
		return (configExt[path.Ext(base)] || base == ".env") && !buildManifests[base]
	}
	// /usr/src holds sources the image fetched and built (python's,
	// linux headers), unless the app itself lives there: the golang and
	// rust images' docs build in /usr/src/app and /usr/src/myapp.
	buildOnly := buildOnlyPlaces
	for _, d := range append(u.contextDirs(), u.finalWorkdir()) {
		if _, in := under(normDir(d), "/usr/src"); in && normDir(d) != "/usr/src" {
			buildOnly = slices.DeleteFunc(slices.Clone(buildOnlyPlaces), func(b string) bool { return b == "/usr/src" })
			break
		}
	}
	finalWD := normDir(u.finalWorkdir())
	skip := func(kind effect, x string) bool {
		if x == "" || x == "/" || systemDirs[x] || secretFiles[path.Base(x)] || strings.Contains(x, "$") {
			return true
		}
		if kind == effCreate && x == finalWD {
			// mkdir -p /usr/src/app before WORKDIR /usr/src/app: the
			// runtime's WORKDIR makes it, and the app's copies fill it.
			if o, _ := u.recursiveChown(x, 0); o == "" {
				return true
			}
		}
		if kind != effCreate && inTreeKept(kind, x) {
			for _, b := range buildOnly {
				if _, ok := under(x, b); ok {
					return true
				}
			}
			return covered(x)
		}
		if nonRoot && seenMkdir[x] {
			if removed[x] {
				return true // made for the build and removed again (mkdir src ... rm -rf src)
			}
			for _, c := range p.Copies {
				if _, in := under(path.Clean(c.Dst), x); in && c.Replay == nil {
					// The app's own directory: the copies into it make
					// it, and the split gives it its owner.
					return true
				}
			}
			if owner, _ := u.recursiveChown(x, 0); owner != "" {
				return covered(x)
			}
		}
		for _, b := range append(slices.Clone(buildOnly), p.LeftPaths...) {
			if _, ok := under(x, b); ok {
				return true
			}
		}
		for _, t := range trees {
			if _, ok := under(x, t); ok && t != "/" {
				return true
			}
		}
		return covered(x)
	}
	seen := map[string]bool{}
	add := func(kind effect, x, why string, line int) {
		x = path.Clean(x)
		if kind == effCreate {
			seenMkdir[x] = true
		}
		if seen[x] || skip(kind, x) {
			return
		}
		seen[x] = true
		p.Copies = append(p.Copies, Copy{Src: x, Dst: x, Why: why, Line: line, Chown: u.runUserAt(line)})
	}
	lex := shell.NewLex(u.File.Escape)
	for _, s := range head {
		line := s.In.StartLine
		if p.Left[s.In] && p.Replays[s.In] == "" {
			// The build step itself stays behind, but a link it makes to a
			// program the container runs by name (ln -s svc svc-admin)
			// is part of the image.
			runs := u.runtimePrograms()
			for _, c := range s.Commands {
				if ops := nonFlags(c.Args[1:]); c.Name() == "ln" && len(ops) == 2 && binDirs[path.Dir(Resolve(c.Dir, ops[1]))] && runs[path.Base(ops[1])] {
					u.commandEffects(s, c, add)
				}
			}
			continue
		}
		if p.Replays[s.In] != "" {
			continue // the runtime stage runs it again
		}
		if a, ok := s.In.Command.(*instructions.AddCommand); ok {
			// ADD URL DEST: copyOf leaves URLs out.
			dest, _, err := lex.ProcessWord(a.DestPath, s.Env)
			if err == nil {
				for _, src := range a.SourcePaths {
					if strings.Contains(src, "://") {
						target := Resolve(s.Workdir, dest)
						if strings.HasSuffix(dest, "/") {
							target = path.Join(target, path.Base(src))
						}
						add(effDownload, target, fmt.Sprintf("line %d downloads it there", line), line)
					}
				}
			}
		}
		if replayed[s.In] {
			continue // repeated in the runtime stage as it is
		}
		if c, ok := s.In.Command.(*instructions.CopyCommand); ok && c.From == "" && len(c.SourceContents) > 0 {
			// COPY <<EOF /etc/app.yaml: a file written from the Dockerfile.
			if dest, _, err := lex.ProcessWord(c.DestPath, s.Env); err == nil {
				for _, sc := range c.SourceContents {
					target := Resolve(s.Workdir, dest)
					if strings.HasSuffix(dest, "/") {
						target = path.Join(target, sc.Path)
					}
					add(effWrite, target, fmt.Sprintf("line %d writes it from the Dockerfile", line), line)
				}
			}
		}
		if srcs, dest, destDir, ok := u.copyOf(s, lex); ok {
			for _, src := range srcs {
				target := dest
				if destDir && src != "." && !strings.HasSuffix(src, "/") && !strings.ContainsAny(src, "*?[") && (u.Context == nil || !u.contextIsDir(src)) {
					target = path.Join(dest, path.Base(src))
				}
				if rootWhole && path.Clean(src) == strings.TrimPrefix(target, "/") {
					continue // COPY requirements.txt . in /: the replayed COPY . . brings it too
				}
				if compiled && path.Dir(path.Clean(target)) == "/" && (buildManifests[path.Base(target)] || sourceDirs[path.Base(target)]) {
					continue // COPY pom.xml . and COPY src ./src of a program compiled in /
				}
				if systemDirs[path.Clean(target)] && !skip(effWrite, path.Join(target, "x")) {
					// A directory's contents into /usr/local/bin: the files
					// it brings, as the build context lists them.
					if u.Context == nil || !u.contextIsDir(strings.TrimSuffix(src, "/")) {
						u.Skip(line, "line %d copies %s into %s, a system directory: without the build context the files it adds are not known", line, src, target)
						return
					}
					entries, _ := fs.ReadDir(u.Context.FS, strings.TrimSuffix(src, "/"))
					for _, e := range entries {
						if compiled && path.Clean(target) == "/" && (!inTreeKept(effWrite, path.Join("/", e.Name())) || !e.IsDir() && !runtimeConfigFile(e.Name())) {
							continue // the sources of a program compiled in /, and the repository's tooling
						}
						add(effWrite, path.Join(target, e.Name()), fmt.Sprintf("line %d copies it there from the build context", line), line)
					}
					continue
				}
				add(effWrite, target, fmt.Sprintf("line %d copies it there from the build context", line), line)
			}
			continue
		}
		for _, c := range s.Commands {
			u.commandEffects(s, c, add)
			if (c.Name() == "make" || c.Name() == "gmake") && slices.Contains(c.Args, "install") {
				// What make install's recipe puts outside the install
				// prefix (install -D app.conf /etc/app/app.conf).
				made, _ := u.makeCommands(s, c, "")
				for _, m := range made {
					u.commandEffects(s, m, add)
				}
				u.cmakeInstallEffects(s, c, add)
			}
			if c.Name() == "cmake" && slices.Contains(c.Args, "--install") {
				u.cmakeInstallEffects(s, c, add)
			}
		}
	}
	if compiled {
		u.carryDotenv(add)
	}
	u.relinkPrograms()
}

// relinkPrograms makes again, with ln -s, the symbolic links to programs
// that a RUN put in a bin directory (ln -s /usr/bin/yarnpkg
// /usr/local/bin/yarn): COPY --from follows a link and copies the file it
// points to, and a script found by its own path (yarn.js requires
// ../lib/cli) breaks there. Without a shell the copy stays.
func (u *Unit) relinkPrograms() {
	p := u.Plan
	if p.Runtime.Family == "distroless" || p.Runtime.Ref == "scratch" || len(u.symlinks) == 0 {
		return
	}
	present := func(target string) bool {
		// Copied by the plan, a system program of the runtime's
		// packages, or the runtime image's own interpreter.
		for _, c := range p.Copies {
			if _, in := under(target, path.Clean(c.Dst)); in && c.Replay == nil && !binDirs[path.Clean(c.Dst)] {
				return true
			}
			if c.Dst == target {
				return true
			}
		}
		switch path.Dir(target) {
		case "/usr/bin", "/bin", "/usr/sbin", "/sbin":
			return true
		case "/usr/local/bin":
			b := path.Base(target)
			return strings.HasPrefix(b, "python") || p.Ecosystem == "python" && p.copiesDir("/usr/local") ||
				b == "node" || b == "ruby" || b == "php" || b == "java"
		}
		return false
	}
	for i := 0; i < len(p.Copies); i++ {
		c := p.Copies[i]
		target, ok := u.symlinks[c.Src]
		if !ok || c.Replay != nil || c.Src != c.Dst || !binDirs[path.Dir(c.Src)] || strings.ContainsAny(target+c.Src, "$`'\" ") {
			continue
		}
		t := Resolve(path.Dir(c.Src), target)
		if toolchainPlace(t) {
			// ln -s /usr/local/go/bin/gofmt /usr/local/bin/gofmt: a
			// program of the toolchain, which stays in the builder.
			p.Copies = append(p.Copies[:i], p.Copies[i+1:]...)
			i--
			u.Fact(c.Line, "%s links to %s, a program of the toolchain, which stays in the builder", c.Src, t)
			continue
		}
		if !present(t) {
			continue // the copy brings the file the link points to
		}
		p.Copies = append(p.Copies[:i], p.Copies[i+1:]...)
		i--
		p.RuntimeTail = append(p.RuntimeTail, Gen{In: u.File.New("RUN", "RUN ln -sf "+target+" "+c.Dst), Line: c.Line,
			Why: fmt.Sprintf("line %d links %s to %s: a COPY would copy the file it points to, and a program found by its own path breaks there", c.Line, c.Dst, target)})
	}
}

// toolchainPlace reports whether p is in a toolchain's own tree, which
// the builder alone has.
func toolchainPlace(p string) bool {
	for _, d := range []string{"/usr/local/go", "/usr/local/cargo", "/usr/local/rustup", "/root/.cargo", "/usr/share/maven", "/opt/gradle"} {
		if _, in := under(p, d); in {
			return true
		}
	}
	return false
}

// copiesDir reports whether the plan copies dir whole.
func (p *Plan) copiesDir(dir string) bool {
	for _, c := range p.Copies {
		if c.Replay == nil && path.Clean(c.Src) == dir {
			return true
		}
	}
	return false
}

// binDirs are the directories of programs on the images' PATH.
var binDirs = map[string]bool{"/usr/local/bin": true, "/usr/local/sbin": true, "/usr/bin": true, "/usr/sbin": true, "/bin": true, "/sbin": true}

// carryDotenv copies the build context's .env next to a compiled program
// that loads it (dotenv, dotenvy, godotenv) from its working directory,
// when the original copied the whole context there and .dockerignore does
// not leave it out.
func (u *Unit) carryDotenv(add func(kind effect, x, why string, line int)) {
	if u.Context == nil {
		return
	}
	if _, err := fs.Stat(u.Context.FS, ".env"); err != nil {
		return
	}
	if b, err := fs.ReadFile(u.Context.FS, ".dockerignore"); err == nil && strings.Contains(string(b), "env") {
		return
	}
	uses := false
	for _, m := range []string{"Cargo.toml", "Cargo.lock", "go.mod"} {
		if b, err := fs.ReadFile(u.Context.FS, m); err == nil && strings.Contains(string(b), "dotenv") {
			uses = true
		}
	}
	wd := u.finalWorkdir()
	if !uses || wd == "" {
		return
	}
	for _, d := range u.contextDirs() {
		if d == normDir(wd) {
			add(effWrite, path.Join(wd, ".env"), "the program loads .env (dotenv) from its working directory, where the original's COPY put it", 0)
		}
	}
}

// commandEffects reports the paths a command is known to write.
func (u *Unit) commandEffects(s *Step, c Command, add func(kind effect, x, why string, line int)) {
	if len(c.Args) == 0 {
		return
	}
	if c.Dynamic {
		// ln -snf /usr/share/zoneinfo/$TZ /etc/localtime: what the
		// variables hold (ENV, ARG defaults, the RUN's own) is known.
		words := make([]string, len(c.Args))
		for i, a := range c.Args {
			words[i] = expandVars(a, s.Env, c.Env)
			if strings.ContainsAny(words[i], "$`") {
				return
			}
		}
		c.Args = words
	}
	line := s.In.StartLine
	args := c.Args[1:]
	at := func(p string) string { return Resolve(c.Dir, expandVars(p, s.Env, c.Env)) }
	why := func(verb string) string { return fmt.Sprintf("line %d %s it", line, verb) }
	for _, w := range c.Writes {
		add(effWrite, w, why("writes"), line)
	}
	name := c.Name()
	if name == "bundle" && len(args) > 1 && args[0] == "exec" {
		// bundle exec whenever ...: the gem's program.
		name, args = path.Base(args[1]), args[2:]
	}
	switch name {
	case "locale-gen", "localedef", "update-locale":
		// The compiled locales live in one archive, which the runtime's
		// locales package does not regenerate; update-locale writes the
		// default.
		add(effWrite, "/usr/lib/locale/locale-archive", why("compiles the locales into"), line)
		if name == "update-locale" {
			add(effWrite, "/etc/default/locale", why("writes"), line)
		}
		return
	case "dpkg-reconfigure":
		if slices.Contains(args, "locales") {
			add(effWrite, "/usr/lib/locale/locale-archive", why("compiles the locales into"), line)
			add(effWrite, "/etc/default/locale", why("writes"), line)
			return
		}
	case "update-alternatives":
		// update-alternatives --install LINK NAME PATH PRIORITY makes LINK
		// (through /etc/alternatives/NAME) point to PATH.
		for i := 0; i+3 < len(args); i++ {
			if args[i] == "--install" {
				add(effWrite, at(args[i+1]), why("links"), line)
			}
		}
	case "whenever":
		// whenever --update-crontab (or --write-crontab) installs the
		// schedule as the user's crontab, as crontab FILE does.
		if hasFlag(args, "--update-crontab", "--write-crontab", "-w", "-i") || anyPrefix(args, "--update-crontab=") || anyPrefix(args, "--write-crontab=") {
			user := "root"
			if x, _ := u.userAt(s); x != "" {
				user, _, _ = strings.Cut(x, ":")
			}
			add(effWrite, "/var/spool/cron/crontabs/"+user, why("installs the crontab (whenever) in"), line)
		}
	case "tee":
		for _, a := range nonFlags(args) {
			add(effWrite, at(a), why("writes"), line)
		}
	case "mkdir", "touch":
		// A directory made may be a data directory; a file touched is a
		// file like any other written.
		kind := effCreate
		if name == "touch" {
			kind = effWrite
		}
		for i := 0; i < len(args); i++ {
			if args[i] == "-m" || args[i] == "--mode" {
				i++
				continue
			}
			if !strings.HasPrefix(args[i], "-") {
				add(kind, at(args[i]), why("creates"), line)
			}
		}
	case "ln":
		if ops := nonFlags(args); len(ops) == 2 && !strings.HasPrefix(ops[0], "/dev/") && !strings.HasPrefix(ops[0], "/proc/") {
			link := at(ops[1])
			if hasOption(args, "s", "--symbolic") && !strings.ContainsAny(ops[0], "$`") {
				if u.symlinks == nil {
					u.symlinks = map[string]string{}
				}
				u.symlinks[link] = ops[0]
			}
			add(effWrite, link, why("links"), line)
		}
	case "cp", "mv", "install":
		srcs, dest, into, ok := moveOperands(name, args)
		if ok && into == "" && !hasFlag(args, "-d", "-t", "--target-directory") {
			target := at(dest)
			if len(srcs) > 1 || strings.HasSuffix(dest, "/") {
				for _, src := range srcs {
					if strings.ContainsAny(path.Base(src), "*?[") {
						// cp dist/* /var/www/html/: the names are the
						// pattern's matches, known only at build time.
						add(effWrite, target, why("writes"), line)
						continue
					}
					add(effWrite, path.Join(target, path.Base(src)), why("writes"), line)
				}
				return
			}
			add(effWrite, target, why("writes"), line)
		}
	case "chmod":
		// COPY --from keeps a file's mode, so a file made executable must
		// be the builder's. Owners are the split's business (--chown), and
		// a recursive change is about a directory copied anyway.
		if ops := nonFlags(args); len(ops) >= 2 && !hasFlag(args, "-R", "--recursive") {
			for _, f := range ops[1:] {
				add(effWrite, at(f), why("changes the mode of"), line)
			}
		}
	case "crontab":
		user, ops := "", []string{}
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "-u" && i+1 < len(args):
				user = args[i+1]
				i++
			case strings.HasPrefix(a, "-u") && len(a) > 2:
				user = a[2:]
			case !strings.HasPrefix(a, "-"):
				ops = append(ops, a)
			}
		}
		if len(ops) == 1 && ops[0] != "-" {
			if user == "" {
				user = "root"
				if x, _ := u.userAt(s); x != "" {
					user, _, _ = strings.Cut(x, ":")
				}
			}
			spool := "/var/spool/cron/crontabs/" // Debian's cron
			if u.Base.Libc == "musl" {
				spool = "/etc/crontabs/" // busybox crond
			}
			add(effWrite, spool+user, why("installs the crontab in"), line)
		}
	case "update-ca-certificates":
		u.rebuildCertificates(line)
	case "a2enmod", "a2ensite", "a2enconf", "a2dismod", "a2dissite", "a2disconf":
		// Debian's apache keeps the enabled set as links in these
		// directories; a directory copy keeps links as links.
		dir := "conf-enabled"
		switch {
		case strings.HasSuffix(name, "mod"):
			dir = "mods-enabled"
		case strings.HasSuffix(name, "site"):
			dir = "sites-enabled"
		}
		add(effWrite, "/etc/apache2/"+dir, why("changes"), line)
	case "curl":
		if v, ok := optValue(args, 'o', "--output"); ok {
			add(effDownload, at(v), why("downloads"), line)
		}
	case "wget":
		if v, ok := optValue(args, 'O', "--output-document"); ok && v != "-" {
			add(effDownload, at(v), why("downloads"), line)
		}
	case "tar":
		if dir, ok := optValue(args, 'C', "--directory"); ok {
			u.unpackedInto(at(dir), tarMembers(args), s, line, add)
		}
	case "unzip":
		if dir, ok := optValue(args, 'd', ""); ok {
			u.unpackedInto(at(dir), nil, s, line, add)
		}
	case "git":
		if len(args) >= 3 && args[0] == "clone" {
			if ops := nonFlags(args[1:]); len(ops) == 2 {
				add(effWrite, at(ops[1]), why("clones into"), line)
			}
		}
	case "sed":
		if hasFlag(args, "-i") || anyPrefix(args, "-i") || anyPrefix(args, "--in-place") {
			ops := nonFlags(args)
			if len(ops) >= 2 {
				for _, f := range ops[1:] {
					add(effWrite, at(f), why("edits"), line)
				}
			}
		}
	default:
		if strings.HasPrefix(name, "python") && len(args) >= 3 && args[0] == "-m" && args[1] == "ipykernel" && args[2] == "install" {
			// Jupyter looks kernels up in its system path unless told
			// --user, --sys-prefix (the venv, copied) or --prefix.
			kname, dir := "python3", "/usr/local/share/jupyter/kernels"
			if v, ok := optValue(args, 0, "--name"); ok {
				kname = v
			}
			switch v, ok := optValue(args, 0, "--prefix"); {
			case ok:
				dir = path.Join(v, "share/jupyter/kernels")
			case hasFlag(args, "--sys-prefix"):
				return
			case hasFlag(args, "--user"):
				dir = "/root/.local/share/jupyter/kernels"
			}
			add(effWrite, at(path.Join(dir, kname)), why("installs the Jupyter kernel spec into"), line)
			return
		}
		if strings.HasPrefix(name, "python") && len(args) >= 2 && path.Base(args[0]) == "manage.py" && args[1] == "collectstatic" {
			// Django writes to STATIC_ROOT, which an ENV may set outside the
			// app directory.
			if v, ok := s.Env.Get("STATIC_ROOT"); ok && path.IsAbs(v) && !strings.Contains(v, "$") {
				add(effWrite, v, why("collects the static files into"), line)
			} else if v, file := u.djangoStaticRoot(s, c, at(args[0])); v != "" {
				add(effWrite, v, why("collects the static files (STATIC_ROOT of "+file+") into"), line)
				return
			}
		}
		if i := slices.Index(c.Args, "jekyll"); i >= 0 && i+1 < len(c.Args) && c.Args[i+1] == "build" {
			if v, ok := optValue(c.Args[i+2:], 'd', "--destination"); ok {
				add(effWrite, at(v), why("builds the site into"), line)
			}
		}
		if strings.HasPrefix(name, "python") && len(args) >= 2 && args[0] == "-m" && args[1] == "nltk.downloader" {
			dir := "/root/nltk_data"
			if v, ok := s.Env.Get("NLTK_DATA"); ok && v != "" {
				dir = v
			}
			for i, a := range args {
				if a == "-d" && i+1 < len(args) {
					dir = args[i+1]
				}
			}
			add(effDownload, at(dir), why("downloads NLTK data into"), line)
			return
		}
		if runsProjectCode(c) && u.Plan != nil {
			u.Warn(line, "line %d runs %s: what it writes outside the copied directories (a cache under the home directory, a file in /etc or /var) does not reach the runtime stage; copy it if the program needs it", line, strings.Join(c.Args, " "))
		}
	}
}

// runUserAt is the non-root user a RUN at line runs as (USER app before
// it), or "": what it makes is that user's, and a COPY --from would give
// it to root (BuildKit creates a destination as root and keeps the owner
// of the files only).
func (u *Unit) runUserAt(line int) string {
	for _, s := range u.Steps {
		if s.In.StartLine != line || s.In.Keyword != "run" {
			continue
		}
		user, _ := u.userAt(s)
		if v, ok := expandWord(s, Command{}, user); ok {
			user = v
		}
		if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" || strings.Contains(user, "$") {
			return ""
		}
		return user
	}
	return ""
}

// djangoSettingsRe finds the settings module manage.py names;
// staticRootRe an assignment of STATIC_ROOT, whose value is absolute when
// it is a string literal or the default of an os.environ.get/os.getenv of
// STATIC_ROOT; starImportRe a `from X import *`, whose names the module
// takes over (settings/production.py: from .base import *).
var (
	djangoSettingsRe = regexp.MustCompile(`DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z0-9_.]+)["']`)
	staticRootRe     = regexp.MustCompile(`^STATIC_ROOT\s*=\s*(.*)$`)
	staticRootAbsRe  = regexp.MustCompile(`^["'](/[^"'$]*)["']\s*(#.*)?$`)
	// os.environ["K"], os.environ.get("K"[, "default"]), os.getenv(...)
	pyEnvRe      = regexp.MustCompile(`^os\.(?:environ\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]|environ\.get\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']([^"']*)["']\s*)?\)|getenv\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']([^"']*)["']\s*)?\))\s*(#.*)?$`)
	starImportRe = regexp.MustCompile(`^from\s+(\.*[A-Za-z0-9_.]*)\s+import\s+\*`)
)

// djangoStaticRoot is the absolute STATIC_ROOT of the settings module the
// collectstatic command c (manage.py at its image path) uses: --settings,
// else DJANGO_SETTINGS_MODULE of the command or the stage, else the
// default manage.py sets; read from the build context, following star
// imports. "" when it is not an absolute literal.
func (u *Unit) djangoStaticRoot(s *Step, c Command, manage string) (root, file string) {
	rel, ok := u.contextFileFor(manage)
	if !ok {
		return "", ""
	}
	mod := ""
	if v, ok := optValue(c.Args, 0, "--settings"); ok {
		mod = v
	} else if v, ok := c.Env["DJANGO_SETTINGS_MODULE"]; ok {
		mod = v
	} else if v, ok := s.Env.Get("DJANGO_SETTINGS_MODULE"); ok {
		mod = v
	} else if b, err := fs.ReadFile(u.Context.FS, rel); err == nil {
		if m := djangoSettingsRe.FindSubmatch(b); m != nil {
			mod = string(m[1])
		}
	}
	if mod == "" || strings.Contains(mod, "$") {
		return "", ""
	}
	env := func(k string) (string, bool) {
		if v, ok := c.Env[k]; ok {
			return v, true
		}
		return s.Env.Get(k)
	}
	return u.pySetting(path.Dir(rel), mod, staticRootRe, env, 0)
}

// pyAbsValue is the absolute path a settings value names: a string
// literal, or an environment lookup the build's environment (env) or the
// lookup's default answers; "" otherwise.
func pyAbsValue(v string, env func(string) (string, bool)) string {
	v = strings.TrimSpace(v)
	if m := staticRootAbsRe.FindStringSubmatch(v); m != nil {
		return path.Clean(m[1])
	}
	m := pyEnvRe.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	key, def := m[1]+m[2]+m[4], m[3]+m[5]
	if x, ok := env(key); ok {
		def = x
	}
	if !path.IsAbs(def) || strings.Contains(def, "$") {
		return ""
	}
	return path.Clean(def)
}

// pySetting reads the last top-level assignment that assign matches in
// the Python module mod (dotted, below the context directory root), star
// imports included, and returns the absolute path its value names
// (pyAbsValue; "" when the last assignment is anything else), with the
// file it is in.
func (u *Unit) pySetting(root, mod string, assign *regexp.Regexp, env func(string) (string, bool), depth int) (string, string) {
	if depth > 3 {
		return "", ""
	}
	p := strings.ReplaceAll(mod, ".", "/")
	var file string
	var b []byte
	for _, cand := range []string{p + ".py", p + "/__init__.py"} {
		var err error
		if b, err = fs.ReadFile(u.Context.FS, path.Join(root, cand)); err == nil {
			file = path.Join(root, cand)
			break
		}
	}
	if file == "" {
		return "", ""
	}
	val, from := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if m := starImportRe.FindStringSubmatch(line); m != nil {
			target := m[1]
			if dots := len(target) - len(strings.TrimLeft(target, ".")); dots > 0 {
				// from .base import *: relative to the module's package.
				pkg := strings.Split(mod, ".")
				if path.Base(file) != "__init__.py" {
					pkg = pkg[:len(pkg)-1]
				}
				if dots-1 > len(pkg) {
					continue
				}
				pkg = pkg[:len(pkg)-(dots-1)]
				target = strings.Trim(strings.Join(pkg, ".")+"."+strings.TrimLeft(target, "."), ".")
			}
			if v, f := u.pySetting(root, target, assign, env, depth+1); v != "" {
				val, from = v, f
			}
			continue
		}
		if m := assign.FindStringSubmatch(line); m != nil {
			val, from = "", ""
			if a := pyAbsValue(m[1], env); a != "" {
				val, from = a, file
			}
		}
	}
	return val, from
}

// rebuildCertificates repeats update-ca-certificates in the runtime, after
// the copies that bring the added certificates: the store in /etc/ssl/certs
// is the runtime image's own (its release's bundle, its links), so it is
// rebuilt there rather than copied. Without a shell, the builder's bundle
// file is copied, which is what programs on a distroless image read.
func (u *Unit) rebuildCertificates(line int) {
	p := u.Plan
	for _, g := range p.RuntimeTail {
		if firstText(g.In) == "RUN update-ca-certificates" {
			return
		}
	}
	if p.Runtime.Family == "distroless" || p.Runtime.Ref == "scratch" {
		p.Copies = append(p.Copies, Copy{Src: "/etc/ssl/certs/ca-certificates.crt", Dst: "/etc/ssl/certs/ca-certificates.crt", Line: line,
			Why: fmt.Sprintf("line %d added certificates to the store; %s has no shell to rebuild it, so the builder's bundle comes along", line, p.Runtime.Ref)})
		return
	}
	p.RuntimeTail = append(p.RuntimeTail, Gen{In: u.File.New("RUN", "RUN update-ca-certificates"), Line: line,
		Why: fmt.Sprintf("line %d added certificates to the store: the runtime rebuilds its own store with them", line)})
}

// runsProjectCode reports a command that runs code of the project, whose
// writes cannot be known.
func runsProjectCode(c Command) bool {
	name := c.Name()
	switch {
	case strings.HasPrefix(name, "python"), name == "node", name == "ruby", name == "php", name == "java", name == "rails", name == "rake":
		// Installers and build tools run through the interpreter are known.
		if v, _ := composerVerb(c); v != "" {
			return false // composer writes its cache, which stays behind on purpose
		}
		if len(c.Args) > 2 && c.Args[1] == "-m" && (c.Args[2] == "pip" || c.Args[2] == "venv" || c.Args[2] == "virtualenv" || c.Args[2] == "compileall") {
			return false
		}
		return len(c.Args) > 1
	case (name == "sh" || name == "bash") && len(c.Args) > 1 && !strings.HasPrefix(c.Args[1], "-"):
		return true
	case strings.HasPrefix(c.Args[0], "./"):
		// Build-tool wrappers write into the tree and their caches.
		switch path.Base(c.Args[0]) {
		case "gradlew", "mvnw", "configure", "autogen.sh", "bootstrap", "sbt", "cargo":
			return false
		}
		return true
	}
	return false
}

// moveOperands reads the arguments of cp, mv or install(1): the sources,
// and the destination (the last operand) or the directory -t names; the
// values of install's -m, -o and -g are not operands. ok is false when
// there is no destination.
func moveOperands(tool string, args []string) (srcs []string, dst, intoDir string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			switch {
			case a == "-t" || a == "--target-directory":
				if i+1 < len(args) {
					i++
					intoDir = args[i]
				}
			case strings.HasPrefix(a, "--target-directory="):
				intoDir = strings.TrimPrefix(a, "--target-directory=")
			case tool == "install" && (a == "-m" || a == "-o" || a == "-g" || a == "--mode" || a == "--owner" || a == "--group"):
				i++
			}
			continue
		}
		srcs = append(srcs, a)
	}
	if intoDir == "" {
		if len(srcs) < 2 {
			return nil, "", "", false
		}
		dst, srcs = srcs[len(srcs)-1], srcs[:len(srcs)-1]
	}
	return srcs, dst, intoDir, true
}

func anyPrefix(args []string, prefix string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// optValue finds the value of a short option, alone (-o X), attached
// (-oX), or last in a group (-sSLo X), or of its long form (--output X,
// --output=X).
func optValue(args []string, short byte, long string) (string, bool) {
	for i, a := range args {
		switch {
		case long != "" && a == long || a == "-"+string(short):
			if i+1 < len(args) {
				return args[i+1], true
			}
		case long != "" && strings.HasPrefix(a, long+"="):
			return strings.TrimPrefix(a, long+"="), true
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			if j := strings.IndexByte(a[1:], short); j >= 0 {
				if rest := a[2+j:]; rest != "" {
					if j == 0 {
						return rest, true // -oFILE
					}
					continue // the letter is inside a group with more after it: not this option
				}
				if i+1 < len(args) {
					return args[i+1], true // -sSLo FILE
				}
			}
		}
	}
	return "", false
}

// tarMembers are the member names a tar command extracts, when it names
// them (tar -xzf a.tgz -C /usr/local/bin migrate).
func tarMembers(args []string) []string {
	var out []string
	skipNext := false
	for i, a := range args {
		if skipNext {
			skipNext = false
			continue
		}
		if strings.HasPrefix(a, "-") {
			// The values of -f, -C and their long forms.
			if a == "-C" || a == "-f" || a == "--directory" || a == "--file" || !strings.HasPrefix(a, "--") && strings.ContainsAny(a[len(a)-1:], "fC") {
				skipNext = true
			}
			continue
		}
		if i == 0 && !strings.Contains(a, "/") && strings.Trim(a, "xzjJvfcpC") == "" {
			continue // old-style flags without a dash: xzf
		}
		if strings.HasSuffix(a, ".tar") || strings.Contains(a, ".tar.") || strings.HasSuffix(a, ".tgz") {
			continue // the archive
		}
		out = append(out, strings.TrimPrefix(a, "./"))
	}
	return out
}

// unpackedInto carries what an archive adds to dir: the directory, or, when
// dir is a system directory, the members the command names (otherwise what
// it adds there cannot be told apart, and the file is skipped).
func (u *Unit) unpackedInto(dir string, members []string, s *Step, line int, add func(kind effect, x, why string, line int)) {
	if !systemDirs[dir] {
		add(effWrite, dir, fmt.Sprintf("line %d unpacks into it", line), line)
		return
	}
	if len(members) == 0 {
		// The common download of a tool (dockerize, migrate): the archive
		// is named for the program the container runs.
		if progs := archivedPrograms(s, u.runtimePrograms()); len(progs) > 0 {
			for _, p := range progs {
				add(effWrite, path.Join(dir, p), fmt.Sprintf("line %d unpacks an archive named for %s, which the container runs", line, p), line)
			}
			return
		}
		u.Skip(line, "line %d unpacks an archive into %s: which files it adds there cannot be told from the Dockerfile", line, dir)
		return
	}
	for _, m := range members {
		add(effWrite, path.Join(dir, m), fmt.Sprintf("line %d unpacks it", line), line)
	}
}

// archivedPrograms are the programs the container runs whose name the
// RUN's download or archive is named for (…/dockerize-linux-amd64-v0.6.1.tar.gz
// for dockerize).
func archivedPrograms(s *Step, runs map[string]bool) []string {
	var names []string
	for _, c := range s.Commands {
		for _, a := range c.Args {
			if strings.Contains(a, "://") || strings.HasSuffix(a, ".tar.gz") || strings.HasSuffix(a, ".tgz") || strings.HasSuffix(a, ".zip") || strings.Contains(a, ".tar.") {
				names = append(names, strings.ToLower(path.Base(a)))
			}
		}
	}
	var out []string
	for _, p := range mapKeys(runs) {
		if len(p) < 3 || strings.ContainsAny(p, "/.:=$") {
			continue
		}
		for _, n := range names {
			if n == p || strings.HasPrefix(n, strings.ToLower(p)+"-") || strings.HasPrefix(n, strings.ToLower(p)+".") || strings.HasPrefix(n, strings.ToLower(p)+"_") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

var cmakeInstallDestRe = regexp.MustCompile(`(?is)install\s*\(\s*(?:FILES|PROGRAMS|DIRECTORY)\b[^)]*?\bDESTINATION\s+"?(/[^\s")]+)`)

// cmakeInstallEffects reads the install() rules of the build context's
// CMakeLists.txt whose DESTINATION is absolute (/etc/app), outside the
// prefix the program's copy covers.
func (u *Unit) cmakeInstallEffects(s *Step, c Command, add func(kind effect, x, why string, line int)) {
	if u.Context == nil {
		return
	}
	_ = fs.WalkDir(u.Context.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != "." || strings.Count(p, "/") > 3) {
			return fs.SkipDir
		}
		if d.Name() != "CMakeLists.txt" {
			return nil
		}
		data, err := fs.ReadFile(u.Context.FS, p)
		if err != nil {
			return nil
		}
		for _, m := range cmakeInstallDestRe.FindAllStringSubmatch(string(data), -1) {
			if dest := path.Clean(m[1]); !strings.HasPrefix(dest, "/usr/local") && !strings.Contains(dest, "$") {
				add(effWrite, dest, fmt.Sprintf("line %d installs it (%s's install() names it)", s.In.StartLine, p), s.In.StartLine)
			}
		}
		return nil
	})
}
