package transform

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/stagesplit/stagesplit/parser"
)

var passNode = &Pass{
	Name: "node",
	Doc: `Plans the split of a Node.js image (npm, yarn or pnpm).
The app directory is where the dependencies are installed, or where a cp -r or mv after the install
puts their node_modules (npm install in /tmp, then cp -a /tmp/node_modules /opt/app/; the whole app
directory is copied then, as below; a symlink is a skip). With package.json in the build context, a
stage "deps" repeats the instructions up to the install with NODE_ENV=production (without the flags
and NODE_ENV assignments that keep dev dependencies: --production=false, --include=dev;
npm_config_production and the like in the environment make this plan unusable; a RUN of global
installs the install cannot use is not repeated there), and the runtime gets its node_modules, the
original's COPYs from the build context (without a file a later RUN removes, such as .npmrc; a
directory copy that brings one is not repeated) and the build outputs, read from the scripts the
RUNs after the install start: tsc's outDir (of the tsconfig -p names, following extends), the
defaults or flags of vite, webpack (or its config's output.path), Next.js, Create React App, Nest,
parcel, tsup, esbuild, rollup, babel and Angular; a config that moves them makes them unknown. That
plan is not used when a step after the install runs something whose outputs are unknown or that
writes node_modules (prisma generate, npm rebuild, a node script), changes modes or owners in the
app directory, when the container (directly, through the package.json script it starts or a shell
script of the build context it runs: npx prisma migrate deploy) or an install lifecycle script runs
a devDependency, or when the file node runs is neither in the context nor in an output. Then the
builder keeps the full image and, after the last build step, drops the dev dependencies (npm prune
--omit=dev, pnpm prune --prod, yarn v1 install --production) unless the container needs one of them
or the original prunes them itself, and the runtime receives the whole app directory. Yarn 2 and
later (yarnPath in .yarnrc.yml, packageManager yarn@2+, a .yarnrc.yml, .yarn/releases, a yarn.lock
with __metadata, install --immutable) install the dev dependencies whatever NODE_ENV says: the deps
stage and the prune use yarn workspaces focus --all --production, built into Yarn 4 and in Yarn 2
and 3 only with the workspace-tools plugin .yarnrc.yml imports; without it the app directory is
copied with its dev dependencies. Plug'n'Play (no nodeLinker: node-modules) has no node_modules: the
app directory is copied whole when the packages are in its .yarn/cache (Yarn 2 and 3 by default,
enableGlobalCache: false), and the file is skipped otherwise or without the build context. The runtime is
the slim image of the same tag and release; with Prisma (@prisma/client or prisma in package.json,
else the Dockerfile's words, with a warning) it gets openssl, which Prisma's engines need and the
slim image lacks. An image that is already slim or alpine is its own runtime when the split leaves
something behind (the dev dependencies of a build step, or build packages the Dockerfile added:
compilers and -dev headers for native addons), and is skipped otherwise. A global install (npm
install -g, yarn global add) is repeated in the runtime only for packages whose programs the
container runs (its command, the package.json script it starts, an entrypoint script from the build
context; pnpm start runs pnpm itself); build tools stay in the builder. When the container runs a
package manager through corepack (pnpm, yarn after corepack enable, or the corepack package installed
globally), the enable is repeated in the runtime, which lacks its shims in /usr/local/bin, and the
caches the build's RUNs made corepack download the package manager into ($COREPACK_HOME, else
~/.cache/node/corepack of the user) are copied, so it starts without the network; an image whose
corepack may predate 0.13 (~/.node/corepack: Node.js 16 and older, early 18) is skipped then.
Browsers downloaded outside the app directory are copied
too: puppeteer 19 and later (a dependency in package.json or the npm lock) puts Chrome into
~/.cache/puppeteer of the installing user (root, node, or a user the Dockerfile makes, whose home
useradd or adduser gives) or $PUPPETEER_CACHE_DIR at install time, playwright
install into ~/.cache/ms-playwright or $PLAYWRIGHT_BROWSERS_PATH; a puppeteer config file (it may
move the cache), an unknown home directory or playwright's --with-deps (system libraries) is a skip.
A file is skipped when a node script is given an absolute path outside the app directory: what it
writes there cannot be carried. An app installed in / (no WORKDIR) cannot be copied whole: the runtime
repeats the original's COPYs from the build context and takes node_modules (and the build outputs)
from the deps stage or the builder, only when nothing but the package manager writes into / after the
first COPY and package.json has no install scripts (without the build context, with a warning); a
file a later chmod makes executable comes from the builder after the repeated COPY, and a mkdir is
carried as a made directory.
Without package.json, an npm script the container runs keeps the dev dependencies. When the
container runs only a static file server installed globally (serve, http-server) on a build output,
the runtime gets that output alone: no node_modules, no sources (serve reads serve.json from the
directory it serves).`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"node"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: a development server needs the dev dependencies", needs.ToolchainWhat)
			return nil
		}
		var pm, appDir string
		var named *nodeNamedInstall
		var installLine int
		var globals []nodeGlobal
		var installStep *Step
		var installCmd Command
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
					if hasFlag(c.Args, "-g", "--global", "--location=global") {
						globals = append(globals, nodeGlobal{Cmd: c, Line: s.In.StartLine, Words: 2})
						continue
					}
					if verb != "ci" && len(nonFlags(c.Args[2:])) > 0 {
						// npm install some-package: not the project install,
						// unless there is none (npm init -y && npm install
						// express): then it makes the app's node_modules.
						if named == nil {
							named = &nodeNamedInstall{s, c}
						}
						continue
					}
					keepsDev := nodeDevFlagRe.MatchString(" " + strings.Join(c.Args, " ") + " ")
					if !keepsDev && (hasFlag(c.Args, "--production", "--omit=dev", "--only=production", "--only=prod") || c.Env["NODE_ENV"] == "production" || envIs(s.Env, "NODE_ENV", "production")) {
						prodOnly = true
					}
				case tool == "yarn" && verb == "global" && len(c.Args) > 2 && c.Args[2] == "add":
					// yarn v1 installs into its global prefix (/usr/local on
					// the node images), outside the app directory.
					globals = append(globals, nodeGlobal{Cmd: c, Line: s.In.StartLine, Words: 3})
					continue
				case tool == "yarn" && (verb == "" || verb == "install" || strings.HasPrefix(verb, "-")):
				case tool == "pnpm" && (verb == "install" || verb == "i"):
				case (tool == "npm" || tool == "yarn" || tool == "pnpm") && (verb == "run" || verb == "run-script") && len(c.Args) > 2:
					builds = append(builds, c.Args[2])
					continue
				case (tool == "yarn" || tool == "pnpm") && verb == "build":
					builds = append(builds, verb)
					continue
				case tool == "npx" && pm != "" && len(nonFlags(c.Args[1:])) > 0:
					// npx ng build, npx tsc: a build with the project's
					// own (dev) dependencies.
					builds = append(builds, "npx "+nonFlags(c.Args[1:])[0])
					continue
				default:
					continue
				}
				if pm == "" {
					pm, appDir, installLine, installStep, installCmd = tool, c.Dir, s.In.StartLine, s, c
					if appDir == "" {
						appDir = s.Workdir
					}
				}
			}
		}
		if pm == "" && named != nil {
			s, c := named.step, named.cmd
			pm, appDir, installLine, installStep, installCmd = "npm", c.Dir, s.In.StartLine, s, c
			if appDir == "" {
				appDir = s.Workdir
			}
			u.Fact(installLine, "%s installs the packages it names, and no install of a package.json runs: its node_modules are the app's", strings.Join(c.Args, " "))
		}
		if pm == "" {
			u.Skip(u.Stage.From.StartLine, "no npm, yarn or pnpm install: nothing is built; use a slim node image directly")
			return nil
		}
		if appDir == "" {
			appDir = "/"
		}
		movedAt := 0 // the line that copies node_modules into the app directory
		if wd := normDir(u.finalWorkdir()); wd != appDir && !strings.HasPrefix(wd, strings.TrimSuffix(appDir, "/")+"/") {
			line, to := u.nodeModulesMoved(installLine, appDir)
			if to == "" || wd != to && !strings.HasPrefix(wd, strings.TrimSuffix(to, "/")+"/") {
				u.Skip(installLine, "dependencies are installed in %s but the container runs in %s: cannot tell which files the app needs", appDir, normDir(wd))
				return nil
			}
			u.Fact(line, "line %d puts the node_modules installed in %s into %s, the app directory", line, appDir, to)
			appDir, movedAt = to, line
		}
		if line, why := u.nodeWritesOutside(appDir); why != "" {
			u.Skip(line, "%s", why)
			return nil
		}
		u.Fact(installLine, "%s installs the dependencies of the app in %s", pm, appDir)
		browser, why := u.nodePuppeteerCache(installStep, installCmd)
		if why != "" {
			u.Skip(installLine, "%s", why)
			return nil
		}
		pwBrowsers, line, why := u.nodePlaywrightCache()
		if why != "" {
			u.Skip(line, "%s", why)
			return nil
		}
		var yarn nodeYarn
		if pm == "yarn" {
			yarn = u.nodeYarnInfo(installCmd)
			switch {
			case yarn.Berry && u.Context == nil:
				u.Skip(installLine, "%s, and no build context: whether it writes node_modules or Plug'n'Play's .pnp.cjs, whose packages may be in a cache outside the app directory, cannot be told", yarn.What)
				return nil
			case yarn.Berry && yarn.PnP && !yarn.LocalCache:
				u.Skip(installLine, "%s installs with Plug'n'Play (.yarnrc.yml sets no nodeLinker: node-modules): .pnp.cjs points into a package cache that is not known to be the project's .yarn/cache, so what the runtime needs outside the app directory is not known", yarn.What)
				return nil
			case yarn.Berry:
				u.Fact(installLine, "%s: it installs the dev dependencies whatever NODE_ENV says", yarn.What)
			}
		}
		corepackRuns, corepackCopies, line, why := u.nodeCorepack(globals)
		if why != "" {
			if line == 0 {
				line = installLine
			}
			u.Skip(line, "%s", why)
			return nil
		}
		outs, outWhy := u.nodeBuildOutputs(installStep, appDir)
		if len(builds) > 0 {
			u.Fact(0, "build scripts: %s%s", strings.Join(builds, ", "), nodeOutputNote(outs, outWhy))
		}

		rt, why := slimOf(u.Base)
		small := strings.Contains(u.Base.Tag, "slim") || strings.Contains(u.Base.Tag, "alpine")
		var buildPkgs []string
		if why != "" && small {
			buildPkgs, _ = u.buildPackages()
		}
		// A prune of the original's own leaves no dev dependencies for a
		// split onto the same image to drop.
		prunedAt := u.nodeOriginalPrune(installStep)
		switch {
		case why == "":
			u.Fact(u.Stage.From.StartLine, "runtime %s: the slim variant of the builder's image, same Node.js and release", rt.Ref)
		case small && (len(builds) > 0 && prunedAt == 0 || len(buildPkgs) > 0):
			// The image is small already, but the build's dev dependencies
			// and caches, and the compilers native addons needed, are not:
			// the split leaves them behind.
			rt = ParseImage(u.Base.Ref, u.Base.Expanded)
			var left []string
			if len(builds) > 0 {
				left = append(left, fmt.Sprintf("the dev dependencies of the build (%s)", strings.Join(builds, ", ")))
			}
			if len(buildPkgs) > 0 {
				left = append(left, fmt.Sprintf("the build packages (%s)", strings.Join(buildPkgs, ", ")))
			}
			u.Fact(u.Stage.From.StartLine, "runtime %s, the builder's own image: the split leaves %s behind", rt.Ref, strings.Join(left, " and "))
		case small && len(builds) > 0:
			u.Skip(prunedAt, "%s is already small and line %d drops the dev dependencies itself: a split would leave nothing behind", u.Base.Expanded, prunedAt)
			return nil
		default:
			u.Skip(u.Stage.From.StartLine, "%s", why)
			return nil
		}
		plan := &Plan{Ecosystem: "node", Runtime: rt}
		u.Plan = plan
		u.nodeNativePackages(installLine)

		plan.RuntimeRuns = append(plan.RuntimeRuns, u.nodeGlobalRuns(globals)...)
		plan.RuntimeRuns = append(plan.RuntimeRuns, corepackRuns...)
		deps, copies, why := u.nodeDepsPlan(installStep, appDir, outs, outWhy, yarn)
		if movedAt != 0 {
			why = fmt.Sprintf("line %d copies node_modules into the app directory after the install: a deps stage repeating the steps up to the install would not", movedAt)
		}
		if why == "" {
			if deps.Name != "" {
				plan.Stages = append(plan.Stages, deps)
			}
			plan.Copies = append(plan.Copies, copies...)
			if browser != nil && !inDir(browser.Src, path.Join(appDir, "node_modules")) {
				plan.Copies = append(plan.Copies, *browser)
			}
			if pwBrowsers != nil {
				plan.Copies = append(plan.Copies, *pwBrowsers)
			}
			for _, c := range corepackCopies {
				if !inDir(c.Src, path.Join(appDir, "node_modules")) {
					plan.Copies = append(plan.Copies, c)
				}
			}
			return nil
		}
		var rootCopies []Copy
		if appDir == "/" {
			// / cannot be copied whole: the runtime takes node_modules and
			// the build outputs from the builder and the rest from the
			// build context, as the original's COPYs bring it.
			var rootWhy string
			rootCopies, rootWhy = u.nodeRootCopies(installStep, outs, outWhy)
			if rootWhy != "" {
				u.Skip(installLine, "dependencies are installed at /, which cannot be copied apart from the image, and %s: set a WORKDIR so the app directory can be copied alone", rootWhy)
				return nil
			}
			u.Fact(installLine, "the app is in /: the runtime gets node_modules from the builder and the app from the build context (%s)", why)
		} else {
			u.Fact(installLine, "copying the whole app directory: %s", why)
		}
		appWhy := "the app directory: package.json, production node_modules and the build output"
		if prodOnly {
			u.Fact(installLine, "the install already leaves out dev dependencies: nothing to prune")
		} else if prunedAt != 0 {
			u.Fact(prunedAt, "line %d already drops the dev dependencies: nothing more to prune", prunedAt)
		} else if prune := u.nodePrune(pm, needs, installCmd, yarn); prune == "" {
			if c := u.Context; c == nil || c.Package == nil || len(c.Package.DevDependencies) > 0 {
				appWhy = "the app directory: package.json, the dependencies (dev dependencies included) and the build output"
			}
		} else {
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
		if len(plan.BuilderTail) == 0 && rt.Ref == u.Base.Ref && len(buildPkgs) == 0 {
			u.Plan = nil
			u.Skip(installLine, "%s is already small and the dev dependencies must stay: a split would leave nothing behind", u.Base.Expanded)
			return nil
		}
		if appDir == "/" {
			plan.Copies = append(plan.Copies, rootCopies...)
		} else {
			plan.Copies = append(plan.Copies, Copy{Src: appDir, Dst: appDir, Why: appWhy, Line: installLine})
		}
		for _, b := range []*Copy{browser, pwBrowsers} {
			if b != nil && !inDir(b.Src, appDir) {
				plan.Copies = append(plan.Copies, *b)
			}
		}
		for _, c := range corepackCopies {
			if !inDir(c.Src, appDir) {
				plan.Copies = append(plan.Copies, c)
			}
		}
		return nil
	},
}

// nodeLifecycleScripts are the package.json scripts npm runs around an
// install, in their order.
var nodeLifecycleScripts = []string{"preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"}

// nodeNamedInstall is an npm install of named packages (npm install
// express pg).
type nodeNamedInstall struct {
	step *Step
	cmd  Command
}

// nodeRootCopies is what the runtime receives of an app installed in /:
// node_modules (the builder's, after any prune) and the build outputs
// from the builder, and the files of the build context by the original's
// own COPYs. That holds only when nothing but the package manager writes
// into / after those COPYs: no install script of package.json (without
// the build context they cannot be read, and a warning says so), and no
// other RUN.
func (u *Unit) nodeRootCopies(install *Step, outs []nodeOut, outWhy string) ([]Copy, string) {
	if u.Context != nil && u.Context.Package != nil {
		pj := u.Context.Package
		for _, life := range nodeLifecycleScripts {
			if _, ok := pj.Scripts[life]; ok {
				return nil, fmt.Sprintf("package.json's %s script may write files into / that the runtime would not get", life)
			}
		}
	} else {
		u.Warn(install.In.StartLine, "the app is in /, and without package.json in the build context its install scripts cannot be read: a file a postinstall script writes outside node_modules would be missing in the runtime")
	}
	pm := map[string]bool{"npm": true, "yarn": true, "pnpm": true, "npx": true, "corepack": true}
	installs := func(c Command) bool {
		verb := ""
		if len(c.Args) > 1 {
			verb = c.Args[1]
		}
		switch c.Name() {
		case "npm", "pnpm":
			return verb == "install" || verb == "i" || verb == "ci" || verb == "add" || verb == "prune" || verb == "init"
		case "yarn":
			return verb == "" || verb == "install" || strings.HasPrefix(verb, "-")
		}
		return c.Name() == "corepack"
	}
	line, what, modes := u.rootAppWriter(-1, func(s *Step, c Command) bool {
		switch {
		case s == install:
			// npm ci && npx tailwindcss -o public/out.css: the outputs of a
			// build in the install's own RUN are not followed.
			return installs(c)
		case s.In.StartLine < install.In.StartLine:
			return pm[c.Name()] // global tools
		}
		return pm[c.Name()] && outWhy == ""
	})
	if line != 0 {
		if outWhy != "" && line > install.In.StartLine {
			return nil, outWhy
		}
		return nil, what
	}
	nm := "/node_modules"
	copies := []Copy{{Src: nm, Dst: nm, Line: install.In.StartLine, Why: "node_modules, as the install (and any prune) left it"}}
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() == "npm" && len(c.Args) > 1 && c.Args[1] == "init" && normDir(c.Dir) == "/" {
				// npm init wrote package.json, and the install after it
				// package-lock.json: the app's manifests.
				for _, f := range []string{"/package.json", "/package-lock.json"} {
					copies = append(copies, Copy{Src: f, Dst: f, Line: s.In.StartLine,
						Why: fmt.Sprintf("line %d writes it with npm init, and the install records the packages there", s.In.StartLine)})
				}
			}
		}
	}
	lex := shell.NewLex(u.File.Escape)
	for i, s := range u.Steps {
		c, ok := s.In.Command.(*instructions.CopyCommand)
		if !ok || c.From != "" {
			continue
		}
		in, why := s.In, "files from the build context, as the original copies them"
		if u.Context != nil {
			var note, w string
			in, why, note, w = u.nodeReplayCopy(i, s, c, lex)
			if w != "" {
				return nil, w
			}
			if note != "" {
				u.Fact(s.In.StartLine, "%s", note)
			}
		}
		if in != nil {
			copies = append(copies, Copy{Replay: in, Line: s.In.StartLine, Why: why})
		}
	}
	for _, o := range outs {
		out := path.Join("/", o.Dir)
		copies = append(copies, Copy{Src: out, Dst: out, Line: o.Line, Why: "the build output"})
	}
	return append(copies, modes...), ""
}

// nodeModulesMoved finds the cp or mv after the install that puts
// from/node_modules into another directory (the 2015 layer-caching idiom:
// npm install in /tmp, then cp -a /tmp/node_modules /opt/app/), and
// returns its line and that directory. A symlink is not followed: the
// runtime would need the install directory too.
func (u *Unit) nodeModulesMoved(installLine int, from string) (int, string) {
	src := path.Join(from, "node_modules")
	mkdirs := map[string]bool{}
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			switch c.Name() {
			case "mkdir":
				for _, a := range nonFlags(c.Args[1:]) {
					mkdirs[Resolve(c.Dir, a)] = true
				}
				continue
			case "cp", "mv":
			default:
				continue
			}
			if s.In.StartLine < installLine {
				continue
			}
			srcs, dst, into, ok := moveOperands(c.Name(), c.Args[1:])
			if !ok || len(srcs) != 1 || strings.ContainsAny(srcs[0]+dst+into, "$*?[") || Resolve(c.Dir, strings.TrimSuffix(srcs[0], "/")) != src {
				continue
			}
			if c.Name() == "cp" && !hasOption(c.Args[1:], "arR", "--recursive", "--archive") {
				continue
			}
			switch d := Resolve(c.Dir, dst); {
			case into != "":
				return s.In.StartLine, Resolve(c.Dir, into)
			case path.Base(d) == "node_modules":
				return s.In.StartLine, path.Dir(d)
			case strings.HasSuffix(dst, "/") || mkdirs[d] || u.dirExists(s, d): // mkdirs: this RUN's own
				return s.In.StartLine, d
			}
		}
	}
	return 0, ""
}

// hasOption reports whether args hold one of the short options (letters,
// alone or in a cluster such as -sf) or one of the long ones.
func hasOption(args []string, letters string, longs ...string) bool {
	for _, a := range args {
		switch {
		case slices.Contains(longs, a):
			return true
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsAny(a[1:], letters):
			return true
		}
	}
	return false
}

// nodeNativePackages adds the system packages that npm packages load at
// run time and that the full node image had but its slim sibling lacks:
// Prisma's query and schema engines link the system's libssl, and pick
// their build by asking openssl for its version. On an already slim or
// alpine builder the runtime is the same image, which lacks nothing.
func (u *Unit) nodeNativePackages(line int) {
	p := u.Plan
	if p.Runtime.Ref == u.Base.Ref || p.Runtime.Libc == "musl" || !strings.Contains(p.Runtime.Tag, "slim") {
		return
	}
	evidence := ""
	if c := u.Context; c != nil && c.Package != nil {
		for _, k := range []string{"@prisma/client", "prisma"} {
			if c.Package.Dependencies[k] != "" || c.Package.DevDependencies[k] != "" {
				evidence = "package.json depends on " + k
				break
			}
		}
	} else if why, ok := dockerfileMentions(u.File.Source, map[string]string{"prisma": "prisma"})["prisma"]; ok {
		evidence = why
		u.Warn(line, "no package.json in the build context: Prisma is assumed from the Dockerfile's words, and openssl installed for its engines")
	}
	if evidence == "" {
		return
	}
	p.Packages = append(p.Packages, Package{Name: "openssl", Line: line,
		Why: fmt.Sprintf("Prisma's engines load libssl and ask openssl for its version, which %s lacks (%s)", p.Runtime.Ref, evidence)})
}

// nodeGlobal is a global install (npm install -g, yarn global add).
type nodeGlobal struct {
	Cmd  Command
	Line int
	// Words is the number of words before the packages and flags (npm
	// install, yarn global add).
	Words int
}

// nodeOut is a directory a build step writes, relative to the app
// directory.
type nodeOut struct {
	Dir  string
	How  string
	Line int
}

// nodeOutputNote names the build output directories when they are known.
func nodeOutputNote(outs []nodeOut, why string) string {
	if why != "" || len(outs) == 0 {
		return ""
	}
	var parts []string
	for _, o := range outs {
		parts = append(parts, fmt.Sprintf("%s/ (%s)", o.Dir, o.How))
	}
	return "; output " + strings.Join(parts, ", ")
}

// nodeBinPackage maps the programs of common npm packages to the package
// that provides them, where the names differ.
var nodeBinPackage = map[string]string{
	"tsc": "typescript", "tsserver": "typescript", "nest": "@nestjs/cli", "ng": "@angular/cli",
	"vue-cli-service": "@vue/cli-service", "babel": "@babel/cli", "swc": "@swc/cli",
	"sequelize": "sequelize-cli", "pm2-runtime": "pm2", "pm2-docker": "pm2", "pm2-dev": "pm2",
	"run-s": "npm-run-all", "run-p": "npm-run-all", "hs": "http-server", "svelte-kit": "@sveltejs/kit",
	"remix": "@remix-run/dev", "nuxi": "nuxt", "yarnpkg": "yarn", "pnpx": "pnpm", "conc": "concurrently",
	"cpx": "cpx", "ts-node-dev": "ts-node-dev", "tsnd": "ts-node-dev",
}

// nodeScriptBuiltins are yarn and pnpm subcommands, not package scripts.
var nodeScriptBuiltins = map[string]bool{
	"install": true, "i": true, "add": true, "remove": true, "rm": true, "upgrade": true, "up": true, "update": true,
	"global": true, "exec": true, "dlx": true, "info": true, "init": true, "link": true, "unlink": true,
	"cache": true, "config": true, "why": true, "audit": true, "outdated": true, "prune": true,
	"rebuild": true, "list": true, "ls": true, "pack": true, "publish": true, "import": true,
	"fetch": true, "store": true, "ci": true, "dedupe": true, "patch": true, "workspace": true,
	"workspaces": true, "bin": true, "version": true, "login": true, "logout": true, "create": true,
	"node": true, "set": true, "plugin": true, "npm": true, "env": true, "setup": true, "deploy": true,
}

// nodeScriptRef is the package.json script a command runs (npm start, npm
// run build, yarn build, pnpm run build).
func nodeScriptRef(c Command) (string, bool) {
	args := nonFlags(c.Args[1:])
	if len(args) == 0 {
		return "", false
	}
	switch c.Name() {
	case "npm":
		switch args[0] {
		case "start", "test", "stop", "restart", "t", "tst":
			return args[0], true
		case "run", "run-script", "rum", "urn":
			if len(args) > 1 {
				return args[1], true
			}
		}
	case "yarn", "pnpm":
		if args[0] == "run" || args[0] == "run-script" {
			if len(args) > 1 {
				return args[1], true
			}
			return "", false
		}
		if !nodeScriptBuiltins[args[0]] {
			return args[0], true
		}
	}
	return "", false
}

// nodeExecTool is the program npx, npm exec, pnpm exec/dlx or yarn
// exec/dlx runs, with its arguments.
func nodeExecTool(c Command) ([]string, bool) {
	var rest []string
	switch c.Name() {
	case "npx", "pnpx":
		rest = c.Args[1:]
	case "npm", "pnpm", "yarn":
		if len(c.Args) > 2 && (c.Args[1] == "exec" || c.Args[1] == "dlx" || c.Args[1] == "x") {
			rest = c.Args[2:]
		} else {
			return nil, false
		}
	default:
		return nil, false
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			return rest[i+1:], len(rest) > i+1
		case a == "-p" || a == "--package" || a == "-c" || a == "--call":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return rest[i:], true
		}
	}
	return nil, false
}

// nodeCommands expands commands through the package.json scripts they
// run (with their pre and post scripts), npx and the like, and cross-env,
// so that each command is a program and its arguments. missing names a
// script that package.json lacks.
func (u *Unit) nodeCommands(cmds []Command, depth int) (out []Command, missing string) {
	return u.nodeCommandsRunners(cmds, depth, nil)
}

// nodeCommandsRunners is nodeCommands that also calls runner with each
// command that starts a package.json script (pnpm start): the package
// manager itself runs then, though the expansion drops it.
func (u *Unit) nodeCommandsRunners(cmds []Command, depth int, runner func(Command)) (out []Command, missing string) {
	var scripts map[string]string
	if u.Context != nil && u.Context.Package != nil {
		scripts = u.Context.Package.Scripts
	}
	for _, c := range cmds {
		for len(c.Args) > 0 && (c.Name() == "cross-env" || c.Name() == "cross-env-shell") {
			// cross-env itself is a package (often a devDependency).
			out = append(out, Command{Args: c.Args[:1], Env: c.Env, Dir: c.Dir})
			args := c.Args[1:]
			for len(args) > 0 && strings.Contains(args[0], "=") && !strings.HasPrefix(args[0], "-") {
				args = args[1:]
			}
			c.Args = args
		}
		if len(c.Args) == 0 {
			continue
		}
		if args, ok := nodeExecTool(c); ok {
			out = append(out, c) // npx itself: a package tool the container may need
			c.Args = args
			out = append(out, c)
			continue
		}
		name, ok := nodeScriptRef(c)
		if !ok || depth > 4 {
			out = append(out, c)
			continue
		}
		if runner != nil {
			runner(c)
		}
		if scripts == nil && (u.Context == nil || u.Context.Package == nil) {
			if missing == "" {
				missing = name
			}
			continue
		}
		if name == "start" && scripts["start"] == "" && c.Name() == "npm" {
			// npm's default start script.
			c.Args = []string{"node", "server.js"}
			out = append(out, c)
			continue
		}
		if _, ok := scripts[name]; !ok {
			if missing == "" {
				missing = name
			}
			continue
		}
		for _, n := range []string{"pre" + name, name, "post" + name} {
			script, ok := scripts[n]
			if !ok {
				continue
			}
			sub, err := ParseScript(script, c.Dir)
			if err != nil {
				if missing == "" {
					missing = n
				}
				continue
			}
			more, m := u.nodeCommandsRunners(sub, depth+1, runner)
			if missing == "" {
				missing = m
			}
			out = append(out, more...)
		}
	}
	return out, missing
}

// nodeDevDep is the devDependency whose program c runs, or "".
func (u *Unit) nodeDevDep(c Command) string {
	if u.Context == nil || u.Context.Package == nil {
		return ""
	}
	p := u.Context.Package
	name := c.Args[0]
	if _, rest, ok := strings.Cut(name, "node_modules/.bin/"); ok {
		name = rest
	} else if strings.Contains(name, "/") {
		return ""
	}
	pkg := name
	if m, ok := nodeBinPackage[name]; ok {
		pkg = m
	}
	for _, k := range []string{pkg, name} {
		if p.DevDependencies[k] != "" && p.Dependencies[k] == "" {
			return k
		}
	}
	return ""
}

// nodeRunDevDep is a devDependency the container runs, directly, through
// the package.json script it starts or a shell script of the build context
// (npx prisma migrate deploy before the server starts), and how it is
// reached.
func (u *Unit) nodeRunDevDep() (pkg, via string) {
	u.nodeContainerWalk(func(c Command, v string) {
		if pkg == "" {
			if d := u.nodeDevDep(c); d != "" {
				pkg, via = d, v
			}
		}
	}, nil)
	return pkg, via
}

// nodeFrameworksOwnVite are packages that run vite build with an output
// directory of their own.
var nodeFrameworksOwnVite = []string{"@sveltejs/kit", "@remix-run/dev", "@react-router/dev", "nuxt", "astro", "@analogjs/platform", "@solidjs/start", "@tanstack/start", "vike", "laravel-vite-plugin"}

var (
	webpackOutRe  = regexp.MustCompile(`(?s)output\s*:\s*\{[^}]*?path\s*:\s*path\.(?:resolve|join)\(\s*__dirname\s*,\s*['"]([^'"]+)['"]\s*\)`)
	ngOutputRe    = regexp.MustCompile(`"outputPath"\s*:\s*(?:"([^"]*)"|\{\s*"base"\s*:\s*"([^"]*)")`)
	nodeNoOutputs = map[string]bool{
		"rm": true, "rimraf": true, "del": true, "del-cli": true, "echo": true, "true": true, "eslint": true,
		"prettier": true, "jest": true, "vitest": true, "mocha": true, "tsc-alias": true, "test": true,
		"[": true, "exit": true, "cd": true, "set": true, "export": true, "stylelint": true, "lint-staged": true,
		"cross-env": true, "cross-env-shell": true,
	}
)

// nodeToolOutputs lists the directories (relative to the app directory)
// a build command writes. why is set when they cannot be known, or when
// the command may write into node_modules.
func (u *Unit) nodeToolOutputs(c Command, appDir string) (outs []nodeOut, why string) {
	rel := func(p string) (string, bool) {
		abs := Resolve(c.Dir, p)
		r := strings.TrimPrefix(abs, strings.TrimSuffix(appDir, "/")+"/")
		if r == abs || r == "" || r == "node_modules" || strings.HasPrefix(r, "node_modules/") || strings.Contains(p, "$") {
			return "", false
		}
		return r, true
	}
	flag := func(names ...string) string {
		for i, a := range c.Args {
			for _, n := range names {
				if a == n && i+1 < len(c.Args) {
					return c.Args[i+1]
				}
				if v, ok := strings.CutPrefix(a, n+"="); ok {
					return v
				}
			}
		}
		return ""
	}
	one := func(dir, how string) ([]nodeOut, string) {
		r, ok := rel(dir)
		if !ok {
			return nil, fmt.Sprintf("%s writes %s, outside the app directory or into node_modules", strings.Join(c.Args, " "), dir)
		}
		return []nodeOut{{Dir: r, How: how}}, ""
	}
	text := strings.Join(c.Args, " ")
	args := nonFlags(c.Args[1:])
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	name := c.Name()
	if d := nodeBinPackage[name]; d == "" && strings.Contains(c.Args[0], "node_modules/.bin/") {
		name = path.Base(c.Args[0])
	}
	switch name {
	case "tsc":
		if hasFlag(c.Args, "--noEmit") {
			return nil, ""
		}
		if d := flag("--outDir"); d != "" {
			return one(d, "tsc --outDir")
		}
		cfg := flag("-p", "--project")
		if cfg == "" && (hasFlag(c.Args, "-b") || hasFlag(c.Args, "--build")) && len(args) > 0 {
			cfg = args[0]
		}
		if cfg == "" {
			cfg = "tsconfig.json"
		}
		return u.tsconfigOut(c, appDir, cfg, "tsc")
	case "nest":
		if sub != "build" {
			return nil, fmt.Sprintf("%s: not a build", text)
		}
		if cfg := flag("-p", "--path"); cfg != "" {
			return u.tsconfigOut(c, appDir, cfg, "nest build")
		}
		if f, has := u.contextConfig(appDir, "nest-cli", "tsConfigPath"); has {
			return nil, fmt.Sprintf("%s: %s names its own tsconfig", text, f)
		}
		for _, cfg := range []string{"tsconfig.build.json", "tsconfig.json"} {
			if r, ok := u.appRel(Resolve(c.Dir, cfg), appDir); ok && u.Context != nil {
				if _, err := fs.Stat(u.Context.FS, r); err == nil {
					return u.tsconfigOut(c, appDir, cfg, "nest build")
				}
			}
		}
		return nil, fmt.Sprintf("%s: neither tsconfig.build.json nor tsconfig.json is in the build context", text)
	case "vite":
		if sub != "build" {
			return nil, fmt.Sprintf("%s: not a build", text)
		}
		if d := flag("--outDir"); d != "" {
			return one(d, "vite build --outDir")
		}
		for _, fw := range nodeFrameworksOwnVite {
			if u.Context.Package.Dependencies[fw] != "" || u.Context.Package.DevDependencies[fw] != "" {
				return nil, fmt.Sprintf("%s: %s chooses its own output directory", text, fw)
			}
		}
		if f, has := u.contextConfig(appDir, "vite.config", "outDir"); has {
			return nil, fmt.Sprintf("%s: %s sets build.outDir", text, f)
		}
		return one("dist", "vite's default")
	case "next":
		switch sub {
		case "build":
			if f, has := u.contextConfig(appDir, "next.config", "distDir"); has {
				return nil, fmt.Sprintf("%s: %s sets distDir", text, f)
			}
			return one(".next", "Next.js")
		case "export":
			return one(flagOr(flag("-o", "--outdir"), "out"), "next export")
		}
		return nil, fmt.Sprintf("%s: not a build", text)
	case "react-scripts":
		if sub == "build" {
			return one("build", "Create React App")
		}
	case "vue-cli-service":
		if sub == "build" {
			if d := flag("--dest", "-d"); d != "" {
				return one(d, "vue-cli-service --dest")
			}
			if f, has := u.contextConfig(appDir, "vue.config", "outputDir"); has {
				return nil, fmt.Sprintf("%s: %s sets outputDir", text, f)
			}
			return one("dist", "Vue CLI's default")
		}
	case "webpack", "webpack-cli":
		if d := flag("--output-path", "-o"); d != "" {
			return one(d, "webpack --output-path")
		}
		for _, ext := range []string{"js", "cjs", "mjs", "ts"} {
			f := "webpack.config." + ext
			if cfg := flag("--config", "-c"); cfg != "" {
				f = cfg
			}
			r, ok := u.appRel(Resolve(c.Dir, f), appDir)
			if !ok || u.Context == nil {
				break
			}
			data, err := fs.ReadFile(u.Context.FS, r)
			if err != nil {
				continue
			}
			if m := webpackOutRe.FindSubmatch(data); m != nil {
				return one(path.Join(path.Dir(f), string(m[1])), f+" output.path")
			}
			return nil, fmt.Sprintf("%s: the output path in %s is not a plain path.resolve(__dirname, ...)", text, f)
		}
		return one("dist", "webpack's default")
	case "parcel":
		if sub == "build" {
			return one(flagOr(flag("--dist-dir", "-d"), "dist"), "parcel build")
		}
	case "esbuild":
		if d := flag("--outdir"); d != "" {
			return one(d, "esbuild --outdir")
		}
		if f := flag("--outfile"); f != "" && path.Dir(f) != "." {
			return one(path.Dir(f), "esbuild --outfile")
		}
		return nil, fmt.Sprintf("%s: no output directory", text)
	case "tsup":
		if d := flag("--out-dir", "-d"); d != "" {
			return one(d, "tsup --out-dir")
		}
		if f, has := u.contextConfig(appDir, "tsup.config", "outDir"); has {
			return nil, fmt.Sprintf("%s: %s sets outDir", text, f)
		}
		return one("dist", "tsup's default")
	case "rollup":
		if d := flag("--dir", "-d"); d != "" {
			return one(d, "rollup --dir")
		}
		if f := flag("--file", "-o"); f != "" && path.Dir(f) != "." {
			return one(path.Dir(f), "rollup --file")
		}
		return nil, fmt.Sprintf("%s: the output is set in rollup's config", text)
	case "babel":
		if d := flag("--out-dir", "-d"); d != "" {
			return one(d, "babel --out-dir")
		}
		return nil, fmt.Sprintf("%s: no --out-dir", text)
	case "astro":
		if sub == "build" {
			if f, has := u.contextConfig(appDir, "astro.config", "outDir"); has {
				return nil, fmt.Sprintf("%s: %s sets outDir", text, f)
			}
			return one("dist", "Astro's default")
		}
	case "ng":
		if sub != "build" || u.Context == nil {
			break
		}
		r, ok := u.appRel(Resolve(c.Dir, "angular.json"), appDir)
		data, err := fs.ReadFile(u.Context.FS, r)
		if !ok || err != nil {
			break
		}
		ms := ngOutputRe.FindAllSubmatch(data, -1)
		for _, m := range ms {
			p := string(m[1]) + string(m[2])
			if p != "dist" && !strings.HasPrefix(p, "dist/") {
				return nil, fmt.Sprintf("%s: angular.json's outputPath %s", text, p)
			}
		}
		if len(ms) > 0 {
			return one("dist", "angular.json outputPath")
		}
	case "mkdir", "cp", "mv", "copyfiles", "cpx", "cpy", "ln", "curl", "wget", "chmod", "chown":
		// Files written outside the app directory are not the app
		// directory's plan to carry; inside it, new directories and copy
		// destinations are outputs.
		var targets []string
		switch name {
		case "mkdir":
			targets = args
		case "curl":
			targets = []string{flag("-o", "--output")}
		case "wget":
			targets = []string{flag("-O", "--output-document")}
		default:
			if len(args) > 1 {
				targets = args[len(args)-1:]
			}
		}
		if name == "chmod" || name == "chown" {
			// A COPY repeated from the build context would not carry the
			// mode or owner of a file in the app directory; a file elsewhere
			// is carried from the builder with its mode by the effects pass.
			if nodeModesOutside(c, appDir) {
				return nil, ""
			}
			return nil, fmt.Sprintf("%s changes modes or owners in the app directory, which a COPY repeated from the build context does not carry", text)
		}
		for _, t := range targets {
			if t == "" || t == "-" {
				return nil, fmt.Sprintf("%s: what it writes is not known", text)
			}
			abs := Resolve(c.Dir, t)
			if abs != appDir && !strings.HasPrefix(abs, strings.TrimSuffix(appDir, "/")+"/") {
				continue
			}
			switch name {
			case "mkdir", "cp", "mv", "copyfiles", "cpx", "cpy":
				o, why := one(t, name)
				if why != "" {
					return nil, why
				}
				outs = append(outs, o...)
			default:
				return nil, fmt.Sprintf("%s writes %s in the app directory", text, t)
			}
		}
		return outs, ""
	case "prisma":
		return nil, fmt.Sprintf("%s writes into node_modules (the generated client)", text)
	case "npm", "yarn", "pnpm":
		if hasFlag(c.Args, "-g", "--global", "--location=global") || name == "yarn" && sub == "global" {
			return nil, "" // outside the app directory: nodeGlobalRuns decides
		}
		return nil, fmt.Sprintf("%s can change node_modules", text)
	case "apt-get", "apt", "apk", "useradd", "adduser", "groupadd", "addgroup":
		return nil, "" // the system, which the packages and split passes carry
	default:
		if nodeNoOutputs[name] {
			return nil, ""
		}
	}
	return nil, fmt.Sprintf("%s: what it writes is not known", text)
}

// nodeModesOutside reports whether a chmod or chown names only files
// outside the app directory, and none of its parents (chown -R node
// /home/node reaches /home/node/app). An option it cannot read (chmod -x,
// a mode that looks like one) or a path with a variable makes it false.
func nodeModesOutside(c Command, appDir string) bool {
	var ops []string
	reference := false
	for _, a := range c.Args[1:] {
		switch {
		case strings.HasPrefix(a, "--reference"):
			reference = true
		case strings.HasPrefix(a, "--"):
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if strings.Trim(a[1:], "RfvchHLP") != "" {
				return false
			}
		default:
			ops = append(ops, a)
		}
	}
	if !reference {
		if len(ops) < 2 {
			return false
		}
		ops = ops[1:] // the mode or owner
	}
	for _, t := range ops {
		if strings.Contains(t, "$") {
			return false
		}
		p := Resolve(c.Dir, t)
		if inDir(p, appDir) || inDir(appDir, p) {
			return false
		}
	}
	return len(ops) > 0
}

func flagOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// contextConfig finds a tool's config file (base name without extension)
// in the app directory of the build context, and reports whether it
// mentions key.
func (u *Unit) contextConfig(appDir, base, key string) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	for _, ext := range []string{"js", "ts", "mjs", "cjs", "mts", "cts"} {
		f := base + "." + ext
		r, _ := u.appRel(path.Join(appDir, f), appDir)
		if data, err := fs.ReadFile(u.Context.FS, r); err == nil {
			return f, strings.Contains(string(data), key)
		}
	}
	return "", false
}

// appRel maps a path in the app directory to the build context: through
// a COPY . of the context when there is one, else taking the app
// directory for the context root (COPY package.json tsconfig.json ./).
func (u *Unit) appRel(abs, appDir string) (string, bool) {
	if r, ok := u.contextRel(abs); ok {
		return r, true
	}
	if abs == appDir {
		return ".", true
	}
	r := strings.TrimPrefix(abs, strings.TrimSuffix(appDir, "/")+"/")
	return r, r != abs
}

// tsconfigOut is the outDir of a tsconfig (a file or a directory holding
// tsconfig.json), following relative extends; no outDir means tsc writes
// next to the sources, which cannot be listed.
func (u *Unit) tsconfigOut(c Command, appDir, cfg, how string) ([]nodeOut, string) {
	if u.Context == nil {
		return nil, fmt.Sprintf("%s: no build context to read %s from", strings.Join(c.Args, " "), cfg)
	}
	abs := Resolve(c.Dir, cfg)
	for depth := 0; depth < 4; depth++ {
		r, ok := u.appRel(abs, appDir)
		if !ok {
			return nil, fmt.Sprintf("%s: %s is outside the app directory", strings.Join(c.Args, " "), abs)
		}
		data, err := fs.ReadFile(u.Context.FS, r)
		if err != nil {
			if data, err = fs.ReadFile(u.Context.FS, path.Join(r, "tsconfig.json")); err != nil {
				return nil, fmt.Sprintf("%s: %s is not in the build context", strings.Join(c.Args, " "), cfg)
			}
			abs = path.Join(abs, "tsconfig.json")
		}
		var ts struct {
			Extends         any `json:"extends"`
			CompilerOptions struct {
				OutDir string `json:"outDir"`
				NoEmit bool   `json:"noEmit"`
			} `json:"compilerOptions"`
		}
		if err := json.Unmarshal(stripJSONC(data), &ts); err != nil {
			return nil, fmt.Sprintf("%s: cannot read %s: %v", strings.Join(c.Args, " "), path.Base(abs), err)
		}
		if ts.CompilerOptions.NoEmit {
			return nil, ""
		}
		if ts.CompilerOptions.OutDir != "" {
			out := Resolve(path.Dir(abs), ts.CompilerOptions.OutDir)
			r := strings.TrimPrefix(out, strings.TrimSuffix(appDir, "/")+"/")
			if r == out || r == "node_modules" || strings.HasPrefix(r, "node_modules/") {
				return nil, fmt.Sprintf("%s: outDir %s is outside the app directory", strings.Join(c.Args, " "), out)
			}
			return []nodeOut{{Dir: r, How: path.Base(abs) + " outDir"}}, ""
		}
		ext, _ := ts.Extends.(string)
		if ext == "" || !strings.HasPrefix(ext, ".") {
			break
		}
		if !strings.HasSuffix(ext, ".json") {
			ext += ".json"
		}
		abs = Resolve(path.Dir(abs), ext)
	}
	return nil, fmt.Sprintf("%s: no outDir in %s, so tsc writes next to the sources", strings.Join(c.Args, " "), cfg)
}

// nodeBuildOutputs lists what the RUN steps after the dependency install
// write, through the package.json scripts they run. why is set when a
// step runs something whose outputs are not known or that can change
// node_modules.
func (u *Unit) nodeBuildOutputs(install *Step, appDir string) (outs []nodeOut, why string) {
	after := false
	for _, s := range u.Steps {
		if s == install {
			after = true
			continue
		}
		if !after || s.In.Keyword != "run" {
			continue
		}
		if len(s.Commands) == 0 {
			return nil, fmt.Sprintf("line %d: its shell could not be read", s.In.StartLine)
		}
		if u.Context == nil || u.Context.Package == nil {
			return nil, fmt.Sprintf("line %d runs %s, and without package.json what it writes is not known", s.In.StartLine, s.Commands[0].Name())
		}
		cmds, missing := u.nodeCommands(s.Commands, 0)
		if missing != "" {
			return nil, fmt.Sprintf("line %d runs the script %s, which package.json does not have", s.In.StartLine, missing)
		}
		for _, c := range cmds {
			if _, isExec := nodeExecTool(c); isExec {
				continue // the program it runs follows
			}
			got, w := u.nodeToolOutputs(c, appDir)
			if w != "" {
				return nil, fmt.Sprintf("line %d: %s", s.In.StartLine, w)
			}
			for _, o := range got {
				o.Line = s.In.StartLine
				outs = append(outs, o)
			}
		}
	}
	// A directory inside another output is copied with it.
	var kept []nodeOut
	for _, o := range outs {
		inside := false
		for _, p := range outs {
			if p.Dir != o.Dir && strings.HasPrefix(o.Dir, p.Dir+"/") {
				inside = true
			}
		}
		dup := false
		for _, k := range kept {
			dup = dup || k.Dir == o.Dir
		}
		if !inside && !dup {
			kept = append(kept, o)
		}
	}
	return kept, ""
}

// nodeRunFile is the script file `node FILE` runs at container start (the
// first one), relative to the app directory, and the command's text.
func (u *Unit) nodeRunFile(appDir string) (rel, text string) {
	for _, c := range u.containerCommands() {
		cmds, _ := u.nodeCommands([]Command{c}, 0)
		for _, e := range cmds {
			if e.Name() != "node" {
				continue
			}
			for i := 1; i < len(e.Args); i++ {
				a := e.Args[i]
				if a == "-r" || a == "--require" || a == "--import" || a == "--loader" || a == "-e" || a == "--eval" {
					if a == "-e" || a == "--eval" {
						return "", ""
					}
					i++
					continue
				}
				if strings.HasPrefix(a, "-") {
					continue
				}
				if a == "." || strings.HasSuffix(a, "/") {
					main := "index.js"
					if u.Context != nil && u.Context.Package != nil && u.Context.Package.Main != "" {
						main = u.Context.Package.Main
					}
					a = path.Join(a, main)
				}
				abs := Resolve(e.Dir, a)
				r := strings.TrimPrefix(abs, strings.TrimSuffix(appDir, "/")+"/")
				if r == abs {
					return "", ""
				}
				return r, strings.Join(e.Args, " ")
			}
		}
	}
	return "", ""
}

// nodeDepsPlan plans the precise split: a stage "deps" repeats the
// builder's instructions up to the dependency install with
// NODE_ENV=production (npm, yarn and pnpm then leave out the dev
// dependencies), and the runtime receives its node_modules, the build
// context's files by repeating the original's COPY instructions, and the
// build outputs. A source change then rebuilds neither the dependencies
// nor their layer. It needs the build context to be sure of the output
// directories, that nothing after the install changes node_modules, and
// that no script the production install or the container runs needs a
// dev dependency; why says what is missing.
func (u *Unit) nodeDepsPlan(install *Step, appDir string, outs []nodeOut, outWhy string, yarn nodeYarn) (st Stage, copies []Copy, why string) {
	if u.Context == nil || u.Context.Package == nil {
		return st, nil, "no package.json in the build context"
	}
	pj := u.Context.Package
	if yarn.PnP {
		return st, nil, fmt.Sprintf("%s installs with Plug'n'Play: no node_modules, the dependencies are .pnp.cjs and .yarn/cache in the app directory", yarn.What)
	}
	if yarn.Berry && !yarn.Focus && len(pj.DevDependencies) > 0 {
		return st, nil, fmt.Sprintf("a deps stage would get the dev dependencies of %s too: %s", yarn.What, yarn.NoFocus)
	}
	if tool := runsPackageTool(u.runtimeNeeds()); tool != "" && pj.DevDependencies[tool] != "" {
		return st, nil, fmt.Sprintf("the container runs %s, a devDependency", tool)
	}
	if pkg, via := u.nodeRunDevDep(); pkg != "" {
		return st, nil, fmt.Sprintf("%s runs %s, a devDependency, which the deps stage's production install leaves out", via, pkg)
	}
	for _, life := range nodeLifecycleScripts {
		script, ok := pj.Scripts[life]
		if !ok {
			continue
		}
		cmds, err := ParseScript(script, appDir)
		if err != nil {
			return st, nil, fmt.Sprintf("package.json's %s script cannot be read: %v", life, err)
		}
		cmds, _ = u.nodeCommands(cmds, 0)
		for _, c := range cmds {
			if d := u.nodeDevDep(c); d != "" {
				return st, nil, fmt.Sprintf("package.json's %s script runs %s, a devDependency, which the deps stage's production install leaves out", life, d)
			}
		}
		for _, c := range cmds {
			// The runtime takes only node_modules from the deps stage:
			// what a lifecycle script writes elsewhere (a worker copied
			// into public/) would be lost.
			if len(c.Args) > 0 && (len(c.Writes) > 0 || !nodeLifecycleInPlace[c.Name()]) {
				return st, nil, fmt.Sprintf("package.json's %s script runs %s, which may write files outside node_modules that the deps stage would not carry", life, strings.Join(c.Args, " "))
			}
		}
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
	final := u.finalWorkdir()
	lex := shell.NewLex(u.File.Escape)
	var replays []Copy
	var left []*parser.Instruction // COPYs replayed without what a later RUN removes
	var notes []string
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
			in, why, note, w := u.nodeReplayCopy(i, s, c, lex)
			if w != "" {
				return st, nil, w
			}
			if in != s.In {
				left = append(left, s.In)
				notes = append(notes, note)
			}
			if in != nil {
				replays = append(replays, Copy{Replay: in, Line: s.In.StartLine, Why: why})
			}
		case *instructions.RunCommand:
			// Before the install: system packages and the like, repeated in
			// deps and mapped by the packages pass. After it: the build,
			// whose outputs nodeBuildOutputs listed.
			if i > idx && outWhy != "" {
				return st, nil, outWhy
			}
		default:
			return st, nil, fmt.Sprintf("line %d is an ADD", s.In.StartLine)
		}
	}
	if file, text := u.nodeRunFile(appDir); file != "" {
		found := false
		for _, o := range outs {
			found = found || strings.HasPrefix(file, o.Dir+"/")
		}
		if !found {
			r, _ := u.appRel(path.Join(appDir, file), appDir)
			if _, err := fs.Stat(u.Context.FS, r); err != nil {
				return st, nil, fmt.Sprintf("the container runs %s, and %s is neither in the build context nor in a known build output", text, file)
			}
		}
	}
	nm := path.Join(appDir, "node_modules")
	staticOnly, served := false, ""
	if server, dir := u.nodeStaticServer(appDir, outs); server != "" {
		// serve and http-server read their settings (serve.json) from the
		// directory they serve: the sources are not needed either, nor
		// another output (next build's .next beside next export's out),
		// unless a flag names a file (--config, TLS certificates).
		flag := nodeServerFileFlag(server, u.runtimeNeeds().ExecArgs)
		staticOnly, served = flag == "", dir
		if staticOnly {
			u.Fact(u.runtimeNeeds().ExecLine, "the container runs only %s, a static file server installed globally, on the build output %s: it needs no node_modules, nor the sources the COPYs brought", server, dir)
		} else {
			u.Fact(u.runtimeNeeds().ExecLine, "the container runs only %s, a static file server installed globally, on the build output %s: it needs no node_modules, but its %s names a file, so the original's COPYs from the build context are kept", server, dir, flag)
		}
	} else if len(pj.Dependencies) == 0 && len(pj.DevDependencies) > 0 && !pj.hasWorkspaces() {
		// Everything is a dev dependency (a bundled app): a production
		// install writes no node_modules at all, and the program needs
		// none.
		u.Fact(install.In.StartLine, "package.json has only devDependencies: the production install is empty, and the runtime gets no node_modules")
	} else if prod := !yarn.Berry && nodeProdInstall(install); len(pj.DevDependencies) == 0 || prod {
		// Nothing to leave out: the builder's node_modules are the
		// production ones, and their COPY is cached by content.
		why := "node_modules (package.json has no devDependencies), in a layer of its own"
		if prod {
			why = fmt.Sprintf("node_modules, which line %d installs without the dev dependencies, in a layer of its own", install.In.StartLine)
		}
		copies = append(copies, Copy{Src: nm, Dst: nm, Line: install.In.StartLine, Why: why})
	} else {
		// Package manager settings from the environment outrank NODE_ENV.
		keepsDev := func(k, v string) bool {
			v = strings.ToLower(v)
			switch strings.ToUpper(k) {
			case "NPM_CONFIG_PRODUCTION", "YARN_PRODUCTION":
				return v == "false"
			case "NPM_CONFIG_DEV":
				return v == "true"
			}
			return strings.Contains(v, "dev")
		}
		for _, k := range []string{"NPM_CONFIG_PRODUCTION", "NPM_CONFIG_INCLUDE", "NPM_CONFIG_ALSO", "NPM_CONFIG_DEV", "YARN_PRODUCTION"} {
			for _, name := range []string{k, strings.ToLower(k)} {
				if v, ok := install.Env.Get(name); ok && keepsDev(name, v) {
					return st, nil, fmt.Sprintf("the install runs with %s=%s, which keeps the dev dependencies that the deps stage's NODE_ENV=production would leave out", name, v)
				}
				for _, c := range install.Commands {
					if v, ok := c.Env[name]; ok && keepsDev(name, v) {
						return st, nil, fmt.Sprintf("line %d sets %s=%s, which keeps the dev dependencies that the deps stage's NODE_ENV=production would leave out", install.In.StartLine, name, v)
					}
				}
			}
		}
		st = Stage{Name: "deps", Why: "the production dependencies alone, installed from the manifests: a source change does not rebuild them"}
		for i, s := range u.Steps[:idx+1] {
			if i == idx {
				if !u.nodeEnvProduction(install) {
					st.Instructions = append(st.Instructions, u.File.New("ENV", "ENV NODE_ENV=production"))
				}
				st.Instructions = append(st.Instructions, u.nodeProdInstall(s))
				if yarn.Berry {
					// yarn install keeps the dev dependencies there; focus
					// installs again without them, from the cache the
					// install filled.
					cmd := "yarn workspaces focus --all --production"
					if s.Workdir != appDir {
						cmd = "cd " + appDir + " && " + cmd
					}
					st.Instructions = append(st.Instructions, u.File.New("RUN", "RUN "+cmd))
					u.Fact(s.In.StartLine, "the deps stage drops the dev dependencies with yarn workspaces focus --all --production after the install: %s ignores NODE_ENV", yarn.What)
				}
				continue
			}
			if u.nodeGlobalOnly(s) {
				u.Fact(s.In.StartLine, "the deps stage does not repeat line %d: the install does not use its global tools", s.In.StartLine)
				continue
			}
			st.Instructions = append(st.Instructions, cloneRaw(s.In))
		}
		copies = append(copies, Copy{From: "deps", Src: nm, Dst: nm, Line: install.In.StartLine,
			Why: "production node_modules from the deps stage"})
	}
	if !staticOnly {
		copies = append(copies, replays...)
	} else {
		// Left in the builder: no later pass carries what they copied.
		if u.Plan.Left == nil {
			u.Plan.Left = map[*parser.Instruction]bool{}
		}
		for _, s := range u.Steps {
			if c, ok := s.In.Command.(*instructions.CopyCommand); ok && c.From == "" {
				u.Plan.Left[s.In] = true
			}
		}
	}
	for _, o := range outs {
		out := path.Join(appDir, o.Dir)
		if staticOnly && out != served {
			continue
		}
		why := "the build output"
		if len(outs) > 1 && !staticOnly {
			why = fmt.Sprintf("a build output (%s)", o.How)
		}
		copies = append(copies, Copy{Src: out, Dst: out, Line: o.Line, Why: why})
	}
	if len(left) > 0 {
		// The edited replay stands for the original COPY, whose files
		// must not be carried again from the builder.
		if u.Plan.Left == nil {
			u.Plan.Left = map[*parser.Instruction]bool{}
		}
		for i, in := range left {
			u.Plan.Left[in] = true
			u.Fact(in.StartLine, "%s", notes[i])
		}
	}
	return st, copies, ""
}

var (
	// nodeDevFlagRe are the install flags that keep the dev dependencies
	// whatever NODE_ENV says (npm and yarn v1 spellings).
	nodeDevFlagRe = regexp.MustCompile(`([ \t]+)(--production(?:=false|[ \t]+false)|--prod(?:=false|[ \t]+false)|--include(?:=|[ \t]+)dev|--also(?:=|[ \t]+)dev|--dev)([ \t\r\n;&|)]|$)`)
	// nodeEnvOverrideRe is an assignment of NODE_ENV inside the RUN.
	nodeEnvOverrideRe = regexp.MustCompile(`(^|[ \t;&|(])NODE_ENV=("[^"]*"|'[^']*'|[^ \t\r\n;&|)]*)`)
)

// nodeProdInstall is the install RUN as the deps stage repeats it: the
// flags and NODE_ENV assignments with which the original kept its dev
// dependencies (yarn install --production=false under NODE_ENV=production)
// would keep them in the runtime's node_modules too, so they go.
func (u *Unit) nodeProdInstall(s *Step) *parser.Instruction {
	if s.In.Raw == nil {
		return cloneRaw(s.In)
	}
	raw := string(s.In.Raw)
	var gone []string
	for {
		m := nodeDevFlagRe.FindStringSubmatchIndex(raw)
		if m == nil {
			break
		}
		gone = append(gone, raw[m[4]:m[5]])
		raw = raw[:m[0]] + raw[m[6]:]
	}
	raw = nodeEnvOverrideRe.ReplaceAllStringFunc(raw, func(a string) string {
		sub := nodeEnvOverrideRe.FindStringSubmatch(a)
		if v := strings.Trim(sub[2], `"'`); v == "production" {
			return a
		}
		gone = append(gone, "NODE_ENV="+sub[2])
		return sub[1] + "NODE_ENV=production"
	})
	if len(gone) == 0 {
		return cloneRaw(s.In)
	}
	// A flag alone on a continuation line leaves that line empty.
	esc := string(u.File.Escape)
	lines := strings.SplitAfter(raw, "\n")
	kept := lines[:1]
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) != esc {
			kept = append(kept, l)
		}
	}
	raw = strings.Join(kept, "")
	u.Fact(s.In.StartLine, "the deps stage installs without %s: the original keeps its dev dependencies that way, which the runtime's production node_modules leave out", strings.Join(gone, ", "))
	return &parser.Instruction{Keyword: s.In.Keyword, Raw: []byte(raw), Command: s.In.Command, Node: s.In.Node}
}

// nodeEnvProduction reports whether an ENV of the Dockerfile sets
// NODE_ENV=production for the install as a literal, which no build
// argument can change.
func (u *Unit) nodeEnvProduction(install *Step) bool {
	set := false
	for _, s := range u.Steps {
		if s == install {
			break
		}
		switch c := s.In.Command.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "NODE_ENV" {
					set = kv.Value == "production"
				}
			}
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				if kv.Key == "NODE_ENV" {
					set = false
				}
			}
		}
	}
	return set
}

// nodeInstallTools are global packages an install may run: package
// managers and the helpers of native addons.
var nodeInstallTools = map[string]bool{
	"npm": true, "yarn": true, "pnpm": true, "corepack": true, "node-gyp": true, "node-pre-gyp": true,
	"@mapbox/node-pre-gyp": true, "prebuild-install": true, "node-gyp-build": true, "patch-package": true,
}

// nodeGlobalOnly reports whether a RUN before the install does nothing
// but global installs that the install cannot need: no package manager
// or addon helper, and no lifecycle script of the project's own that could
// call one. The deps stage then leaves it out.
func (u *Unit) nodeGlobalOnly(s *Step) bool {
	if s.In.Keyword != "run" || len(s.Commands) == 0 || u.Context == nil || u.Context.Package == nil {
		return false
	}
	for _, life := range nodeLifecycleScripts {
		if _, ok := u.Context.Package.Scripts[life]; ok {
			return false
		}
	}
	for _, c := range s.Commands {
		pkgs, ok := nodeGlobalPackages(c)
		if !ok {
			return false
		}
		for _, a := range pkgs {
			name := a
			if i := strings.LastIndex(a, "@"); i > 0 {
				name = a[:i]
			}
			if nodeInstallTools[name] || strings.Contains(a, "$") {
				return false
			}
		}
	}
	return true
}

// nodeOriginalPrune is the line of a RUN after the install that drops
// the dev dependencies itself (npm prune --production, pnpm prune --prod,
// yarn install --production) with no install after it, or 0.
func (u *Unit) nodeOriginalPrune(install *Step) int {
	line, after := 0, false
	for _, s := range u.Steps {
		if s == install {
			after = true
			continue
		}
		if !after {
			continue
		}
		for _, c := range s.Commands {
			if len(c.Args) < 2 {
				continue
			}
			verb := c.Args[1]
			prod := hasFlag(c.Args, "--production", "--prod", "--omit=dev") || c.Env["NODE_ENV"] == "production" || envIs(s.Env, "NODE_ENV", "production")
			switch {
			case (c.Name() == "npm" || c.Name() == "pnpm") && verb == "prune":
				if prod {
					line = s.In.StartLine
				}
			case (c.Name() == "npm" || c.Name() == "pnpm") && (verb == "install" || verb == "i" || verb == "ci") && !hasFlag(c.Args, "-g", "--global", "--location=global"),
				c.Name() == "yarn" && (verb == "install" || strings.HasPrefix(verb, "-")):
				line = 0
				if c.Name() == "yarn" && hasFlag(c.Args, "--production", "--prod") && !nodeDevFlagRe.MatchString(" "+strings.Join(c.Args, " ")+" ") {
					line = s.In.StartLine
				}
			}
		}
	}
	return line
}

// nodeRemovedLater maps what the rm commands of the RUN steps after step
// i remove (paths or patterns, resolved) to their lines.
func (u *Unit) nodeRemovedLater(i int) map[string]int {
	out := map[string]int{}
	for _, s := range u.Steps[i+1:] {
		for _, c := range s.Commands {
			if c.Name() != "rm" && c.Name() != "rimraf" {
				continue
			}
			for _, a := range nonFlags(c.Args[1:]) {
				if strings.Contains(a, "$") {
					continue
				}
				if _, ok := out[Resolve(c.Dir, a)]; !ok {
					out[Resolve(c.Dir, a)] = s.In.StartLine
				}
			}
		}
	}
	return out
}

// nodeReplayCopy is the COPY from the build context at step i as the
// runtime repeats it: the original, or one without the sources a later
// RUN removes (COPY .npmrc package.json ./ then npm ci && rm -f .npmrc: the
// token file must not come back in the final image), or nil when nothing
// is left. why is set when a directory or pattern it copies brings a
// file a later RUN removes, which a replay cannot leave out.
func (u *Unit) nodeReplayCopy(i int, s *Step, c *instructions.CopyCommand, lex *shell.Lex) (in *parser.Instruction, reason, note, why string) {
	reason = "files from the build context, as the original copies them"
	removed := u.nodeRemovedLater(i)
	if len(removed) == 0 {
		return s.In, reason, "", ""
	}
	rms := mapKeys(removed)
	dest, _, _ := lex.ProcessWord(c.DestPath, s.Env)
	destDir := strings.HasSuffix(dest, "/") || dest == "." || len(c.SourcePaths) > 1
	d := Resolve(s.Workdir, dest)
	var keep, dropped []string
	dropLine := 0
	for _, src := range c.SourcePaths {
		clean := strings.TrimPrefix(path.Clean("/"+src), "/")
		if clean == "" {
			clean = "."
		}
		switch {
		case strings.ContainsAny(clean, "*?["):
			for _, r := range rms {
				if path.Dir(r) != d {
					continue
				}
				ms, _ := fs.Glob(u.Context.FS, path.Join(path.Dir(clean), path.Base(r)))
				for _, m := range ms {
					if ok, _ := path.Match(path.Base(clean), path.Base(m)); ok {
						return nil, "", "", fmt.Sprintf("line %d copies %s, which brings %s, and line %d removes it: a replay of the COPY would bring it back", s.In.StartLine, src, m, removed[r])
					}
				}
			}
			keep = append(keep, src)
		case clean == "." || strings.HasSuffix(src, "/") || u.contextIsDir(clean):
			for _, r := range rms {
				rel, ok := under(r, d)
				if !ok {
					continue
				}
				if ms, _ := fs.Glob(u.Context.FS, path.Join(clean, rel)); len(ms) > 0 {
					return nil, "", "", fmt.Sprintf("line %d copies %s, which brings %s, and line %d removes it: a replay of the COPY would bring it back", s.In.StartLine, src, ms[0], removed[r])
				}
			}
			keep = append(keep, src)
		default:
			target := d
			if destDir {
				target = path.Join(d, path.Base(clean))
			}
			gone := 0
			for _, r := range rms {
				if ok, _ := path.Match(r, target); ok {
					gone = removed[r]
				} else if _, ok := under(target, r); ok {
					gone = removed[r]
				}
			}
			if gone == 0 {
				keep = append(keep, src)
				continue
			}
			dropped = append(dropped, src)
			if dropLine == 0 {
				dropLine = gone
			}
		}
	}
	if len(dropped) == 0 {
		return s.In, reason, "", ""
	}
	note = fmt.Sprintf("the runtime does not get %s: line %d copies it and line %d removes it again", strings.Join(dropped, ", "), s.In.StartLine, dropLine)
	if len(keep) == 0 {
		return nil, "", note, ""
	}
	words := append(append([]string{}, keep...), c.DestPath)
	text := strings.Join(words, " ")
	for _, w := range words {
		if strings.ContainsAny(w, " \t\"'") {
			b, _ := json.Marshal(words)
			text = string(b)
			break
		}
	}
	if s.In.Node != nil && len(s.In.Node.Flags) > 0 {
		text = strings.Join(s.In.Node.Flags, " ") + " " + text
	}
	return u.File.New("COPY", "COPY "+text), fmt.Sprintf("files from the build context, as line %d copies them, without %s, which line %d removes", s.In.StartLine, strings.Join(dropped, ", "), dropLine), note, ""
}

// nodeGlobalPrograms are the programs of packages commonly installed
// globally, where they differ from the package name.
var nodeGlobalPrograms = map[string][]string{
	"pm2":           {"pm2", "pm2-runtime", "pm2-docker", "pm2-dev"},
	"typescript":    {"tsc", "tsserver"},
	"@nestjs/cli":   {"nest"},
	"@angular/cli":  {"ng"},
	"http-server":   {"http-server", "hs"},
	"npm":           {"npm", "npx"},
	"yarn":          {"yarn", "yarnpkg"},
	"pnpm":          {"pnpm", "pnpx"},
	"sequelize-cli": {"sequelize", "sequelize-cli"},
	"npm-run-all":   {"npm-run-all", "run-s", "run-p"},
	"concurrently":  {"concurrently", "conc"},
	"@vue/cli":      {"vue"},
	"ts-node":       {"ts-node", "ts-node-esm", "ts-node-script"},
	"corepack":      {"corepack", "yarn", "yarnpkg", "pnpm", "pnpx"},
}

// nodeGlobalRuns repeats in the runtime the global installs whose
// programs the container runs (its command, and the package.json scripts
// that command starts); the others (build tools) stay in the builder.
// When the container runs a script that cannot be read, all are
// repeated.
func (u *Unit) nodeGlobalRuns(globals []nodeGlobal) []Gen {
	if len(globals) == 0 {
		return nil
	}
	progs, opaque := u.nodeRunPrograms()
	var out []Gen
	for _, g := range globals {
		c := g.Cmd
		var keep, leave, flags []string
		for _, a := range c.Args[g.Words:] {
			if strings.HasPrefix(a, "-") {
				flags = append(flags, a)
				continue
			}
			name := a
			if i := strings.LastIndex(a, "@"); i > 0 {
				name = a[:i]
			}
			bins, ok := nodeGlobalPrograms[name]
			if !ok {
				bins = []string{path.Base(name)}
			}
			used := opaque != "" || strings.Contains(a, "$")
			for _, b := range bins {
				used = used || progs[b]
			}
			if used {
				keep = append(keep, a)
			} else {
				leave = append(leave, a)
			}
		}
		if len(leave) > 0 {
			var bins []string
			for _, a := range leave {
				name := a
				if i := strings.LastIndex(a, "@"); i > 0 {
					name = a[:i]
				}
				if b, ok := nodeGlobalPrograms[name]; ok {
					bins = append(bins, b...)
				} else {
					bins = append(bins, path.Base(name))
				}
			}
			their := "its"
			if len(leave) > 1 {
				their = "their"
			}
			u.Fact(g.Line, "global install of %s stays in the builder: the container's command runs none of %s programs (%s)", strings.Join(leave, ", "), their, strings.Join(bins, ", "))
		}
		if len(keep) == 0 {
			continue
		}
		text := strings.Join(c.Args, " ")
		if len(leave) > 0 {
			text = strings.Join(append(append(append([]string{}, c.Args[:g.Words]...), flags...), keep...), " ")
		}
		why := fmt.Sprintf("the container's command runs a program of %s, installed globally (outside the app directory): install it again in the runtime", strings.Join(keep, ", "))
		if opaque != "" {
			why = fmt.Sprintf("a global install lives outside the app directory, and %s: install it again in the runtime", opaque)
		}
		out = append(out, Gen{In: u.File.New("RUN", "RUN "+text), Why: why, Line: g.Line})
	}
	return out
}

// nodeRunPrograms is the set of programs the container runs, through the
// package.json scripts it starts and the scripts from the build context it
// runs, with the package manager that starts a script (pnpm start needs
// pnpm). opaque says why it may run others that cannot be seen.
func (u *Unit) nodeRunPrograms() (map[string]bool, string) {
	progs := map[string]bool{}
	opaque := u.nodeContainerWalk(func(c Command, _ string) {
		progs[path.Base(c.Args[0])] = true
	}, func(c Command) {
		progs[path.Base(c.Args[0])] = true
	})
	return progs, opaque
}

// nodeContainerWalk calls fn with each program the container runs: its
// command, expanded through the package.json scripts it starts, npx and
// the like, and through the shell scripts of the build context it runs
// (sh scripts/start.sh, ./start.sh, an entrypoint script copied onto
// PATH), with the words an entrypoint script is given as a command too.
// via says what reached the program, for a decision. runner, when set, is
// given each command that starts a package.json script. opaque says why
// the container may run others that cannot be seen.
func (u *Unit) nodeContainerWalk(fn func(c Command, via string), runner func(Command)) (opaque string) {
	var visit func(cmds []Command, depth int, via string)
	visit = func(cmds []Command, depth int, via string) {
		for ti, top := range cmds {
			if top.Args = u.stripWrappers(top.Args); len(top.Args) == 0 {
				continue
			}
			v := via
			if name, ok := nodeScriptRef(top); ok && depth == 0 {
				v = fmt.Sprintf("%s %s", top.Name(), name)
				if name != "start" && name != "test" {
					v = fmt.Sprintf("%s run %s", top.Name(), name)
				}
			}
			expanded, missing := u.nodeCommandsRunners([]Command{top}, 0, runner)
			if missing != "" && opaque == "" {
				opaque = fmt.Sprintf("the container runs the package.json script %s, which cannot be read", missing)
			}
			for i, c := range expanded {
				if c.Args = u.stripWrappers(c.Args); len(c.Args) == 0 {
					continue
				}
				p := c.Args[0]
				if strings.HasPrefix(p, "$") {
					// exec "$@" in an entrypoint script: it runs its arguments.
					if (p == "$@" || p == "${@}") && depth > 0 {
						continue
					}
					if opaque == "" {
						opaque = fmt.Sprintf("the container runs %s, which is not known", p)
					}
					continue
				}
				fn(c, v)
				script, rest, ok := u.nodeShellScript(c)
				if !ok || depth > 2 {
					continue
				}
				// sh start.sh names a file; a script run as the command
				// itself may be found on the PATH.
				rel, ok := u.contextFileFor(Resolve(c.Dir, script))
				if script == p {
					rel, ok = u.contextScriptFile(c.Dir, script)
				}
				if !ok {
					if (strings.HasSuffix(script, ".sh") || script != p) && opaque == "" {
						opaque = fmt.Sprintf("the container runs %s, which cannot be read", script)
					}
					continue
				}
				data, err := fs.ReadFile(u.Context.FS, rel)
				if err != nil {
					continue
				}
				sub, err := ParseScript(string(data), c.Dir)
				if err != nil {
					if opaque == "" {
						opaque = fmt.Sprintf("the container runs %s, whose shell cannot be read", script)
					}
					continue
				}
				visit(sub, depth+1, "the container's script "+script)
				if depth == 0 && ti == 0 && i == 0 && len(rest) > 0 {
					// An entrypoint script given the CMD as arguments: the
					// words after it are a command too.
					visit(u.splitCommand(rest, c.Dir, 0), depth+1, v)
				}
			}
		}
	}
	visit(u.containerCommands(), 0, "the container")
	return opaque
}

// nodeShellScript is the script file a command runs, as the image names
// it, and the words after it: the file a shell is given (sh start.sh), a
// path (./start.sh, /entrypoint.sh) other than node itself, or a bare
// name that a COPY from the build context put on PATH.
func (u *Unit) nodeShellScript(c Command) (script string, rest []string, ok bool) {
	p := c.Args[0]
	switch base := path.Base(p); {
	case base == "sh" || base == "bash" || base == "dash" || base == "ash" || base == "zsh":
		if _, isC := shellScript(c.Args); isC {
			return "", nil, false // split into its commands already
		}
		for i := 1; i < len(c.Args); i++ {
			a := c.Args[i]
			if a == "-o" || a == "+o" {
				i++
				continue
			}
			if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+") {
				if strings.Contains(a, "$") {
					return "", nil, false
				}
				return a, c.Args[i+1:], true
			}
		}
		return "", nil, false
	case base == "node":
		return "", nil, false
	case strings.Contains(p, "/") || strings.HasSuffix(p, ".sh"):
		return p, c.Args[1:], true
	}
	for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
		if _, found := u.contextFileFor(path.Join(dir, p)); found {
			return path.Join(dir, p), c.Args[1:], true
		}
	}
	return "", nil, false
}

// contextFileFor maps a file in the image to the build context file a
// COPY put there.
func (u *Unit) contextFileFor(abs string) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	if rel, ok := u.contextRel(abs); ok {
		if _, err := fs.Stat(u.Context.FS, rel); err == nil {
			return rel, true
		}
	}
	for _, cp := range u.contextCopies() {
		// COPY a b ./ puts each source into the directory.
		if !cp.intoDir && cp.dest == abs || cp.intoDir && path.Join(cp.dest, path.Base(cp.src)) == abs {
			if _, err := fs.Stat(u.Context.FS, cp.src); err == nil {
				return cp.src, true
			}
		}
	}
	return u.contextFile(abs, len(u.Steps))
}

// nodePrune returns the command that removes dev dependencies, or "".
// install is the original's dependency install, whose strictness about
// the lock file a yarn reinstall keeps.
func (u *Unit) nodePrune(pm string, n Needs, install Command, yarn nodeYarn) string {
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
	if c := u.Context; c == nil || c.Package == nil {
		// A package.json script that cannot be read may run anything the
		// dev dependencies hold: ts-node type-checks against @types
		// packages, which are mostly devDependencies.
		if opaque := u.nodeContainerWalk(func(Command, string) {}, nil); strings.HasPrefix(opaque, "the container runs the package.json script") {
			u.Warn(n.ExecLine, "%s: it may need a devDependency (ts-node type-checks against @types packages), so dev dependencies are kept", opaque)
			return ""
		}
	}
	if c := u.Context; c != nil && c.Package != nil {
		if len(c.Package.DevDependencies) == 0 {
			u.Fact(0, "package.json has no devDependencies: nothing to prune")
			return ""
		}
		if pkg, via := u.nodeRunDevDep(); pkg != "" {
			u.Warn(n.ExecLine, "%s runs %s, a devDependency: dev dependencies are kept", via, pkg)
			return ""
		}
	}
	switch pm {
	case "pnpm":
		return "pnpm prune --prod"
	case "yarn":
		switch {
		case yarn.PnP:
			u.Warn(0, "%s installs with Plug'n'Play: the dev dependencies stay in .yarn/cache and .pnp.cjs", yarn.What)
			return ""
		case yarn.Focus:
			return "yarn workspaces focus --all --production"
		case yarn.Berry:
			u.Warn(0, "the dev dependencies stay: %s", yarn.NoFocus)
			return ""
		}
		// --frozen-lockfile fails where the original's install would have
		// updated the lock (--pure-lockfile, or no flag): keep its choice.
		lock := ""
		for _, f := range []string{"--frozen-lockfile", "--pure-lockfile"} {
			if hasFlag(install.Args, f) {
				lock = " " + f
				break
			}
		}
		return "yarn install --production" + lock + " --ignore-scripts --prefer-offline"
	}
	major, _ := versionParts(u.Base.Version)
	if major > 0 && major < 16 {
		return "npm prune --production"
	}
	return "npm prune --omit=dev"
}

// nodeProdInstall reports whether the project install of s leaves out
// the dev dependencies: npm --production/--omit=dev, yarn v1
// --production, pnpm --prod, or NODE_ENV=production in force.
func nodeProdInstall(s *Step) bool {
	for _, c := range s.Commands {
		tool, verb := c.Name(), ""
		if len(c.Args) > 1 {
			verb = c.Args[1]
		}
		install := tool == "npm" && (verb == "install" || verb == "i" || verb == "ci") ||
			tool == "yarn" && (verb == "" || verb == "install" || strings.HasPrefix(verb, "-")) ||
			tool == "pnpm" && (verb == "install" || verb == "i")
		if !install || hasFlag(c.Args, "-g", "--global") {
			continue
		}
		if nodeDevFlagRe.MatchString(" " + strings.Join(c.Args, " ") + " ") {
			return false
		}
		return hasFlag(c.Args, "--production", "--production=true", "--omit=dev", "--only=production", "--only=prod", "--prod", "-P") ||
			c.Env["NODE_ENV"] == "production" || envIs(s.Env, "NODE_ENV", "production")
	}
	return false
}

// nodeLifecycleInPlace are programs of lifecycle scripts that write only
// into node_modules (or nothing).
var nodeLifecycleInPlace = map[string]bool{
	"husky": true, "patch-package": true, "prisma": true, "node-gyp": true, "node-pre-gyp": true,
	"prebuild-install": true, "ngcc": true, "opencollective": true, "opencollective-postinstall": true,
	"is-ci": true, "echo": true, "true": true, "exit": true,
}

// nodeStaticServers are static file servers a front-end's container may
// run on its build output: they read the files they serve, and their own
// config (serve.json, package.json's "static") from the working directory,
// which the context's copies restore, but nothing of the app's
// node_modules.
var nodeStaticServers = map[string]bool{"serve": true, "http-server": true}

var nodeToolRe = regexp.MustCompile(`\b(node|npm|npx|yarn|pnpm)\b`)

// nodeStaticServer reports the static server the container runs, and the
// build output it serves, when that server was installed globally and the
// output is one of the build's (serve -s build, http-server dist): the
// runtime then needs neither the dependencies nor their stage.
func (u *Unit) nodeStaticServer(appDir string, outs []nodeOut) (server, dir string) {
	n := u.runtimeNeeds()
	name := path.Base(n.Exec)
	if !nodeStaticServers[name] || strings.Contains(n.Exec, "node_modules") || runsPackageTool(n) != "" {
		return "", ""
	}
	global := false
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			pkgs, ok := nodeGlobalPackages(c)
			for _, p := range pkgs {
				if i := strings.LastIndex(p, "@"); i > 0 {
					p = p[:i]
				}
				global = global || ok && p == name
			}
		}
	}
	if !global {
		return "", ""
	}
	for _, s := range u.Steps {
		// A health check that runs node or npm may load the app's
		// dependencies.
		if h, ok := s.In.Command.(*instructions.HealthCheckCommand); ok && h.Health != nil && nodeToolRe.MatchString(strings.Join(h.Health.Test, " ")) {
			return "", ""
		}
	}
	for _, a := range n.ExecArgs {
		if strings.HasPrefix(a, "-") {
			continue
		}
		for _, o := range outs {
			if _, in := under(path.Clean(Resolve(appDir, a)), path.Join(appDir, o.Dir)); in {
				return name, path.Join(appDir, o.Dir)
			}
		}
	}
	return "", ""
}

// nodeServerFileFlag is a flag of a static file server that makes it read
// a file besides the directory it serves: serve's --config and TLS files,
// http-server's certificate and key (-S reads cert.pem and key.pem from
// the working directory).
func nodeServerFileFlag(server string, args []string) string {
	flags := map[string][]string{
		"serve":       {"-c", "--config", "--ssl-cert", "--ssl-key", "--ssl-pass"},
		"http-server": {"-C", "--cert", "-K", "--key", "-S", "--ssl", "--tls"},
	}[server]
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if slices.Contains(flags, name) {
			return name
		}
	}
	return ""
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

// nodeScriptRunners run a script file whose effects cannot be read.
var nodeScriptRunners = map[string]bool{"node": true, "ts-node": true, "tsx": true, "babel-node": true, "bun": true, "deno": true}

// nodeWritesOutside finds a RUN that has a script given an absolute path
// outside the app directory (node scripts/fetch-geoip.js /usr/share/GeoIP):
// whatever it writes there would not reach the runtime, which receives
// the app directory and the files the Dockerfile's own commands are seen
// to write.
func (u *Unit) nodeWritesOutside(appDir string) (int, string) {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if args, ok := nodeExecTool(c); ok {
				c.Args = args
			}
			if !nodeScriptRunners[c.Name()] {
				continue
			}
			script := true
			for _, a := range c.Args[1:] {
				if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
					a = v
				} else if !strings.HasPrefix(a, "-") && script {
					script = false // the script file itself is read, not written
					continue
				}
				if !strings.HasPrefix(a, "/") || strings.Contains(a, "$") {
					continue
				}
				p := path.Clean(a)
				if p == appDir || strings.HasPrefix(p, strings.TrimSuffix(appDir, "/")+"/") || p == "/dev/null" || p == "/tmp" || strings.HasPrefix(p, "/tmp/") || strings.HasPrefix(p, "/dev/") {
					continue
				}
				return s.In.StartLine, fmt.Sprintf("line %d runs %s: the script is given %s, outside the app directory %s, and what it writes there is not known, so the runtime would not get it", s.In.StartLine, strings.Join(c.Args, " "), p, appDir)
			}
		}
	}
	return 0, ""
}

// inDir reports whether p is dir or inside it.
func inDir(p, dir string) bool {
	_, ok := under(p, dir)
	return ok
}

// puppeteerConfigs are the files puppeteer reads its settings from
// (cosmiconfig's search places), which may move its browser cache.
var puppeteerConfigs = []string{".puppeteerrc", ".puppeteerrc.json", ".puppeteerrc.yaml", ".puppeteerrc.yml", ".puppeteerrc.js", ".puppeteerrc.cjs", ".puppeteerrc.mjs", "puppeteer.config.js", "puppeteer.config.cjs", "puppeteer.config.mjs", "puppeteer.config.ts"}

// nodePuppeteerCache is the copy of the browser puppeteer downloads when
// it is installed: from version 19 into ~/.cache/puppeteer (or
// $PUPPETEER_CACHE_DIR), outside the app directory, so neither the app
// copy nor node_modules carries it. Before 19 it went into node_modules.
// why is set when the place cannot be known.
func (u *Unit) nodePuppeteerCache(install *Step, cmd Command) (*Copy, string) {
	if u.Context == nil || u.Context.Package == nil {
		return nil, ""
	}
	pj := u.Context.Package
	spec, direct := pj.Dependencies["puppeteer"]
	ver, dev, inLock := u.nodeLockVersion("puppeteer")
	switch {
	case direct:
	case pj.DevDependencies["puppeteer"] != "" || !inLock || dev:
		// A devDependency: the runtime's production node_modules go
		// without it.
		return nil, ""
	}
	line := install.In.StartLine
	env := func(k string) (string, bool) {
		if v, ok := cmd.Env[k]; ok {
			return v, true
		}
		return install.Env.Get(k)
	}
	for _, k := range []string{"PUPPETEER_SKIP_DOWNLOAD", "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD"} {
		if v, ok := env(k); ok && v != "" && v != "false" && v != "0" {
			u.Fact(line, "puppeteer: %s is set, so the install downloads no browser", k)
			return nil, ""
		}
	}
	if hasFlag(cmd.Args, "--ignore-scripts") {
		u.Fact(line, "puppeteer: the install runs no lifecycle scripts, so it downloads no browser")
		return nil, ""
	}
	what := "puppeteer " + ver
	major := 0
	if ver != "" {
		major, _ = versionParts(ver)
	} else if m, ok := specMajor(spec); ok {
		major, what = m, "puppeteer "+spec
	} else {
		return nil, fmt.Sprintf("package.json depends on puppeteer %q and no lock file gives its version: from version 19 it downloads Chrome into ~/.cache/puppeteer, outside the app directory, so whether the runtime needs that directory is not known", spec)
	}
	if major < 19 {
		u.Fact(line, "%s keeps the browser it downloads in node_modules", what)
		return nil, ""
	}
	for _, f := range puppeteerConfigs {
		if _, err := fs.Stat(u.Context.FS, f); err == nil {
			return nil, fmt.Sprintf("the build context has %s, puppeteer's settings, which may move the browser it downloads (cacheDirectory): where it is, outside node_modules, is not known", f)
		}
	}
	if data, err := fs.ReadFile(u.Context.FS, "package.json"); err == nil {
		var keys map[string]json.RawMessage
		if json.Unmarshal(data, &keys) == nil && keys["puppeteer"] != nil {
			return nil, "package.json has puppeteer settings, which may move the browser it downloads (cacheDirectory): where it is, outside node_modules, is not known"
		}
	}
	if _, ok := env("PUPPETEER_DOWNLOAD_PATH"); ok {
		return nil, fmt.Sprintf("line %d installs %s with PUPPETEER_DOWNLOAD_PATH set: where the browser goes is not known", line, what)
	}
	dir := ""
	if v, ok := env("PUPPETEER_CACHE_DIR"); ok && v != "" {
		if strings.Contains(v, "$") || !strings.HasPrefix(v, "/") {
			return nil, fmt.Sprintf("line %d installs %s with PUPPETEER_CACHE_DIR=%s: where the browser goes is not known", line, what, v)
		}
		dir = path.Clean(v)
	} else {
		home, ok := env("HOME")
		if !ok {
			home, ok = u.userHome(install)
		}
		if !ok || strings.Contains(home, "$") || !strings.HasPrefix(home, "/") {
			return nil, fmt.Sprintf("line %d installs %s, which downloads Chrome into the home directory of the user, and that directory is not known", line, what)
		}
		dir = path.Join(home, ".cache/puppeteer")
	}
	return &Copy{Src: dir, Dst: dir, Line: line, Chown: u.cacheOwner(install),
		Why: what + " downloaded Chrome there when it was installed, outside node_modules" + ownedNote(u.cacheOwner(install))}, ""
}

func ownedNote(user string) string {
	if user == "" {
		return ""
	}
	return "; owned by " + user + ", who ran the download, and so are the directories the copy makes above it"
}

// cacheOwner is the non-root user a download into a home directory ran
// as: its copy carries that owner, so the directories the COPY creates
// above it (~/.cache) are the user's too, as in the builder.
func (u *Unit) cacheOwner(s *Step) string {
	if user, _ := u.userAt(s); user != "" && normUser(user) != "0" && user != "root" && !strings.Contains(user, "$") {
		return user
	}
	return ""
}

// nodePlaywrightCache is the copy of the browsers `playwright install`
// downloads: into $PLAYWRIGHT_BROWSERS_PATH, else ~/.cache/ms-playwright,
// outside the app directory. why is set when they cannot be carried.
func (u *Unit) nodePlaywrightCache() (c *Copy, line int, why string) {
	for _, s := range u.Steps {
		for _, cmd := range s.Commands {
			if args, ok := nodeExecTool(cmd); ok {
				cmd.Args = args
			}
			if cmd.Name() != "playwright" {
				continue
			}
			args := nonFlags(cmd.Args[1:])
			if len(args) == 0 || args[0] != "install" && args[0] != "install-deps" {
				continue
			}
			line = s.In.StartLine
			if args[0] == "install-deps" || hasFlag(cmd.Args, "--with-deps") {
				return nil, line, fmt.Sprintf("line %d runs %s, which installs the browsers' system libraries with the package manager: the runtime would need them too, and which they are is not known here", line, strings.Join(cmd.Args, " "))
			}
			env := func(k string) (string, bool) {
				if v, ok := cmd.Env[k]; ok {
					return v, true
				}
				return s.Env.Get(k)
			}
			dir := ""
			if v, ok := env("PLAYWRIGHT_BROWSERS_PATH"); ok && v != "" {
				if v == "0" {
					// Inside node_modules of the builder, which the deps
					// stage does not repeat.
					return nil, line, fmt.Sprintf("line %d runs %s with PLAYWRIGHT_BROWSERS_PATH=0, which puts the browsers in node_modules after the install", line, strings.Join(cmd.Args, " "))
				}
				if strings.Contains(v, "$") || !strings.HasPrefix(v, "/") {
					return nil, line, fmt.Sprintf("line %d runs %s with PLAYWRIGHT_BROWSERS_PATH=%s: where the browsers go is not known", line, strings.Join(cmd.Args, " "), v)
				}
				dir = path.Clean(v)
			} else {
				home, ok := env("HOME")
				if !ok {
					home, ok = u.userHome(s)
				}
				if !ok || strings.Contains(home, "$") || !strings.HasPrefix(home, "/") {
					return nil, line, fmt.Sprintf("line %d runs %s, which downloads the browsers into the home directory of the user, and that directory is not known", line, strings.Join(cmd.Args, " "))
				}
				dir = path.Join(home, ".cache/ms-playwright")
			}
			return &Copy{Src: dir, Dst: dir, Line: line, Chown: u.cacheOwner(s),
				Why: fmt.Sprintf("line %d runs %s, which downloads the browsers there, outside the app directory", line, strings.Join(cmd.Args, " ")) + ownedNote(u.cacheOwner(s))}, line, ""
		}
	}
	return nil, 0, ""
}

// userHome is the home directory of the USER in force at step s: root's,
// a user the Dockerfile creates before s (useradd, adduser, usermod -d),
// or the node images' own user. A RUN as that user gets the home of its
// passwd entry as HOME.
func (u *Unit) userHome(s *Step) (string, bool) {
	user := ""
	var before []*Step
	for _, x := range u.Steps {
		if x == s {
			break
		}
		before = append(before, x)
		if c, ok := x.In.Command.(*instructions.UserCommand); ok {
			user = c.User
			if v, ok := expandWord(x, Command{}, c.User); ok {
				user = v
			}
		}
	}
	name, _, _ := strings.Cut(user, ":")
	switch name {
	case "", "root", "0":
		return "/root", true
	}
	if strings.Contains(name, "$") {
		return "", false
	}
	home, made := "", false
	for _, x := range before {
		for _, c := range x.Commands {
			if h, ok := accountHome(expandedArgs(x, c), name); ok {
				home, made = h, true
			}
		}
	}
	if made {
		return home, home != ""
	}
	if name == "node" || name == "1000" {
		return "/home/node", true
	}
	return "", false
}

// accountHome reads a command that creates the user name (a login, or a
// uid given with -u) or moves its home: the home directory its passwd
// entry gets, or "" when that cannot be told. ok is false when the command
// does not concern that user.
func accountHome(c Command, name string) (home string, ok bool) {
	var opts map[string]string
	var pos []string
	get := func(keys ...string) (string, bool) {
		for _, k := range keys {
			if v, has := opts[k]; has {
				return v, true
			}
		}
		return "", false
	}
	literal := func(dir string) string {
		if strings.Contains(dir, "$") || !strings.HasPrefix(dir, "/") {
			return ""
		}
		return path.Clean(dir)
	}
	matches := func(login string) bool {
		if login == name {
			return true
		}
		uid, _ := get("-u", "--uid")
		return isNumeric(name) && uid == name
	}
	switch c.Name() {
	case "useradd":
		// Without -d the entry gets the base directory (/home unless -b
		// says otherwise) and the login, whether or not -m creates it.
		opts, pos = accountOpts(c.Args[1:], "bcdefgGkKpsuZRP", []string{"--base-dir", "--comment", "--home-dir", "--home", "--expiredate", "--inactive", "--gid", "--groups", "--skel", "--key", "--password", "--shell", "--uid", "--selinux-user", "--root", "--prefix"})
		if len(pos) != 1 || !matches(pos[0]) {
			return "", false
		}
		if _, has := get("-R", "--root", "-P", "--prefix"); has {
			return "", true // the entry goes into another root
		}
		if d, has := get("-d", "--home-dir", "--home"); has {
			return literal(d), true
		}
		base := "/home"
		if b, has := get("-b", "--base-dir"); has {
			base = b
		}
		return literal(path.Join(base, pos[0])), true
	case "adduser":
		// Debian's adduser (long options) and busybox's (-h DIR): the home
		// is /home/LOGIN unless given, but Debian's --system user gets
		// /nonexistent from bookworm's adduser on and /home/LOGIN before.
		// With a group after the login it adds a user to a group instead.
		opts, pos = accountOpts(c.Args[1:], "hgsGuk", []string{"--home", "--shell", "--ingroup", "--uid", "--gid", "--gecos", "--comment", "--conf", "--firstuid", "--lastuid", "--firstgid", "--lastgid"})
		if len(pos) != 1 || !matches(pos[0]) {
			return "", false
		}
		if d, has := get("-h", "--home"); has {
			return literal(d), true
		}
		if _, has := get("--system"); has {
			return "", true
		}
		return literal(path.Join("/home", pos[0])), true
	case "usermod":
		opts, pos = accountOpts(c.Args[1:], "cdefgGlpsuRPZvVwW", []string{"--comment", "--home", "--expiredate", "--inactive", "--gid", "--groups", "--login", "--password", "--shell", "--uid", "--root", "--prefix", "--selinux-user", "--add-subuids", "--del-subuids", "--add-subgids", "--del-subgids"})
		d, has := get("-d", "--home")
		if len(pos) != 1 || pos[0] != name || !has {
			return "", false
		}
		return literal(d), true
	}
	return "", false
}

// accountOpts splits the arguments of useradd and the like into options
// (clustered short ones such as -ms /bin/bash included) with their values,
// and the operands. withArg lists the short options that take a value,
// long the long ones.
func accountOpts(args []string, withArg string, long []string) (map[string]string, []string) {
	opts := map[string]string{}
	var pos []string
	takes := map[string]bool{}
	for _, l := range long {
		takes[l] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(pos, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			k, v, eq := strings.Cut(a, "=")
			if !eq && takes[k] && i+1 < len(args) {
				i++
				v = args[i]
			}
			opts[k] = v
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				k := "-" + a[j:j+1]
				if !strings.Contains(withArg, a[j:j+1]) {
					opts[k] = ""
					continue
				}
				v := a[j+1:]
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				opts[k] = v
				break
			}
		default:
			pos = append(pos, a)
		}
	}
	return opts, pos
}

// specMajor is the lowest major version a package.json version range
// allows when that is plain (21, ^21.3.8, ~21.3, 21.x, >=21).
func specMajor(spec string) (int, bool) {
	s := strings.TrimSpace(spec)
	for _, p := range []string{">=", "^", "~", "=", "v"} {
		s = strings.TrimPrefix(s, p)
	}
	if strings.ContainsAny(s, " |<>*") {
		return 0, false
	}
	major, _ := versionParts(s)
	return major, major > 0
}

// nodeLockVersion is the version of a package the lock file of the build
// context resolves, and whether the npm lock marks it a dev dependency.
func (u *Unit) nodeLockVersion(name string) (version string, dev, found bool) {
	c := u.Context
	switch c.Lockfile {
	case "package-lock.json", "npm-shrinkwrap.json":
		data, err := fs.ReadFile(c.FS, c.Lockfile)
		if err != nil {
			return "", false, false
		}
		var lock struct {
			Packages map[string]struct {
				Version string `json:"version"`
				Dev     bool   `json:"dev"`
			} `json:"packages"`
			Dependencies map[string]struct {
				Version string `json:"version"`
				Dev     bool   `json:"dev"`
			} `json:"dependencies"`
		}
		if json.Unmarshal(data, &lock) != nil {
			return "", false, false
		}
		if p, ok := lock.Packages["node_modules/"+name]; ok {
			return p.Version, p.Dev, true
		}
		if p, ok := lock.Dependencies[name]; ok {
			return p.Version, p.Dev, true
		}
	case "yarn.lock":
		data, err := fs.ReadFile(c.FS, c.Lockfile)
		if err != nil {
			return "", false, false
		}
		// yarn.lock does not say which entries are dev dependencies: only
		// a direct dependency counts as found.
		re := cachedRegexp(`(?m)^"?` + regexp.QuoteMeta(name) + `@[^\n]*:\n\s+version:? "?([0-9][^"\s]*)`)
		if m := re.FindSubmatch(data); m != nil {
			return string(m[1]), false, c.Package.Dependencies[name] != ""
		}
	}
	return "", false, false
}

// nodeCorepackShims are the programs `corepack enable NAME` links, and
// those a global install of the corepack package puts on PATH.
var nodeCorepackShims = map[string][]string{
	"yarn": {"yarn", "yarnpkg"}, "pnpm": {"pnpm", "pnpx"}, "npm": {"npm", "npx"},
	"corepack": {"yarn", "yarnpkg", "pnpm", "pnpx"},
}

// nodeCorepackFetches are corepack's subcommands that download a package
// manager into its cache (install -g and prepare --activate among them),
// and its direct calls of one (corepack pnpm install).
var nodeCorepackFetches = map[string]bool{
	"prepare": true, "install": true, "use": true, "up": true,
	"yarn": true, "yarnpkg": true, "pnpm": true, "pnpx": true, "npm": true, "npx": true,
}

// nodeCorepack carries what corepack gave the builder to a container that
// runs a package manager through it (pnpm start after corepack enable):
// `corepack enable` links its shims into the directory of node
// (/usr/local/bin), which a new stage lacks, and the package manager
// itself is downloaded on first use into the cache of the user who ran it
// ($COREPACK_HOME, else ~/.cache/node/corepack), so without that cache the
// container would fetch it from the network when it starts. The enable is
// repeated in the runtime (it needs no network) and the caches the
// build's RUNs filled are copied. why is set when that cannot be done
// faithfully.
func (u *Unit) nodeCorepack(globals []nodeGlobal) (runs []Gen, copies []Copy, line int, why string) {
	type enable struct {
		text string
		line int
	}
	var enables []enable
	shims := map[string]bool{}
	global, globalSpec := false, ""
	for _, g := range globals {
		for _, a := range nonFlags(g.Cmd.Args[g.Words:]) {
			if a == "corepack" || strings.HasPrefix(a, "corepack@") {
				global, globalSpec = true, strings.TrimPrefix(strings.TrimPrefix(a, "corepack"), "@")
			}
		}
	}
	type fetch struct {
		s   *Step
		cmd Command
	}
	var fetches []fetch
	// What keeps the shims from being repeated matters only when the
	// container runs one of them.
	badLine, bad := 0, ""
	for _, s := range u.Steps {
		if s.In.Keyword != "run" {
			continue
		}
		for _, c := range s.Commands {
			name := c.Name()
			sub := ""
			if args := nonFlags(c.Args[1:]); len(args) > 0 {
				sub = args[0]
			}
			switch {
			case name == "corepack" && sub == "disable":
				if bad == "" {
					badLine, bad = s.In.StartLine, fmt.Sprintf("line %d runs corepack disable, which shims the image keeps is not followed", s.In.StartLine)
				}
			case name == "corepack" && sub == "enable":
				var names []string
				for i := 2; i < len(c.Args); i++ {
					a := c.Args[i]
					dir := ""
					switch {
					case a == "--install-directory" && i+1 < len(c.Args):
						i++
						dir = c.Args[i]
					case strings.HasPrefix(a, "--install-directory="):
						dir = strings.TrimPrefix(a, "--install-directory=")
					case !strings.HasPrefix(a, "-"):
						names = append(names, a)
					}
					if bad == "" && (strings.ContainsAny(c.Args[i], "$`\"'\\ \t") || dir != "" && !strings.HasPrefix(dir, "/")) {
						badLine, bad = s.In.StartLine, fmt.Sprintf("line %d runs %s, which cannot be repeated in the runtime as it is written (a variable, quoting or a relative --install-directory)", s.In.StartLine, strings.Join(c.Args, " "))
					}
				}
				if len(names) == 0 {
					names = []string{"yarn", "pnpm"}
				}
				for _, n := range names {
					for _, b := range nodeCorepackShims[n] {
						shims[b] = true
					}
				}
				text := "RUN " + strings.Join(c.Args, " ")
				dup := false
				for _, e := range enables {
					dup = dup || e.text == text
				}
				if !dup {
					enables = append(enables, enable{text, s.In.StartLine})
				}
			case name == "corepack" && nodeCorepackFetches[sub] && !hasFlag(c.Args, "-o", "--output"):
				fetches = append(fetches, fetch{s, c})
			case nodeGlobalCorepack(c):
				for _, b := range nodeCorepackShims["corepack"] {
					shims[b] = true
				}
			case shims[name]:
				fetches = append(fetches, fetch{s, c})
			}
		}
	}
	if len(enables) == 0 && !global {
		return nil, nil, 0, ""
	}
	progs, opaque := u.nodeRunPrograms()
	var used []string
	for p := range shims {
		if progs[p] {
			used = append(used, p)
		}
	}
	sort.Strings(used)
	what := "the container runs " + strings.Join(used, ", ")
	switch {
	case len(used) > 0:
	case progs["corepack"]:
		what = "the container runs corepack"
	case opaque != "":
		what = opaque + ", and may run a package manager"
	default:
		if len(enables) > 0 {
			u.Fact(enables[0].line, "corepack's shims stay in the builder: the container runs no package manager through them")
		}
		return nil, nil, 0, ""
	}
	if bad != "" {
		return nil, nil, badLine, fmt.Sprintf("%s through corepack, and %s", what, bad)
	}
	if global {
		// A global install of an old corepack keeps the old place.
		if major, minor := versionParts(globalSpec); globalSpec != "" && strings.Trim(globalSpec, "0123456789.") == "" && major == 0 && minor < 13 {
			return nil, nil, 0, fmt.Sprintf("%s through corepack %s, which keeps the package managers it downloads in ~/.node/corepack rather than ~/.cache/node/corepack: where they are is not known", what, globalSpec)
		}
	} else if !nodeCorepackXDG(u.Base) {
		return nil, nil, enables[0].line, fmt.Sprintf("%s through corepack, and the corepack of %s may predate 0.13, which kept the package managers it downloads in ~/.node/corepack rather than ~/.cache/node/corepack: where they are is not known", what, u.Base.Expanded)
	}
	for _, e := range enables {
		runs = append(runs, Gen{In: u.File.New("RUN", e.text), Line: e.line,
			Why: fmt.Sprintf("%s, whose shim corepack enable links next to node (/usr/local/bin), outside the copied directories", what)})
	}
	seen := map[string]bool{}
	for _, f := range fetches {
		l := f.s.In.StartLine
		env := func(k string) (string, bool) {
			if v, ok := f.cmd.Env[k]; ok {
				return v, true
			}
			return f.s.Env.Get(k)
		}
		dir := ""
		if v, ok := env("COREPACK_HOME"); ok && v != "" {
			dir = v
		} else if v, ok := env("XDG_CACHE_HOME"); ok && v != "" {
			dir = v + "/node/corepack"
		} else {
			home, ok := env("HOME")
			if !ok {
				home, ok = u.userHome(f.s)
			}
			if !ok {
				return nil, nil, l, fmt.Sprintf("line %d runs %s, which corepack downloads into the home directory of the user, and that directory is not known", l, strings.Join(f.cmd.Args, " "))
			}
			dir = home + "/.cache/node/corepack"
		}
		if strings.Contains(dir, "$") || !strings.HasPrefix(dir, "/") {
			return nil, nil, l, fmt.Sprintf("line %d runs %s, and where corepack keeps what it downloads (%s) is not known", l, strings.Join(f.cmd.Args, " "), dir)
		}
		dir = path.Clean(dir)
		if run, ok := f.s.In.Command.(*instructions.RunCommand); ok {
			lex := shell.NewLex(u.File.Escape)
			if err := run.Expand(func(w string) (string, error) {
				v, _, err := lex.ProcessWord(w, f.s.Env)
				return v, err
			}); err != nil {
				return nil, nil, l, fmt.Sprintf("cannot read the --mount options of line %d: %v", l, err)
			}
			mounted := false
			for _, m := range instructions.GetMounts(run) {
				t := Resolve(f.s.Workdir, m.Target)
				switch {
				case m.Target == "":
				case inDir(dir, t):
					// What it downloads there never reaches the image: the
					// original's container fetches it again too.
					mounted = true
				case inDir(t, dir):
					return nil, nil, l, fmt.Sprintf("line %d runs %s with a --mount on %s, inside corepack's cache %s: what of the cache the image keeps is not known", l, strings.Join(f.cmd.Args, " "), t, dir)
				}
			}
			if mounted {
				continue
			}
		}
		if seen[dir] {
			continue
		}
		seen[dir] = true
		copies = append(copies, Copy{Src: dir, Dst: dir, Line: l,
			Why: fmt.Sprintf("%s through corepack, which line %d made download the package manager there: the runtime needs no network to start it", what, l)})
	}
	if len(copies) == 0 && len(enables) > 0 {
		u.Fact(enables[0].line, "no RUN calls a package manager through corepack, so the builder has nothing in corepack's cache: the container downloads it when it starts, as the original does")
	}
	return runs, copies, 0, ""
}

// nodeCorepackXDG reports whether the node image's own corepack is 0.13 or
// later, which keeps its downloads under ~/.cache/node/corepack: every
// Node.js 20 and later, Node.js 18 from 18.12 (corepack 0.13 came out in
// August 2022, during 18.8), and the tags that follow the newest release.
func nodeCorepackXDG(im Image) bool {
	major, minor := versionParts(im.Version)
	switch {
	case im.Version == "":
		for _, old := range []string{"argon", "boron", "carbon", "dubnium", "erbium", "fermium", "gallium"} {
			if strings.HasPrefix(im.Tag, old) {
				return false
			}
		}
		return true
	case major >= 20:
		return true
	case major == 18:
		return !strings.Contains(im.Version, ".") || minor >= 12
	}
	return false
}

// nodeGlobalCorepack reports whether c installs the corepack package
// globally (npm install -g corepack), which puts its shims on PATH.
func nodeGlobalCorepack(c Command) bool {
	pkgs, _ := nodeGlobalPackages(c)
	for _, a := range pkgs {
		if a == "corepack" || strings.HasPrefix(a, "corepack@") {
			return true
		}
	}
	return false
}

// nodeGlobalPackages returns the packages a global install names (npm
// install -g, yarn global add); ok is false for any other command.
func nodeGlobalPackages(c Command) (pkgs []string, ok bool) {
	switch {
	case c.Name() == "npm" && len(c.Args) > 1 && (c.Args[1] == "install" || c.Args[1] == "i" || c.Args[1] == "add") && hasFlag(c.Args, "-g", "--global", "--location=global"):
		return nonFlags(c.Args[2:]), true
	case c.Name() == "yarn" && len(c.Args) > 2 && c.Args[1] == "global" && c.Args[2] == "add":
		return nonFlags(c.Args[3:]), true
	}
	return nil, false
}

// nodeYarn is what the build context says of the Yarn that installs.
type nodeYarn struct {
	// Berry is set for Yarn 2 and later, which ignore NODE_ENV when they
	// install (dev dependencies included); What names the version and the
	// evidence.
	Berry bool
	What  string
	// Major is Yarn's major version, 0 when it is not known.
	Major int
	// PnP is set when Yarn writes no node_modules (nodeLinker pnp, Yarn
	// 2's default); LocalCache when the packages .pnp.cjs points to are
	// in the project's .yarn/cache, which a copy of the app directory
	// carries (Yarn 4 keeps them in a global cache by default).
	PnP, LocalCache bool
	// Focus is set when yarn workspaces focus --production is there to
	// install without the dev dependencies; NoFocus says why not.
	Focus   bool
	NoFocus string
}

var (
	yarnReleaseRe = regexp.MustCompile(`yarn-(\d+)\.\d+\.\d+[^/]*$`)
	yarnManagerRe = regexp.MustCompile(`^yarn@(\d+)\.`)
)

// nodeYarnInfo reads .yarnrc.yml, package.json's packageManager, the
// releases under .yarn/ and yarn.lock's format; install is the Dockerfile's
// yarn install, whose --immutable is Yarn 2's flag.
func (u *Unit) nodeYarnInfo(install Command) nodeYarn {
	var y nodeYarn
	rc := map[string]string{}
	plugin := false
	if c := u.Context; c != nil {
		if data, err := fs.ReadFile(c.FS, ".yarnrc.yml"); err == nil {
			y.Berry, y.What = true, ".yarnrc.yml"
			for _, l := range strings.Split(string(data), "\n") {
				l = strings.TrimRight(l, " \t\r")
				if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
					continue
				}
				if strings.Contains(l, "plugin-workspace-tools") {
					plugin = true
				}
				if l[0] == ' ' || l[0] == '\t' || l[0] == '-' {
					continue
				}
				k, v, ok := strings.Cut(l, ":")
				if !ok {
					continue
				}
				v = strings.TrimSpace(v)
				if i := strings.Index(v, " #"); i >= 0 {
					v = strings.TrimSpace(v[:i])
				}
				rc[strings.TrimSpace(k)] = strings.Trim(v, `"'`)
			}
		}
		pm := ""
		if c.Package != nil {
			pm = c.Package.PackageManager
		}
		switch {
		case rc["yarnPath"] != "":
			// Any yarn, Corepack's or the image's classic one, hands over
			// to the release yarnPath names.
			y.Berry, y.What = true, ".yarnrc.yml's yarnPath "+rc["yarnPath"]
			if m := yarnReleaseRe.FindStringSubmatch(rc["yarnPath"]); m != nil {
				y.Major, _ = versionParts(m[1])
				y.Berry = y.Major != 1
			}
		case yarnManagerRe.MatchString(pm):
			y.Major, _ = versionParts(yarnManagerRe.FindStringSubmatch(pm)[1])
			y.Berry, y.What = y.Major >= 2, "package.json's packageManager "+pm
		case y.Berry:
		default:
			if ms, _ := fs.Glob(c.FS, ".yarn/releases/yarn-*"); len(ms) > 0 {
				y.Berry, y.What = true, ms[0]
				if m := yarnReleaseRe.FindStringSubmatch(ms[0]); m != nil {
					y.Major, _ = versionParts(m[1])
				}
			} else if data, err := fs.ReadFile(c.FS, "yarn.lock"); err == nil && (strings.HasPrefix(string(data), "__metadata:") || strings.Contains(string(data), "\n__metadata:")) {
				y.Berry, y.What = true, "yarn.lock's format"
			}
		}
	}
	if !y.Berry && hasFlag(install.Args, "--immutable", "--immutable-cache") {
		y.Berry, y.What = true, "yarn install "+strings.Join(install.Args[2:], " ")
	}
	if !y.Berry {
		return y
	}
	name := "Yarn 2 or later"
	if y.Major > 0 {
		name = fmt.Sprintf("Yarn %d", y.Major)
	}
	y.What = fmt.Sprintf("%s (%s)", name, y.What)
	switch rc["nodeLinker"] {
	case "", "pnp":
		y.PnP = true
		switch global := rc["enableGlobalCache"]; {
		case rc["cacheFolder"] != "":
		case global == "false":
			y.LocalCache = true
		case global == "" && (y.Major == 2 || y.Major == 3):
			y.LocalCache = true
		}
	}
	switch {
	case y.Major >= 4:
		y.Focus = true // workspace-tools is built into Yarn 4
	case plugin:
		y.Focus = true
	case y.Major == 0:
		y.NoFocus = "yarn workspaces focus --production, which leaves them out, is built into Yarn 4 only, which Yarn this is cannot be told, and .yarnrc.yml imports no workspace-tools plugin"
	default:
		y.NoFocus = fmt.Sprintf("yarn workspaces focus --production, which leaves them out, needs the workspace-tools plugin in Yarn %d, and .yarnrc.yml imports none", y.Major)
	}
	return y
}
