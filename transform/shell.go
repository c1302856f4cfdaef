package transform

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one simple command found in a RUN, with the state the shell
// had when it ran.
type Command struct {
	// Args are the words; a word that is not fully literal keeps its
	// source text ("$OUT") and Dynamic is set.
	Args    []string
	Dynamic bool
	// Env holds the prefix assignments (`CGO_ENABLED=0 go build`) and the
	// variables exported earlier in the same RUN.
	Env map[string]string
	// Dir is the working directory: the stage's WORKDIR, changed by `cd`
	// earlier in the same RUN.
	Dir string
	// Writes are the files its output redirections (> and >>) write,
	// resolved against Dir; a target that is not literal is left out.
	Writes []string
}

// Name is the program name, without a leading path.
func (c Command) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	return path.Base(c.Args[0])
}

// ParseScript lists the simple commands of a shell script in the order they
// run, following `cd` and `export` through `&&`, `||`, `;` and pipes. A
// subshell's `cd` does not leak out of it. The error is the shell parser's.
func ParseScript(script, workdir string) ([]Command, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		return nil, err
	}
	w := &walker{}
	st := shellState{dir: workdir, env: map[string]string{}}
	for _, s := range f.Stmts {
		st = w.stmt(s, st)
	}
	return w.out, nil
}

type shellState struct {
	dir string
	env map[string]string
}

func (s shellState) clone() shellState {
	env := make(map[string]string, len(s.env))
	for k, v := range s.env {
		env[k] = v
	}
	return shellState{dir: s.dir, env: env}
}

type walker struct{ out []Command }

func (w *walker) stmt(s *syntax.Stmt, st shellState) shellState {
	if s == nil || s.Cmd == nil {
		return st
	}
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		n := len(w.out)
		st2 := w.call(c, st)
		if len(w.out) > n {
			w.out[len(w.out)-1].Writes = redirTargets(s, st.dir)
		}
		return st2
	case *syntax.BinaryCmd:
		st = w.stmt(c.X, st)
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			w.stmt(c.Y, st.clone()) // each side of a pipe is a subshell
			return st
		}
		return w.stmt(c.Y, st)
	case *syntax.Subshell:
		inner := st.clone()
		for _, s := range c.Stmts {
			inner = w.stmt(s, inner)
		}
		return st
	case *syntax.Block:
		for _, s := range c.Stmts {
			st = w.stmt(s, st)
		}
		return st
	case *syntax.IfClause:
		for cl := c; cl != nil; cl = cl.Else {
			for _, s := range cl.Cond {
				w.stmt(s, st.clone())
			}
			for _, s := range cl.Then {
				w.stmt(s, st.clone())
			}
		}
		return st
	case *syntax.DeclClause:
		if c.Variant.Value == "export" {
			for _, a := range c.Args {
				if a.Name != nil && a.Value != nil {
					if v, ok := literal(a.Value); ok {
						st.env[a.Name.Value] = v
					}
				}
			}
		}
		return st
	default:
		// Loops, case, functions, ...: look inside for commands, with a copy
		// of the state since we cannot tell how often they run.
		syntax.Walk(s.Cmd, func(n syntax.Node) bool {
			if ce, ok := n.(*syntax.CallExpr); ok {
				w.call(ce, st.clone())
				return false
			}
			return true
		})
		return st
	}
}

func (w *walker) call(c *syntax.CallExpr, st shellState) shellState {
	env := map[string]string{}
	for k, v := range st.env {
		env[k] = v
	}
	for _, a := range c.Assigns {
		if a.Name == nil {
			continue
		}
		v := ""
		if a.Value != nil {
			v, _ = literal(a.Value)
		}
		if len(c.Args) == 0 {
			st.env[a.Name.Value] = v // plain assignment: visible to later commands
		}
		env[a.Name.Value] = v
	}
	if len(c.Args) == 0 {
		return st
	}
	cmd := Command{Env: env, Dir: st.dir}
	for _, word := range c.Args {
		s, ok := literal(word)
		if !ok {
			cmd.Dynamic = true
		}
		cmd.Args = append(cmd.Args, s)
	}
	w.out = append(w.out, cmd)
	switch cmd.Args[0] {
	case "cd":
		if len(cmd.Args) > 1 && !cmd.Dynamic {
			st.dir = Resolve(st.dir, cmd.Args[1])
		}
	case "export":
		for _, a := range cmd.Args[1:] {
			if k, v, ok := strings.Cut(a, "="); ok {
				st.env[k] = v
			}
		}
	}
	return st
}

// literal returns the text of a word with quotes removed, and whether it
// is fully literal; parameter expansions and substitutions keep their
// source form.
func literal(w *syntax.Word) (string, bool) {
	var b strings.Builder
	ok := true
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if l, isLit := q.(*syntax.Lit); isLit {
					b.WriteString(l.Value)
				} else {
					ok = false
					b.WriteString(nodeText(q))
				}
			}
		default:
			ok = false
			b.WriteString(nodeText(p))
		}
	}
	return b.String(), ok
}

func nodeText(n syntax.Node) string {
	var b strings.Builder
	_ = syntax.NewPrinter().Print(&b, n)
	return b.String()
}

// Resolve returns p made absolute against dir, cleaned. An empty dir is /.
func Resolve(dir, p string) string {
	if dir == "" {
		dir = "/"
	}
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean(path.Join(dir, p))
}

// redirTargets lists the files a statement's > and >> redirections write.
func redirTargets(s *syntax.Stmt, dir string) []string {
	var out []string
	for _, r := range s.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob:
		default:
			continue
		}
		if r.N != nil && r.N.Value != "1" {
			continue // 2> and the like: errors, not the file's contents
		}
		if r.Word == nil {
			continue
		}
		if t, ok := literal(r.Word); ok && t != "/dev/null" && !strings.HasPrefix(t, "/dev/") && !strings.HasPrefix(t, "&") {
			out = append(out, Resolve(dir, t))
		}
	}
	return out
}
