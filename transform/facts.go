package transform

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/stagesplit/stagesplit/parser"
)

// Step is what one instruction of the stage does.
type Step struct {
	In *parser.Instruction
	// Workdir is the WORKDIR in force when the instruction runs ("" = the
	// base image's).
	Workdir string
	// Env holds the ENV and ARG values in force before the instruction
	// (ARGs without a default are absent).
	Env EnvView
	// Commands are the shell commands of a RUN.
	Commands []Command
	// Installs are the system packages a RUN installs (apt-get, apk).
	Installs []string
	// Purges are the system packages a RUN removes again.
	Purges []string
}

// FileChanging reports whether the instruction changes the filesystem.
func (s *Step) FileChanging() bool {
	switch s.In.Keyword {
	case "run", "copy", "add":
		return true
	}
	return false
}

// MaxInstructions bounds the files we rewrite. BuildKit's conversion
// (dockerfile2llb, run by the self-check on input and output) looks values
// up along the chain of LLB states, so its cost grows with the square of
// the instruction count: 5,000 instructions take about 0.15 s, 30,000 take
// about 30 s. Real Dockerfiles have a few hundred at most.
const MaxInstructions = 5000

var passShape = &Pass{
	Name: "shape",
	Doc: `Leaves alone the files a split does not fit.
A file is skipped, unchanged, when it already has more than one stage, builds FROM scratch,
uses ONBUILD (a base image made for others), copies from an external image, has no instruction
after FROM, or has more than MaxInstructions (5,000) instructions.`,
	Run: func(u *Unit) error {
		if n := len(u.File.Instructions); n > MaxInstructions {
			u.Skip(0, "%d instructions, more than %d: BuildKit's own conversion, which the self-check runs, grows with the square of the instruction count", n, MaxInstructions)
			return nil
		}
		st := u.File.Stages()
		if len(st) != 1 {
			u.Skip(st[1].From.StartLine, "already multi-stage (%d FROM instructions)", len(st))
			return nil
		}
		u.Stage = st[0]
		if strings.EqualFold(u.Stage.Base().BaseName, "scratch") {
			u.Skip(u.Stage.From.StartLine, "builds FROM scratch: nothing to split")
			return nil
		}
		for _, in := range u.Stage.Body {
			switch in.Keyword {
			case "onbuild":
				u.Skip(in.StartLine, "ONBUILD: this is a base image for other builds, not an application image")
				return nil
			case "copy":
				if c, ok := in.Command.(*instructions.CopyCommand); ok && c.From != "" && !phpToolImage(u.Stage.Base().BaseName, c.From) {
					u.Skip(in.StartLine, "COPY --from=%s already copies from another image; rewrite by hand", c.From)
					return nil
				}
			}
		}
		if len(u.Stage.Body) == 0 {
			u.Skip(u.Stage.From.StartLine, "no instruction after FROM: nothing is built")
		}
		return nil
	},
}

var passBase = &Pass{
	Name:     "base",
	Doc:      "Reads the base image: family, version, variant, distribution release and libc.\nMeta ARG defaults (ARG before FROM) are substituted; the reference is kept as written.",
	Requires: []*Pass{passShape},
	Run: func(u *Unit) error {
		u.MetaEnv = map[string]string{}
		lex := shell.NewLex(u.File.Escape)
		for _, in := range u.File.MetaArgs() {
			if a, ok := in.Command.(*instructions.ArgCommand); ok {
				for _, kv := range a.Args {
					if kv.Value != nil {
						v, _, err := lex.ProcessWord(*kv.Value, envMap(u.MetaEnv))
						if err == nil {
							u.MetaEnv[kv.Key] = v
						}
					}
				}
			}
		}
		raw := u.Stage.Base().BaseName
		expanded, _, err := lex.ProcessWord(raw, envMap(u.MetaEnv))
		if err != nil || strings.Contains(expanded, "$") {
			expanded = raw
		}
		u.Base = ParseImage(raw, expanded)
		if strings.Contains(u.Base.Expanded, "$") || (expanded == "" && raw != "") {
			u.Skip(u.Stage.From.StartLine, "base image %q depends on an ARG without a default", raw)
			return nil
		}
		if !supportedFamilies[u.Base.Family] {
			// Said before the shell of every RUN is parsed: about half of a
			// real tree is other ecosystems, and this keeps them cheap.
			u.Skip(u.Stage.From.StartLine, "%s", unsupportedReason(u.Base))
			return nil
		}
		rel := u.Base.Release
		if rel == "" {
			rel = "unknown release"
			if patchPinned(u.Base) && (u.Base.Variant == "" || u.Base.Variant == "slim") {
				rel += " (the tag pins a patch version, built when that patch was current, before or after the Debian release of its series changed; a tag naming the release, such as -bookworm, tells it)"
			}
		}
		u.Fact(u.Stage.From.StartLine, "base image %s: family %q, version %q, %s", u.Base.Expanded, u.Base.Family, u.Base.Version, rel)
		return nil
	},
}

// supportedFamilies have an ecosystem pass (filled from their Families).
var supportedFamilies = map[string]bool{}

func unsupportedReason(b Image) string {
	fam := b.Family
	if fam == "" {
		fam = "unknown"
	}
	return fmt.Sprintf("no rewrite plan for base image %s (family %s): not supported yet (stagesplit --list-passes shows what is)", b.Expanded, fam)
}

var passSteps = &Pass{
	Name: "steps",
	Doc: `Follows WORKDIR, ENV and ARG through the stage and reads the shell of every RUN.
Shell is parsed with a real shell parser (mvdan.cc/sh): cd, export, env prefixes, &&, ||, ; and
heredoc scripts are understood. Package installs (apt-get, apk) and purges are listed. A file
is skipped when one RUN installs compilers or -dev headers and removes every one of them again
(by name, apk virtual package, variable, or apt-mark auto and autoremove): the image is already
free of them.`,
	Requires: []*Pass{passBase},
	Run: func(u *Unit) error {
		lex := shell.NewLex(u.File.Escape)
		base, _ := ConfigOf(u.Base)
		workdir := base.WorkingDir
		env := &envBuilder{live: map[string]string{}, hist: new([]envEntry)}
		for _, kv := range base.Env {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env.set(k, v)
			}
		}
		user := base.User // the USER in force, for $HOME in RUN
		for _, in := range u.Stage.Body {
			s := &Step{In: in, Workdir: workdir, Env: env.view()}
			u.Steps = append(u.Steps, s)
			switch c := in.Command.(type) {
			case *instructions.UserCommand:
				user = c.User
				if v, _, err := lex.ProcessWord(c.User, envMap(env.live)); err == nil {
					user = v
				}
			case *instructions.WorkdirCommand:
				if w, _, err := lex.ProcessWord(c.Path, envMap(env.live)); err == nil {
					workdir = Resolve(workdir, w)
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if v, _, err := lex.ProcessWord(kv.Value, envMap(env.live)); err == nil {
						env.set(kv.Key, v)
					}
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if kv.Value != nil {
						if v, _, err := lex.ProcessWord(*kv.Value, envMap(env.live)); err == nil {
							env.set(kv.Key, v)
						}
					} else if v, ok := u.MetaEnv[kv.Key]; ok {
						env.set(kv.Key, v)
					}
				}
			case *instructions.RunCommand:
				script := runScript(c)
				cmds, err := ParseScript(script, workdir)
				if err != nil {
					u.Warn(in.StartLine, "cannot parse the shell of this RUN: %v", err)
					continue
				}
				if _, set := env.live["HOME"]; !set {
					if home := u.homeOf(user); home != "" {
						withHome(cmds, home)
					}
				}
				s.Commands = cmds
				s.Installs, s.Purges = packages(cmds)
			}
		}
		// A PHP image builds its extensions that way, and the runtime repeats
		// it: the split there is about composer, not the compilers.
		if why := u.purgesItsBuildPackages(); why != "" && u.Base.Family != "php" && !u.phpFromPackages() {
			u.Skip(u.Stage.From.StartLine, "%s", why)
		}
		return nil
	},
}

// purgesItsBuildPackages detects the docker-library style: one RUN that
// installs build packages, builds, and purges every one of them again, so
// the image is already free of them and a split would gain little. A RUN
// that purges something else (a download tool, nothing by name) keeps its
// compilers and headers in the image: that one is planned as any other.
func (u *Unit) purgesItsBuildPackages() string {
	for _, s := range u.Steps {
		if len(s.Installs) > 0 && len(s.Purges) > 0 && purgesBuildPackages(s.Commands) {
			return fmt.Sprintf("line %d installs, builds and purges its build packages in one layer: the image is already free of them", s.In.StartLine)
		}
	}
	return ""
}

// purgesBuildPackages reports whether the commands install at least one
// compiler, build tool or -dev headers package and remove every such one
// they install: by name, through the apk virtual package that holds it,
// through the same variable ($buildDeps, whose words are unknown but
// installed only to be removed), or through apt's autoremove after
// `apt-mark auto` marked them.
func purgesBuildPackages(cmds []Command) bool {
	type pkg struct {
		name    string
		dynamic bool   // a variable's words
		group   string // the apk virtual package that holds it
	}
	var installed []pkg
	removed := map[string]bool{}
	auto := map[string]bool{} // marked automatically installed
	autoAll, autoRemoved := false, false
	manual := map[string]bool{} // marked manual again after that
	for _, c := range cmds {
		args := c.Args
		if len(args) < 2 {
			continue
		}
		switch c.Name() {
		case "apt-get", "apt", "aptitude":
			verb, rest := aptVerb(args)
			words := pkgWords(rest)
			switch verb {
			case "install":
				for _, w := range words {
					installed = append(installed, pkg{name: w, dynamic: strings.Contains(w, "$")})
				}
			case "purge", "remove":
				for _, w := range words {
					removed[w] = true
				}
				if hasFlag(rest, "--auto-remove", "--autoremove") {
					autoRemoved = true
				}
			case "autoremove", "autopurge":
				autoRemoved = true
			}
		case "apt-mark":
			verb, rest := aptVerb(args)
			for _, w := range pkgWords(rest) {
				switch verb {
				case "auto", "markauto":
					if w == ".*" || w == "*" {
						autoAll = true
					}
					auto[w] = true
				case "manual", "unmarkauto":
					manual[w] = true
				}
			}
		case "apk":
			verb, rest := apkVerb(args)
			switch verb {
			case "add":
				group := apkVirtual(rest)
				for _, w := range apkWords(rest) {
					installed = append(installed, pkg{name: w, dynamic: strings.Contains(w, "$"), group: group})
				}
			case "del":
				for _, w := range apkWords(rest) {
					removed[w] = true
				}
			}
		}
	}
	gone := func(p pkg) bool {
		if removed[p.name] || p.group != "" && removed[p.group] {
			return true
		}
		return autoRemoved && (autoAll || auto[p.name]) && !manual[p.name]
	}
	build := 0
	for _, p := range installed {
		switch {
		case p.dynamic:
			if !gone(p) {
				continue // unknown words that stay: run-time libraries, as often as not
			}
		case !compilerPackage(p.name):
			continue
		case !gone(p):
			return false // a compiler or headers stay in the image
		}
		build++
	}
	return build > 0
}

// compilerPackage reports whether a system package is a compiler, a build
// tool or headers. The fetchers and interpreters of buildOnlyPackages are
// not: a file may keep them on purpose (nodejs to run the app) and still
// have purged what only compiled it.
func compilerPackage(name string) bool {
	if fetchersAndInterpreters[name] {
		return false
	}
	return buildOnlyPackages[name] || headerOnly[name] || strings.HasSuffix(name, "-dev") || compilerRe.MatchString(name)
}

var fetchersAndInterpreters = map[string]bool{
	"curl": true, "wget": true, "git": true, "gnupg": true, "dirmngr": true, "unzip": true, "xz-utils": true, "patch": true,
	"nodejs": true, "npm": true, "yarn": true, "python": true, "python3": true,
}

// runScript is the shell script a RUN executes.
func runScript(c *instructions.RunCommand) string {
	if !c.PrependShell {
		// Exec form: quote the words so the shell parser sees them as such.
		q := make([]string, len(c.CmdLine))
		for i, w := range c.CmdLine {
			q[i] = shellQuote(w)
		}
		return strings.Join(q, " ")
	}
	if len(c.Files) > 0 && len(c.CmdLine) == 1 && strings.HasPrefix(strings.TrimSpace(c.CmdLine[0]), "<<") {
		return c.Files[0].Data
	}
	return strings.Join(c.CmdLine, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>(){}*?[]#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// packages lists the system packages installed and purged by commands.
func packages(cmds []Command) (installs, purges []string) {
	for _, c := range cmds {
		args := c.Args
		if len(args) < 2 {
			continue
		}
		name := c.Name()
		var verb string
		var rest []string
		switch name {
		case "apt-get", "apt", "aptitude":
			verb, rest = aptVerb(args)
			switch verb {
			case "install":
				installs = append(installs, pkgWords(rest)...)
			case "purge", "remove", "autoremove":
				purges = append(purges, pkgWords(rest)...)
			}
		case "apk":
			verb, rest = apkVerb(args)
			switch verb {
			case "add":
				installs = append(installs, apkWords(rest)...)
			case "del":
				purges = append(purges, apkWords(rest)...)
			}
		}
	}
	return installs, purges
}

// apkVerb returns the verb of an apk command line and the words after it.
func apkVerb(args []string) (string, []string) {
	for i, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			return a, args[i+2:]
		}
	}
	return "", nil
}

// apkVirtual is the virtual package an apk add groups its packages under
// (--virtual NAME, -t NAME), "" when none.
func apkVirtual(rest []string) string {
	group := ""
	for i := 0; i+1 < len(rest); i++ {
		if rest[i] == "--virtual" || rest[i] == "-t" {
			group = rest[i+1]
		}
	}
	return group
}

// aptValueOpts are apt's options that take the next word as their value
// (`-o APT::AutoRemove::RecommendsImportant=false`), which is no package.
var aptValueOpts = map[string]bool{"-o": true, "--option": true, "-c": true, "--config-file": true, "-t": true, "--target-release": true, "--default-release": true}

// aptVerb returns the verb of an apt command line and the words after it.
func aptVerb(args []string) (string, []string) {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if aptValueOpts[a] {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
	}
	return "", nil
}

func pkgWords(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if aptValueOpts[a] {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") || a == "" {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		out = append(out, name)
	}
	return out
}

// apkWords skips apk's option values (--virtual NAME).
func apkWords(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--virtual" || a == "-t" || a == "--repository" || a == "-X" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") || a == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

type envMap map[string]string

func (e envMap) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e envMap) Keys() []string {
	out := make([]string, 0, len(e))
	for k := range e {
		out = append(out, k)
	}
	return out
}

// envEntry is one assignment of an ENV or ARG.
type envEntry struct{ k, v string }

// envBuilder keeps the stage's environment as it grows: a live map for
// expansion, and the append-only history that each Step sees a prefix of,
// so that no step copies the whole environment (which made a long file
// quadratic).
type envBuilder struct {
	live map[string]string
	hist *[]envEntry
}

func (b *envBuilder) set(k, v string) {
	b.live[k] = v
	*b.hist = append(*b.hist, envEntry{k, v})
}

func (b *envBuilder) view() EnvView { return EnvView{hist: b.hist, n: len(*b.hist)} }

// EnvView is the environment at one point of the stage. It implements
// BuildKit's shell.EnvGetter.
type EnvView struct {
	hist *[]envEntry
	n    int
}

// Get returns the value last assigned to k before this point.
func (e EnvView) Get(k string) (string, bool) {
	if e.hist == nil {
		return "", false
	}
	h := (*e.hist)[:e.n]
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].k == k {
			return h[i].v, true
		}
	}
	return "", false
}

// Keys lists the names assigned before this point.
func (e EnvView) Keys() []string {
	if e.hist == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, kv := range (*e.hist)[:e.n] {
		if !seen[kv.k] {
			seen[kv.k] = true
			out = append(out, kv.k)
		}
	}
	return out
}

// lastFileChanging returns the index in u.Steps of the last RUN, COPY or
// ADD, or -1.
func (u *Unit) lastFileChanging() int {
	for i := len(u.Steps) - 1; i >= 0; i-- {
		if u.Steps[i].FileChanging() {
			return i
		}
	}
	return -1
}

// finalWorkdir is the WORKDIR the image ends with ("" when none is known).
func (u *Unit) finalWorkdir() string {
	if len(u.Steps) == 0 {
		return ""
	}
	last := u.Steps[len(u.Steps)-1]
	if w, ok := last.In.Command.(*instructions.WorkdirCommand); ok {
		lex := shell.NewLex(u.File.Escape)
		if p, _, err := lex.ProcessWord(w.Path, last.Env); err == nil {
			return Resolve(last.Workdir, p)
		}
	}
	return last.Workdir
}

// dirExists reports whether dir is a directory when s runs, so that a
// COPY to it without a trailing slash puts the file inside (BuildKit, as
// the classic builder's copy.go: a destination that exists as a
// directory): the working directory or one above it, a directory an
// earlier WORKDIR or mkdir made, or a standard directory of the images.
func (u *Unit) dirExists(s *Step, dir string) bool {
	if _, in := under(normDir(s.Workdir), dir); in && s.Workdir != "" || standardDirs[dir] {
		return true
	}
	if u.workdirBefore(s, dir) || u.madeBefore(s, dir) {
		return true
	}
	// An earlier COPY made it: as the parent of what it put there, or as
	// the directory a whole directory was copied to (COPY . /usr/src/app).
	for _, x := range u.Steps {
		if x == s {
			break
		}
		abs := u.copyDest(x)
		if abs == "" {
			continue
		}
		if rel, in := under(abs, dir); in && rel != "." {
			return true
		}
		if sd, _ := contextCopy(x); abs == dir {
			for _, src := range sd.SourcePaths {
				if c := path.Clean(src); c == "." || strings.HasSuffix(src, "/") || strings.HasSuffix(sd.DestPath, "/") || len(sd.SourcePaths) > 1 || u.Context != nil && u.contextIsDir(c) {
					return true
				}
			}
		}
	}
	return false
}

// homeOf is the home directory of a user, as the runtime puts it in HOME
// when the image sets none (runc takes it from /etc/passwd): /root for
// root, the directory the Dockerfile's useradd or adduser gives (by name
// or uid, ARG values expanded), else "".
func (u *Unit) homeOf(user string) string {
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		return "/root"
	}
	home := ""
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if h, ok := accountHome(expandedArgs(s, c), name); ok {
				home = h
			}
		}
	}
	return home
}

// expandedArgs is c with the ARG and ENV values known where it runs put
// into its words (useradd --home-dir ${APP_HOME} ${APP_USER}).
func expandedArgs(s *Step, c Command) Command {
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i], _ = expandWord(s, c, a)
	}
	c.Args = args
	return c
}

// homeRefRe is $HOME or ${HOME}, not a longer name.
var homeRefRe = regexp.MustCompile(`\$(HOME\b|\{HOME\})`)

// withHome puts home for $HOME in the words of commands that do not set
// HOME themselves; a command left with nothing unexpanded is no longer
// dynamic.
func withHome(cmds []Command, home string) {
	for i := range cmds {
		c := &cmds[i]
		if _, set := c.Env["HOME"]; set || !c.Dynamic {
			continue
		}
		left := false
		for j, a := range c.Args {
			a = homeRefRe.ReplaceAllString(a, home)
			c.Args[j] = a
			left = left || strings.ContainsAny(a, "$`<>")
		}
		c.Dynamic = left
	}
}

// contextDirs maps directories in the image to the build context: a
// `COPY . <dir>` (or ADD) puts the whole context at dir.
func (u *Unit) contextDirs() []string {
	var out []string
	for _, cp := range u.contextCopies() {
		if cp.src == "." {
			out = append(out, cp.dest)
		}
	}
	return out
}

// ctxCopy is one source of a COPY or ADD from the build context.
type ctxCopy struct {
	src  string // cleaned, relative to the context root
	raw  string // as the instruction writes it
	line int    // the instruction's line
	step *Step
	dest string // absolute
	// intoDir is set when the destination is a directory the source goes
	// into: a trailing slash, several sources, or a pattern.
	intoDir bool
}

// sourceOf returns the context path that this copy put at p.
func (cp ctxCopy) sourceOf(p string, isDir func(string) bool) (string, bool) {
	under := func(root string) (string, bool) {
		if p == root {
			return "", true
		}
		if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/")+"/"); ok {
			return rel, true
		}
		return "", false
	}
	switch {
	case cp.src == "." || isDir(cp.src) && !strings.ContainsAny(cp.src, "*?["):
		// A directory's contents land in the destination.
		if rel, ok := under(cp.dest); ok {
			return path.Join(cp.src, rel), true
		}
	case strings.ContainsAny(cp.src, "*?["):
		if path.Dir(p) == cp.dest {
			cand := path.Join(path.Dir(cp.src), path.Base(p))
			if ok, _ := path.Match(cp.src, cand); ok {
				return cand, true
			}
		}
	default:
		target := cp.dest
		if cp.intoDir {
			target = path.Join(cp.dest, path.Base(cp.src))
		}
		if p == target {
			return cp.src, true
		}
	}
	return "", false
}

// contextCopies lists the sources and destinations of the COPY and ADD
// instructions that read the build context, in order.
func (u *Unit) contextCopies() []ctxCopy {
	if u.ctxCopies != nil {
		return *u.ctxCopies
	}
	out := u.readContextCopies()
	u.ctxCopies = &out
	return out
}

// readContextCopies is contextCopies, uncached: the steps are known once
// the steps pass has run, and many passes ask.
func (u *Unit) readContextCopies() []ctxCopy {
	var out []ctxCopy
	lex := shell.NewLex(u.File.Escape)
	for _, s := range u.Steps {
		sd, ok := contextCopy(s)
		if !ok {
			continue
		}
		dest, _, err := lex.ProcessWord(sd.DestPath, s.Env)
		if err != nil {
			continue
		}
		abs := Resolve(s.Workdir, dest)
		for _, src := range sd.SourcePaths {
			if strings.Contains(src, "://") || strings.Contains(src, "$") {
				continue
			}
			into := strings.HasSuffix(dest, "/") || dest == "." || len(sd.SourcePaths) > 1 || strings.ContainsAny(src, "*?[") || u.dirExists(s, abs)
			out = append(out, ctxCopy{src: path.Clean(strings.TrimPrefix(src, "/")), raw: src, line: s.In.StartLine, step: s, dest: abs, intoDir: into})
		}
	}
	return out
}

// contextCopy returns the sources and destination of a COPY or ADD that
// takes files from the build context (not from another stage or image).
func contextCopy(s *Step) (instructions.SourcesAndDest, bool) {
	switch c := s.In.Command.(type) {
	case *instructions.CopyCommand:
		if c.From == "" {
			return c.SourcesAndDest, true
		}
	case *instructions.AddCommand:
		return c.SourcesAndDest, true
	}
	return instructions.SourcesAndDest{}, false
}

// withoutRemoved drops the copies of paths that a later RUN removes (`COPY
// requirements /requirements` then `pip install -r ... && rm -rf
// /requirements`): the builder no longer has them, and COPY --from of a
// missing path fails the build. The original image did not have them
// either. A COPY whose destination is so removed is left in the builder
// (plan.Left), so that no later pass carries it as a file placed outside
// the app.
func (u *Unit) withoutRemoved(plan *Plan, copies []Copy) []Copy {
	var out []Copy
	for _, c := range copies {
		line := u.removedAfter(c.Src, c.Line)
		if line == 0 {
			out = append(out, c)
			continue
		}
		u.Fact(c.Line, "%s is not copied: line %d removes it", c.Src, line)
		for _, s := range u.Steps {
			if s.In.StartLine != c.Line {
				continue
			}
			if _, ok := contextCopy(s); ok && u.removedAfter(u.copyDest(s), c.Line) != 0 {
				if plan.Left == nil {
					plan.Left = map[*parser.Instruction]bool{}
				}
				plan.Left[s.In] = true
			}
		}
	}
	return out
}

// copyDest is where a COPY or ADD from the build context puts its files
// ("" when it cannot be expanded).
func (u *Unit) copyDest(s *Step) string {
	sd, ok := contextCopy(s)
	if !ok {
		return ""
	}
	dest, _, err := shell.NewLex(u.File.Escape).ProcessWord(sd.DestPath, s.Env)
	if err != nil || strings.Contains(dest, "$") {
		return ""
	}
	return Resolve(s.Workdir, dest)
}

// removedAfter is the line of the last RUN from line on that removes p
// with `rm -r` (p or a directory holding it), when no later COPY, ADD or
// mkdir puts it back; 0 otherwise. The RUN of line itself counts: what it
// writes and then removes (bundle config ... && rm -rf ~/.bundle) is gone.
func (u *Unit) removedAfter(p string, line int) int {
	if line == 0 || p == "" || p == "/" {
		return 0
	}
	removed := 0
	lex := shell.NewLex(u.File.Escape)
	for _, s := range u.Steps {
		if s.In.StartLine < line {
			continue
		}
		if sd, ok := contextCopy(s); ok {
			if dest, _, err := lex.ProcessWord(sd.DestPath, s.Env); err == nil {
				d := Resolve(s.Workdir, dest)
				if _, in := under(d, p); in {
					removed = 0
				} else if _, in := under(p, d); in {
					removed = 0
				}
			}
			continue
		}
		if _, ok := s.In.Command.(*instructions.CopyCommand); ok {
			removed = 0 // COPY --from: where it lands is not read here
			continue
		}
		for _, c := range s.Commands {
			switch c.Name() {
			case "rm":
				if c.Dynamic {
					continue
				}
				// Without -r only files go: p itself, not what it holds.
				recursive := hasFlag(c.Args, "-r", "-R", "-rf", "-fr", "-Rf", "-fR", "--recursive")
				for _, a := range nonFlags(c.Args[1:]) {
					if !recursive && path.Clean(Resolve(c.Dir, a)) != path.Clean(p) {
						continue
					}
					if a == "~" || strings.HasPrefix(a, "~/") {
						home, ok := c.Env["HOME"]
						if !ok {
							home, ok = s.Env.Get("HOME")
						}
						if user, _ := u.userAt(s); !ok && (user == "" || user == "root" || normUser(user) == "0") {
							home, ok = "/root", true
						}
						if !ok {
							continue
						}
						a = home + a[1:]
					}
					if _, in := under(p, Resolve(c.Dir, a)); in {
						removed = s.In.StartLine
					}
				}
			case "mkdir", "mv", "cp", "ln", "install", "tar", "unzip", "git":
				if removed != 0 {
					removed = 0 // may put it back: keep the copy, as before
				}
			}
		}
	}
	return removed
}
