package transform

import (
	"fmt"
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
					pm, appDir, installLine = tool, c.Dir, s.In.StartLine
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

		rt, why := nodeRuntime(u.Base)
		if why != "" {
			u.Skip(u.Stage.From.StartLine, "%s", why)
			return nil
		}
		plan := &Plan{Ecosystem: "node", Runtime: rt}
		u.Plan = plan
		u.Fact(u.Stage.From.StartLine, "runtime %s: the slim variant of the builder's image, same Node.js and release", rt.Ref)

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
	c := u.Context
	if c == nil || c.Package == nil {
		return ""
	}
	build := c.Package.Scripts["build"]
	switch {
	case strings.Contains(build, "next build"):
		return "; output .next/ (Next.js)"
	case strings.Contains(build, "react-scripts build"):
		return "; output build/ (Create React App)"
	case strings.Contains(build, "vite build"), strings.Contains(build, "webpack"), strings.Contains(build, "rollup"), strings.Contains(build, "esbuild"), strings.Contains(build, "parcel build"):
		return "; output dist/ (bundler convention)"
	case strings.Contains(build, "tsc") && c.TSOutDir != "" && c.TSOutDir != ".":
		return fmt.Sprintf("; output %s/ (tsconfig.json outDir)", c.TSOutDir)
	}
	if start := c.Package.Scripts["start"]; start != "" {
		if m := startDirRe.FindStringSubmatch(start); m != nil {
			return fmt.Sprintf("; output %s/ (the start script runs a file there)", path.Clean(m[1]))
		}
	}
	return ""
}

// nodePrune returns the command that removes dev dependencies, or "".
func (u *Unit) nodePrune(pm string, n Needs) string {
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

func (u *Unit) startsWithNpm(n Needs) bool {
	return (n.Exec == "npm" || n.Exec == "yarn" || n.Exec == "pnpm") && len(n.ExecArgs) > 0 && n.ExecArgs[0] == "start"
}

// nodeRuntime maps a node builder image to its slim sibling.
func nodeRuntime(b Image) (Image, string) {
	tag := b.Tag
	rawTag := ""
	if i := strings.LastIndex(b.Ref, ":"); i > strings.LastIndex(b.Ref, "/") {
		rawTag = b.Ref[i+1:]
	}
	name := b.Ref
	if rawTag != "" {
		name = b.Ref[:len(b.Ref)-len(rawTag)-1]
	}
	name, _, _ = strings.Cut(name, "@")
	rawTag, _, _ = strings.Cut(rawTag, "@")
	switch {
	case strings.Contains(tag, "slim"):
		return Image{}, fmt.Sprintf("%s is already a slim image: a split would save little", b.Expanded)
	case strings.Contains(tag, "alpine"):
		return Image{}, fmt.Sprintf("%s is already an alpine image: a split would save little", b.Expanded)
	}
	var newTag string
	switch {
	case tag == "" || tag == "latest":
		newTag = "slim"
	case b.Variant == "" || b.Version == "":
		newTag = rawTag + "-slim"
	default:
		// 20-bookworm -> 20-bookworm-slim
		newTag = rawTag + "-slim"
	}
	if strings.Contains(rawTag, "$") && b.Variant != "" {
		return Image{}, fmt.Sprintf("the tag %q holds a variable and a variant: cannot derive its slim image", rawTag)
	}
	ref := name + ":" + newTag
	expanded := strings.Replace(ref, rawTag, tag, 1)
	if rawTag == "" {
		expanded = ref
	}
	return ParseImage(ref, expanded), ""
}

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
