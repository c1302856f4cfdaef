// Package transform turns a single-stage Dockerfile into a multi-stage one
// through a list of passes: facts about the file and its build context
// first, then the split, then a self-check. Every change is made through a
// helper that records a Decision with its reason.
package transform

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"

	"github.com/stagesplit/stagesplit/parser"
)

// Pass is one step of the rewrite. Names are lowercase, stable and never
// reused: they appear in --explain output, reports and --skip-pass.
type Pass struct {
	Name string
	// Doc: first line is a summary, the rest explains the rules.
	Doc      string
	Requires []*Pass
	Run      func(u *Unit) error
	// Families are the base image families an ecosystem pass plans for
	// (see familyOf); Run calls it only for those. Empty for the other
	// passes.
	Families []string
}

// Action says what a decision did.
type Action string

const (
	ActSkip   Action = "skip"   // the file is left as it is
	ActSplit  Action = "split"  // a stage was created or renamed
	ActAdd    Action = "add"    // an instruction was generated
	ActEdit   Action = "edit"   // an instruction was changed
	ActDrop   Action = "drop"   // an instruction was removed
	ActFact   Action = "fact"   // something learned about the file
	ActWarn   Action = "warn"   // something the user should check
	ActVerify Action = "verify" // a self-check result
)

// Decision is one reasoned step, tied to source lines.
type Decision struct {
	Pass    string `json:"pass"`
	Action  Action `json:"action"`
	Line    int    `json:"line,omitempty"`
	EndLine int    `json:"end_line,omitempty"`
	Message string `json:"message"`
	// Related are other source lines the decision rests on.
	Related []int `json:"related,omitempty"`
}

func (d Decision) String() string {
	return fmt.Sprintf("%d: %s: %s", d.Line, d.Pass, d.Message)
}

// Options tune a run.
type Options struct {
	// Context is the build context (the Dockerfile's directory), or nil.
	Context fs.FS
	// Skip names passes not to run.
	Skip map[string]bool
	// Annotate puts a short "# stagesplit: why" comment above each
	// generated instruction.
	Annotate bool
	// Runtime is the runtime image policy: "" or "slim", "distroless",
	// "alpine", "scratch" (see RuntimeTable).
	Runtime string
}

// Unit is the state of one file going through the passes.
type Unit struct {
	File *parser.File
	Opts Options

	Decisions []Decision
	skipped   bool
	current   string // the running pass, for decisions

	// Facts.
	Stage   parser.Stage // the single stage
	Base    Image        // its base image
	MetaEnv map[string]string
	Steps   []*Step // one per instruction of Stage.Body
	Context *BuildContext
	Plan    *Plan
	needs   *Needs         // cached by runtimeNeeds
	script  *runtimeScript // cached by runtimeScript
	// symlinks maps the symbolic links a RUN made (ln -s) to their
	// targets.
	symlinks map[string]string
	// ctxCopies caches contextCopies.
	ctxCopies *[]ctxCopy
}

// Skipped reports whether a pass decided to leave the file alone.
func (u *Unit) Skipped() bool { return u.skipped }

// Skip records why the file is left unchanged and stops the passes.
func (u *Unit) Skip(line int, format string, args ...any) {
	u.decide(ActSkip, line, 0, nil, format, args...)
	u.skipped = true
}

// Fact records something learned.
func (u *Unit) Fact(line int, format string, args ...any) {
	u.decide(ActFact, line, 0, nil, format, args...)
}

// Warn records something the user should check by hand.
func (u *Unit) Warn(line int, format string, args ...any) {
	u.decide(ActWarn, line, 0, nil, format, args...)
}

func (u *Unit) decide(act Action, line, end int, related []int, format string, args ...any) {
	u.Decisions = append(u.Decisions, Decision{
		Pass: u.current, Action: act, Line: line, EndLine: end,
		Message: fmt.Sprintf(format, args...), Related: related,
	})
}

// Result is the outcome for one file.
type Result struct {
	// Output is the rewritten file; equal to the input when Changed is false.
	Output    []byte
	Changed   bool
	Decisions []Decision
	// Ecosystem is "go", "node" or "" when unknown.
	Ecosystem     string
	BaseBefore    string
	RuntimeBase   string
	SkippedReason string
}

// Rewrite runs the default passes over f.
func Rewrite(f *parser.File, opts Options) (*Result, error) {
	return Run(f, opts, Default)
}

// Run runs passes (and what they require) over f, in dependency order.
func Run(f *parser.File, opts Options, passes []*Pass) (*Result, error) {
	u := &Unit{File: f, Opts: opts}
	for _, p := range order(passes) {
		if u.skipped {
			break
		}
		if opts.Skip[p.Name] || len(p.Families) > 0 && !slices.Contains(p.Families, u.Base.Family) {
			continue // an ecosystem pass plans only for its families
		}
		u.current = p.Name
		if err := p.Run(u); err != nil {
			return nil, err
		}
	}
	res := &Result{Output: f.Source, Decisions: u.Decisions, BaseBefore: u.Base.Ref}
	if u.Plan != nil {
		res.Ecosystem = u.Plan.Ecosystem
		res.RuntimeBase = u.Plan.Runtime.Ref
	}
	if u.skipped {
		for _, d := range u.Decisions {
			if d.Action == ActSkip {
				res.SkippedReason = d.Message
			}
		}
		return res, nil
	}
	if out := u.File.Bytes(); string(out) != string(f.Source) {
		res.Output, res.Changed = out, true
	}
	return res, nil
}

// order returns passes and their requirements, requirements first, keeping
// the given order otherwise.
func order(passes []*Pass) []*Pass {
	var out []*Pass
	seen := map[*Pass]bool{}
	var visit func(p *Pass)
	visit = func(p *Pass) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, r := range p.Requires {
			visit(r)
		}
		out = append(out, p)
	}
	for _, p := range passes {
		visit(p)
	}
	return out
}

// Lookup returns the default pass named name.
func Lookup(name string) *Pass {
	for _, p := range order(Default) {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Names lists the default passes in run order.
func Names() []string {
	var out []string
	for _, p := range order(Default) {
		out = append(out, p.Name)
	}
	return out
}

// SortDecisions orders decisions by line, keeping pass order within a
// line; decisions about the whole file (line 0) come last.
func SortDecisions(ds []Decision) {
	key := func(d Decision) int {
		if d.Line == 0 {
			return int(^uint(0) >> 1)
		}
		return d.Line
	}
	sort.SliceStable(ds, func(i, j int) bool { return key(ds[i]) < key(ds[j]) })
}
