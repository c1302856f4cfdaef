package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
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
or alpine with PHP from the package manager. composer install runs in the builder, with composer
itself, the git, unzip and zip it fetches packages with, and its download cache; the runtime is the
same image. Extensions must be built in the image that runs them (REWRITE-RULES §4), so the system
setup is repeated in the runtime stage where it stands: every RUN before the app is copied in
(docker-php-ext-install, pecl, apt-get of PHP or of the libraries extensions link, a2enmod...)
except those that only fetch composer or its helpers, COPY --from an installer image
(mlocati/php-extension-installer), and context files copied into system directories. RUNs after
the app is copied stay in the builder unless they only set the system up (extensions, apache
modules, package installs). The runtime receives the app directory with vendor/ from the builder.
The Debian php images keep gcc and make for phpize, so the saving is composer, its helpers and its
cache, not the compiler; when only composer and its cache would be left behind, the file is
skipped as not worth a second stage (REWRITE-RULES §2).`,
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
				case "install", "update", "require", "i", "u":
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
		appDirs := []string{dir}
		for _, c := range app {
			if !strings.HasPrefix(c.Why, "a file") {
				appDirs = append(appDirs, c.Src)
			}
		}
		inApp := func(p string) bool {
			for _, d := range appDirs {
				if _, ok := under(path.Clean(p), d); ok {
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
		replayed := map[string]bool{} // destinations of repeated context copies
		for _, s := range u.Steps {
			line := s.In.StartLine
			if s == first {
				started = true
			}
			switch c := s.In.Command.(type) {
			case *instructions.CopyCommand:
				if c.From != "" {
					if composerImage(c.From) {
						plan.Left[s.In] = true
						leave("composer", line)
						continue
					}
					plan.Replays[s.In] = fmt.Sprintf("line %d copies a tool from %s that the runtime's setup uses", line, c.From)
					continue
				}
			}
			if sd, ok := contextCopy(s); ok {
				dest, _, err := lex.ProcessWord(sd.DestPath, s.Env)
				if err != nil {
					continue
				}
				d := Resolve(s.Workdir, dest)
				if inApp(d) || d == "/" || strings.HasPrefix(dir+"/", strings.TrimSuffix(d, "/")+"/") {
					started = true
					continue
				}
				if !started && u.replayableCopy(s) {
					plan.Replays[s.In] = fmt.Sprintf("line %d copies a file of the system setup the runtime repeats", line)
					replayed[path.Clean(d)] = true
					for _, src := range sd.SourcePaths {
						replayed[path.Join(d, path.Base(src))] = true
					}
				}
				continue
			}
			if s.In.Keyword != "run" {
				continue
			}
			switch kind := u.phpRunKind(s, inApp, runs); {
			case kind == phpComposerOnly:
				plan.Left[s.In] = true
				for _, p := range s.Installs {
					leave(p, line)
				}
				if strings.Contains(string(s.In.Raw), "composer") {
					leave("composer", line)
				}
			case kind == phpApp:
				if !started && !u.touchesApp(s, inApp) {
					u.Skip(line, "line %d runs %s before the app is copied in: the system setup the runtime repeats may need what it made, and %s stays in the builder", line, s.Commands[0].Name(), s.Commands[0].Name())
					return nil
				}
				started = true
			case kind == phpSystem && !started:
				plan.Replays[s.In] = fmt.Sprintf("line %d sets the system up before the app is copied in (PHP extensions must be built in the image that runs them)", line)
			case kind == phpSystem && started && u.phpSystemOnly(s):
				plan.Replays[s.In] = fmt.Sprintf("line %d only sets the system up (extensions, modules, packages)", line)
			}
		}
		// A context file the runtime's setup copies again needs no copy
		// from the builder.
		kept := app[:0]
		for _, c := range app {
			if !replayed[path.Clean(c.Src)] {
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
			u.Skip(first.In.StartLine, "the runtime would repeat the whole system setup and a split would leave behind only %s, a few MB to tens of MB: not worth a second stage (REWRITE-RULES §2)", what)
			return nil
		}
		u.Fact(first.In.StartLine, "left in the builder: %s, and composer's download cache", strings.Join(left, ", "))
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
		}
	}
	if verb == "" {
		verb = "list"
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
	phpComposerOnly               // fetches composer or its helpers: left in the builder
	phpApp                        // works on the app: left in the builder, its results copied
)

// composerHelpers are the packages composer fetches with: dists are zip
// files, sources are git (or svn, hg) checkouts.
var composerHelpers = map[string]bool{
	"git": true, "unzip": true, "zip": true, "p7zip-full": true, "7zip": true, "p7zip": true,
	"composer": true, "subversion": true, "mercurial": true,
}

// phpSetupPrograms only set the system up: a RUN of nothing else after the
// app is copied in is repeated in the runtime, not left in the builder.
var phpSetupPrograms = map[string]bool{
	"apt-get": true, "apt": true, "apk": true, "docker-php-ext-install": true, "docker-php-ext-configure": true,
	"docker-php-ext-enable": true, "docker-php-source": true, "pecl": true, "install-php-extensions": true,
	"a2enmod": true, "a2dismod": true, "a2ensite": true, "a2dissite": true, "a2enconf": true, "a2disconf": true,
	"phpenmod": true, "phpdismod": true, "rm": true, "true": true,
}

// phpRunKind classifies a RUN of a php image.
func (u *Unit) phpRunKind(s *Step, inApp func(string) bool, runs map[string]bool) phpRun {
	composerOnly := len(s.Commands) > 0
	mentionsComposer := false
	for _, c := range s.Commands {
		name := c.Name()
		if v, _ := composerVerb(c); v != "" {
			return phpApp
		}
		if (composerHelpers[name] || name == "hg" || name == "svn") && !runs[name] {
			return phpApp // fetches code with a helper the runtime will not have
		}
		for _, a := range append(c.Args[1:], c.Writes...) {
			if path.IsAbs(a) && inApp(a) {
				return phpApp
			}
			if strings.Contains(a, "composer") {
				mentionsComposer = true
			}
		}
		if (name == "php" || strings.HasPrefix(c.Args[0], "./") || !path.IsAbs(c.Args[0]) && strings.Contains(c.Args[0], "/")) &&
			!strings.Contains(strings.Join(c.Args, " "), "composer") {
			return phpApp // runs the project's code (artisan, bin/console)
		}
		switch name {
		case "apt-get", "apt", "apk", "rm", "mv", "chmod", "ln", "true", "curl", "wget", "php", "install":
		default:
			composerOnly = false
		}
	}
	for _, p := range s.Installs {
		if !composerHelpers[p] || runs[p] {
			composerOnly = false
		}
	}
	if composerOnly && (len(s.Installs) > 0 || mentionsComposer) {
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

// phpSystemOnly reports whether a RUN after the app is copied runs only
// system-setup programs, so that the runtime can repeat it.
func (u *Unit) phpSystemOnly(s *Step) bool {
	if len(s.Commands) == 0 {
		return false
	}
	for _, c := range s.Commands {
		if c.Dynamic || !phpSetupPrograms[c.Name()] {
			return false
		}
	}
	return true
}

// replayableCopy reports whether a COPY or ADD from the build context can
// be repeated in the runtime stage as it is: no --chown of a user the
// runtime would not have yet, no URL.
func (u *Unit) replayableCopy(s *Step) bool {
	sd, _ := contextCopy(s)
	for _, src := range sd.SourcePaths {
		if strings.Contains(src, "://") {
			return false
		}
	}
	if c, ok := s.In.Command.(*instructions.CopyCommand); ok && c.Chown != "" {
		return false
	}
	return true
}
