package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// makeCall is what a make command line says, as written: the -C
// directories in order (each relative to the one before), the -f
// Makefile, the VAR=value assignments and the targets.
type makeCall struct {
	Dirs    []string
	File    string
	Vars    map[string]string
	Targets []string
}

// parseMakeArgs reads make's arguments (without "make"). The values of
// -j (a number, or a variable), -l, -o, -W and -I are not targets.
func parseMakeArgs(args []string) makeCall {
	mc := makeCall{Vars: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-C" || a == "--directory":
			mc.Dirs = append(mc.Dirs, next())
		case strings.HasPrefix(a, "--directory="):
			mc.Dirs = append(mc.Dirs, strings.TrimPrefix(a, "--directory="))
		case strings.HasPrefix(a, "-C") && len(a) > 2:
			mc.Dirs = append(mc.Dirs, a[2:])
		case a == "-f" || a == "--file" || a == "--makefile":
			mc.File = next()
		case a == "-j" || a == "--jobs":
			if i+1 < len(args) && (isNumeric(args[i+1]) || strings.Contains(args[i+1], "$")) {
				i++
			}
		case a == "-l" || a == "-o" || a == "-W" || a == "-I":
			i++
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "=") && !strings.HasPrefix(a, "="):
			k, v, _ := strings.Cut(a, "=")
			mc.Vars[k] = v
		default:
			mc.Targets = append(mc.Targets, a)
		}
	}
	return mc
}

// makeCommands reads the commands a make run executes from the Makefile
// of the build context, when a recipe runs tool (go, cargo): legacy Go and
// Rust repositories often build with `make build` rather than the tool
// itself. The recipes of the targets
// named (the first rule's by default) and of their prerequisites are read
// with the Makefile's variables and those of the command line, and split
// into commands that run in make's directory. why says when the Makefile
// is there but cannot be followed; no Makefile gives nothing.
func (u *Unit) makeCommands(s *Step, c Command, tool string) (cmds []Command, why string) {
	if c.Name() != "make" && c.Name() != "gmake" {
		return nil, ""
	}
	dir := c.Dir
	if dir == "" {
		dir = s.Workdir
	}
	mc := parseMakeArgs(c.Args[1:])
	for _, d := range mc.Dirs {
		dir = Resolve(dir, d)
	}
	file, vars, targets := mc.File, mc.Vars, mc.Targets
	// A variable of the command line whose value is a Docker variable
	// (VERSION=$VERSION) is known to the recipe only as that text; the
	// directory, the Makefile and the targets must be literal.
	if strings.Contains(dir, "$") || strings.Contains(file, "$") || slices.ContainsFunc(targets, func(t string) bool { return strings.ContainsAny(t, "$`") }) {
		return nil, ""
	}
	names := []string{"GNUmakefile", "makefile", "Makefile"}
	if file != "" {
		names = []string{file}
	}
	before := 0
	for i, st := range u.Steps {
		if st.In.StartLine <= s.In.StartLine {
			before = i + 1
		}
	}
	var text []byte
	for _, n := range names {
		img := Resolve(dir, n)
		rel, ok := u.contextRel(img)
		if !ok {
			rel, ok = u.contextFile(img, before)
		}
		if !ok {
			continue
		}
		if b, err := fs.ReadFile(u.Context.FS, rel); err == nil {
			text = b
			break
		}
	}
	if text == nil {
		return nil, ""
	}
	// make reads the environment too: a Makefile's ?= keeps what ENV,
	// ARG or the RUN set (ENV BIN=/out beats BIN ?= bin), = and := do not.
	env := map[string]string{}
	for _, k := range s.Env.Keys() {
		if v, ok := s.Env.Get(k); ok {
			env[k] = v
		}
	}
	for k, v := range c.Env {
		env[k] = v
	}
	m := readMakefileEnv(string(text), vars, env)
	if m.conditional != "" {
		return nil, fmt.Sprintf("line %d runs make, whose Makefile has conditionals (%s), which are not evaluated", s.In.StartLine, m.conditional)
	}
	if m.targetVars != "" {
		return nil, fmt.Sprintf("line %d runs make, whose Makefile sets target-specific variables (%s), which are not followed", s.In.StartLine, m.targetVars)
	}
	recipe := m.recipeOf(targets)
	toolRe := cachedRegexp(`(^|[\s;&|(])` + regexp.QuoteMeta(tool) + `\s`)
	if tool == "" {
		toolRe = regexp.MustCompile(`.`) // every recipe line
	}
	if !slices.ContainsFunc(recipe, toolRe.MatchString) {
		return nil, ""
	}
	if m.include != "" {
		return nil, fmt.Sprintf("line %d runs make, whose Makefile includes other files (%s): the %s build it runs is not followed there", s.In.StartLine, m.include, tool)
	}
	for _, line := range recipe {
		sub, err := ParseScript(line, dir)
		if err != nil && !toolRe.MatchString(line) {
			continue // an echo or a make function of no interest
		}
		if err != nil {
			return nil, fmt.Sprintf("line %d runs make, and a recipe line of its Makefile does not parse as shell (%q)", s.In.StartLine, line)
		}
		for _, x := range sub {
			env := map[string]string{}
			for k, v := range c.Env {
				env[k] = v
			}
			for k, v := range x.Env {
				env[k] = v
			}
			x.Env = env
			if len(x.Args) == 0 || strings.Contains(x.Args[0], "$") {
				continue // $(GO) left unexpanded
			}
			cmds = append(cmds, x)
		}
	}
	return cmds, ""
}

// makeNote says where a command read from a Makefile comes from.
func makeNote(c, via Command) string {
	return fmt.Sprintf("%s (from the Makefile %s runs)", strings.Join(c.Args[:min(len(c.Args), 2)], " "), path.Base(via.Args[0])+" "+strings.Join(nonFlags(via.Args[1:]), " "))
}

// makeHint says, for a skip that found no build, that a make run was seen
// whose Makefile the build context does not show.
func (u *Unit) makeHint() string {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() == "make" || c.Name() == "gmake" {
				if u.Context == nil {
					return fmt.Sprintf(" (line %d runs make, and without the build context its Makefile cannot be read)", s.In.StartLine)
				}
				return fmt.Sprintf(" (line %d runs make: its Makefile is not in the build context, or its recipes run no build)", s.In.StartLine)
			}
		}
	}
	return ""
}
