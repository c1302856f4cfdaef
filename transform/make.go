package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

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
	file := ""
	vars := map[string]string{}
	var targets []string
	args := c.Args[1:]
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
			dir = Resolve(dir, next())
		case strings.HasPrefix(a, "--directory="):
			dir = Resolve(dir, strings.TrimPrefix(a, "--directory="))
		case strings.HasPrefix(a, "-C") && len(a) > 2:
			dir = Resolve(dir, a[2:])
		case a == "-f" || a == "--file" || a == "--makefile":
			file = next()
		case a == "-j" || a == "--jobs":
			if i+1 < len(args) && isNumeric(args[i+1]) {
				i++
			}
		case a == "-l" || a == "-o" || a == "-W" || a == "-I":
			i++
		case strings.HasPrefix(a, "-"):
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			vars[k] = v
		default:
			targets = append(targets, a)
		}
	}
	// A variable of the command line whose value is a Docker variable
	// (VERSION=$VERSION) is known to the recipe only as that text; the
	// directory, the Makefile and the targets must be literal.
	if strings.Contains(dir, "$") || strings.Contains(file, "$") || slices.ContainsFunc(targets, func(t string) bool { return strings.Contains(t, "$") }) {
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
	toolRe := regexp.MustCompile(`(^|[\s;&|(])` + regexp.QuoteMeta(tool) + `\s`)
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
