package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Helpers shared by the interpreted ecosystems (Python, Ruby): the app is
// a set of directories, not one binary.

// slimOf is the slim variant of an official image tag: python:3.12 ->
// python:3.12-slim, node:20-bookworm -> node:20-bookworm-slim... The
// reason is set when the image is already slim or alpine, or when its tag
// cannot be rewritten.
// wholeVarRe is a word that is one variable reference: $V or ${V}.
var wholeVarRe = regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

func slimOf(b Image) (Image, string) {
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
	if b.Digest != "" {
		return Image{}, fmt.Sprintf("%s is pinned by digest: the digest of its slim sibling is not known, and without the tag neither is the version", b.Ref)
	}
	if strings.Contains(name, "$") && rawTag == "" && tag != "" {
		return Image{}, fmt.Sprintf("the image and its tag come from one variable (%s): a slim image that follows a --build-arg cannot be written", b.Ref)
	}
	// ${PYTHON_VERSION}-bookworm: a variable for the version and a literal
	// variant, whose slim sibling every version has.
	varVersion := strings.Contains(rawTag, "$") && b.Variant != "" &&
		strings.HasSuffix(rawTag, "-"+b.Variant) && wholeVarRe.MatchString(strings.TrimSuffix(rawTag, "-"+b.Variant))
	if strings.Contains(rawTag, "$") && b.Variant != "" && !varVersion {
		return Image{}, fmt.Sprintf("the tag %q holds a variable and a variant: cannot derive its slim image", rawTag)
	}
	newTag := rawTag + "-slim" // 20-bookworm -> 20-bookworm-slim, as the official tags are
	if tag == "" || tag == "latest" {
		newTag = "slim"
	}
	// python and ruby spell the variant the other way round:
	// 3.12-bookworm -> 3.12-slim-bookworm.
	if (b.Family == "python" || b.Family == "ruby") && b.Version != "" && b.Variant != "" {
		newTag = strings.TrimSuffix(rawTag, "-"+b.Variant) + "-slim-" + b.Variant
	}
	ref := name + ":" + newTag
	expanded := strings.Replace(ref, rawTag, tag, 1)
	if varVersion {
		expanded = strings.Replace(ref, strings.TrimSuffix(rawTag, "-"+b.Variant), b.Version, 1)
	}
	if rawTag == "" {
		expanded = ref
	}
	return ParseImage(ref, expanded), ""
}

// buildPackages lists the compilers and -dev packages the Dockerfile
// installs and leaves in the image, with the first line that does.
func (u *Unit) buildPackages() (pkgs []string, line int) {
	purged := map[string]bool{}
	for _, s := range u.Steps {
		for _, x := range s.Purges {
			purged[x] = true
		}
	}
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			if purged[p] || !(buildOnlyPackages[p] || strings.HasSuffix(p, "-dev")) {
				continue
			}
			if p == "curl" || p == "wget" || p == "git" || p == "unzip" || p == "xz-utils" || p == "gnupg" || p == "dirmngr" {
				continue // download tools: not what makes the image heavy
			}
			if line == 0 {
				line = s.In.StartLine
			}
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, line
}

// interpRuntime picks the runtime of an interpreted-language image: its
// slim variant, or the same image when it is already slim or alpine but
// the Dockerfile added compilers that the runtime can leave behind.
func (u *Unit) interpRuntime() (Image, string) {
	rt, why := slimOf(u.Base)
	if why == "" {
		u.Fact(u.Stage.From.StartLine, "runtime %s: the slim variant of the builder's image, same interpreter and release", rt.Ref)
		return rt, ""
	}
	if strings.Contains(u.Base.Tag, "slim") || strings.Contains(u.Base.Tag, "alpine") {
		if pkgs, line := u.buildPackages(); len(pkgs) > 0 {
			rt := ParseImage(u.Base.Ref, u.Base.Expanded)
			u.Fact(line, "runtime %s, the builder's own image: the split leaves the build packages (%s) behind", rt.Ref, strings.Join(pkgs, ", "))
			return rt, ""
		}
	}
	return Image{}, why
}

// systemDirs are directories an app copy must never replace wholesale:
// they hold the runtime image's own interpreter and libraries.
var systemDirs = map[string]bool{
	"/": true, "/usr": true, "/usr/local": true, "/usr/local/bin": true, "/usr/local/lib": true, "/usr/bin": true,
	"/usr/lib": true, "/bin": true, "/lib": true, "/etc": true, "/var": true, "/opt": true, "/root": true, "/home": true,
	"/usr/share": true, "/usr/local/share": true, "/sbin": true, "/usr/sbin": true, "/tmp": true,
}

// appCopies lists what the runtime receives of the app: the directories
// the build context was copied into (taken from the builder, so that what
// the build wrote there comes along), the final WORKDIR, and directories
// RUN made with mkdir. skip lists directories already copied (a venv). The
// reason is set when the app lives in a system directory.
func (u *Unit) appCopies(skip ...string) ([]Copy, string) {
	type target struct {
		path, why string
		line      int
		file      bool
		made      bool   // a directory a mkdir made, not one the app came in
		src       string // a file's source in the build context
	}
	var ts []target
	var roots []int // the steps that COPY the app into /
	lex := shell.NewLex(u.File.Escape)
	for i, s := range u.Steps {
		sd, ok := contextCopy(s)
		if _, isCopy := s.In.Command.(*instructions.CopyCommand); isCopy && !ok {
			continue // COPY --from another stage or image
		}
		if !ok {
			for _, c := range s.Commands {
				if c.Name() != "mkdir" || c.Dynamic {
					continue
				}
				for i := 1; i < len(c.Args); i++ {
					a := c.Args[i]
					if a == "-m" || a == "--mode" || a == "--context" {
						i++
						continue
					}
					if !strings.HasPrefix(a, "-") {
						ts = append(ts, target{Resolve(c.Dir, a), fmt.Sprintf("line %d creates it", s.In.StartLine), s.In.StartLine, false, true, ""})
					}
				}
			}
			continue
		}
		dest, _, err := lex.ProcessWord(sd.DestPath, s.Env)
		if err != nil {
			return nil, fmt.Sprintf("line %d: cannot expand the destination %q", s.In.StartLine, sd.DestPath)
		}
		p := Resolve(s.Workdir, dest)
		destDir := strings.HasSuffix(dest, "/") || dest == "." || len(sd.SourcePaths) > 1 || u.dirExists(s, p)
		// Named files copied into a directory (COPY entrypoint.sh
		// /usr/bin/) are files of their own; only a directory, ".", a
		// pattern or a URL-less tree makes the destination the app.
		var files, fileSrcs []string
		isDir := false
		for _, src := range sd.SourcePaths {
			switch {
			case path.Clean(src) == "." || strings.HasSuffix(src, "/") || strings.ContainsAny(src, "*?["),
				u.Context != nil && u.contextIsDir(path.Clean(src)),
				u.Context == nil && path.Ext(src) == "" && !strings.HasPrefix(path.Base(src), "."):
				isDir = true
			case destDir:
				files = append(files, path.Join(p, path.Base(src)))
				fileSrcs = append(fileSrcs, src)
			}
		}
		why := fmt.Sprintf("line %d copies the app there", s.In.StartLine)
		switch {
		case p == "/" && (isDir || len(files) == 0):
			if _, isCopy := s.In.Command.(*instructions.CopyCommand); !isCopy || strings.Contains(strings.Join(sd.SourcePaths, " ")+sd.DestPath, "$") {
				return nil, fmt.Sprintf("line %d puts the app in /, a system directory: the app cannot be copied apart from the image", s.In.StartLine)
			}
			roots = append(roots, i)
		case isDir || !destDir && len(files) == 0 && len(sd.SourcePaths) != 1:
			ts = append(ts, target{p, why, s.In.StartLine, false, false, ""})
		case !destDir:
			ts = append(ts, target{p, fmt.Sprintf("line %d copies it there", s.In.StartLine), s.In.StartLine, true, false, ""})
		default:
			for i, f := range files {
				ts = append(ts, target{f, fmt.Sprintf("line %d copies it there", s.In.StartLine), s.In.StartLine, true, false, fileSrcs[i]})
			}
		}
	}
	if wd := u.finalWorkdir(); wd != "" && wd != "/" && u.builderHasDir(normDir(wd)) {
		ts = append(ts, target{normDir(wd), "the container runs there", 0, false, false, ""})
	}
	if rootWholeContext(u, roots) {
		// A file an earlier COPY put in / comes with the replay too.
		ts = slices.DeleteFunc(ts, func(t target) bool {
			return t.file && t.src != "" && path.Clean(t.src) == strings.TrimPrefix(t.path, "/")
		})
	}
	// A file copied into a directory that is copied anyway needs no copy of
	// its own; nor does a directory inside another.
	var dirs []string
	for _, t := range ts {
		if !t.file {
			dirs = append(dirs, t.path)
		}
	}
	dirs = append(dirs, skip...)
	under := func(p string, self bool) bool {
		for _, d := range dirs {
			if (self && p == d) || (p != d && strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/")) {
				return true
			}
		}
		return false
	}
	var out []Copy
	// A directory the app was copied into, or the container runs in, is
	// the app, even when a mkdir made it first.
	appWhy := map[string]target{}
	for _, t := range ts {
		if _, ok := appWhy[t.path]; !ok && !t.file && !t.made {
			appWhy[t.path] = t
		}
	}
	seen := map[string]bool{}
	for _, t := range ts {
		if a, ok := appWhy[t.path]; ok && !t.file {
			t.why, t.made = a.why, a.made
		}
		if seen[t.path] || under(t.path, false) || (t.file && under(t.path, true)) {
			continue
		}
		seen[t.path] = true
		if t.path == "/tmp" || strings.HasPrefix(t.path, "/tmp/") || strings.HasPrefix(t.path, "/var/tmp/") {
			continue // a build input put in a scratch directory
		}
		if !t.file && systemDirs[t.path] {
			return nil, fmt.Sprintf("line %d puts the app in %s, a system directory: the app cannot be copied apart from the image", t.line, t.path)
		}
		why := "the app: " + t.why
		chown := ""
		if t.file {
			why = "a file the image needs: " + t.why
		} else if t.made {
			why = "a directory the image needs: " + t.why
			chown = u.runUserAt(t.line) // a mkdir under USER app is app's
		}
		out = append(out, Copy{Src: t.path, Dst: t.path, Why: why, Line: t.line, Chown: chown})
	}
	if len(roots) > 0 {
		first := u.Steps[roots[0]].In.StartLine
		line, what, modes := u.rootAppWriter(roots[0], u.pipOutsideApp)
		if line != 0 {
			return nil, fmt.Sprintf("line %d puts the app in /, a system directory, and %s after it: the app can neither be copied apart from the image nor copied again from the build context as it was", first, what)
		}
		out = append(out, modes...)
		for _, i := range roots {
			s := u.Steps[i]
			out = append(out, Copy{Replay: s.In, Line: s.In.StartLine,
				Why: fmt.Sprintf("the app, from the build context as line %d copies it: / cannot be copied apart from the image, and no later step changes what it copies", s.In.StartLine)})
		}
		if u.Context == nil {
			u.Warn(first, "line %d puts the app in /, and the runtime copies it again from the build context; without the build context, a requirements file that installs the app itself (-e .) cannot be seen: its metadata, written into /, would be missing", first)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	for _, d := range skip {
		for i := range out {
			if out[i].Src == d {
				out = append(out[:i], out[i+1:]...)
				break
			}
		}
	}
	return out, ""
}

// builderHasDir reports whether the builder stage has dir: a WORKDIR
// after the last RUN, COPY or ADD is set in the runtime stage alone.
func (u *Unit) builderHasDir(dir string) bool {
	last := u.lastFileChanging()
	for i := 0; i <= last && i < len(u.Steps); i++ {
		if normDir(u.Steps[i].Workdir) == dir {
			return true
		}
	}
	return false
}

// regexps caches the patterns built from words at run time: a corpus run
// compiles the same few hundred again and again otherwise.
var regexps sync.Map

// cachedRegexp is regexp.MustCompile, once per pattern.
func cachedRegexp(pattern string) *regexp.Regexp {
	if re, ok := regexps.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(pattern)
	regexps.Store(pattern, re)
	return re
}

// dockerfileMentions maps the words of a Dockerfile that show a package is in
// use (words: word -> package) to that package, with the evidence.
func dockerfileMentions(src []byte, words map[string]string) map[string]string {
	text := strings.ToLower(string(src))
	found := map[string]string{}
	for w, pkg := range words {
		if cachedRegexp(`\b` + regexp.QuoteMeta(w) + `\b`).MatchString(text) {
			found[pkg] = fmt.Sprintf("the Dockerfile mentions %q", w)
		}
	}
	return found
}

// addNativePackages adds to the plan the run-time package of each found
// language package that table maps to a Debian package (a -dev package
// resolved per release through devToRuntime, or a program's package).
// found maps a language package to the evidence for it.
// label formats a package's name ("the %s gem").
func (u *Unit) addNativePackages(found map[string]string, table map[string]string, label string) {
	for _, name := range mapKeys(found) {
		devs, ok := table[name]
		if !ok {
			continue
		}
		// A value may name several build packages ("libxml2-dev libyaml-dev").
		for _, dev := range strings.Fields(devs) {
			u.addNativePackage(name, dev, found[name], label)
		}
	}
}

// addNativePackage adds the run-time package of one build package dev
// that the language package name links.
func (u *Unit) addNativePackage(name, dev, evidence, label string) {
	lib := dev
	if m := devToRuntime[dev]; m != nil {
		ok := false
		if lib, ok = m[u.Plan.Runtime.Release]; !ok {
			if lib, ok = m[u.Base.Release]; !ok {
				lib, ok = m["*"]
			}
		}
		if !ok {
			u.Warn(0, "%s needs the run-time library of %s, whose name depends on the Debian release, and the release of %s is unknown: install it in the runtime stage", fmt.Sprintf(label, name), dev, u.Base.Expanded)
			return
		}
	}
	u.Plan.Packages = append(u.Plan.Packages, Package{Name: lib,
		Why: fmt.Sprintf("%s needs %s at run time (%s)", fmt.Sprintf(label, name), lib, evidence)})
}

// withDir is the copies of a dependency directory (a venv, the gems) and
// then of the app; the directory needs no copy of its own when it lies
// inside one of the app's.
func withDir(app []Copy, dir string, line int, why string) []Copy {
	for _, c := range app {
		if c.Replay == nil && strings.HasPrefix(dir+"/", strings.TrimSuffix(c.Src, "/")+"/") {
			return app
		}
	}
	return append([]Copy{{Src: dir, Dst: dir, Line: line, Why: why}}, app...)
}

// requirementsOutsideApp reports whether a requirements file of the build
// context, and those it includes (-r base.txt, relative to it), name no
// local project.
func (u *Unit) requirementsOutsideApp(rel string, local func(string) bool, depth int) bool {
	b, err := fs.ReadFile(u.Context.FS, rel)
	if err != nil || depth > 5 {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if local(l) {
			return false
		}
		for _, flag := range []string{"-r", "--requirement", "-c", "--constraint"} {
			if v, ok := strings.CutPrefix(l, flag); ok && (v == "" || v[0] == ' ' || v[0] == '=' || len(flag) == 2) { // -rbase.txt too
				inc := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "="))
				if inc == "" || strings.Contains(inc, "$") || !u.requirementsOutsideApp(path.Join(path.Dir(rel), inc), local, depth+1) {
					return false
				}
			}
		}
	}
	return true
}

// rootWholeContext reports whether one of the steps copies the whole
// build context (COPY . .) into /.
func rootWholeContext(u *Unit, steps []int) bool {
	for _, i := range steps {
		sd, _ := contextCopy(u.Steps[i])
		for _, src := range sd.SourcePaths {
			if path.Clean(src) == "." {
				return true
			}
		}
	}
	return false
}

// rootAppWriter is the first step after step from that may write into an
// app a COPY put in /, with what it runs. / cannot be copied apart from
// the image, but the runtime can repeat that COPY from the build context:
// the same files, as long as nothing after it changed them. Besides COPYs
// from the build context (each handled for itself), a RUN may only manage
// system packages, remove caches outside the app, and run what allowed
// accepts: an install that writes into a directory of its own (pip into
// the virtual environment, npm into node_modules).
func (u *Unit) rootAppWriter(from int, allowed func(s *Step, c Command) bool) (int, string, []Copy) {
	var modes []Copy // files a chmod changed: taken from the builder, mode and all
	for _, s := range u.Steps[from+1:] {
		if !s.FileChanging() {
			continue
		}
		line := s.In.StartLine
		switch c := s.In.Command.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				return line, fmt.Sprintf("line %d copies from %s", line, c.From), nil
			}
			continue
		case *instructions.AddCommand:
			return line, fmt.Sprintf("line %d is an ADD", line), nil
		}
		for _, c := range s.Commands {
			for _, w := range c.Writes {
				if !inDir(w, "/tmp") && !inDir(w, "/dev") {
					return line, fmt.Sprintf("line %d writes %s", line, w), nil
				}
			}
			switch c.Name() {
			case "", "true", "echo", "set", "apt-get", "apt", "apk", "yum", "dnf", "microdnf", "mkdir":
				continue // mkdir makes new directories, which the effects pass carries
			case "chmod":
				// chmod +x /start.sh of a file a COPY put there: the
				// builder's file, mode included, follows the replayed COPY.
				if files := u.chmodCopiedFiles(c); files != nil {
					for _, f := range files {
						modes = append(modes, Copy{Src: f, Dst: f, Line: line,
							Why: fmt.Sprintf("line %d changes its mode: the builder's copy of the file keeps it", line)})
					}
					continue
				}
			case "rm":
				ok := true
				for _, a := range nonFlags(c.Args[1:]) {
					p := Resolve(c.Dir, a)
					ok = ok && !strings.Contains(a, "$") && (inDir(p, "/tmp") || inDir(p, "/var") || inDir(p, "/root"))
				}
				if ok {
					continue
				}
			}
			if allowed != nil && allowed(s, c) {
				continue
			}
			return line, fmt.Sprintf("line %d runs %s", line, strings.Join(c.Args, " ")), nil
		}
	}
	return 0, "", modes
}

// chmodCopiedFiles lists the files a chmod changes when each is a file a
// COPY from the build context put in the image (COPY server.js start.sh
// /), or returns nil: a recursive chmod, a pattern, a variable or a
// directory is not followed.
func (u *Unit) chmodCopiedFiles(c Command) []string {
	args := c.Args[1:]
	if c.Dynamic || len(args) < 2 || hasOption(args, "R", "--recursive") {
		return nil
	}
	var files []string
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") || strings.ContainsAny(a, "$*?[") {
			return nil
		}
		p := Resolve(c.Dir, a)
		found := false
		for _, cp := range u.contextCopies() {
			if !cp.intoDir && cp.dest == p || cp.intoDir && path.Join(cp.dest, path.Base(cp.src)) == p && path.Ext(cp.src) != "" {
				found = true
			}
			// COPY . . or COPY bin/ /bin/: a regular file of that
			// directory of the build context.
			if rel, in := under(p, cp.dest); in && rel != "." && u.Context != nil && (cp.src == "." || u.contextIsDir(cp.src)) {
				if st, err := fs.Stat(u.Context.FS, path.Join(cp.src, rel)); err == nil && st.Mode().IsRegular() {
					found = true
				}
			}
		}
		if !found {
			return nil
		}
		files = append(files, p)
	}
	return files
}

// pipOutsideApp reports whether c is a pip install that writes only into
// the environment: no local project (., -e, a path or file: URL) on its
// command line or in the requirements files it names, as far as the build
// context shows them.
func (u *Unit) pipOutsideApp(s *Step, c Command) bool {
	args := c.Args
	switch name := c.Name(); {
	case (name == "pip" || strings.HasPrefix(name, "pip3")) && len(args) > 1 && args[1] == "install":
		args = args[2:]
	case strings.HasPrefix(name, "python") && len(args) > 3 && args[1] == "-m" && args[2] == "pip" && args[3] == "install":
		args = args[4:]
	default:
		return false
	}
	local := func(a string) bool {
		return a == "." || a == ".." || strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../") || strings.HasPrefix(a, "/") ||
			strings.HasPrefix(a, "file:") || strings.HasPrefix(a, "-e") || a == "--editable"
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-r" || a == "--requirement" || a == "-c" || a == "--constraint":
			if i+1 >= len(args) {
				return false
			}
			i++
			if u.Context == nil {
				continue // read below, with a warning
			}
			rel, ok := u.contextFileFor(Resolve(c.Dir, expandVars(args[i], s.Env, c.Env)))
			if !ok || !u.requirementsOutsideApp(rel, local, 0) {
				return false
			}
		case local(a) || strings.ContainsAny(a, "$"):
			return false
		}
	}
	return true
}
