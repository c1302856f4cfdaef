package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var passRuby = &Pass{
	Name:     "ruby",
	Families: []string{"ruby"},
	Doc: `Plans the split of a Ruby image (bundler, gem install).
Gems go where bundler puts them: BUNDLE_PATH (environment, bundle config set path, --path,
--deployment), else GEM_HOME, /usr/local/bundle in the official image, which also holds bundler's
config (BUNDLE_APP_CONFIG). Bundler's config written elsewhere is copied: bundle config --local (and
the options bundle install remembers) writes $BUNDLE_APP_CONFIG/config, --global ~/.bundle/config,
no scope the app's config inside an app on Bundler 2.3.7+ (Ruby 3.1.1+, or a bundler the Dockerfile
installs at the version Gemfile.lock's BUNDLED WITH names), the user's with an older such bundler or
on Ruby 2.x and 3.0 when the Dockerfile installs no other Bundler, and it is a skip otherwise; a
build.* setting is read by bundle install alone. The runtime is ruby:<tag>-slim, or the builder's own image when it is
already slim and the Dockerfile added compilers; it receives the gem directory and the app (the
directories the build context was copied into and the final WORKDIR). Gems that compile against a
library the full image supplied (pg, mysql2), read from Gemfile.lock and gem install lines, bring
its run-time package (nokogiri with --use-system-libraries: libxml2 and libxslt); nodejs stays when the Dockerfile installed it
and Gemfile.lock has execjs (or there is no Gemfile.lock), since Rails' asset gems need a
JavaScript runtime when the app boots (a nodejs so kept that was installed after a package source
is added, NodeSource's, is a skip: the runtime would get another major version); a nodejs or yarn
only the build uses stays in the builder with its package source, and the node_modules a yarn or
npm install put in the app directory are removed at the end of the builder. -onbuild images are skipped: their hidden ONBUILD steps
would not run in the runtime stage.`,
	Requires: []*Pass{passSteps, passContext},
	Run: func(u *Unit) error {
		if needs := u.runtimeNeeds(); needs.Toolchain != 0 {
			// bin/dev: foreman with Procfile.dev, the asset watchers and
			// the development server.
			u.Skip(needs.Toolchain, "the container runs %q at run time: a development launcher, which needs the build tools", needs.ToolchainWhat)
			return nil
		}
		from := u.Stage.From.StartLine
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the toolchain", needs.ToolchainWhat)
			return nil
		}
		if strings.Contains(u.Base.Tag, "onbuild") {
			u.Skip(from, "%s runs ONBUILD steps this Dockerfile does not show: a runtime stage would not repeat them", u.Base.Expanded)
			return nil
		}
		var first *Step
		gemDir, gemWhy := "", ""
		relPath := ""   // a relative bundle path, resolved where bundle install runs
		deployLine := 0 // bundle config deployment true: vendor/bundle unless a path is set
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				args := c.Args
				if len(args) < 2 {
					continue
				}
				name := c.Name()
				switch {
				case name == "bundle" && args[1] == "config":
					// bundle config [set] [--global|--local] path DIR
					rest := nonFlags(args[2:])
					if len(rest) > 0 && rest[0] == "set" {
						rest = rest[1:]
					}
					if len(rest) == 2 && (rest[0] == "deployment" || rest[0] == "BUNDLE_DEPLOYMENT") && (rest[1] == "true" || rest[1] == "1") {
						deployLine = s.In.StartLine
					}
					if len(rest) == 2 && rest[0] == "path" {
						gemWhy = fmt.Sprintf("line %d sets bundler's path", s.In.StartLine)
						if path.IsAbs(rest[1]) {
							gemDir, relPath = rest[1], ""
						} else {
							// Bundler reads a relative path against the app
							// root (the Gemfile's directory), not where the
							// config was set.
							gemDir, relPath = "", rest[1]
						}
					}
					continue
				case name == "bundle" && (args[1] == "install" || args[1] == "update"):
					if relPath != "" && gemDir == "" {
						gemDir = Resolve(c.Dir, relPath)
					}
					if deployLine != 0 && gemDir == "" {
						gemDir, gemWhy = Resolve(c.Dir, "vendor/bundle"), fmt.Sprintf("line %d sets bundler's deployment mode", deployLine)
					}
					for i, a := range args {
						if a == "--path" && i+1 < len(args) {
							gemDir, gemWhy = Resolve(c.Dir, args[i+1]), fmt.Sprintf("line %d installs with --path", s.In.StartLine)
						}
						if a == "--deployment" && gemDir == "" {
							gemDir, gemWhy = Resolve(c.Dir, "vendor/bundle"), fmt.Sprintf("line %d installs with --deployment", s.In.StartLine)
						}
					}
				case name == "gem" && args[1] == "install":
				default:
					continue
				}
				if first == nil {
					first = s
				}
			}
		}
		if first == nil {
			u.Skip(from, "no bundle install or gem install: nothing is built; use %s's slim variant directly", u.Base.Expanded)
			return nil
		}
		if v, ok := first.Env.Get("BUNDLE_DEPLOYMENT"); ok && gemDir == "" && (v == "1" || v == "true") {
			if _, set := first.Env.Get("BUNDLE_PATH"); !set {
				gemDir, gemWhy = Resolve(first.Workdir, "vendor/bundle"), "BUNDLE_DEPLOYMENT puts gems in vendor/bundle"
			}
		}
		if gemDir == "" {
			for _, k := range []string{"BUNDLE_PATH", "GEM_HOME"} {
				if v, ok := first.Env.Get(k); ok && v != "" {
					gemDir, gemWhy = Resolve(first.Workdir, v), k+" says where gems go"
					break
				}
			}
		}
		if gemDir == "" || strings.Contains(gemDir, "$") {
			u.Skip(first.In.StartLine, "cannot tell where bundler installs the gems (no BUNDLE_PATH or GEM_HOME)")
			return nil
		}
		rt, why := u.interpRuntime()
		if why != "" {
			u.Skip(from, "%s", why)
			return nil
		}
		plan := &Plan{Ecosystem: "ruby", Runtime: rt}
		u.Fact(first.In.StartLine, "gems are installed into %s (%s)", gemDir, gemWhy)
		app, why := u.appCopies(gemDir)
		if why != "" {
			u.Skip(from, "%s", why)
			return nil
		}
		plan.Copies = withDir(u.withoutRemoved(plan, app), gemDir, first.In.StartLine, "the installed gems, their executables and bundler's config")
		u.Plan = plan
		if why := u.carryBundleConfig(plan); why != "" {
			u.Skip(from, "%s", why)
			u.Plan = nil
			return nil
		}
		var source *Step // the first step that adds a package source
		for _, s := range u.Steps {
			if source == nil && (s.In.Keyword == "run" || s.In.Keyword == "copy" || s.In.Keyword == "add") && aptSourceRe.MatchString(string(s.In.Raw)) {
				source = s
			}
			for _, p := range s.Installs {
				if p != "nodejs" {
					continue
				}
				// NodeSource's nodejs, most likely: a runtime that needs it
				// would get the distribution's, another major version.
				fromSource := func() bool {
					if source == nil {
						return false
					}
					u.Skip(s.In.StartLine, "%s", u.sourceSkipReason(s, p, source))
					u.Plan = nil
					return true
				}
				if p == "nodejs" {
					if why := u.rubyRunsNode(); why != "" {
						if fromSource() {
							return nil
						}
						if line := u.nodeGlobalInstall(); line != 0 {
							// npm install -g yarn puts it under /usr/local,
							// which the ruby runtime does not receive.
							u.Skip(line, "%s, and line %d installs node packages globally (npm install -g): the runtime would need them as well as nodejs", why, line)
							u.Plan = nil
							return nil
						}
						plan.Packages = append(plan.Packages, Package{Name: "nodejs", Line: s.In.StartLine,
							Why: fmt.Sprintf("line %d installs nodejs: %s", s.In.StartLine, why)})
						if slices.Contains(s.Installs, "npm") {
							plan.Packages = append(plan.Packages, Package{Name: "npm", Line: s.In.StartLine,
								Why: fmt.Sprintf("line %d installs npm: %s, which runs the package.json scripts", s.In.StartLine, why)})
						}
						continue
					}
					lock := u.gemLockWithout("execjs")
					if u.gemLockWithout("") == "" {
						lock = "" // no lock file: execjs cannot be ruled out
					} else if lock == "" && u.gemLockWithout("mini_racer") == "" {
						lock = "Gemfile.lock has mini_racer, which ExecJS picks before Node.js"
					} else if lock != "" {
						lock += " has no execjs"
					}
					if lock != "" {
						// jsbundling/cssbundling and propshaft use node at
						// build time only; execjs (uglifier, coffee-rails,
						// autoprefixer-rails) is what loads it at boot.
						u.Fact(s.In.StartLine, "nodejs stays in the builder: %s (execjs is what needs a JavaScript runtime when the app boots)", lock)
						u.rubyDropNodeModules(plan)
						continue
					}
					if fromSource() {
						return nil
					}
					plan.Packages = append(plan.Packages, Package{Name: "nodejs", Line: s.In.StartLine,
						Why: fmt.Sprintf("line %d installs nodejs: Rails' asset gems (execjs) need a JavaScript runtime when the app boots", s.In.StartLine)})
				}
			}
		}
		u.rubyNativeLibs()
		u.alpineCxxRuntime()
		return nil
	},
}

// gemNative maps gems that need a system library (or program) the full
// ruby image supplied to the Debian package the build links (or calls);
// devToRuntime names a -dev package's run-time library per release.
// nokogiri builds its own libxml2, and sqlite3 1.5 and later its own
// SQLite (gemOwnCopySince), so they need nothing at run time.
var gemNative = map[string]string{
	"pg":          "libpq-dev",
	"mysql2":      "default-libmysqlclient-dev",
	"sqlite3":     "libsqlite3-dev",
	"mini_magick": "imagemagick", // runs the convert/magick programs
	"rmagick":     "libmagickwand-dev",
	"ethon":       "libcurl4-openssl-dev", // loads libcurl through FFI (typhoeus)
	// gem install names no lock file: gems that always pull in ethon.
	"typhoeus":     "libcurl4-openssl-dev",
	"html-proofer": "libcurl4-openssl-dev", // depends on typhoeus
}

// nokogiriSystemLibs are what nokogiri links when it is compiled with
// --use-system-libraries instead of its own copies. A precompiled
// platform gem ignores the option, so the libraries may be unused; they
// are small, and a missing one breaks the program at boot.
var nokogiriSystemLibs = []string{"libxml2-dev", "libxslt1-dev"}

// gemOwnCopySince is the version from which a gem carries its own copy of
// the library.
var gemOwnCopySince = map[string][2]int{"sqlite3": {1, 5}}

// rubyNativeWords show a database adapter when the Gemfile.lock cannot be
// read.
var rubyNativeWords = map[string]string{"postgresql": "pg", "postgres": "pg", "mysql": "mysql2", "mysql2": "mysql2"}

// rubyRunsNode says why the container itself needs Node.js: its command or
// script runs node, yarn, npm or npx, or a task that builds JavaScript
// (assets:precompile, webpacker:compile, javascript:build, css:build).
func (u *Unit) rubyRunsNode() string {
	runs := u.runtimePrograms()
	for _, w := range []string{"node", "nodejs", "yarn", "yarnpkg", "npm", "npx"} {
		if runs[w] {
			return "the container runs " + w + " at start"
		}
	}
	// The words of a script are split at the colon of a rake task.
	for _, t := range [][2]string{{"assets", "precompile"}, {"webpacker", "compile"}, {"javascript", "build"}, {"css", "build"}} {
		if runs[t[0]] && runs[t[1]] {
			return "the container runs " + t[0] + ":" + t[1] + " at start, which builds JavaScript"
		}
	}
	return ""
}

// nodeGlobalInstall is the line of a global node package install (npm
// install -g, yarn global add), or 0.
func (u *Unit) nodeGlobalInstall() int {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() == "npm" && len(c.Args) > 1 && (c.Args[1] == "install" || c.Args[1] == "i") && hasFlag(c.Args, "-g", "--global") ||
				c.Name() == "yarn" && len(c.Args) > 2 && c.Args[1] == "global" && c.Args[2] == "add" {
				return s.In.StartLine
			}
		}
	}
	return 0
}

// rubyDropNodeModules removes, at the end of the builder, the node_modules
// a yarn or npm install put in the app directory: with Node.js left in
// the builder, the runtime cannot run them, and the assets they built are
// compiled already (webpacker's node_modules is typically 150-300 MB).
func (u *Unit) rubyDropNodeModules(plan *Plan) {
	seen := map[string]bool{}
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			verb := ""
			if len(c.Args) > 1 {
				verb = c.Args[1]
			}
			switch {
			case c.Name() == "yarn" && (verb == "" || verb == "install" || strings.HasPrefix(verb, "-")):
			case c.Name() == "npm" && (verb == "install" || verb == "i" || verb == "ci") && !hasFlag(c.Args, "-g", "--global") && len(nonFlags(c.Args[2:])) == 0:
			default:
				continue
			}
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			nm := Resolve(dir, "node_modules")
			if seen[nm] || strings.Contains(nm, "$") {
				continue
			}
			for _, cp := range plan.Copies {
				if _, in := under(nm, path.Clean(cp.Src)); in && cp.Replay == nil && nm != path.Clean(cp.Src) {
					seen[nm] = true
					plan.BuilderTail = append(plan.BuilderTail, Gen{
						In:   u.File.New("RUN", "RUN rm -rf "+nm),
						Why:  fmt.Sprintf("the front-end packages line %d installed: Node.js stays in the builder, so the runtime could not run them, and the assets they built are compiled", s.In.StartLine),
						Line: s.In.StartLine})
					break
				}
			}
		}
	}
}

// gemLockWithout names the lock file of the build context when it locks
// no gem called gem, or returns "" (no lock file, or the gem is there).
// gemLockWithout("") names the lock file when there is one.
func (u *Unit) gemLockWithout(gem string) string {
	if u.Context == nil {
		return ""
	}
	for _, name := range []string{"Gemfile.lock", "gems.locked"} {
		b, err := fs.ReadFile(u.Context.FS, name)
		if err != nil {
			continue
		}
		for _, m := range gemLockRe.FindAllStringSubmatch(string(b), -1) {
			if m[1] == gem {
				return ""
			}
		}
		return name
	}
	return ""
}

var gemLockRe = regexp.MustCompile(`(?m)^    ([a-z0-9_-]+) \(([0-9][^)-]*)`)

// rubyNativeLibs adds the run-time libraries of gems that compiled against
// a library of the full builder image.
func (u *Unit) rubyNativeLibs() {
	if u.Base.Libc == "musl" || strings.Contains(u.Base.Tag, "slim") {
		return
	}
	found := map[string]string{}
	read := false
	if u.Context != nil {
		for _, name := range []string{"Gemfile.lock", "gems.locked"} {
			b, err := fs.ReadFile(u.Context.FS, name)
			if err != nil {
				continue
			}
			read = true
			for _, m := range gemLockRe.FindAllStringSubmatch(string(b), -1) {
				if since, ok := gemOwnCopySince[m[1]]; ok {
					if major, minor := versionParts(m[2]); major > since[0] || major == since[0] && minor >= since[1] {
						continue
					}
				}
				found[m[1]] = name + " " + m[1] + " " + m[2]
			}
		}
	}
	installed, systemLibs := u.gemInstalls()
	for gem, why := range installed {
		if _, ok := found[gem]; !ok {
			found[gem] = why
		}
	}
	if !read {
		for gem, why := range dockerfileMentions(u.File.Source, rubyNativeWords) {
			if _, ok := found[gem]; !ok {
				found[gem] = why
			}
		}
		u.Warn(u.Stage.From.StartLine, "no Gemfile.lock in the build context: a gem built from source links the full image's -dev libraries, and its run-time library may be missing from %s; stagesplit verify shows it", u.Plan.Runtime.Ref)
	}
	u.addNativePackages(found, gemNative, "the %s gem")
	if systemLibs != "" {
		for _, dev := range nokogiriSystemLibs {
			u.addNativePackages(map[string]string{"nokogiri": systemLibs}, map[string]string{"nokogiri": dev}, "the %s gem, if built from source with --use-system-libraries (a precompiled platform gem ignores it),")
		}
	}
}

// gemValueOpts are gem install's options that take the next word.
var gemValueOpts = map[string]bool{"-v": true, "--version": true, "-i": true, "--install-dir": true, "-n": true, "--bindir": true,
	"-s": true, "--source": true, "-P": true, "--trust-policy": true, "--platform": true, "-g": true, "--file": true, "--build-root": true}

// gemInstalls maps the gems named on gem install command lines to the
// evidence, leaving out those that carry their own copy of the library
// at the version asked for (the newest when none is). systemLibs is the
// evidence that nokogiri links the system's libxml2 and libxslt
// (--use-system-libraries, NOKOGIRI_USE_SYSTEM_LIBRARIES), "" otherwise.
func (u *Unit) gemInstalls() (found map[string]string, systemLibs string) {
	found = map[string]string{}
	for _, s := range u.Steps {
		if v, ok := s.Env.Get("NOKOGIRI_USE_SYSTEM_LIBRARIES"); ok && v != "" && v != "0" && v != "false" {
			systemLibs = "NOKOGIRI_USE_SYSTEM_LIBRARIES is set"
		}
		for _, c := range s.Commands {
			args := c.Args
			if len(args) < 3 {
				continue
			}
			if c.Name() == "bundle" && args[1] == "config" && hasFlag(args, "build.nokogiri") && anyPrefix(args, "--use-system-libraries") {
				systemLibs = fmt.Sprintf("line %d configures build.nokogiri --use-system-libraries", s.In.StartLine)
				continue
			}
			if c.Name() != "gem" || args[1] != "install" {
				continue
			}
			version := ""
			var names []string
			for i := 2; i < len(args); i++ {
				a := args[i]
				if a == "--" {
					if contains(names, "nokogiri") && anyPrefix(args[i+1:], "--use-system-libraries") {
						systemLibs = fmt.Sprintf("line %d installs nokogiri with --use-system-libraries", s.In.StartLine)
					}
					break
				}
				if gemValueOpts[a] && i+1 < len(args) {
					if a == "-v" || a == "--version" {
						version = strings.TrimLeft(args[i+1], "=~> ")
					}
					i++
					continue
				}
				if strings.HasPrefix(a, "--version=") {
					version = strings.TrimLeft(strings.TrimPrefix(a, "--version="), "=~> ")
					continue
				}
				if !strings.HasPrefix(a, "-") && !strings.Contains(a, "$") {
					name, v, _ := strings.Cut(a, ":") // gem install rails:7.1.3
					names = append(names, name)
					if v != "" {
						version = v
					}
				}
			}
			for _, name := range names {
				if since, ok := gemOwnCopySince[name]; ok {
					if version == "" {
						continue // the newest version has its own copy
					}
					if major, minor := versionParts(version); major > since[0] || major == since[0] && minor >= since[1] {
						continue
					}
				}
				found[name] = fmt.Sprintf("line %d runs gem install %s", s.In.StartLine, name)
			}
		}
	}
	return found, systemLibs
}

func init() {
	familyConfigs["ruby"] = func(im Image) BaseConfig {
		// The official ruby images (docker-library/ruby): same config for
		// the full, slim and alpine variants.
		return BaseConfig{
			Env: []string{"LANG=C.UTF-8", "RUBY_VERSION=" + im.Version, "GEM_HOME=/usr/local/bundle",
				"BUNDLE_SILENCE_ROOT_WARNING=1", "BUNDLE_APP_CONFIG=/usr/local/bundle",
				"PATH=/usr/local/bundle/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"irb"},
		}
	}
}

// bundleConfigWrite is a bundler config file a command of the stage writes.
type bundleConfigWrite struct {
	dir  string // the directory that holds the file named config
	line int
	why  string
}

// carryBundleConfig copies the bundler config files the Dockerfile wrote
// outside the copied directories: `bundle config set --local path
// vendor/bundle` writes $BUNDLE_APP_CONFIG/config, which is
// /usr/local/bundle/config in the ruby images, and without it bundler in
// the runtime stage looks for the gems in GEM_HOME. The directory that
// holds the file is copied (the ruby images always have
// /usr/local/bundle). The reason is set when where a command writes
// cannot be told.
func (u *Unit) carryBundleConfig(plan *Plan) string {
	writes, why := u.bundleConfigWrites()
	if why != "" {
		return why
	}
	seen := map[string]bool{}
	for _, w := range writes {
		if seen[w.dir] {
			continue
		}
		seen[w.dir] = true
		covered := false
		for _, c := range plan.Copies {
			if _, in := under(w.dir, path.Clean(c.Dst)); in && c.Replay == nil {
				covered = true
			}
		}
		if covered {
			continue
		}
		if line := u.removedAfter(w.dir+"/config", w.line); line != 0 {
			u.Fact(w.line, "bundler's config in %s is not copied: line %d removes it", w.dir, line)
			continue
		}
		plan.Copies = append(plan.Copies, Copy{Src: w.dir, Dst: w.dir, Line: w.line, Chown: u.runUserAt(w.line),
			Why: w.why + "; bundler in the runtime reads it (the gem path, the groups left out)"})
	}
	return ""
}

// bundleConfigWrites lists where the stage's bundle config commands, and
// the options bundle install remembers (--path, --deployment, --without,
// --with), write bundler's config.
func (u *Unit) bundleConfigWrites() ([]bundleConfigWrite, string) {
	var out []bundleConfigWrite
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			args := c.Args
			if c.Name() != "bundle" || len(args) < 3 {
				continue
			}
			env := func(k string) (string, bool) {
				if v, ok := c.Env[k]; ok {
					return v, true
				}
				return s.Env.Get(k)
			}
			scope := ""
			switch {
			case args[1] == "config":
				// The words after config, without the scope (a value may
				// look like a flag: build.nokogiri --use-system-libraries).
				var rest []string
				for _, a := range args[2:] {
					if a != "--local" && a != "--global" && a != "--parseable" {
						rest = append(rest, a)
					}
				}
				if len(rest) == 0 || rest[0] != "set" && (rest[0] == "list" || rest[0] == "get" || rest[0] == "unset" || hasFlag(rest, "--delete") || len(rest) == 1) {
					continue // reads the config, or removes a setting: nothing new to carry
				}
				if key := rest[0]; key == "set" && len(rest) > 1 && strings.HasPrefix(rest[1], "build.") || key != "set" && strings.HasPrefix(key, "build.") {
					continue // build.nokogiri: flags for compiling a gem, read by bundle install alone
				}
				switch {
				case hasFlag(args, "--local"):
					scope = "local"
				case hasFlag(args, "--global"):
					scope = "global"
				case !u.gemfileIn(s, c.Dir):
					scope = "global" // outside an app every Bundler writes the user's file
				default:
					// Inside an app, Bundler 2.3.7 and later (rubygems#4152,
					// released 2022-02-09; Ruby 3.1.1 ships it) write the
					// app's config; older ones the user's.
					if v := u.bundlerVersion(s); v != "" {
						scope = "global"
						if versionAtLeast(v, "2.3.7") {
							scope = "local"
						}
						u.Fact(s.In.StartLine, "line %d runs Bundler %s (installed with that version and named by BUNDLED WITH): bundle config without a scope writes the %s config", s.In.StartLine, v, map[string]string{"global": "user's", "local": "app's"}[scope])
					} else if v := u.Base.Version; !rubyBundlesLocalConfig(v) && strings.Count(v, ".") >= 1 && !versionAtLeast(v, "3.1") && !u.installsBundler() {
						// Ruby 2.x and 3.0 ship Bundler 1.17 to 2.2.x, all older
						// than 2.3.7, and nothing here installs another.
						scope = "global"
						u.Fact(s.In.StartLine, "%s ships a Bundler older than 2.3.7 and the Dockerfile installs no other: bundle config without a scope writes the user's config", u.Base.Expanded)
					} else if !rubyBundlesLocalConfig(v) {
						return nil, fmt.Sprintf("line %d runs bundle config without --local or --global: where %s's Bundler writes it (the app's config from Bundler 2.3.7, shipped with Ruby 3.1.1, the user's before) depends on its version; add --local", s.In.StartLine, u.Base.Expanded)
					} else {
						scope = "local"
					}
				}
			case args[1] == "install" && (hasFlag(args, "--path", "--deployment", "--without", "--with") || anyPrefix(args, "--path=") || anyPrefix(args, "--without=") || anyPrefix(args, "--with=")):
				scope = "local" // Bundler 2 remembers these options in the app's config
			default:
				continue
			}
			line := s.In.StartLine
			if scope == "local" {
				dir, why := "", ""
				if v, ok := env("BUNDLE_APP_CONFIG"); ok && v != "" {
					dir, why = Resolve(c.Dir, v), fmt.Sprintf("line %d writes bundler's app config in %s (BUNDLE_APP_CONFIG)", line, v)
				} else {
					dir, why = Resolve(c.Dir, ".bundle"), fmt.Sprintf("line %d writes bundler's app config in the app's .bundle", line)
				}
				if strings.Contains(dir, "$") {
					return nil, fmt.Sprintf("line %d writes bundler's config in %s, which cannot be resolved", line, dir)
				}
				out = append(out, bundleConfigWrite{dir, line, why})
				continue
			}
			dir := ""
			if v, ok := env("BUNDLE_USER_CONFIG"); ok && v != "" {
				dir = path.Dir(Resolve(c.Dir, v))
			} else if v, ok := env("BUNDLE_USER_HOME"); ok && v != "" {
				dir = Resolve(c.Dir, v)
			} else if v, ok := env("HOME"); ok && v != "" {
				dir = Resolve(c.Dir, v) + "/.bundle"
			} else if home, ok := u.userHome(s); ok {
				dir = home + "/.bundle"
			} else {
				user, _ := u.userAt(s)
				return nil, fmt.Sprintf("line %d writes bundler's config in the home directory of USER %s, which is not known", line, user)
			}
			if strings.Contains(dir, "$") {
				return nil, fmt.Sprintf("line %d writes bundler's config in %s, which cannot be resolved", line, dir)
			}
			out = append(out, bundleConfigWrite{dir, line, fmt.Sprintf("line %d writes bundler's user config in %s", line, dir)})
		}
	}
	return out, ""
}

// gemfileIn reports whether a Gemfile is in dir or a directory above it
// when s runs (BUNDLE_GEMFILE, or a COPY from the build context put one
// there), which makes Bundler see an app.
func (u *Unit) gemfileIn(s *Step, dir string) bool {
	if v, ok := s.Env.Get("BUNDLE_GEMFILE"); ok && v != "" {
		return true
	}
	for _, x := range u.Steps {
		if x == s {
			break
		}
		sd, ok := contextCopy(x)
		if !ok {
			continue
		}
		dest := u.copyDest(x)
		if dest == "" {
			continue
		}
		if _, in := under(dir, dest); !in {
			if _, in := under(dir, path.Dir(dest)); !in {
				continue
			}
		}
		for _, src := range sd.SourcePaths {
			base := path.Base(src)
			switch {
			case base == "Gemfile" || base == "gems.rb" || strings.HasPrefix(base, "Gemfile"):
				return true
			case path.Clean(src) == "." || strings.HasSuffix(src, "/") || strings.ContainsAny(src, "*?["):
				if u.Context == nil {
					return true // the whole context, most likely with its Gemfile
				}
				if _, err := fs.Stat(u.Context.FS, path.Join(path.Clean(src), "Gemfile")); err == nil {
					return true
				}
			}
		}
	}
	return false
}

// bundlerVersion is the Bundler version that step s runs when the
// Dockerfile installs one explicitly (gem install bundler:2.1.4, or -v)
// and Gemfile.lock's BUNDLED WITH names the same: RubyGems runs the
// BUNDLED WITH version when it is installed. "" when not known so.
func (u *Unit) bundlerVersion(s *Step) string {
	installed := ""
	for _, st := range u.Steps {
		if st.In.StartLine > s.In.StartLine {
			break
		}
		for _, c := range st.Commands {
			a := c.Args
			if c.Name() != "gem" || len(a) < 3 || a[1] != "install" {
				continue
			}
			for i := 2; i < len(a); i++ {
				switch w := strings.Trim(a[i], `"'`); {
				case strings.HasPrefix(w, "bundler:"):
					installed = strings.TrimPrefix(w, "bundler:")
				case w == "bundler" && i+2 < len(a) && (a[i+1] == "-v" || a[i+1] == "--version"):
					installed = strings.Trim(a[i+2], `"'`)
				}
			}
		}
	}
	if installed == "" || u.Context == nil {
		return ""
	}
	for _, name := range []string{"Gemfile.lock", "gems.locked"} {
		b, err := fs.ReadFile(u.Context.FS, name)
		if err != nil {
			continue
		}
		if m := bundledWithRe.FindSubmatch(b); m != nil && string(m[1]) == installed {
			return installed
		}
		return ""
	}
	return ""
}

var bundledWithRe = regexp.MustCompile(`(?m)^BUNDLED WITH\r?\n\s+([0-9][0-9.]*)\s*$`)

// installsBundler reports whether the stage installs or updates Bundler
// or RubyGems (gem install bundler, gem update --system), which may make a
// newer Bundler run than the Ruby release ships.
func (u *Unit) installsBundler() bool {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "gem" || len(c.Args) < 3 {
				continue
			}
			for _, a := range c.Args[2:] {
				if a == "--system" || strings.HasPrefix(strings.Trim(a, `"'`), "bundler") {
					return true
				}
			}
		}
	}
	return false
}

// rubyBundlesLocalConfig reports whether the Bundler a Ruby release ships
// (3.1.1 and later: 2.3.7+) writes an unscoped bundle config to the app.
// A tag without a patch is the newest patch release.
func rubyBundlesLocalConfig(version string) bool {
	parts := strings.Split(version, ".")
	if len(parts) < 2 {
		return false
	}
	if len(parts) == 2 {
		return versionAtLeast(version, "3.1")
	}
	return versionAtLeast(version, "3.1.1")
}

// versionAtLeast compares dotted numeric versions.
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(b); i++ {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		y, _ = strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}
