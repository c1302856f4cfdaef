package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/stagesplit/stagesplit/parser"
)

// Plan is what an ecosystem pass decided the split must do. The split pass
// carries it out.
type Plan struct {
	Ecosystem string
	// Runtime is the base image of the new final stage.
	Runtime Image
	// Static is set for a binary that links no libc (Go with cgo off).
	Static bool
	// Major is the language's major version, for the image table's {major}
	// (Java 17); "" when the ecosystem needs none.
	Major string
	// Copies are what the runtime stage receives from the builder.
	Copies []Copy
	// BuilderInserts are instructions added to the builder before an
	// existing instruction.
	BuilderInserts []Insert
	// BuilderTail are instructions added at the end of the builder stage.
	BuilderTail []Gen
	// Stages are added after the builder, each FROM the builder's image.
	Stages []Stage
	// RuntimeRuns run in the runtime stage before the copies (as root).
	RuntimeRuns []Gen
	// RuntimeTail run in the runtime stage after the copies, as root
	// (ldconfig for libraries copied into /usr/local/lib).
	RuntimeTail []Gen
	// Replays are instructions of the original repeated in the runtime
	// stage where they stand, with the reason (PHP extensions must be
	// built in the image that runs them).
	Replays map[*parser.Instruction]string
	// Left are instructions the ecosystem pass leaves in the builder on
	// purpose (fetching composer): nothing they write reaches the runtime.
	Left map[*parser.Instruction]bool
	// LeftPaths are directories of build tools (composer's home and
	// cache) that nothing carries into the runtime.
	LeftPaths []string
	// AddedPath are PATH entries the rewrite adds (a venv's bin).
	AddedPath []string
	// Packages are system packages the ecosystem pass knows the program
	// needs at run time (named for the runtime image); the packages pass
	// installs them in the same RUN as the ones it finds in the Dockerfile.
	Packages []Package
}

// Package is a system package for the runtime stage, with its reason.
type Package struct {
	Name string
	Why  string
	Line int
}

// Copy is one COPY into the runtime stage: from a stage (From, or the
// builder when empty), or an instruction of the original repeated as it is
// (Replay, a COPY from the build context).
type Copy struct {
	Src, Dst string
	From     string
	// Chown is the owner a recursive chown of Src gave it (COPY --from
	// keeps the owners of what is inside a directory, not of the
	// directory itself).
	Chown  string
	Replay *parser.Instruction
	Why    string
	Line   int // the source line that makes it necessary
}

// Stage is a stage added between the builder and the runtime.
type Stage struct {
	Name         string
	Instructions []*parser.Instruction // after its FROM
	Why          string
}

// Insert places a generated instruction before an existing one.
type Insert struct {
	Before *parser.Instruction
	Gen
}

// Gen is a generated instruction with its reason.
type Gen struct {
	In   *parser.Instruction
	Why  string
	Line int
}

// Needs is what the image's run-time configuration requires of the runtime
// base image.
type Needs struct {
	// Shell is set, with the line that needs it, when /bin/sh must exist.
	Shell     bool
	ShellLine int
	ShellWhy  string
	// Tools are programs the HEALTHCHECK, CMD or ENTRYPOINT call that a
	// slim image lacks (curl, wget), with the line.
	Tools map[string]int
	// Exec is the program the container runs (first word of ENTRYPOINT, or
	// of CMD without ENTRYPOINT), and the arguments after it.
	Exec     string
	ExecArgs []string
	ExecLine int
	// Toolchain is the line where the run-time command needs the toolchain.
	Toolchain     int
	ToolchainWhat string
	// User is the final USER ("" for the base image's).
	User     string
	UserLine int
}

var slimMissingTools = map[string]bool{"curl": true, "wget": true, "nc": true, "netcat": true, "ps": true, "jq": true, "git": true}

var devServerRe = regexp.MustCompile(`\b(go run|npm run (dev|watch|serve|start:dev)|yarn (dev|watch|serve|start:dev)|pnpm (dev|watch|serve|start:dev)|nodemon|ts-node|ts-node-dev|next dev|vite( |$)|vite dev|webpack-dev-server|webpack serve|cargo run|mvn spring-boot:run|gradle bootRun|python setup.py develop|bin/dev|Procfile\.dev)\b`)

// staticServeScript reports whether a "serve" script the command runs
// (npm run serve, yarn serve) is a static file server on a build output
// ("serve -s build", "http-server dist") rather than a development server
// ("vue-cli-service serve"), from the build context's package.json.
func (u *Unit) staticServeScript(m string) bool {
	if !strings.HasSuffix(m, " serve") || u.Context == nil || u.Context.Package == nil {
		return false
	}
	script := strings.Fields(u.Context.Package.Scripts["serve"])
	return len(script) > 0 && nodeStaticServers[script[0]]
}

// runtimeNeeds reads the final CMD, ENTRYPOINT, HEALTHCHECK and USER of
// the stage, once: the steps do not change after the steps pass.
func (u *Unit) runtimeNeeds() Needs {
	if u.needs == nil {
		n := u.readNeeds()
		u.needs = &n
	}
	return *u.needs
}

func (u *Unit) readNeeds() Needs {
	n := Needs{Tools: map[string]int{}}
	var ep, cmd *parser.Instruction
	var epWords, cmdWords []string
	var epShell, cmdShell bool
	for _, s := range u.Steps {
		switch c := s.In.Command.(type) {
		case *instructions.EntrypointCommand:
			ep, epWords, epShell = s.In, c.CmdLine, c.PrependShell
			// An ENTRYPOINT resets the base image's CMD, not one this
			// stage set before it (BuildKit's dispatchEntrypoint).
		case *instructions.CmdCommand:
			cmd, cmdWords, cmdShell = s.In, c.CmdLine, c.PrependShell
		case *instructions.UserCommand:
			// USER ${APP_USER}: BuildKit expands it with the ARG and ENV
			// values, and so the account it names is known.
			n.User, n.UserLine = c.User, s.In.StartLine
			if v, ok := expandWord(s, Command{}, c.User); ok {
				n.User = v
			}
		case *instructions.HealthCheckCommand:
			if c.Health == nil || len(c.Health.Test) == 0 || c.Health.Test[0] == "NONE" {
				continue
			}
			test := c.Health.Test
			words := test[1:]
			if test[0] == "CMD-SHELL" {
				n.setShell(s.In.StartLine, "HEALTHCHECK runs through a shell")
				words = strings.Fields(strings.Join(words, " "))
			}
			for _, w := range words {
				if slimMissingTools[path.Base(w)] {
					n.Tools[path.Base(w)] = s.In.StartLine
				}
			}
		}
	}
	check := func(in *parser.Instruction, words []string, shellForm bool, what string) {
		if in == nil {
			return
		}
		line := strings.Join(words, " ")
		if m := devServerRe.FindString(line); m != "" && n.Toolchain == 0 && !u.staticServeScript(m) {
			n.Toolchain, n.ToolchainWhat = in.StartLine, m
		}
		if shellForm {
			n.setShell(in.StartLine, what+" is in shell form")
			words = strings.Fields(line)
		}
		// Any word may be the script (tini -- /entrypoint.sh): a .sh name,
		// or a file of the build context that starts with #!.
		for _, w := range words {
			if strings.HasSuffix(w, ".sh") || u.scriptInContext(w) {
				n.setShell(in.StartLine, what+" runs the script "+w)
				break
			}
		}
		if len(words) > 0 && (words[0] == "sh" || words[0] == "bash" || words[0] == "/bin/sh" || words[0] == "/bin/bash") {
			n.setShell(in.StartLine, what+" runs a shell")
		}
		for _, w := range words {
			if slimMissingTools[path.Base(w)] {
				n.Tools[path.Base(w)] = in.StartLine
			}
		}
	}
	check(ep, epWords, epShell, "ENTRYPOINT")
	check(cmd, cmdWords, cmdShell, "CMD")
	switch {
	case ep != nil && len(epWords) > 0 && !epShell:
		n.Exec, n.ExecArgs, n.ExecLine = epWords[0], append(epWords[1:len(epWords):len(epWords)], cmdWords...), ep.StartLine
	case ep == nil && cmd != nil && len(cmdWords) > 0 && !cmdShell:
		n.Exec, n.ExecArgs, n.ExecLine = cmdWords[0], cmdWords[1:], cmd.StartLine
	case ep == nil && cmd != nil && cmdShell:
		if f := strings.Fields(strings.Join(cmdWords, " ")); len(f) > 0 {
			n.Exec, n.ExecArgs, n.ExecLine = f[0], f[1:], cmd.StartLine
		}
	}
	return n
}

func (n *Needs) setShell(line int, why string) {
	if !n.Shell {
		n.Shell, n.ShellLine, n.ShellWhy = true, line, why
	}
}

// userCreated reports the RUN steps that create users or groups, and
// whether each of them does nothing else. A chown or chmod of the app's
// files (`chown -R rails:rails db log tmp` in the WORKDIR) is other work:
// the runtime stage repeats the RUN before its copies, where those paths
// do not exist yet, so the command would fail there.
func (u *Unit) userSetupRuns() (pure []*Step, mixed []*Step) {
	for _, s := range u.Steps {
		if len(s.Commands) == 0 {
			continue
		}
		creates, other := false, false
		made := map[string]bool{} // what a mkdir earlier in the RUN made
		for _, c := range s.Commands {
			switch c.Name() {
			case "useradd", "adduser", "groupadd", "addgroup", "usermod":
				creates = true
			case "mkdir":
				for _, a := range nonFlags(c.Args[1:]) {
					made[Resolve(c.Dir, a)] = true
				}
			case "install":
				// install -d -o app -g app -m 0750 /var/lib/app: a mkdir
				// with its owner and mode, which the runtime can repeat.
				if !hasFlag(c.Args[1:], "-d", "--directory") {
					other = true
					continue
				}
				for _, a := range installDirs(c.Args[1:]) {
					if v, ok := expandWord(s, c, a); ok {
						made[Resolve(c.Dir, v)] = true
					} else {
						other = true
					}
				}
			case "chown", "chmod":
				if u.touchesCopied(s, c, made) {
					other = true
				}
			case "true", "echo":
			default:
				other = true
			}
		}
		if !creates {
			continue
		}
		if other {
			mixed = append(mixed, s)
		} else {
			pure = append(pure, s)
		}
	}
	return pure, mixed
}

// installDirs are the directories of install -d: its operands, without
// the values of -o, -g and -m.
func installDirs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-o" || a == "-g" || a == "-m" || a == "--owner" || a == "--group" || a == "--mode":
			i++
		case !strings.HasPrefix(a, "-"):
			out = append(out, a)
		}
	}
	return out
}

// accountOnlyRun is a RUN of just the account commands (useradd, groupadd,
// ...) of a user-setup RUN whose other commands only chown, chmod, mkdir or cp
// (what they leave the effects pass carries): the runtime repeats that, and the copies bring the app with
// the owners the builder gave it. ok is false when the RUN does anything
// else, or an account command is not literal.
func (u *Unit) accountOnlyRun(s *Step) (string, bool) {
	var parts []string
	for _, c := range s.Commands {
		switch c.Name() {
		case "useradd", "adduser", "groupadd", "addgroup", "usermod":
			if len(c.Env) > 0 {
				return "", false
			}
			words := make([]string, len(c.Args))
			for i, a := range c.Args {
				words[i] = shellQuote(a)
				if !strings.Contains(a, "$") {
					continue
				}
				// ${APP_UID}: an ARG or ENV the runtime stage restates
				// before this RUN, kept as written so a --build-arg
				// still applies.
				if !simpleVarWordRe.MatchString(a) {
					return "", false
				}
				if _, ok := expandWord(s, c, a); !ok {
					return "", false
				}
				words[i] = a
			}
			parts = append(parts, strings.Join(words, " "))
		case "chown", "chmod", "mkdir", "cp", "true", "echo":
		case "install":
			if !hasFlag(c.Args[1:], "-d", "--directory") {
				return "", false
			}
		case "apt-get", "apt", "apk":
			// The package installs are the packages pass's business: the
			// runtime installs what the program runs (gosu) itself.
		case "rm":
			for _, a := range nonFlags(c.Args[1:]) {
				if !strings.HasPrefix(a, "/var/lib/apt/lists") && !strings.HasPrefix(a, "/var/cache/apk") && !strings.HasPrefix(a, "/tmp/") {
					return "", false
				}
			}
		default:
			return "", false
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	// Alpine's useradd and groupadd come from shadow (busybox has adduser
	// and addgroup only): an install of it in the same RUN goes first.
	if slices.Contains(s.Installs, "shadow") && u.Base.Libc == "musl" {
		for _, c := range s.Commands {
			if n := c.Name(); n == "useradd" || n == "groupadd" || n == "usermod" {
				parts = append([]string{"apk add --no-cache shadow"}, parts...)
				break
			}
		}
	}
	return "RUN " + strings.Join(parts, " && "), true
}

// simpleVarWordRe is a word of literal name characters and plain variable
// references (${APP_USER}:${APP_USER}, --uid=$UID), safe unquoted.
var simpleVarWordRe = regexp.MustCompile(`^([A-Za-z0-9_./:=@+-]|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})+$`)

// touchesCopied reports whether a chown or chmod of a user-setup RUN names
// a path that is missing where the runtime stage repeats the RUN: inside
// a directory the runtime receives by COPY only afterwards (an app path,
// relative to the WORKDIR or absolute), or such a directory itself when no
// earlier WORKDIR creates it. Paths an earlier mkdir of the RUN made exist.
func (u *Unit) touchesCopied(s *Step, c Command, made map[string]bool) bool {
	if u.Plan == nil {
		return false
	}
	ops := nonFlags(c.Args[1:])
	if len(ops) < 2 {
		return false
	}
	for _, a := range ops[1:] { // the first is the owner or mode
		if strings.Contains(a, "$") {
			return true // cannot tell where it points
		}
		p := Resolve(c.Dir, a)
		if made[p] {
			continue
		}
		covered := false
		for _, cp := range u.Plan.Copies {
			if cp.Replay != nil {
				continue
			}
			dst := path.Clean(cp.Dst)
			rel, in := under(p, dst)
			if !in || dst == "/" {
				continue
			}
			if rel != "." || !u.workdirBefore(s, p) {
				return true
			}
			covered = true
		}
		// Neither copied nor made before the RUN (context files the split
		// leaves behind, a directory a build step made): the repeated
		// chown would fail on a missing path.
		if !covered && !standardDirs[p] && !u.workdirBefore(s, p) {
			return true
		}
	}
	return false
}

// madeBefore reports whether a RUN before s made dir with mkdir, or a
// directory inside it.
func (u *Unit) madeBefore(s *Step, dir string) bool {
	for _, x := range u.Steps {
		if x == s {
			return false
		}
		for _, c := range x.Commands {
			if c.Name() != "mkdir" {
				continue
			}
			for _, a := range nonFlags(c.Args[1:]) {
				if _, in := under(Resolve(c.Dir, a), dir); in {
					return true
				}
			}
		}
	}
	return false
}

// workdirBefore reports whether a WORKDIR before s made dir (or a
// directory inside it), so it exists where the runtime stage restates the
// configuration.
func (u *Unit) workdirBefore(s *Step, dir string) bool {
	for i, x := range u.Steps {
		if x == s {
			return false
		}
		// The step after a WORKDIR runs in the directory it made.
		if _, ok := x.In.Command.(*instructions.WorkdirCommand); ok && i+1 < len(u.Steps) {
			if _, in := under(u.Steps[i+1].Workdir, dir); in {
				return true
			}
		}
	}
	return false
}

// knownUser reports whether a user exists in every official image of the
// family without the Dockerfile creating it.
func knownUser(family, user string) bool {
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || isNumeric(name) {
		return true
	}
	switch family {
	case "node":
		return name == "node"
	case "dotnet-aspnet", "dotnet-runtime", "dotnet-runtime-deps":
		// .NET 8 and later images ship the non-root user app (uid 1654);
		// an earlier image lacks it in the builder too.
		return name == "app"
	case "distroless":
		// Its /etc/group has root, nobody, tty, staff and nonroot only
		// (GoogleContainerTools/distroless common/BUILD.bazel): no nogroup.
		_, group, _ := strings.Cut(user, ":")
		switch group {
		case "", "root", "nobody", "tty", "staff", "nonroot":
		default:
			if !isNumeric(group) {
				return false
			}
		}
		return name == "nonroot" || name == "nobody"
	}
	return name == "nobody" || name == "daemon" || name == "www-data"
}

func isNumeric(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// runtimeOnPath reports whether dir is on the PATH of the runtime image.
func runtimeOnPath(dir string) bool {
	switch dir {
	case "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin":
		return true
	}
	return false
}

// needsUserReplay reports whether the final USER is one the Dockerfile
// creates, so the runtime stage must create it again (with a shell).
func (u *Unit) needsUserReplay(n Needs) bool {
	return u.userToCreate(n) != ""
}

// userToCreate is the account the final USER names that the Dockerfile
// creates: the name, or for USER 10001 the user useradd made with that
// uid; "" for root, a base image's user or a name left unexpanded.
func (u *Unit) userToCreate(n Needs) string {
	if uid, _, _ := strings.Cut(n.User, ":"); isNumeric(uid) {
		if uid == "0" {
			return ""
		}
		return u.accountByID(uid)
	}
	if n.User == "" || knownUser("", n.User) || strings.Contains(n.User, "$") {
		return ""
	}
	name, _, _ := strings.Cut(n.User, ":")
	return name
}

// assetDirs are directories Go programs commonly read at run time; when
// the build context has them they go into the runtime next to the binary.
var assetDirs = []string{"templates", "static", "public", "assets", "web", "views", "config", "configs", "migrations", "locales", "i18n", "www",
	"Public", "Resources"} // Vapor (Swift) serves Public/ and renders Resources/Views

// fileExtRe is an extension a file the command names may have.
var fileExtRe = regexp.MustCompile(`^\.[A-Za-z][A-Za-z0-9]{0,7}$`)

// copyReferencedFiles adds copies for the files the run-time command names
// by path (a config file, a script) and, for a binary, the asset
// directories of the build context.
func (u *Unit) copyReferencedFiles(n Needs, arts []goArtifact) {
	isArt := map[string]bool{}
	for _, a := range arts {
		isArt[a.Path] = true
	}
	roots := u.contextDirs()
	wd := u.finalWorkdir()
	seen := map[string]bool{}
	add := func(p, why string, line int) {
		if seen[p] || isArt[p] {
			return
		}
		seen[p] = true
		u.Plan.Copies = append(u.Plan.Copies, Copy{Src: p, Dst: p, Why: why, Line: line})
	}
	words := append([]string{n.Exec}, n.ExecArgs...)
	for _, w := range words {
		if w == "" || strings.Contains(w, "$") {
			continue
		}
		// -config=app.yaml names a file too.
		if _, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(w, "-") {
			w = v
		}
		// Only what can name a file: not an address (0.0.0.0:8080), a
		// version (v1.2) or a URL.
		if strings.ContainsAny(w, ":@ ") || !strings.Contains(w, "/") && !fileExtRe.MatchString(path.Ext(w)) {
			continue
		}
		p := Resolve(wd, w)
		if u.Context != nil {
			if _, ok := u.contextPath(p); !ok {
				continue // not from the build context: the build made it, or it is not a file
			}
		}
		for _, r := range roots {
			if p != r && strings.HasPrefix(p, strings.TrimSuffix(r, "/")+"/") {
				add(p, fmt.Sprintf("the container's command names %s", w), n.ExecLine)
				u.copyConfigPaths(p, add, n.ExecLine)
			}
		}
	}
	if len(roots) == 0 {
		return
	}
	if u.Context == nil {
		u.Warn(n.ExecLine, "no build context: only the binary is copied; if the program reads files from %s at run time, copy them too", roots[0])
		return
	}
	for _, d := range assetDirs {
		if st, err := fs.Stat(u.Context.FS, d); err == nil && st.IsDir() {
			add(path.Join(roots[0], d), fmt.Sprintf("the build context has %s/, which programs read at run time", d), 0)
		}
	}
	// config.yaml, .env, Settings.toml next to the sources: read from the
	// working directory by viper, godotenv or the config crate.
	if wd != "" && normDir(wd) != roots[0] {
		return
	}
	entries, _ := fs.ReadDir(u.Context.FS, ".")
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && runtimeConfigFile(name) {
			add(path.Join(roots[0], name), fmt.Sprintf("the build context has %s, a configuration file programs read from their working directory", name), 0)
		}
	}
}

// runtimeConfigFile reports whether a file at the top of the build context
// is configuration a program may read at run time, rather than the build's
// or the repository's tooling.
func runtimeConfigFile(name string) bool {
	if name == ".env" {
		return true
	}
	if strings.HasPrefix(name, ".") || buildManifests[name] || !configExt[path.Ext(name)] {
		return false
	}
	lower := strings.ToLower(name)
	for _, tool := range repoToolingFiles {
		if strings.HasPrefix(lower, tool) {
			return false
		}
	}
	return true
}

// repoToolingFiles are name prefixes of configuration for the repository's
// tools (compose, CI, linters, code generators, deploy services), which
// no program reads at run time.
var repoToolingFiles = []string{"docker-compose", "compose.", "skaffold", "taskfile", "renovate", "codecov", "mkdocs",
	"sonar-project", "buf.", "sqlc.", "gqlgen", "fly.toml", "netlify.toml", "vercel.json", "tsconfig", "lefthook",
	"catalog-info", "app.json", "heroku", "procfile", "makefile", "cargo.", "go.", "package", "tslint", "eslint",
	"prettier", "jest.config", "babel.config", "webpack", "rollup", "vite.config", "deno.json", "biome.json", "dependabot",
	"goreleaser", "golangci", "cliff.toml", "rustfmt.toml", "clippy.toml", "deny.toml", "rust-toolchain", "dist-workspace",
	"release-please", "commitlint", "codeowners", "openapi-generator", "swagger-codegen", "pyproject.toml",
	"setup.cfg", "tox.ini", "pytest.ini", "mypy.ini", "pom.xml", "build.xml", "settings.xml"}

// copyScriptPaths carries what the container's own scripts (an
// entrypoint.sh of the build context) read or write where the Dockerfile
// copied context files: a template rendered at start (envsubst <
// /app/config/app.tmpl > /app/config/app.properties) needs its directory,
// with the owner the build gave it.
func (u *Unit) copyScriptPaths(line int) {
	if u.Context == nil || u.Plan == nil {
		return
	}
	replayed := map[*parser.Instruction]bool{} // COPYs the runtime repeats itself
	for in, why := range u.Plan.Replays {
		replayed[in] = why != ""
	}
	for _, c := range u.Plan.Copies {
		if c.Replay != nil {
			replayed[c.Replay] = true
		}
	}
	var dests []string // where context files were copied to
	for _, cp := range u.contextCopies() {
		if !replayed[cp.step.In] && !strings.Contains(cp.dest, "$") {
			dests = append(dests, cp.dest)
		}
	}
	covered := func(p string) bool {
		for _, c := range u.Plan.Copies {
			if _, in := under(p, path.Clean(c.Dst)); in && c.Replay == nil && path.Clean(c.Dst) != "/" {
				return true
			}
		}
		return false
	}
	// The command's own arguments name a copied directory too
	// (--sql-dir sql): an exact match of a COPY destination.
	n := u.runtimeNeeds()
	wd := u.finalWorkdir()
	for _, w := range n.ExecArgs {
		if _, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(w, "-") {
			w = v
		}
		if w == "" || strings.HasPrefix(w, "-") || strings.ContainsAny(w, "$*?[:@ ") {
			continue
		}
		p := Resolve(wd, w)
		if covered(p) || standardDirs[p] || p == wd {
			continue
		}
		for _, d := range dests {
			if d == p {
				u.Plan.Copies = append(u.Plan.Copies, Copy{Src: d, Dst: d, Line: n.ExecLine,
					Why: fmt.Sprintf("the container's command names %s, which the Dockerfile copied from the build context", w)})
				break
			}
		}
	}
	type use struct{ path, what string }
	var uses []use
	for _, c := range u.scriptCommands(u.containerCommands()) {
		for _, w := range append(c.Args[1:], c.Writes...) {
			uses = append(uses, use{w, c.Name() + " in the container's script"})
		}
	}
	for _, f := range u.cronFiles() {
		if data, err := fs.ReadFile(u.Context.FS, f); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				for _, w := range strings.Fields(l) {
					uses = append(uses, use{strings.Trim(w, `"'`), "a cron job of " + f})
				}
			}
		}
	}
	for _, x := range uses {
		p := x.path
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "$*?[>|;&") {
			continue
		}
		p = path.Clean(p)
		dir := path.Dir(p)
		if covered(p) || standardDirs[dir] || standardDirs[p] {
			continue
		}
		// A file or directory of the context, copied in itself or inside
		// a copied directory (db/migrations under the app of COPY . .);
		// else the directory a file is written into, where the Dockerfile
		// copied context files (a template's output).
		src := ""
		if _, ok := u.contextPath(p); ok {
			src = p
		} else {
			for _, d := range dests {
				if d == dir || d == p {
					src = d
					break
				}
			}
		}
		if src != "" && !covered(src) {
			u.Plan.Copies = append(u.Plan.Copies, Copy{Src: src, Dst: src, Line: line,
				Why: fmt.Sprintf("%s uses %s, where the Dockerfile copied files of the build context", x.what, p)})
		}
	}
}

// cronFiles are the crontabs of the build context the image installs:
// files copied into /etc/cron.d or /etc/crontab, and those crontab FILE
// reads.
func (u *Unit) cronFiles() []string {
	var out []string
	for _, cp := range u.contextCopies() {
		if cp.dest == "/etc/crontab" || strings.HasPrefix(cp.dest, "/etc/cron.d") {
			out = append(out, cp.src)
		}
	}
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "crontab" {
				continue
			}
			if ops := nonFlags(c.Args[1:]); len(ops) == 1 && ops[0] != "-" {
				if rel, ok := u.contextFileFor(Resolve(c.Dir, ops[0])); ok {
					out = append(out, rel)
				}
			}
		}
	}
	return out
}

var (
	configPathRe  = regexp.MustCompile(`[A-Za-z0-9_.~-]*/[A-Za-z0-9_./-]*`)
	configValueRe = regexp.MustCompile(`(?m)[:=]\s*["']?([A-Za-z0-9_][A-Za-z0-9_.-]*)["']?\s*,?\s*$`)
)

// copyConfigPaths reads a config file of the build context the command
// names (config.yaml) and carries the context paths it names
// (data_dir: /app/pages), which the original had through COPY . .
func (u *Unit) copyConfigPaths(file string, add func(p, why string, line int), line int) {
	rel, ok := u.contextPath(file)
	if !ok || !configExt[path.Ext(file)] {
		return
	}
	data, err := fs.ReadFile(u.Context.FS, rel)
	if err != nil || len(data) > 1<<16 {
		return
	}
	toks := configPathRe.FindAllString(string(data), -1)
	// Bare values (rules_dir: rules, geoip = "GeoLite2.mmdb") name a
	// context entry when one of that name is beside the file.
	for _, m := range configValueRe.FindAllStringSubmatch(string(data), -1) {
		toks = append(toks, m[1])
	}
	for _, tok := range toks {
		tok = strings.TrimRight(tok, "/.")
		if tok == "" || strings.HasPrefix(tok, "//") || strings.Contains(tok, "://") {
			continue
		}
		p := Resolve(path.Dir(file), tok)
		if p == path.Dir(file) || p == "/" {
			continue
		}
		if _, ok := u.contextPath(p); ok {
			add(p, fmt.Sprintf("%s names %s, which the build context has", path.Base(file), tok), line)
		}
	}
}

// scriptInContext reports whether a word of the run-time command is a file
// of the build context that starts with "#!" (an interpreter script, most
// often for /bin/sh), found where the context was copied.
func (u *Unit) scriptInContext(w string) bool {
	if u.Context == nil || w == "" || strings.HasPrefix(w, "-") || strings.Contains(w, "$") {
		return false
	}
	img := w
	if !strings.HasPrefix(w, "/") {
		if !strings.Contains(w, "/") {
			return false // a bare name: a program on PATH
		}
		img = Resolve(u.finalWorkdir(), w)
	}
	src, ok := u.contextPath(img)
	if !ok {
		return false
	}
	f, err := u.Context.FS.Open(src)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := f.Read(head)
	return n == 2 && string(head) == "#!"
}

func (p *Plan) addedPath() map[string]bool {
	m := map[string]bool{}
	if p != nil {
		for _, e := range p.AddedPath {
			m[path.Clean(e)] = true
		}
	}
	return m
}
