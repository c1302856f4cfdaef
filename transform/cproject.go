package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// projectInfo is what a Makefile or CMakeLists.txt of the build context
// says about the programs it builds.
type projectInfo struct {
	// Names are the programs it may write (rule targets, -o words, TARGET
	// and the like, add_executable).
	Names             []string
	CXX               string
	Static, StaticCxx bool
	Shared            bool
	Libs              []string
	// Unknown says why its libraries cannot be read offline.
	Unknown string
	// Prefix is the install prefix a Makefile sets ("" when none).
	Prefix string
	// Sbin is set when the install may put programs in sbin.
	Sbin bool
}

func isContextDir(u *Unit, p string) bool {
	if u.Context == nil {
		return false
	}
	st, err := fs.Stat(u.Context.FS, p)
	return err == nil && st.IsDir()
}

// cxxFileIn names a C++ source file under dir of the build context, or "".
func cxxFileIn(fsys fs.FS, dir string) string {
	found, seen := "", 0
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > 5000 {
			return fs.SkipAll
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if isCxxSource(p) {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// makefileAt reads the Makefile a make run uses, from the build context.
func (s *cScan) makefileAt(b *cBuild) *projectInfo {
	names := []string{"GNUmakefile", "makefile", "Makefile"}
	if b.Makefile != "" {
		names = []string{b.Makefile}
	}
	dir, ok := s.contextDir(b.Dir, b.Line)
	if !ok {
		// A Makefile copied by name (COPY Makefile ./): read it where the
		// build context has it.
		before := 0
		for i, st := range s.u.Steps {
			if st.In.StartLine <= b.Line {
				before = i + 1
			}
		}
		for _, n := range names {
			if cf, found := s.u.contextFile(path.Join(b.Dir, n), before); found {
				dir, ok, names = path.Dir(cf), true, []string{path.Base(cf)}
				break
			}
		}
		if !ok {
			return nil
		}
	}
	for _, n := range names {
		p := path.Clean(path.Join(dir, n))
		data, err := fs.ReadFile(s.u.Context.FS, p)
		if err != nil {
			continue
		}
		info := parseMakefile(string(data), b.Vars)
		if info.CXX == "" {
			if f := cxxFileIn(s.u.Context.FS, dir); f != "" {
				info.CXX = "the build context has C++ source " + f
			}
		}
		return info
	}
	return nil
}

var (
	makeAssignRe = regexp.MustCompile(`^(?:override\s+|export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|:=|::=|\+=|!=|=)\s*(.*)$`)
	makeRuleRe   = regexp.MustCompile(`^([^:=#\t][^:=#]*?)\s*::?(?:[^=]|$)(.*)$`)
	makeVarRe    = regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]`)
)

// programVars are the Makefile variables that conventionally name the
// program a Makefile builds.
var programVars = []string{"TARGET", "TARGETS", "PROG", "PROGRAM", "PROGS", "PROGRAMS", "BIN", "BINARY", "BINS",
	"EXEC", "EXE", "EXECUTABLE", "OUT", "OUTPUT", "APP", "NAME"}

// makefile is what readMakefile gets from a Makefile: its variables (with
// those of the make command line), its rules in order, and each recipe
// line with the rule it belongs to.
type makefile struct {
	vars    map[string]string
	rules   []string
	deps    map[string][]string
	recipes []makeRecipe
	// include says what it includes, which is not followed; conditional
	// and targetVars name the first ifeq/ifdef and target-specific
	// variable, which are not evaluated.
	include, conditional, targetVars string
}

type makeRecipe struct{ target, text string }

// readMakefile reads the variables, rules and recipes of a Makefile, with
// the variables a make command line sets.
func readMakefile(text string, cmdVars map[string]string) *makefile {
	return readMakefileEnv(text, cmdVars, nil)
}

// readMakefileEnv is readMakefile with the environment make runs in,
// whose variables a ?= assignment does not override.
func readMakefileEnv(text string, cmdVars, env map[string]string) *makefile {
	m := &makefile{vars: map[string]string{}, deps: map[string][]string{}}
	vars := m.vars
	for k, v := range env {
		vars[k] = v
	}
	current := ""
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\\\n", " ")
	for _, raw := range strings.Split(text, "\n") {
		if strings.HasPrefix(raw, "\t") {
			m.recipes = append(m.recipes, makeRecipe{current, raw})
			continue
		}
		line := raw
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "include ") || strings.HasPrefix(t, "-include ") || strings.HasPrefix(t, "sinclude ") {
			m.include = t
			continue
		}
		if f := strings.Fields(t); len(f) > 0 && (f[0] == "ifeq" || f[0] == "ifneq" || f[0] == "ifdef" || f[0] == "ifndef") {
			if m.conditional == "" {
				m.conditional = t
			}
			continue
		}
		if t == "else" || t == "endif" || strings.HasPrefix(t, "else ") {
			continue
		}
		if mm := makeAssignRe.FindStringSubmatch(t); mm != nil {
			name, op, val := mm[1], mm[2], mm[3]
			switch op {
			case "+=":
				vars[name] = strings.TrimSpace(vars[name] + " " + val)
			case "?=":
				if _, ok := vars[name]; !ok {
					vars[name] = val
				}
			case "!=":
				vars[name] = "$(shell " + val + ")"
			default:
				vars[name] = val
			}
			continue
		}
		if mm := makeRuleRe.FindStringSubmatch(t); mm != nil {
			if strings.Contains(mm[2], "=") && !strings.Contains(mm[2], ";") {
				// release: OUT = dist, a target-specific variable.
				if m.targetVars == "" {
					m.targetVars = t
				}
				continue
			}
			targets := strings.Fields(mm[1])
			current = ""
			if len(targets) > 0 {
				current = targets[0]
			}
			m.rules = append(m.rules, targets...)
			prereqs, after, hasRecipe := strings.Cut(mm[2], ";")
			for _, tg := range targets {
				m.deps[tg] = append(m.deps[tg], strings.Fields(prereqs)...)
			}
			if hasRecipe {
				m.recipes = append(m.recipes, makeRecipe{current, after})
			}
		}
	}
	for k, v := range cmdVars {
		vars[k] = v
	}
	return m
}

// expand replaces the variables the Makefile or the command line set;
// others stay as written.
func (m *makefile) expand(v string) string {
	var expand func(string, int) string
	expand = func(v string, depth int) string {
		if depth > 10 {
			return v
		}
		return makeVarRe.ReplaceAllStringFunc(v, func(ref string) string {
			name := makeVarRe.FindStringSubmatch(ref)[1]
			val, ok := m.vars[name]
			if !ok {
				return ref
			}
			return expand(val, depth+1)
		})
	}
	return expand(v, 0)
}

// recipeOf is the expanded recipe lines make runs for targets (the first
// rule's target when none is named), prerequisites first, without the
// @, - and + prefixes.
func (m *makefile) recipeOf(targets []string) []string {
	if len(targets) == 0 {
		for _, r := range m.rules {
			if !strings.HasPrefix(r, ".") && !strings.Contains(r, "%") {
				targets = []string{r}
				break
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	var visit func(string, int)
	visit = func(t string, depth int) {
		if seen[t] || depth > 20 {
			return
		}
		seen[t] = true
		for _, d := range m.deps[t] {
			visit(m.expand(d), depth+1)
		}
		for _, r := range m.recipes {
			if r.target == t {
				x := strings.ReplaceAll(m.expand(r.text), "$@", t)
				out = append(out, strings.TrimLeft(strings.TrimSpace(x), "@-+"))
			}
		}
	}
	for _, t := range targets {
		visit(t, 0)
	}
	return out
}

// parseMakefile reads what a Makefile says about the C programs it builds,
// with the variables a make command line sets.
func parseMakefile(text string, cmdVars map[string]string) *projectInfo {
	info := &projectInfo{}
	m := readMakefile(text, cmdVars)
	if m.include != "" {
		info.Unknown = fmt.Sprintf("the Makefile includes other files (%s): the libraries they add are not followed", m.include)
	}
	vars, recipes, rules := m.vars, m.recipes, m.rules
	expand := func(v string, _ int) string { return m.expand(v) }
	var all []string
	for _, k := range mapKeys(vars) {
		all = append(all, expand(vars[k], 0))
	}
	for _, r := range recipes {
		x := expand(r.text, 0)
		x = strings.ReplaceAll(x, "$@", r.target)
		all = append(all, x)
		if strings.Contains(x, "sbin") {
			info.Sbin = true
		}
		w := strings.Fields(x)
		for i, f := range w {
			if f == "-o" && i+1 < len(w) {
				info.Names = append(info.Names, path.Base(w[i+1]))
			}
		}
	}
	for _, r := range rules {
		x := expand(r, 0)
		if !strings.ContainsAny(x, "%$") && !strings.HasPrefix(x, ".") {
			info.Names = append(info.Names, path.Base(x))
		}
	}
	for _, k := range programVars {
		if v, ok := vars[k]; ok {
			for _, w := range strings.Fields(expand(v, 0)) {
				info.Names = append(info.Names, path.Base(w))
			}
		}
	}
	if v, ok := vars["PREFIX"]; ok {
		info.Prefix = expand(v, 0)
	} else if v, ok := vars["prefix"]; ok {
		info.Prefix = expand(v, 0)
	}
	if !strings.HasPrefix(info.Prefix, "/") || strings.Contains(info.Prefix, "$") {
		info.Prefix = ""
	}
	for _, x := range all {
		for _, w := range strings.Fields(x) {
			w = strings.Trim(w, `"'`)
			switch {
			case w == "-static":
				info.Static = true
			case w == "-static-libstdc++":
				info.StaticCxx = true
			case w == "-shared" || strings.HasSuffix(w, ".so") || strings.Contains(w, ".so."):
				info.Shared = true
			case strings.HasPrefix(w, "-l") && len(w) > 2 && !strings.ContainsAny(w, "$("):
				info.Libs = append(info.Libs, w[2:])
			case w == "-fopenmp":
				info.Libs = append(info.Libs, "gomp")
			case info.CXX == "" && (w == "$(CXX)" || w == "${CXX}" || w == "g++" || w == "c++" || w == "clang++" || isCxxSource(w)):
				info.CXX = "the Makefile compiles with " + w
				if isCxxSource(w) {
					info.CXX = "the Makefile compiles " + w
				}
			}
		}
		if info.Unknown == "" && (strings.Contains(x, "pkg-config") || strings.Contains(x, "-config --libs") ||
			strings.Contains(x, "-config --ldflags") || strings.Contains(x, "`")) {
			info.Unknown = "the Makefile asks pkg-config or a -config script for libraries: which ones is decided at build time, not known offline"
		}
	}
	return info
}

// cmakeAt reads the CMakeLists.txt of a source directory and the
// subdirectories it adds, from the build context.
func (s *cScan) cmakeAt(src string, line int) *projectInfo {
	dir, ok := s.contextDir(src, line)
	if !ok {
		return nil
	}
	fsys := s.u.Context.FS
	if _, err := fs.Stat(fsys, path.Join(dir, "CMakeLists.txt")); err != nil {
		return nil
	}
	c := &cmakeReader{fsys: fsys, info: &projectInfo{}, vars: map[string]string{}, targets: map[string]bool{}}
	c.read(dir, 0)
	info := c.info
	if info.Unknown == "" {
		for _, it := range c.items {
			if why := c.linkItem(it); why != "" {
				info.Unknown = why
				break
			}
		}
	}
	if info.CXX == "" {
		if f := cxxFileIn(fsys, dir); f != "" {
			info.CXX = "the build context has C++ source " + f
		}
	}
	return info
}

type cmakeReader struct {
	fsys    fs.FS
	info    *projectInfo
	vars    map[string]string
	targets map[string]bool // libraries the project builds itself
	items   []string        // what it links
	files   int
}

var cmakeVarRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func (c *cmakeReader) expand(w string) string {
	for i := 0; i < 5 && strings.Contains(w, "${"); i++ {
		w = cmakeVarRe.ReplaceAllStringFunc(w, func(ref string) string {
			name := ref[2 : len(ref)-1]
			if v, ok := c.vars[name]; ok {
				return v
			}
			return ref
		})
	}
	return w
}

func (c *cmakeReader) read(dir string, depth int) {
	c.files++
	if depth > 4 || c.files > 50 {
		c.info.Unknown = "the CMake project has too many subdirectories to read"
		return
	}
	data, err := fs.ReadFile(c.fsys, path.Join(dir, "CMakeLists.txt"))
	if err != nil {
		return
	}
	for _, cmd := range cmakeCommands(string(data)) {
		name, args := cmd.name, cmd.args
		switch name {
		case "project":
			if len(args) > 0 {
				c.vars["PROJECT_NAME"] = c.expand(args[0])
				if _, ok := c.vars["CMAKE_PROJECT_NAME"]; !ok {
					c.vars["CMAKE_PROJECT_NAME"] = c.vars["PROJECT_NAME"]
				}
			}
			if contains(args, "CXX") && c.info.CXX == "" {
				c.info.CXX = "CMakeLists.txt enables CXX"
			}
		case "enable_language":
			if contains(args, "CXX") && c.info.CXX == "" {
				c.info.CXX = "CMakeLists.txt enables CXX"
			}
		case "set":
			if len(args) >= 2 {
				c.vars[args[0]] = c.expand(strings.Join(args[1:], " "))
				c.flags(args[0], c.vars[args[0]])
			}
		case "option":
			if len(args) >= 3 && args[0] == "BUILD_SHARED_LIBS" && strings.EqualFold(args[2], "ON") {
				c.info.Shared = true
			}
		case "add_executable":
			if len(args) == 0 || contains(args, "IMPORTED") || contains(args, "ALIAS") {
				continue
			}
			c.info.Names = append(c.info.Names, c.expand(args[0]))
			c.sources(args[1:])
		case "add_library":
			if len(args) == 0 {
				continue
			}
			c.targets[c.expand(args[0])] = true
			if contains(args, "SHARED") || contains(args, "MODULE") {
				c.info.Shared = true
			}
			c.sources(args[1:])
		case "set_target_properties":
			for i, a := range args {
				if a == "OUTPUT_NAME" && i+1 < len(args) {
					c.info.Names = append(c.info.Names, c.expand(args[i+1]))
				}
			}
		case "target_link_libraries":
			if len(args) > 1 {
				c.items = append(c.items, args[1:]...)
			}
		case "link_libraries":
			c.items = append(c.items, args...)
		case "target_link_options", "add_link_options":
			for _, a := range args {
				c.flags("", a)
			}
		case "add_subdirectory":
			if len(args) > 0 {
				sub := c.expand(args[0])
				if strings.Contains(sub, "${") || strings.HasPrefix(sub, "/") {
					c.info.Unknown = "CMakeLists.txt adds the subdirectory " + sub + ": not followed"
					continue
				}
				c.read(path.Clean(path.Join(dir, sub)), depth+1)
			}
		case "install":
			for _, a := range args {
				if strings.Contains(a, "sbin") {
					c.info.Sbin = true
				}
			}
		case "pkg_check_modules", "pkg_search_module":
			if len(args) > 0 {
				c.vars[args[0]+"_LIBRARIES"] = "${" + args[0] + "_LIBRARIES}"
			}
		}
	}
}

func (c *cmakeReader) flags(name, v string) {
	for _, w := range strings.Fields(v) {
		switch w {
		case "-static":
			if name == "" || strings.Contains(name, "FLAGS") {
				c.info.Static = true
			}
		case "-static-libstdc++":
			c.info.StaticCxx = true
		}
	}
	if name == "BUILD_SHARED_LIBS" && strings.EqualFold(strings.TrimSpace(v), "ON") {
		c.info.Shared = true
	}
}

func (c *cmakeReader) sources(args []string) {
	for _, a := range args {
		if isCxxSource(c.expand(a)) && c.info.CXX == "" {
			c.info.CXX = "CMakeLists.txt compiles " + a
		}
	}
}

// linkItem reads one item of target_link_libraries: a library of the
// project, a -l name, or an imported target or variable of CMake's find
// modules. The reason is set for one whose library is not known.
func (c *cmakeReader) linkItem(it string) string {
	switch it {
	case "PRIVATE", "PUBLIC", "INTERFACE", "LINK_PUBLIC", "LINK_PRIVATE", "LINK_INTERFACE_LIBRARIES", "debug", "optimized", "general":
		return ""
	}
	if libs, ok := cmakeLinkItems[it]; ok {
		c.info.Libs = append(c.info.Libs, libs...)
		return ""
	}
	x := c.expand(it)
	if libs, ok := cmakeLinkItems[x]; ok {
		c.info.Libs = append(c.info.Libs, libs...)
		return ""
	}
	for _, w := range strings.Fields(x) {
		switch {
		case c.targets[w]:
		case w == "-pthread" || w == "-static-libgcc":
		case w == "-static":
			c.info.Static = true
		case w == "-static-libstdc++":
			c.info.StaticCxx = true
		case strings.HasPrefix(w, "-l") && len(w) > 2:
			c.info.Libs = append(c.info.Libs, w[2:])
		case strings.ContainsAny(w, "${}<>:/") || strings.HasPrefix(w, "-"):
			return fmt.Sprintf("CMakeLists.txt links %s: which library that is, is decided at build time", it)
		default:
			c.info.Libs = append(c.info.Libs, w)
		}
	}
	return ""
}

type cmakeCommand struct {
	name string
	args []string
}

// cmakeCommands splits a CMakeLists.txt into commands and their
// arguments (quotes removed, comments dropped).
func cmakeCommands(text string) []cmakeCommand {
	var out []cmakeCommand
	i, n := 0, len(text)
	for i < n {
		ch := text[i]
		switch {
		case ch == '#':
			for i < n && text[i] != '\n' {
				i++
			}
		case ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i
			for j < n && (text[j] == '_' || text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z' || text[j] >= '0' && text[j] <= '9') {
				j++
			}
			name := strings.ToLower(text[i:j])
			k := j
			for k < n && (text[k] == ' ' || text[k] == '\t') {
				k++
			}
			if k >= n || text[k] != '(' {
				i = j
				continue
			}
			args, end := cmakeArgs(text, k+1)
			out = append(out, cmakeCommand{name, args})
			i = end
		default:
			i++
		}
	}
	return out
}

// cmakeArgs reads the arguments from just after '(' to the matching ')'.
func cmakeArgs(text string, i int) ([]string, int) {
	var args []string
	var cur strings.Builder
	depth, n := 0, len(text)
	inArg := false
	flush := func() {
		if inArg {
			args = append(args, cur.String())
			cur.Reset()
			inArg = false
		}
	}
	for i < n {
		ch := text[i]
		switch {
		case ch == '"':
			i++
			for i < n && text[i] != '"' {
				if text[i] == '\\' && i+1 < n {
					i++
				}
				cur.WriteByte(text[i])
				i++
			}
			inArg = true
		case ch == '#':
			flush()
			for i < n && text[i] != '\n' {
				i++
			}
			continue
		case ch == '(':
			depth++
			cur.WriteByte(ch)
			inArg = true
		case ch == ')':
			if depth == 0 {
				flush()
				return args, i + 1
			}
			depth--
			cur.WriteByte(ch)
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			flush()
		default:
			cur.WriteByte(ch)
			inArg = true
		}
		i++
	}
	flush()
	return args, n
}
