package transform

import (
	"fmt"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"path"
	"regexp"
	"strings"
)

var passNode = &Pass{
	Name: "node",
	Doc: `Plans the split of a Node.js image (npm, yarn or pnpm).
The app directory is where the dependencies are installed. The builder keeps the full image (compilers
for native modules, the dev dependencies for the build); after the last build step it drops the dev
dependencies (npm prune --omit=dev, pnpm prune --prod, yarn v1 install --production), unless the
start command needs one of them. The runtime is the slim image of the same tag and release, and
receives the whole app directory: package.json (npm start reads it), the production node_modules
and the build output. Global npm installs are repeated in the runtime.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"node"},
	Run: func(u *Unit) error {
		if u.Base.Family != "node" {
			return nil
		}
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: a development server needs the dev dependencies", needs.ToolchainWhat)
			return nil
		}
		var pm, appDir string
		var installLine int
		var globals []string
		var installStep *Step
		prodOnly := false
		var builds []string
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				tool, verb := c.Name(), ""
				if len(c.Args) > 1 {
					verb = c.Args[1]
				}
				switch {
				case tool == "npm" && (verb == "install" || verb == "i" || verb == "ci" || verb == "add"):
					if hasFlag(c.Args, "-g", "--global") {
						globals = append(globals, strings.Join(c.Args, " "))
						continue
					}
					if verb != "ci" && len(nonFlags(c.Args[2:])) > 0 {
						continue // npm install some-package: not the project install
					}
					if hasFlag(c.Args, "--production", "--omit=dev", "--only=production", "--only=prod") || c.Env["NODE_ENV"] == "production" || envIs(s.Env, "NODE_ENV", "production") {
						prodOnly = true
					}
				case tool == "yarn" && (verb == "" || verb == "install" || strings.HasPrefix(verb, "-")):
				case tool == "pnpm" && (verb == "install" || verb == "i"):
				case (tool == "npm" || tool == "yarn" || tool == "pnpm") && (verb == "run" || verb == "run-script") && len(c.Args) > 2:
					builds = append(builds, c.Args[2])
					continue
				case (tool == "yarn" || tool == "pnpm") && verb == "build":
					builds = append(builds, verb)
					continue
				default:
					continue
				}
				if pm == "" {
					pm, appDir, installLine, installStep = tool, c.Dir, s.In.StartLine, s
					if appDir == "" {
						appDir = s.Workdir
					}
				}
			}
		}
		if pm == "" {
			u.Skip(u.Stage.From.StartLine, "no npm, yarn or pnpm install: nothing is built; use a slim node image directly")
			return nil
		}
		if appDir == "" || appDir == "/" {
			u.Skip(installLine, "dependencies are installed at /: set a WORKDIR so the app directory can be copied alone")
			return nil
		}
		if wd := u.finalWorkdir(); wd != appDir && !strings.HasPrefix(wd, strings.TrimSuffix(appDir, "/")+"/") {
			u.Skip(installLine, "dependencies are installed in %s but the container runs in %s: cannot tell which files the app needs", appDir, normDir(wd))
			return nil
		}
		u.Fact(installLine, "%s installs the dependencies of the app in %s", pm, appDir)
		if len(builds) > 0 {
			u.Fact(0, "build scripts: %s%s", strings.Join(builds, ", "), u.nodeOutputNote())
		}

		rt, why := slimOf(u.Base)
		switch {
		case why == "":
			u.Fact(u.Stage.From.StartLine, "runtime %s: the slim variant of the builder's image, same Node.js and release", rt.Ref)
		case len(builds) > 0 && (strings.Contains(u.Base.Tag, "slim") || strings.Contains(u.Base.Tag, "alpine")):
			// The image is small already, but the build's dev dependencies
			// and caches are not: the split leaves them behind.
			rt = ParseImage(u.Base.Ref, u.Base.Expanded)
			u.Fact(u.Stage.From.StartLine, "runtime %s, the builder's own image: the split leaves the dev dependencies of the build (%s) behind", rt.Ref, strings.Join(builds, ", "))
		default:
			u.Skip(u.Stage.From.StartLine, "%s", why)
			return nil
		}
		plan := &Plan{Ecosystem: "node", Runtime: rt}
		u.Plan = plan

		if deps, copies, why := u.nodeDepsPlan(installStep, appDir, len(globals) > 0); why == "" {
			if deps.Name != "" {
				plan.Stages = append(plan.Stages, deps)
			}
			plan.Copies = append(plan.Copies, copies...)
			return nil
		} else {
			u.Fact(installLine, "copying the whole app directory: %s", why)
		}
		if prodOnly {
			u.Fact(installLine, "the install already leaves out dev dependencies: nothing to prune")
		} else if prune := u.nodePrune(pm, needs); prune != "" {
			cmd := prune
			if u.finalWorkdir() != appDir {
				cmd = "cd " + appDir + " && " + prune
			}
			plan.BuilderTail = append(plan.BuilderTail, Gen{
				In:   u.File.New("RUN", "RUN "+cmd),
				Why:  "drop the dev dependencies after the build: the runtime gets production node_modules only",
				Line: installLine,
			})
		}
		if len(plan.BuilderTail) == 0 && rt.Ref == u.Base.Ref {
			u.Plan = nil
			u.Skip(installLine, "%s is already small and the dev dependencies must stay: a split would leave nothing behind", u.Base.Expanded)
			return nil
		}
		plan.Copies = append(plan.Copies, Copy{Src: appDir, Dst: appDir,
			Why: "the app directory: package.json, production node_modules and the build output", Line: installLine})
		for _, g := range globals {
			plan.RuntimeRuns = append(plan.RuntimeRuns, Gen{
				In:  u.File.New("RUN", "RUN "+g),
				Why: "a global npm install lives outside the app directory: install it again in the runtime",
			})
		}
		return nil
	},
}

var (
	startDirRe  = regexp.MustCompile(`node\s+(\S+)/`)
	yarnBerryRe = regexp.MustCompile(`^yarn@[2-9]`)
)

// nodeOutputNote names the build output directory when the context shows it.
func (u *Unit) nodeOutputNote() string {
	if dir, how := u.nodeOutputDir(); dir != "" {
		return fmt.Sprintf("; output %s/ (%s)", dir, how)
	}
	return ""
}

// nodeOutputDir is the directory the build script writes, relative to the
// app directory, as the build context shows it; "" when unknown.
func (u *Unit) nodeOutputDir() (dir, how string) {
	c := u.Context
	if c == nil || c.Package == nil {
		return "", ""
	}
	build := c.Package.Scripts["build"]
	switch {
	case strings.Contains(build, "next build"):
		return ".next", "Next.js"
	case strings.Contains(build, "react-scripts build"):
		return "build", "Create React App"
	case strings.Contains(build, "vite build"), strings.Contains(build, "webpack"), strings.Contains(build, "rollup"), strings.Contains(build, "esbuild"), strings.Contains(build, "parcel build"):
		return "dist", "bundler convention"
	case strings.Contains(build, "tsc") && c.TSOutDir != "" && c.TSOutDir != ".":
		return c.TSOutDir, "tsconfig.json outDir"
	}
	if start := c.Package.Scripts["start"]; start != "" {
		if m := startDirRe.FindStringSubmatch(start); m != nil {
			return path.Clean(m[1]), "the start script runs a file there"
		}
	}
	return "", ""
}

// nodeDepsPlan plans the precise split: a stage "deps" repeats the
// builder's instructions up to the dependency install with
// NODE_ENV=production (npm, yarn and pnpm then leave out the dev
// dependencies), and the runtime receives its node_modules, the build
// context's files by repeating the original's COPY instructions, and the
// build output. A source change then rebuilds neither the dependencies nor
// their layer. It needs the build context to be sure of the output
// directory and that nothing else after the install writes files; why says
// what is missing.
func (u *Unit) nodeDepsPlan(install *Step, appDir string, globals bool) (st Stage, copies []Copy, why string) {
	if u.Context == nil || u.Context.Package == nil {
		return st, nil, "no package.json in the build context"
	}
	if globals {
		return st, nil, "a global npm install"
	}
	if tool := runsPackageTool(u.runtimeNeeds()); tool != "" && u.Context.Package.DevDependencies[tool] != "" {
		return st, nil, fmt.Sprintf("the container runs %s, a devDependency", tool)
	}
	for _, c := range install.Commands {
		switch c.Name() {
		case "npm", "yarn", "pnpm", "rm", "true", "echo":
			if len(c.Args) > 1 && (c.Args[1] == "run" || c.Args[1] == "run-script" || c.Args[1] == "build") {
				return st, nil, fmt.Sprintf("line %d also builds", install.In.StartLine)
			}
		default:
			return st, nil, fmt.Sprintf("line %d also runs %s", install.In.StartLine, c.Name())
		}
	}
	idx := -1
	for i, s := range u.Steps {
		if s == install {
			idx = i
		}
	}
	outDir, _ := u.nodeOutputDir()
	final := u.finalWorkdir()
	lex := shell.NewLex(u.File.Escape)
	var replays []Copy
	built, buildLine := false, 0
	for i, s := range u.Steps {
		if !s.FileChanging() {
			continue
		}
		switch c := s.In.Command.(type) {
		case *instructions.CopyCommand:
			if c.From != "" || c.Parents || len(c.SourceContents) > 0 {
				return st, nil, fmt.Sprintf("line %d is not a plain COPY from the build context", s.In.StartLine)
			}
			if !strings.HasPrefix(c.DestPath, "/") && s.Workdir != final {
				return st, nil, fmt.Sprintf("line %d copies relative to %s, not the final WORKDIR", s.In.StartLine, s.Workdir)
			}
			if _, _, err := lex.ProcessWord(c.DestPath, s.Env); err != nil {
				return st, nil, fmt.Sprintf("line %d: %v", s.In.StartLine, err)
			}
			replays = append(replays, Copy{Replay: s.In, Line: s.In.StartLine, Why: "files from the build context, as the original copies them"})
		case *instructions.RunCommand:
			if i < idx {
				continue // system packages and the like: repeated in deps, mapped by the packages pass
			}
			if i == idx {
				continue
			}
			for _, cmd := range s.Commands {
				if !isNodeBuild(cmd) {
					return st, nil, fmt.Sprintf("line %d runs %s after the install", s.In.StartLine, cmd.Name())
				}
			}
			built, buildLine = true, s.In.StartLine
		default:
			return st, nil, fmt.Sprintf("line %d is an ADD", s.In.StartLine)
		}
	}
	if built && outDir == "" {
		return st, nil, "the build output directory is unknown"
	}
	nm := path.Join(appDir, "node_modules")
	if len(u.Context.Package.DevDependencies) == 0 {
		// Nothing to leave out: the builder's node_modules are the
		// production ones, and their COPY is cached by content.
		copies = append(copies, Copy{Src: nm, Dst: nm, Line: install.In.StartLine,
			Why: "node_modules (package.json has no devDependencies), in a layer of its own"})
	} else {
		st = Stage{Name: "deps", Why: "the production dependencies alone, installed from the manifests: a source change does not rebuild them"}
		for i, s := range u.Steps[:idx+1] {
			if i == idx {
				st.Instructions = append(st.Instructions, u.File.New("ENV", "ENV NODE_ENV=production"))
			}
			st.Instructions = append(st.Instructions, cloneRaw(s.In))
		}
		copies = append(copies, Copy{From: "deps", Src: nm, Dst: nm, Line: install.In.StartLine,
			Why: "production node_modules from the deps stage"})
	}
	copies = append(copies, replays...)
	if built {
		out := path.Join(appDir, outDir)
		copies = append(copies, Copy{Src: out, Dst: out, Line: buildLine, Why: "the build output"})
	}
	return st, copies, ""
}

// isNodeBuild reports whether a command runs a package script or a node
// build tool, which writes only the build output.
func isNodeBuild(c Command) bool {
	switch c.Name() {
	case "npm", "yarn", "pnpm":
		return len(c.Args) > 1 && (c.Args[1] == "run" || c.Args[1] == "run-script" || c.Args[1] == "build")
	case "npx", "tsc":
		return true
	}
	return false
}

// nodePrune returns the command that removes dev dependencies, or "".
func (u *Unit) nodePrune(pm string, n Needs) string {
	if tool := runsPackageTool(n); tool != "" {
		c := u.Context
		switch {
		case c == nil || c.Package == nil:
			u.Warn(n.ExecLine, "the container runs %s from node_modules, which may be a devDependency, and package.json is not in the build context: dev dependencies are kept", tool)
			return ""
		case c.Package.DevDependencies[tool] != "":
			u.Warn(n.ExecLine, "the container runs %s, a devDependency: dev dependencies are kept", tool)
			return ""
		}
	}
	if c := u.Context; c != nil && c.Package != nil {
		if len(c.Package.DevDependencies) == 0 {
			u.Fact(0, "package.json has no devDependencies: nothing to prune")
			return ""
		}
		if start, ok := c.Package.Scripts["start"]; ok && u.startsWithNpm(n) {
			if f := strings.Fields(start); len(f) > 0 {
				if _, dev := c.Package.DevDependencies[f[0]]; dev {
					u.Warn(n.ExecLine, "npm start runs %s, a devDependency: dev dependencies are kept", f[0])
					return ""
				}
			}
		}
	}
	switch pm {
	case "pnpm":
		return "pnpm prune --prod"
	case "yarn":
		if c := u.Context; c != nil {
			if c.Package != nil && yarnBerryRe.MatchString(c.Package.PackageManager) {
				u.Warn(0, "Yarn Berry: dev dependencies are kept (yarn workspaces focus --production needs a plugin)")
				return ""
			}
		}
		return "yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline"
	}
	major, _ := versionParts(u.Base.Version)
	if major > 0 && major < 16 {
		return "npm prune --production"
	}
	return "npm prune --omit=dev"
}

// runsPackageTool is the npm package whose program the container runs
// (npx serve, node_modules/http-server/bin/http-server), or "".
func runsPackageTool(n Needs) string {
	if n.Exec == "npx" {
		if args := nonFlags(n.ExecArgs); len(args) > 0 {
			return args[0]
		}
	}
	for _, w := range append([]string{n.Exec}, n.ExecArgs...) {
		if _, rest, ok := strings.Cut(w, "node_modules/"); ok {
			if strings.HasPrefix(rest, ".bin/") {
				return strings.TrimPrefix(rest, ".bin/")
			}
			name, tail, _ := strings.Cut(rest, "/")
			if strings.HasPrefix(name, "@") {
				scope, _, _ := strings.Cut(tail, "/")
				name += "/" + scope
			}
			return name
		}
	}
	return ""
}

func (u *Unit) startsWithNpm(n Needs) bool {
	return (n.Exec == "npm" || n.Exec == "yarn" || n.Exec == "pnpm") && len(n.ExecArgs) > 0 && n.ExecArgs[0] == "start"
}

// nodeRuntime maps a node builder image to its slim sibling.
func hasFlag(args []string, flags ...string) bool {
	for _, a := range args {
		for _, f := range flags {
			if a == f {
				return true
			}
		}
	}
	return false
}

func nonFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

func envIs(e EnvView, k, want string) bool {
	v, ok := e.Get(k)
	return ok && v == want
}
