package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// venvDir is where the builder's packages go when the Dockerfile has no
// venv of its own (REWRITE-RULES §5: a fixed absolute path, copied to the
// same path).
const venvDir = "/opt/venv"

var passPython = &Pass{
	Name:     "python",
	Families: []string{"python"},
	Doc: `Plans the split of a Python image (pip, pipenv --system, poetry without its own virtualenv, uv).
The packages go into a virtual environment: the Dockerfile's own (python -m venv, virtualenv), or
/opt/venv created just before the first install, with ENV PATH="/opt/venv/bin:$PATH" in both
stages, so console scripts (gunicorn, uvicorn) and python itself resolve to it. The runtime is
python:<tag>-slim (same interpreter path and minor version, which a venv needs), or the builder's
own image when it is already slim or alpine and the Dockerfile added compilers. The runtime
receives the venv and the app: the directories the build context was copied into and the final
WORKDIR, taken from the builder so generated files come along; an app copied into / (no WORKDIR),
which cannot be copied apart from the image, is copied again from the build context by the
original's COPY when only pip installs (of no local project: ., -e, a path, in the command or the
requirements files, and those they include), system package commands, mkdir and chmod of copied
files (taken from the builder then, mode included) run after it. Build packages stay behind; -dev
libraries become their run-time libraries, and packages known to compile against a library
(psycopg2, mysqlclient, and PyYAML pinned before 5.4, which had no Linux wheel) bring it along. Python 2 has no venv module: without a virtualenv of the
Dockerfile's own, site-packages moves whole, with /usr/local/bin (pip's console scripts) and
/usr/local/share (data_files).
pip --user/--target/--prefix, and an interpreter called by absolute path are skipped with the
reason.`,
	Requires: []*Pass{passSteps, passContext},
	Run: func(u *Unit) error {
		from := u.Stage.From.StartLine
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the toolchain", needs.ToolchainWhat)
			return nil
		}
		py, why := u.pythonInstalls()
		if why != "" {
			u.Skip(py.line, "%s", why)
			return nil
		}
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				if c.Name() == "playwright" && len(c.Args) > 1 && c.Args[1] == "install" ||
					strings.HasPrefix(c.Name(), "python") && len(c.Args) > 3 && c.Args[1] == "-m" && c.Args[2] == "playwright" && c.Args[3] == "install" {
					u.Skip(s.In.StartLine, "line %d runs playwright install, whose browsers (~/.cache/ms-playwright) and system libraries (--with-deps) are not followed for Python yet", s.In.StartLine)
					return nil
				}
			}
		}
		if py.first == nil {
			u.Skip(from, "no pip, pipenv, poetry or uv install: nothing is built; use %s's slim variant directly", u.Base.Expanded)
			return nil
		}
		rt, why := u.interpRuntime()
		if why != "" {
			u.Skip(from, "%s", why)
			return nil
		}
		if strings.HasPrefix(u.Base.Version, "2") && py.venv == "" {
			return u.planPython2(py, rt)
		}
		// What would not find the packages in a virtual environment the
		// rewrite adds: the packages then stay where pip put them.
		sysWhy, sysLine := "", 0
		setSys := func(line int, format string, args ...any) {
			if sysWhy == "" {
				sysWhy, sysLine = fmt.Sprintf(format, args...), line
			}
		}
		for _, w := range append([]string{needs.Exec}, needs.ExecArgs...) {
			if pythonPathRe.MatchString(w) {
				setSys(needs.ExecLine, "the container runs %s by absolute path", w)
			}
		}
		// Console scripts or the interpreter named by absolute path
		// anywhere the container looks: sh -c strings, wrappers
		// (tini -- /usr/local/bin/gunicorn), python /usr/local/bin/X, the
		// health check, and the scripts it runs.
		if w, line := u.pythonAbsProgram(needs); w != "" {
			setSys(line, "the container runs %s by absolute path", w)
		}
		// pip puts console scripts in /usr/local/bin of the official
		// image; /usr/bin is the distribution packages'.
		if e := needs.Exec; strings.HasPrefix(e, "/usr/local/bin/") && !pythonPathRe.MatchString(e) && !u.installedByPackage(path.Base(e)) {
			setSys(needs.ExecLine, "the container runs %s by absolute path, where pip put it", e)
		}
		if file, prog := u.pythonConfigNamesScript(needs); file != "" {
			setSys(needs.ExecLine, "%s names %s, where pip put it", file, prog)
		}
		if script, interp := u.pythonShebangInterp(needs); script != "" {
			setSys(needs.ExecLine, "the container runs %s, whose first line names %s", script, interp)
		}
		if link, line := u.pythonLinkRun(needs); link != "" {
			what := "a link line %d makes to the system interpreter"
			if strings.HasPrefix(link, "/usr/local/bin/") {
				what = "the target of a link line %d makes, where pip puts console scripts"
			}
			if py.venv != "" {
				u.Skip(line, "the container runs %s, "+what+": it would not see the packages in a virtual environment", link, line)
				return nil
			}
			setSys(line, "the container runs %s, "+what, link, line)
		}
		if py.uvSystem != 0 {
			setSys(py.uvSystem, "line %d installs with uv pip install --system, into the interpreter's prefix past any virtual environment", py.uvSystem)
		}
		if py.venv == "" {
			for _, st := range u.Steps {
				for _, c := range st.Commands {
					if c.Name() == "crontab" || slices.Contains(st.Installs, "cron") {
						setSys(st.In.StartLine, "line %d sets up cron, whose jobs run without the image's ENV PATH", st.In.StartLine)
					}
					if c.Name() == "make" && slices.Contains(c.Args, "install") {
						// A C library built for a package (libsodium for
						// pynacl) lands in /usr/local/lib.
						setSys(st.In.StartLine, "line %d runs make install, which puts what it builds in /usr/local", st.In.StartLine)
					}
				}
			}
		}
		if py.uvSystem != 0 && py.venv != "" {
			u.Skip(py.uvSystem, "line %d: uv pip install --system installs into the system interpreter, past the virtual environment %s: not supported yet", py.uvSystem, py.venv)
			return nil
		}
		if sysWhy != "" && py.venv == "" {
			if user, line := u.userAt(py.first); user != "" && normUser(user) != "0" && user != "root" {
				// pip falls back to a --user install in the user's home.
				u.Skip(line, "%s, and the first install runs as USER %s, for whom pip installs into the home directory (site-packages is not writable): not supported yet", sysWhy, user)
				return nil
			}
			return u.planPythonSystem(py, rt, sysWhy, sysLine)
		}
		plan := &Plan{Ecosystem: "python", Runtime: rt}
		venv := py.venv
		if venv == "" {
			if user, line := u.userAt(py.first); user != "" && normUser(user) != "0" && user != "root" {
				u.Skip(line, "the first install runs as USER %s, which cannot create %s: add a venv the user owns first", user, venvDir)
				return nil
			}
			venv = venvDir
			plan.AddedPath = append(plan.AddedPath, venvDir+"/bin")
			plan.BuilderInserts = append(plan.BuilderInserts,
				Insert{Before: py.first.In, Gen: Gen{
					In:   u.File.New("RUN", "RUN python -m venv "+venvDir+venvPipPin(u.Base)),
					Why:  "a virtual environment holds every package the install adds, so the runtime can take them in one copy" + venvPinWhy(u.Base),
					Line: py.first.In.StartLine}},
				Insert{Before: py.first.In, Gen: Gen{
					// VIRTUAL_ENV too: poetry and uv choose their
					// environment from it, not from PATH.
					In:   u.File.New("ENV", `ENV VIRTUAL_ENV=`+venvDir+` PATH="`+venvDir+`/bin:$PATH"`),
					Why:  "pip, python, the console scripts, poetry and uv resolve to the virtual environment",
					Line: py.first.In.StartLine}})
			plan.RuntimeRuns = append(plan.RuntimeRuns, Gen{
				In:   u.File.New("ENV", `ENV PATH="`+venvDir+`/bin:$PATH"`),
				Why:  "the container finds python and the console scripts in the virtual environment, as in the builder",
				Line: py.first.In.StartLine})
		} else {
			u.Fact(py.venvLine, "the Dockerfile installs into its own virtual environment %s", venv)
		}
		u.Fact(py.first.In.StartLine, "%s installs the packages into %s", py.tool, venv)
		app, why := u.appCopies(venv)
		if why != "" {
			u.Skip(from, "%s", why)
			return nil
		}
		plan.Copies = withDir(u.withoutRemoved(plan, app), venv, py.first.In.StartLine, "the virtual environment: every installed package and console script")
		u.Plan = plan
		u.pythonNativeLibs(py)
		if py.noBinary != 0 {
			u.Warn(py.noBinary, "line %d builds packages from source (--no-binary): they link the full image's -dev libraries, whose run-time packages %s may lack beyond the known ones (docs/tables.md); stagesplit verify shows it", py.noBinary, plan.Runtime.Ref)
		}
		u.alpineCxxRuntime()
		return nil
	},
}

// venvPipPin gives the venv the pip of the image. A venv gets the pip
// its interpreter bundles (ensurepip), which on 3.5 to 3.7 is older than the
// image's (18.1 against 21.2.4 on python:3.6): it cannot read manylinux2014
// or later wheel tags and builds from source, or fails, where the
// original's pip took a wheel. From 3.8 the bundled pip reads them all.
func venvPipPin(im Image) string {
	major, minor := versionParts(im.Version)
	if major != 3 || minor < 5 || minor > 7 {
		return ""
	}
	return ` \
    && /opt/venv/bin/pip install --no-cache-dir "pip==$(python -m pip --version | cut -d' ' -f2)"`
}

func venvPinWhy(im Image) string {
	if venvPipPin(im) == "" {
		return ""
	}
	return "; it gets the image's pip version, newer than the one Python " + im.Version + " bundles, so the same wheels are chosen"
}

// alpineCxxRuntime adds libstdc++ to an alpine runtime of a build that
// installed a C++ compiler: a native extension built with it (sassc,
// grpc) links libstdc++, which the python and ruby alpine images lack.
func (u *Unit) alpineCxxRuntime() {
	p := u.Plan
	if p == nil || u.Base.Libc != "musl" {
		return
	}
	for _, s := range u.Steps {
		for _, pkg := range s.Installs {
			if pkg == "build-base" || pkg == "g++" || pkg == "alpine-sdk" {
				p.Packages = append(p.Packages, Package{Name: "libstdc++", Line: s.In.StartLine,
					Why: fmt.Sprintf("line %d installs %s: a C++ extension it builds links libstdc++, which the alpine image lacks", s.In.StartLine, pkg)})
				return
			}
		}
	}
}

// python2Site is where pip installs in the official Python 2 images (all
// 2.7): Python 2 has no venv module, so the packages move as this
// directory, onto an image with the same interpreter build.
const python2Site = "/usr/local/lib/python2.7/site-packages"

// baseImagePrograms are programs of the images themselves that a CMD may
// name without a package install.
var baseImagePrograms = map[string]bool{"sh": true, "bash": true, "ash": true, "env": true, "exec": true, "tini": true, "dumb-init": true, "su-exec": true, "gosu": true}

// planPythonSystem keeps the packages where pip put them when a virtual
// environment would hide them from what the container runs (a script or
// config calling /usr/local/bin/gunicorn, a #!/usr/local/bin/python
// script, cron jobs without the image's PATH): site-packages and
// /usr/local/bin move whole onto the slim image of the same tag, whose
// interpreter, pip and layout are the same (REWRITE-RULES §1 prefers such
// a plan: no new ENV).
func (u *Unit) planPythonSystem(py pyInstalls, rt Image, why string, line int) error {
	major, minor := versionParts(u.Base.Version)
	if major != 3 || !strings.Contains(u.Base.Version, ".") {
		u.Skip(line, "%s, so the packages must stay where pip put them, and the Python minor of %s, which names that directory, is not known", why, u.Base.Expanded)
		return nil
	}
	plan := &Plan{Ecosystem: "python", Runtime: rt}
	u.Fact(line, "%s: the packages stay where pip puts them, with no virtual environment; /usr/local, the interpreter's prefix, moves whole", why)
	app, w := u.appCopies("/usr/local")
	if w != "" {
		u.Skip(u.Stage.From.StartLine, "%s", w)
		return nil
	}
	// The whole prefix: site-packages (python%d.%d), the console scripts in
	// bin, and what wheels put in share and etc (jupyter's assets) or a
	// make install in lib; the image's own interpreter there is the
	// runtime's version.
	plan.Copies = withDir(u.withoutRemoved(plan, app), "/usr/local", py.first.In.StartLine,
		fmt.Sprintf("the interpreter's prefix: the packages pip installed in lib/python%d.%d/site-packages, its console scripts in bin, the data files wheels put in share and etc", major, minor))
	for _, st := range u.Steps {
		for _, c := range st.Commands {
			if c.Name() == "ldconfig" || c.Name() == "make" && slices.Contains(c.Args, "install") {
				plan.RuntimeTail = append(plan.RuntimeTail, ldconfigRun(u, fmt.Sprintf("line %d installs libraries into /usr/local/lib: the dynamic linker's cache must list them", st.In.StartLine), st.In.StartLine))
				u.Plan = plan
				u.pythonNativeLibs(py)
				u.alpineCxxRuntime()
				return nil
			}
		}
	}
	u.Plan = plan
	u.pythonNativeLibs(py)
	u.alpineCxxRuntime()
	return nil
}

// planPython2 moves what pip installed for Python 2 without a virtualenv:
// site-packages and /usr/local/bin whole.
func (u *Unit) planPython2(py pyInstalls, rt Image) error {
	from := u.Stage.From.StartLine
	plan := &Plan{Ecosystem: "python", Runtime: rt}
	u.Fact(from, "Python 2 has no venv module: the packages pip installs move as %s, which holds only the image's pip and setuptools besides them", python2Site)
	app, why := u.appCopies(python2Site)
	if why != "" {
		u.Skip(from, "%s", why)
		return nil
	}
	plan.Copies = withDir(u.withoutRemoved(plan, app), python2Site, py.first.In.StartLine, "every package pip installed for Python 2")
	// pip's console scripts go to /usr/local/bin, and the container, its
	// entrypoint script or a cron job may run any of them (alembic before
	// exec "$@"): the directory moves whole. Its other programs are the
	// image's own interpreter and pip, as on the runtime, and small.
	plan.Copies = append(plan.Copies, Copy{Src: "/usr/local/bin", Dst: "/usr/local/bin", Line: py.first.In.StartLine,
		Why: "the console scripts pip installed (gunicorn, alembic...), which the container or its scripts may run; the rest is the interpreter's own programs"},
		Copy{Src: "/usr/local/share", Dst: "/usr/local/share", Line: py.first.In.StartLine,
			Why: "the data files packages install under sys.prefix (setup.py data_files: share/app/templates); the rest is the image's manual pages"})
	u.Plan = plan
	u.pythonNativeLibs(py)
	return nil
}

var usrLocalBinRe = regexp.MustCompile(`/usr/local/bin/([A-Za-z0-9_.+-]+)`)

// pythonConfigNamesScript finds a file of the build context that the
// container's command names (supervisord -c FILE), or one copied into
// supervisor's configuration, that runs a program from /usr/local/bin
// other than the interpreter: pip's console scripts (gunicorn, celery)
// move into the virtual environment's bin.
func (u *Unit) pythonConfigNamesScript(n Needs) (file, prog string) {
	if u.Context == nil {
		return "", ""
	}
	var imgs []string
	for _, w := range n.ExecArgs {
		if strings.HasPrefix(w, "/") && !strings.Contains(w, "$") {
			imgs = append(imgs, w)
		}
	}
	for _, cp := range u.contextCopies() {
		if !strings.HasPrefix(cp.dest, "/etc/supervisor") {
			continue
		}
		if st, err := fs.Stat(u.Context.FS, cp.src); err == nil && st.IsDir() {
			// COPY supervisor /etc/supervisor/conf.d: its files.
			entries, _ := fs.ReadDir(u.Context.FS, cp.src)
			for _, e := range entries {
				if !e.IsDir() {
					imgs = append(imgs, path.Join(cp.dest, e.Name()))
				}
			}
			continue
		}
		if cp.intoDir {
			imgs = append(imgs, path.Join(cp.dest, path.Base(cp.src)))
		} else {
			imgs = append(imgs, cp.dest)
		}
	}
	for _, img := range imgs {
		rel, ok := u.contextFileFor(img)
		if !ok {
			continue
		}
		data, err := fs.ReadFile(u.Context.FS, rel)
		if err != nil {
			continue
		}
		for _, m := range usrLocalBinRe.FindAllStringSubmatch(string(data), -1) {
			if name := m[1]; !pythonImagePrograms.MatchString(name) {
				return img, "/usr/local/bin/" + name
			}
		}
	}
	return "", ""
}

// pythonAbsProgram finds a word of the run-time command, the health check
// or a context script the container runs that names the interpreter or a
// console script in /usr/local/bin, with the line that says so.
func (u *Unit) pythonAbsProgram(n Needs) (string, int) {
	check := func(text string) string {
		for _, m := range usrLocalBinRe.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if _, fromContext := u.contextFileFor(m[0]); fromContext || strings.HasSuffix(name, ".sh") {
				continue // the Dockerfile's own script, copied there
			}
			if pythonPathRe.MatchString(m[0]) || !pythonImagePrograms.MatchString(name) && !u.installedByPackage(name) {
				return m[0]
			}
		}
		return ""
	}
	if w := check(strings.Join(append([]string{n.Exec}, n.ExecArgs...), " ")); w != "" {
		return w, n.ExecLine
	}
	for _, s := range u.Steps {
		if h, ok := s.In.Command.(*instructions.HealthCheckCommand); ok && h.Health != nil {
			if w := check(strings.Join(h.Health.Test, " ")); w != "" {
				return w, s.In.StartLine
			}
		}
	}
	for _, c := range u.scriptCommands(u.containerCommands()) {
		if w := check(strings.Join(c.Args, " ")); w != "" {
			return w, n.ExecLine
		}
	}
	return "", 0
}

// pythonImagePrograms are the programs the python image itself puts in
// /usr/local/bin, which the slim runtime has too.
var pythonImagePrograms = regexp.MustCompile(`^(python|pip|pydoc|idle|2to3|python-config|wheel)[0-9.]*(-config)?$`)

// pythonShebangInterp finds the script of the build context the container
// runs (by name from /usr/local/bin or /usr/bin, or by path) whose #! line
// names the interpreter by absolute path, which a venv does not change.
func (u *Unit) pythonShebangInterp(n Needs) (script, interp string) {
	if u.Context == nil || n.Exec == "" || strings.Contains(n.Exec, "$") {
		return "", ""
	}
	var cands []string
	if strings.Contains(n.Exec, "/") {
		cands = []string{Resolve(u.finalWorkdir(), n.Exec)}
	} else {
		cands = []string{"/usr/local/bin/" + n.Exec, "/usr/bin/" + n.Exec}
	}
	// What the container's own scripts run by path (./check.py before exec
	// "$@" in an entrypoint script).
	for _, c := range u.scriptCommands(u.containerCommands()) {
		if len(c.Args) > 0 && strings.Contains(c.Args[0], "/") && !strings.Contains(c.Args[0], "$") {
			cands = append(cands, Resolve(c.Dir, c.Args[0]))
		}
	}
	for _, img := range cands {
		rel, ok := u.contextFile(img, len(u.Steps))
		if !ok {
			continue
		}
		f, err := u.Context.FS.Open(rel)
		if err != nil {
			continue
		}
		buf := make([]byte, 256)
		k, _ := f.Read(buf)
		f.Close()
		first, _, _ := strings.Cut(string(buf[:k]), "\n")
		if words := strings.Fields(strings.TrimPrefix(first, "#!")); strings.HasPrefix(first, "#!") && len(words) > 0 && pythonPathRe.MatchString(words[0]) {
			return img, words[0]
		}
	}
	return "", ""
}

var pythonPathRe = regexp.MustCompile(`^/usr/(local/)?bin/python[0-9.]*$`)

type pyInstalls struct {
	first    *Step  // the first install
	tool     string // pip, pipenv, poetry, uv
	venv     string // the Dockerfile's own venv
	venvLine int
	line     int      // the line a reason refers to
	names    []string // packages named on install command lines
	noBinary int      // the line of a pip install --no-binary (built from source)
	reqFiles []string // requirements files named by -r, as image paths
	uvSystem int      // the line of a uv pip install --system
}

// pythonInstalls finds the package installs of the stage and the venv they
// go into. The reason is set for an install that cannot be moved.
func (u *Unit) pythonInstalls() (pyInstalls, string) {
	var py pyInstalls
	var toolStep *Step // a pip install of packaging tools only
	poetryNoVenv := false
	for _, s := range u.Steps {
		if v, ok := s.Env.Get("POETRY_VIRTUALENVS_CREATE"); ok && (v == "false" || v == "0") {
			poetryNoVenv = true
		}
		for _, c := range s.Commands {
			args := c.Args
			name := c.Name()
			if len(args) == 0 {
				continue
			}
			expand := func(w string) string {
				if !strings.Contains(w, "$") {
					return w
				}
				return expandVars(w, s.Env, c.Env)
			}
			// python -m venv DIR, virtualenv DIR
			if (strings.HasPrefix(name, "python") && len(args) > 3 && args[1] == "-m" && (args[2] == "venv" || args[2] == "virtualenv")) || name == "virtualenv" {
				rest := args[1:]
				if name != "virtualenv" {
					rest = args[3:]
				}
				if dirs := nonFlags(rest); len(dirs) > 0 {
					d := expand(dirs[len(dirs)-1])
					if strings.Contains(d, "$") {
						return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d creates a virtual environment at %s, which cannot be resolved", s.In.StartLine, dirs[len(dirs)-1])
					}
					py.venv, py.venvLine = Resolve(c.Dir, d), s.In.StartLine
				}
				continue
			}
			if name == "poetry" && len(args) > 3 && args[1] == "config" && args[2] == "virtualenvs.create" && args[3] == "false" {
				poetryNoVenv = true
				continue
			}
			tool, sub := "", []string(nil)
			switch {
			case (name == "pip" || strings.HasPrefix(name, "pip3")) && len(args) > 1 && args[1] == "install":
				tool, sub = "pip", args[2:]
				if strings.Contains(args[0], "/") && py.venv != "" && !strings.HasPrefix(Resolve(c.Dir, args[0]), py.venv+"/") {
					return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d runs %s, outside the virtual environment %s", s.In.StartLine, args[0], py.venv)
				}
			case strings.HasPrefix(name, "python") && len(args) > 3 && args[1] == "-m" && args[2] == "pip" && args[3] == "install":
				tool, sub = "pip", args[4:]
			case name == "pipenv" && len(args) > 1 && (args[1] == "install" || args[1] == "sync"):
				if !hasFlag(args, "--system") {
					return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d: pipenv without --system makes its own virtualenv under the home directory; add --system (or --deploy --system)", s.In.StartLine)
				}
				tool = "pipenv"
			case name == "poetry" && len(args) > 1 && (args[1] == "install" || args[1] == "sync"):
				if !poetryNoVenv && !envIs(s.Env, "POETRY_VIRTUALENVS_IN_PROJECT", "true") && py.venv == "" {
					return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d: poetry makes its own virtualenv in its cache unless virtualenvs.create is false (POETRY_VIRTUALENVS_CREATE=false)", s.In.StartLine)
				}
				tool = "poetry"
			case name == "uv" && len(args) > 2 && args[1] == "pip" && (args[2] == "install" || args[2] == "sync"):
				tool, sub = "uv", args[3:]
			case name == "uv" && len(args) > 1 && args[1] == "sync":
				tool = "uv" // the project's .venv, inside the app directory
			case strings.HasPrefix(name, "python") && len(args) > 2 && path.Base(args[1]) == "setup.py" && args[2] == "install":
				tool = "setup.py"
			default:
				continue
			}
			if tool == "pip" {
				// pip reads every option from PIP_<OPTION> too.
				for _, k := range []string{"PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT"} {
					v, ok := c.Env[k]
					if !ok {
						v, ok = s.Env.Get(k)
					}
					if ok && v != "" && v != "0" && !strings.EqualFold(v, "false") && !strings.EqualFold(v, "no") {
						return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d: pip installs with %s=%s, as --%s would: not supported yet", s.In.StartLine, k, v, strings.ToLower(strings.TrimPrefix(k, "PIP_")))
					}
				}
			}
			namesBefore := len(py.names)
			for i, a := range sub {
				if (a == "-r" || a == "--requirement" || a == "-c" || a == "--constraint") && i+1 < len(sub) {
					py.reqFiles = append(py.reqFiles, Resolve(c.Dir, expand(sub[i+1])))
				}
				switch {
				case tool == "uv" && a == "--system":
					// uv 0.2 and later: --system skips any virtual environment
					// on PATH (astral-sh/uv#4031) and installs into /usr/local:
					// the plan that keeps /usr/local.
					if py.uvSystem == 0 {
						py.uvSystem = s.In.StartLine
					}
				case a == "--no-binary" || strings.HasPrefix(a, "--no-binary="):
					py.noBinary = s.In.StartLine
				case a == "--user":
					return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d: pip install --user puts packages in the home directory, which a virtual environment refuses", s.In.StartLine)
				case a == "--target" || a == "-t" || a == "--prefix" || a == "--root" || strings.HasPrefix(a, "--target=") || strings.HasPrefix(a, "--prefix=") || strings.HasPrefix(a, "--root="):
					return pyInstalls{line: s.In.StartLine}, fmt.Sprintf("line %d: pip %s installs into a directory of its own: not supported yet", s.In.StartLine, a)
				case !strings.HasPrefix(a, "-") && (i == 0 || !strings.HasPrefix(sub[i-1], "-") || strings.Contains(sub[i-1], "=")):
					py.names = append(py.names, strings.ToLower(a))
				}
			}
			// pip install poetry (or pipenv, uv) only fetches the tool that
			// installs the app's packages: the venv belongs before that
			// install, so the tool stays out of it.
			// An upgrade of pip, setuptools and wheel alone belongs in the
			// venv, as the original's went into the packages' interpreter.
			if tool == "pip" && len(py.names) > namesBefore && onlyPackagingTools(py.names[namesBefore:]) && !onlyBuildBasics(py.names[namesBefore:]) {
				if toolStep == nil {
					toolStep = s
				}
				continue
			}
			if py.first == nil {
				py.first, py.tool = s, tool
			}
		}
	}
	if py.first == nil && toolStep != nil {
		py.first, py.tool = toolStep, "pip"
	}
	return py, ""
}

// packagingTools install or manage packages; the app does not import them.
var packagingTools = map[string]bool{"poetry": true, "pipenv": true, "uv": true, "pip-tools": true, "pip": true,
	"setuptools": true, "wheel": true, "virtualenv": true, "poetry-plugin-export": true}

// onlyPackagingTools reports whether every requirement names a packaging
// tool (poetry==1.8.3, "pipenv>=2023").
func onlyPackagingTools(reqs []string) bool {
	for _, r := range reqs {
		name := strings.Trim(r, `"'`)
		if i := strings.IndexAny(name, "=<>!~[;@ "); i >= 0 {
			name = name[:i]
		}
		if !packagingTools[name] {
			return false
		}
	}
	return true
}

// onlyBuildBasics reports whether every requirement is pip, setuptools or
// wheel.
func onlyBuildBasics(reqs []string) bool {
	for _, r := range reqs {
		name := strings.ToLower(strings.Trim(r, `"'`))
		if i := strings.IndexAny(name, "=<>!~[;@ "); i >= 0 {
			name = name[:i]
		}
		if name != "pip" && name != "setuptools" && name != "wheel" {
			return false
		}
	}
	return true
}

// expandVars substitutes $X and ${X} from the shell's and the stage's
// environment; unknown variables stay as they are.
func expandVars(w string, env EnvView, shellEnv map[string]string) string {
	return varRe.ReplaceAllStringFunc(w, func(m string) string {
		k := strings.Trim(m, "${}")
		if v, ok := shellEnv[k]; ok {
			return v
		}
		if v, ok := env.Get(k); ok {
			return v
		}
		return m
	})
}

var varRe = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)

// userAt is the USER in force when s runs, and its line.
func (u *Unit) userAt(s *Step) (string, int) {
	user, line := "", 0
	for _, x := range u.Steps {
		if x == s {
			break
		}
		if c, ok := x.In.Command.(*instructions.UserCommand); ok {
			user, line = c.User, x.In.StartLine
		}
	}
	return user, line
}

// pyNative maps PyPI packages that load or build against a system library
// (no manylinux wheel, a source-only distribution, or ctypes loading) to
// the Debian -dev package the full python image supplied silently
// (REWRITE-RULES §4); devToRuntime names its run-time library per release.
// A value without "-dev" is a program the package runs (GitPython runs git).
var pyNative = map[string]string{
	"wand":         "libmagickwand-dev", // dlopens libMagickWand
	"psycopg2":     "libpq-dev",
	"psycopg":      "libpq-dev", // psycopg 3's pure-Python driver loads libpq.so.5
	"mysqlclient":  "default-libmysqlclient-dev",
	"python-ldap":  "libldap2-dev",
	"pycurl":       "libcurl4-openssl-dev",
	"python-magic": "libmagic-dev",
	"uwsgi":        "libxml2-dev libyaml-dev", // its default build links libxml2 and libyaml when found (buildconf/base.ini)
	"gitpython":    "git",
	// cffi bindings that dlopen cairo and pango: the full image has them
	// through imagemagick's delegates, the slim one not.
	"cairocffi":  "libcairo2-dev",
	"cairosvg":   "libcairo2-dev",
	"weasyprint": "libpango1.0-dev libgdk-pixbuf2.0-dev shared-mime-info", // before 53 it loads JPEG and GIF through gdk-pixbuf
}

// pyNativeWords are words of a Dockerfile that show a database driver is
// in use when the requirements cannot be read.
var pyNativeWords = map[string]string{"mysql": "mysqlclient", "postgres": "psycopg2", "postgresql": "psycopg2", "psycopg2": "psycopg2", "uwsgi": "uwsgi"}

var reqNameRe = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// pyNativeRe finds a pyNative package named as a requirement, with its
// extras: "psycopg2==2.9", "psycopg[c]>=3", `mysqlclient = "*"`.
var pyNativeRe = func() *regexp.Regexp {
	names := mapKeys(pyNative)
	for i, n := range names {
		names[i] = strings.ReplaceAll(regexp.QuoteMeta(n), "-", "[-_]")
	}
	return regexp.MustCompile(`(?:^|[\s"'])(` + strings.Join(names, "|") + `)(\[[^\]]*\])?(?:$|[\s"'=<>!~;,@])`)
}()

// pythonNativeLibs adds the run-time libraries of packages that compile
// against a library of the full builder image.
func (u *Unit) pythonNativeLibs(py pyInstalls) {
	if u.Base.Libc == "musl" || strings.Contains(u.Base.Tag, "slim") {
		return // the builder had no hidden -dev packages
	}
	found := map[string]string{} // package -> evidence
	for _, n := range py.names {
		if m := reqNameRe.FindStringSubmatch(n); m != nil {
			found[strings.ToLower(m[1])] = "installed on line " + fmt.Sprint(py.first.In.StartLine)
		}
	}
	read := false
	if u.Context != nil {
		// The files pip -r names, mapped back to the build context, then
		// the usual names anywhere near the top; -r/-c includes followed.
		var queue []string
		for _, img := range py.reqFiles {
			if src, ok := u.contextPath(img); ok {
				queue = append(queue, src)
			}
		}
		_ = fs.WalkDir(u.Context.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || strings.Count(p, "/") > 2) {
					return fs.SkipDir
				}
				return nil
			}
			base, dir := d.Name(), path.Base(path.Dir(p))
			if strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt") || dir == "requirements" && strings.HasSuffix(base, ".txt") ||
				base == "Pipfile" || base == "Pipfile.lock" || base == "pyproject.toml" || base == "poetry.lock" || base == "uv.lock" || base == "setup.py" || base == "setup.cfg" {
				queue = append(queue, p)
			}
			return nil
		})
		seen := map[string]bool{}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if seen[p] {
				continue
			}
			seen[p] = true
			b, err := fs.ReadFile(u.Context.FS, p)
			if err != nil {
				continue
			}
			read = true
			for _, line := range strings.Split(string(b), "\n") {
				line = strings.TrimSpace(line)
				if f := strings.Fields(line); len(f) == 2 && (f[0] == "-r" || f[0] == "-c" || f[0] == "--requirement" || f[0] == "--constraint") {
					queue = append(queue, path.Join(path.Dir(p), f[1]))
					continue
				}
				if m := pyyamlOldRe.FindStringSubmatch(strings.ToLower(line)); m != nil {
					if major, minor := versionParts(m[1]); major < 5 || major == 5 && minor < 4 {
						found["pyyaml"] = p
					}
				}
				for _, m := range pyNativeRe.FindAllStringSubmatch(strings.ToLower(line), -1) {
					name := strings.ReplaceAll(m[1], "_", "-")
					if name == "psycopg" && strings.Contains(m[2], "binary") {
						continue // psycopg[binary] brings its own libpq
					}
					found[name] = p
				}
			}
		}
	}
	if !read {
		for pkg, why := range dockerfileMentions(u.File.Source, pyNativeWords) {
			found[pkg] = why
		}
		u.Warn(u.Stage.From.StartLine, "no requirements file in the build context: a package without a wheel for this platform builds against the full image's -dev libraries, and its run-time library may be missing from %s; stagesplit verify shows it", u.Plan.Runtime.Ref)
	}
	u.addNativePackages(found, pyNativeOrOld, "%s")
}

// pyyamlOldRe is a PyYAML pin: before 5.4 PyYAML published no Linux
// wheels, and its source build links the full image's libyaml into the
// _yaml extension (yaml.CLoader).
var pyyamlOldRe = regexp.MustCompile(`^pyyaml\s*==\s*([0-9]+\.[0-9]+)`)

// pyNativeOrOld is pyNative with the packages that link a library only in
// the old versions the requirements pin.
var pyNativeOrOld = func() map[string]string {
	m := map[string]string{"pyyaml": "libyaml-dev"}
	for k, v := range pyNative {
		m[k] = v
	}
	return m
}()

func init() {
	familyConfigs["python"] = func(im Image) BaseConfig {
		// The official python images (docker-library/python): same config
		// for the full, slim and alpine variants.
		return BaseConfig{Env: []string{stdPath, "LANG=C.UTF-8", "PYTHON_VERSION=" + im.Version}, Cmd: []string{"python3"}}
	}
}

// installedByPackage reports whether a system package the Dockerfile
// installs is named like the program (tini, dumb-init, nginx...), so an
// absolute /usr/bin path is the package's, not pip's.
func (u *Unit) installedByPackage(prog string) bool {
	for _, s := range u.Steps {
		for _, p := range s.Installs {
			if p == prog {
				return true
			}
		}
	}
	return false
}

// pythonLinkRun finds a link to a Python interpreter (ln -s
// /usr/local/bin/python3 /usr/bin/python-app) that the container runs.
func (u *Unit) pythonLinkRun(n Needs) (string, int) {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "ln" {
				continue
			}
			ops := nonFlags(c.Args[1:])
			if len(ops) == 2 && strings.HasPrefix(path.Base(ops[0]), "python") && path.Base(ops[1]) == path.Base(n.Exec) && n.Exec != "" {
				return n.Exec, s.In.StartLine
			}
			// ln -s /usr/local/bin/gunicorn /usr/bin/gunicorn: a console
			// script pip puts in /usr/local/bin, which a venv would move.
			if len(ops) == 2 && path.Dir(ops[0]) == "/usr/local/bin" && !strings.HasPrefix(path.Base(ops[0]), "python") && !strings.HasPrefix(path.Base(ops[0]), "pip") {
				return ops[0], s.In.StartLine
			}
		}
	}
	return "", 0
}
