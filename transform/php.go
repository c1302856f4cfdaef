package transform

import (
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

var passPHP = &Pass{
	Name:     "php",
	Families: []string{"php", "debian", "ubuntu", "alpine"},
	Doc: `Plans the split of a PHP image built with composer: an official php image, or debian, ubuntu
or alpine with PHP from the package manager. composer install (or create-project) runs in the
builder, with composer itself (COPY --from=composer, the getcomposer.org installer), the git, unzip
and zip it fetches packages with, Node.js for asset builds, and composer's download cache; the
runtime is the same image. The distribution's own composer package stays, since it brings PHP
extensions (mbstring, intl). Extensions must be built in the image that runs them (REWRITE-RULES
§4), so the system setup is repeated in the runtime stage where it stands: every RUN before the
app is copied in (docker-php-ext-install, pecl, apt-get, a2enmod...), COPY --from an installer
image, ADD of a URL, and context files copied outside the app. After the app is copied, a RUN is
repeated when it only runs setup programs on paths outside the app (extensions, ini files under
$PHP_INI_DIR, apache modules); others stay in the builder and the effects pass carries what they
write. The runtime receives the app directory with vendor/ from the builder. The Debian php images
keep gcc and make for phpize, so the saving is composer, its helpers and its cache, not the
compiler; when only composer and its cache would be left behind, the file is skipped as not worth a
second stage (REWRITE-RULES §2). A symbolic link made to or from the app, and a removal of packages
a RUN left in the builder installed, are skips.`,
	Requires: []*Pass{passSteps, passContext},
	Run: func(u *Unit) error {
		from := u.Stage.From.StartLine
		distro := u.Base.Family != "php"
		if distro && !u.phpFromPackages() {
			return nil // not PHP: the C pass plans distribution images
		}
		needs := u.runtimeNeeds()
		runs := u.runtimePrograms()
		if runs["composer"] || runs["composer.phar"] {
			u.Skip(needs.ExecLine, "the container runs composer: it needs composer at run time")
			return nil
		}
		var first *Step
		var firstCmd Command
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				verb, _ := composerVerb(c)
				switch verb {
				case "global":
					u.Skip(s.In.StartLine, "line %d runs composer global: the tools it installs live in COMPOSER_HOME, which the split would have to carry too", s.In.StartLine)
					return nil
				case "install", "update", "require", "i", "u", "create-project":
					if first == nil {
						first, firstCmd = s, c
					}
				}
			}
		}
		if first == nil {
			u.Skip(from, "no composer install: nothing is built to leave behind (%s already holds PHP)", u.Base.Expanded)
			return nil
		}
		_, dir := composerVerb(firstCmd)
		if dir == "" && !distro {
			dir = phpImageWorkdir // the base image's WORKDIR
		}
		if strings.Contains(dir, "$") || dir == "" || dir == "/" {
			u.Skip(first.In.StartLine, "cannot tell which directory composer installs into (line %d)", first.In.StartLine)
			return nil
		}
		vendor, why := u.composerVendor(first, dir)
		if why != "" {
			u.Skip(first.In.StartLine, "%s", why)
			return nil
		}
		u.Fact(first.In.StartLine, "composer installs the packages into %s", vendor)

		plan := &Plan{Ecosystem: "php", Runtime: ParseImage(u.Base.Ref, u.Base.Expanded), Replays: map[*parser.Instruction]string{}, Left: map[*parser.Instruction]bool{}}
		app, skipWhy := u.appCopies(vendor)
		if skipWhy != "" {
			u.Skip(from, "%s", skipWhy)
			return nil
		}
		// The project is composer's directory; a COPY into it (or into a
		// directory holding it) brings the app.
		inApp := func(p string) bool { _, ok := under(path.Clean(p), dir); return ok }
		isAppDest := func(d string) bool {
			_, holds := under(dir, d)
			return inApp(d) || holds && d != "/"
		}
		if line, link := u.symlinkedCopy(app, inApp); line != 0 {
			u.Skip(line, "line %d makes %s a symbolic link: COPY --from would copy what it points to, not the link; rewrite by hand", line, link)
			return nil
		}
		for w := range needs.Tools {
			runs[w] = true
		}

		// composer's home and cache stay behind, whatever made them.
		for _, k := range []string{"COMPOSER_HOME", "COMPOSER_CACHE_DIR"} {
			if v, ok := first.Env.Get(k); ok && path.IsAbs(v) && !strings.Contains(v, "$") && !inApp(v) {
				plan.LeftPaths = append(plan.LeftPaths, path.Clean(v))
			}
		}
		plan.LeftPaths = append(plan.LeftPaths, "/root/.composer", "/root/.cache/composer", "/root/.config/composer")
		leftPath := func(x string) bool {
			for _, l := range plan.LeftPaths {
				if _, ok := under(path.Clean(x), l); ok {
					return true
				}
			}
			return false
		}

		lex := shell.NewLex(u.File.Escape)
		started := false // the app has been copied in (or composer ran)
		var left []string
		leftLines := map[string]int{}
		leave := func(what string, line int) {
			if _, ok := leftLines[what]; !ok {
				left = append(left, what)
				leftLines[what] = line
			}
		}
		leftPkgs := map[string]bool{} // packages (and apk virtual names) of RUNs left in the builder
		replayed := map[string]bool{} // destinations of repeated context copies
		var copiedAfter []string      // what context copies put in after the app
		var keptHelpers []string      // build packages a repeated RUN installs
		for _, s := range u.Steps {
			line := s.In.StartLine
			if s == first {
				started = true
			}
			if c, ok := s.In.Command.(*instructions.CopyCommand); ok && c.From != "" {
				if composerImage(c.From) {
					plan.Left[s.In] = true
					leave("composer", line)
					continue
				}
				plan.Replays[s.In] = fmt.Sprintf("line %d copies a tool from %s that the runtime's setup uses", line, c.From)
				continue
			}
			if sd, ok := contextCopy(s); ok {
				dest, _, err := lex.ProcessWord(sd.DestPath, s.Env)
				if err != nil {
					continue
				}
				d := Resolve(s.Workdir, dest)
				if isAppDest(d) {
					started = true
					continue
				}
				var dests []string
				composerFile, credentials := false, false
				for _, src := range sd.SourcePaths {
					dests = append(dests, path.Join(d, path.Base(src)))
					switch path.Base(src) {
					case "composer", "composer.phar":
						composerFile = true
					case "auth.json":
						credentials = true
					}
				}
				if composerFile || credentials || leftPath(d) {
					// composer itself, or its credentials (auth.json in
					// COMPOSER_HOME): the builder alone needs them.
					plan.Left[s.In] = true
					if composerFile {
						leave("composer", line)
					} else {
						leave("composer's credentials", line)
					}
					continue
				}
				if started {
					copiedAfter = append(copiedAfter, append(dests, path.Clean(d))...)
					continue
				}
				if u.replayableCopy(s) {
					plan.Replays[s.In] = fmt.Sprintf("line %d copies a file of the system setup the runtime repeats", line)
					replayed[path.Clean(d)] = true
					for _, x := range dests {
						replayed[x] = true
					}
				}
				continue
			}
			if s.In.Keyword != "run" {
				continue
			}
			if !started && phpOwnershipOnly(s) {
				plan.Replays[s.In] = fmt.Sprintf("line %d creates users or directories and sets their owners before the app is copied in", line)
				continue
			}
			switch kind := u.phpRunKind(s, inApp, runs); {
			case kind == phpComposerOnly:
				plan.Left[s.In] = true
				for _, p := range s.Installs {
					leave(p, line)
					leftPkgs[p] = true
				}
				for _, v := range apkVirtuals(s) {
					leftPkgs[v] = true
				}
				if phpFetchesComposer(s) {
					leave("composer", line)
				}
			case kind == phpApp:
				if !started && !u.touchesApp(s, inApp) {
					u.Skip(line, "line %d runs %s before the app is copied in: the system setup the runtime repeats may need what it made, and %s stays in the builder", line, s.Commands[0].Name(), s.Commands[0].Name())
					return nil
				}
				started = true
			case !started || u.phpSetupOnly(s, inApp, copiedAfter):
				for _, p := range s.Purges {
					if leftPkgs[p] {
						u.Skip(line, "line %d removes %s, which a RUN left in the builder installed: the runtime would repeat a removal of what it never installed; rewrite by hand", line, p)
						return nil
					}
				}
				why := fmt.Sprintf("line %d sets the system up before the app is copied in (PHP extensions must be built in the image that runs them)", line)
				if started {
					why = fmt.Sprintf("line %d only sets the system up (extensions, modules, packages, configuration outside the app)", line)
				}
				plan.Replays[s.In] = why
				var helpers []string
				for _, p := range s.Installs {
					if phpBuildPackages[p] || p == "composer" {
						helpers = append(helpers, p)
					}
				}
				if len(helpers) > 0 {
					keptHelpers = append(keptHelpers, fmt.Sprintf("line %d installs %s with the system setup", line, strings.Join(helpers, ", ")))
				}
			}
		}
		// A context file the runtime's setup copies again needs no copy
		// from the builder.
		replayedLines := map[int]bool{}
		for in := range plan.Replays {
			replayedLines[in.StartLine] = true
		}
		kept := app[:0]
		for _, c := range app {
			made := strings.HasPrefix(c.Why, "a directory the image needs") && replayedLines[c.Line]
			if !replayed[path.Clean(c.Src)] && !made && !leftPath(c.Src) {
				kept = append(kept, c)
			}
		}
		plan.Copies = withDir(kept, vendor, first.In.StartLine, "the packages composer installed")
		sort.SliceStable(left, func(i, j int) bool { return leftLines[left[i]] < leftLines[left[j]] })
		if len(left) == 0 || len(left) == 1 && left[0] == "composer" {
			what := "composer's download cache"
			if len(left) == 1 {
				what = "composer and its download cache"
			}
			because := ""
			if len(keptHelpers) > 0 {
				because = " (" + strings.Join(keptHelpers, "; ") + ", so the runtime would repeat them; a RUN of their own would leave them behind)"
			}
			setup := "the whole system setup"
			for in := range plan.Replays {
				if raw := string(in.Raw); strings.Contains(raw, "PHPIZE_DEPS") || strings.Contains(raw, "build-base") || strings.Contains(raw, "build-essential") {
					// The compilers the setup installs stay in both: the
					// extensions are built where they run.
					setup = fmt.Sprintf("the whole system setup as written, compilers included (line %d installs them and builds the extensions)", in.StartLine)
					break
				}
			}
			u.Skip(first.In.StartLine, "the runtime would repeat %s, and a split would leave behind only %s, a few MB to tens of MB%s: not worth a second stage (REWRITE-RULES §2)", setup, what, because)
			return nil
		}
		u.Fact(first.In.StartLine, "left in the builder: %s, and composer's download cache", strings.Join(left, ", "))
		for _, st := range u.Steps {
			if plan.Replays[st.In] != "" && slices.Contains(st.Installs, "composer") {
				u.Fact(st.In.StartLine, "composer from the distribution's packages stays in the runtime: it brings PHP extensions (mbstring and intl on Debian) the app may use")
			}
		}
		if len(plan.Replays) > 0 {
			var lines []int
			for in := range plan.Replays {
				lines = append(lines, in.StartLine)
			}
			sort.Ints(lines)
			u.Fact(lines[0], "the runtime stage repeats %d instruction(s) of the system setup: PHP extensions must be built in the image that runs them", len(lines))
		}
		u.Plan = plan
		return nil
	},
}

// phpPackageRe matches the distribution packages of PHP itself.
var phpPackageRe = regexp.MustCompile(`^php[0-9.]*(-cli|-fpm|-common)?$|^php[0-9.]*-cli$|^libapache2-mod-php[0-9.]*$`)

// phpFromPackages reports whether a distribution image gets PHP from its
// package manager and runs composer.
func (u *Unit) phpFromPackages() bool {
	pkg, composer := false, false
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			pkg = pkg || phpPackageRe.MatchString(p)
		}
		for _, c := range s.Commands {
			if v, _ := composerVerb(c); v != "" {
				composer = true
			}
		}
	}
	return pkg && composer
}

// phpImageWorkdir is the WORKDIR every variant of the official php image
// sets (docker-library/php).
const phpImageWorkdir = "/var/www/html"

func init() {
	// docker-library/php: every variant works in /var/www/html behind
	// docker-php-entrypoint; the command depends on the variant.
	familyConfigs["php"] = func(im Image) BaseConfig {
		cmd := []string{"php", "-a"}
		deps := "autoconf dpkg-dev file g++ gcc libc-dev make pkg-config re2c"
		if strings.Contains(im.Variant, "alpine") {
			deps = "autoconf dpkg-dev dpkg file g++ gcc libc-dev make pkgconf re2c"
		}
		env := []string{stdPath, "PHPIZE_DEPS=" + deps, "PHP_INI_DIR=/usr/local/etc/php", "PHP_VERSION=" + im.Version}
		switch {
		case strings.Contains(im.Variant, "apache"):
			cmd = []string{"apache2-foreground"}
			env = append(env, "APACHE_CONFDIR=/etc/apache2", "APACHE_ENVVARS=/etc/apache2/envvars")
		case strings.Contains(im.Variant, "fpm"):
			cmd = []string{"php-fpm"}
		}
		return BaseConfig{Env: env, WorkingDir: phpImageWorkdir, Entrypoint: []string{"docker-php-entrypoint"}, Cmd: cmd}
	}
}

// phpToolImage reports whether COPY --from=from in a stage built FROM base
// takes a build tool the PHP pass knows: composer, which stays in the
// builder, or the extension installer, which the runtime's setup repeats.
func phpToolImage(base, from string) bool {
	switch b, _, _ := strings.Cut(path.Base(base), ":"); {
	case strings.HasPrefix(b, "php"), b == "debian", b == "ubuntu", b == "alpine":
	default:
		return false
	}
	return composerImage(from) || strings.HasPrefix(from, "mlocati/php-extension-installer")
}

// composerImage reports whether an image reference is composer's own
// (composer, composer:2, composer/composer:2-bin).
func composerImage(ref string) bool {
	name := strings.SplitN(ref, ":", 2)[0]
	name = strings.TrimPrefix(name, "docker.io/")
	name = strings.TrimPrefix(name, "library/")
	return name == "composer" || name == "composer/composer"
}

// composerVerb returns the composer subcommand a command runs ("" when it
// is not composer) and the directory it works in (-d, --working-dir).
func composerVerb(c Command) (verb, dir string) {
	args := c.Args
	switch name := c.Name(); {
	case name == "composer" || name == "composer.phar":
		args = args[1:]
	case name == "php" && len(args) > 1 && (path.Base(args[1]) == "composer" || path.Base(args[1]) == "composer.phar"):
		args = args[2:]
	default:
		return "", ""
	}
	dir = c.Dir
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-d" || a == "--working-dir":
			if i+1 < len(args) {
				dir = Resolve(c.Dir, args[i+1])
				i++
			}
		case strings.HasPrefix(a, "--working-dir="):
			dir = Resolve(c.Dir, strings.TrimPrefix(a, "--working-dir="))
		case strings.HasPrefix(a, "-d") && len(a) > 2:
			dir = Resolve(c.Dir, a[2:])
		case strings.HasPrefix(a, "-"):
		case verb == "":
			verb = a
		default:
			operands = append(operands, a)
		}
	}
	if verb == "" {
		verb = "list"
	}
	if verb == "create-project" {
		// create-project PACKAGE [DIRECTORY [VERSION]]: the project goes
		// into DIRECTORY, else a directory named after the package.
		switch {
		case len(operands) >= 2:
			dir = Resolve(dir, operands[1])
		case len(operands) == 1:
			dir = Resolve(dir, path.Base(operands[0]))
		}
	}
	return verb, dir
}

var vendorDirRe = regexp.MustCompile(`"vendor-dir"\s*:\s*"([^"]*)"`)

// composerVendor is where composer puts the packages: COMPOSER_VENDOR_DIR,
// composer.json's config.vendor-dir, else vendor/ of the working
// directory.
func (u *Unit) composerVendor(s *Step, dir string) (string, string) {
	if v, ok := s.Env.Get("COMPOSER_VENDOR_DIR"); ok && v != "" {
		if strings.Contains(v, "$") {
			return "", "COMPOSER_VENDOR_DIR names a variable: cannot tell where composer installs the packages"
		}
		return Resolve(dir, v), ""
	}
	if u.Context != nil {
		for _, d := range u.contextDirs() {
			rel, ok := under(dir, d)
			if !ok {
				continue
			}
			if b, err := fs.ReadFile(u.Context.FS, path.Join(rel, "composer.json")); err == nil {
				if m := vendorDirRe.FindSubmatch(b); m != nil {
					if strings.Contains(string(m[1]), "{$") {
						return "", "composer.json sets vendor-dir with a variable: cannot tell where composer installs the packages"
					}
					return Resolve(dir, string(m[1])), ""
				}
			}
		}
	}
	return path.Join(dir, "vendor"), ""
}

type phpRun int

const (
	phpSystem       phpRun = iota // system setup: repeated in the runtime
	phpComposerOnly               // fetches composer, its helpers or a build tool: left in the builder
	phpApp                        // works on the app: left in the builder, its results copied
)

// phpBuildPackages are the packages a PHP Dockerfile installs for the build
// alone: composer's helpers (dists are zip files, sources git, svn or hg
// checkouts; curl is in every php image already) and Node.js for asset
// builds. The distribution's own composer package is not one: it brings
// PHP extensions (mbstring, intl on Debian) the app may use.
var phpBuildPackages = map[string]bool{
	"git": true, "unzip": true, "zip": true, "p7zip-full": true, "7zip": true, "p7zip": true,
	"subversion": true, "mercurial": true, "curl": true, "nodejs": true, "npm": true, "yarn": true,
	"gnupg": true, "gnupg2": true,
}

// phpFetchPrograms may appear in a RUN that only fetches composer or a
// build tool.
var phpFetchPrograms = map[string]bool{
	"apt-get": true, "apt": true, "apk": true, "rm": true, "mv": true, "chmod": true, "ln": true, "true": true,
	"curl": true, "wget": true, "php": true, "install": true, "bash": true, "sh": true, "gpg": true,
	"tee": true, "echo": true, "mkdir": true, "set": true, "sha384sum": true, "npm": true, "yarn": true, "corepack": true,
}

// phpSetupPrograms only set the system up: a RUN of nothing else after the
// app is copied in is repeated in the runtime, not left in the builder.
var phpSetupPrograms = map[string]bool{
	"apt-get": true, "apt": true, "apk": true, "docker-php-ext-install": true, "docker-php-ext-configure": true,
	"docker-php-ext-enable": true, "docker-php-source": true, "pecl": true, "pear": true, "install-php-extensions": true,
	"a2enmod": true, "a2dismod": true, "a2ensite": true, "a2dissite": true, "a2enconf": true, "a2disconf": true,
	"phpenmod": true, "phpdismod": true, "rm": true, "true": true, "set": true, "echo": true, "printf": true,
	"[": true, "test": true, "mkdir": true, "chmod": true, "chown": true, "ln": true, "mv": true, "cp": true,
	"sed": true, "tee": true, "crontab": true, "update-ca-certificates": true, "usermod": true, "groupmod": true,
	"nproc": true, "ldconfig": true,
}

// phpWordPrograms take words, not paths, as operands.
var phpWordPrograms = map[string]bool{
	"apt-get": true, "apt": true, "apk": true, "docker-php-ext-install": true, "docker-php-ext-configure": true,
	"docker-php-ext-enable": true, "docker-php-source": true, "pecl": true, "pear": true, "install-php-extensions": true,
	"a2enmod": true, "a2dismod": true, "a2ensite": true, "a2dissite": true, "a2enconf": true, "a2disconf": true,
	"phpenmod": true, "phpdismod": true, "set": true, "[": true, "test": true, "true": true, "nproc": true,
	"usermod": true, "groupmod": true, "update-ca-certificates": true, "ldconfig": true, "echo": true, "printf": true,
}

// phpImageEnv is the environment of the official php images that RUNs
// name ($PHP_INI_DIR).
var phpImageEnv = map[string]string{"PHP_INI_DIR": "/usr/local/etc/php"}

// phpFetchesComposer reports whether a RUN fetches composer itself.
func phpFetchesComposer(s *Step) bool {
	for _, c := range s.Commands {
		for _, a := range c.Args[1:] {
			if strings.Contains(a, "getcomposer.org") || strings.Contains(a, "composer-setup") {
				return true
			}
			switch path.Base(a) {
			case "composer", "composer.phar":
				return true
			}
		}
	}
	return false
}

// apkVirtuals lists the virtual package names of apk add --virtual (-t).
func apkVirtuals(s *Step) []string {
	var out []string
	for _, c := range s.Commands {
		if c.Name() != "apk" {
			continue
		}
		if verb, rest := apkVerb(c.Args); verb == "add" && apkVirtual(rest) != "" {
			out = append(out, apkVirtual(rest))
		}
	}
	return out
}

// phpOwnershipOnly reports whether a RUN only creates users and
// directories and sets owners and modes: the runtime repeats it even when
// it names the app's directory, which the app copy fills later.
func phpOwnershipOnly(s *Step) bool {
	if len(s.Commands) == 0 {
		return false
	}
	for _, c := range s.Commands {
		switch c.Name() {
		case "mkdir", "chown", "chmod", "chgrp", "useradd", "adduser", "addgroup", "groupadd", "usermod", "groupmod", "true", "set":
		default:
			return false
		}
	}
	return true
}

// phpRunKind classifies a RUN of a PHP image.
func (u *Unit) phpRunKind(s *Step, inApp func(string) bool, runs map[string]bool) phpRun {
	if u.touchesApp(s, inApp) {
		return phpApp
	}
	buildOnly := len(s.Commands) > 0
	for _, c := range s.Commands {
		name := c.Name()
		global := hasFlag(c.Args, "-g", "--global", "global", "enable")
		switch {
		case (name == "git" || name == "unzip" || name == "svn" || name == "hg") && !runs[name]:
			return phpApp // fetches code with a helper the runtime will not have
		case (name == "npm" || name == "yarn" || name == "npx" || name == "node" || name == "pnpm") && !global:
			return phpApp // builds the app's assets
		}
		if (name == "php" || strings.HasPrefix(c.Args[0], "./") || !path.IsAbs(c.Args[0]) && strings.Contains(c.Args[0], "/")) && !phpFetchesComposer(s) {
			return phpApp // runs the project's code (artisan, bin/console)
		}
		if !phpFetchPrograms[name] {
			buildOnly = false
		}
	}
	for _, p := range s.Installs {
		if !phpBuildPackages[p] || runs[p] {
			buildOnly = false
		}
	}
	if buildOnly && (len(s.Installs) > 0 || phpFetchesComposer(s)) {
		return phpComposerOnly
	}
	// Anything else, composer fetched together with other setup included,
	// is repeated whole.
	return phpSystem
}

// touchesApp reports whether a RUN names a path of the app or runs
// composer.
func (u *Unit) touchesApp(s *Step, inApp func(string) bool) bool {
	for _, c := range s.Commands {
		if v, _ := composerVerb(c); v != "" {
			return true
		}
		for _, a := range append(c.Args[1:], c.Writes...) {
			if path.IsAbs(a) && inApp(a) {
				return true
			}
		}
	}
	return false
}

// phpSetupOnly reports whether a RUN after the app is copied only sets the
// system up: setup programs whose paths are all outside the app and outside
// what later context copies put in (the runtime repeats it before its
// copies).
func (u *Unit) phpSetupOnly(s *Step, inApp func(string) bool, copiedAfter []string) bool {
	if len(s.Commands) == 0 {
		return false
	}
	for _, c := range s.Commands {
		name := c.Name()
		if !phpSetupPrograms[name] && !strings.HasPrefix(name, "docker-php-ext-") {
			return false
		}
		ops := nonFlags(c.Args[1:])
		if name == "sed" && len(ops) > 0 && !hasFlag(c.Args, "-e", "--expression") {
			ops = ops[1:] // the script
		}
		if phpWordPrograms[name] || strings.HasPrefix(name, "docker-php-ext-") {
			ops = nil
		}
		shellEnv := map[string]string{}
		for k, v := range phpImageEnv {
			if _, set := s.Env.Get(k); !set {
				shellEnv[k] = v
			}
		}
		for k, v := range c.Env {
			shellEnv[k] = v
		}
		for _, a := range append(ops, c.Writes...) {
			x := expandVars(a, s.Env, shellEnv)
			if strings.ContainsAny(x, "$`") {
				return false
			}
			if !path.IsAbs(x) {
				if inApp(c.Dir) || c.Dir == "" {
					return false
				}
				x = Resolve(c.Dir, x)
			}
			if inApp(x) {
				return false
			}
			for _, d := range copiedAfter {
				if _, ok := under(x, d); ok {
					return false
				}
			}
		}
	}
	return true
}

// symlinkedCopy finds a symbolic link a RUN makes to the app or from
// outside it (ln -s /opt/drupal/web /var/www/html): COPY --from follows
// links, so the runtime would get a copy of what it points to, and the
// app's relative paths would change.
func (u *Unit) symlinkedCopy(app []Copy, inApp func(string) bool) (int, string) {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "ln" || !(anyPrefix(shortFlags(c.Args[1:]), "-s") || hasFlag(c.Args, "--symbolic")) {
				continue
			}
			ops := nonFlags(c.Args[1:])
			if len(ops) < 2 {
				continue
			}
			target, link := Resolve(c.Dir, ops[0]), path.Clean(Resolve(c.Dir, ops[len(ops)-1]))
			if inApp(target) && !inApp(link) {
				return s.In.StartLine, link
			}
			for _, a := range app {
				if path.Clean(a.Src) == link {
					return s.In.StartLine, link
				}
			}
		}
	}
	return 0, ""
}

// shortFlags keeps the short flags of args (-sf, -s).
func shortFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") {
			out = append(out, a)
		}
	}
	return out
}

// replayableCopy reports whether a COPY or ADD from the build context (or
// an ADD of a URL) can be repeated in the runtime stage as it is: no
// --chown of a user the runtime may not have yet.
func (u *Unit) replayableCopy(s *Step) bool {
	switch c := s.In.Command.(type) {
	case *instructions.CopyCommand:
		return c.Chown == ""
	case *instructions.AddCommand:
		return c.Chown == ""
	}
	return false
}
