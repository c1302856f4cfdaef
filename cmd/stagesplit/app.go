package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/stagesplit/stagesplit/emit"
	"github.com/stagesplit/stagesplit/parser"
	"github.com/stagesplit/stagesplit/transform"
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, as gofmt and shfmt users expect them.
const (
	exitOK      = 0 // nothing to change, or written
	exitChanges = 1 // changes found under -d or -l
	exitError   = 2 // usage, parse or I/O error
)

const stdinName = "<standard input>"

type options struct {
	diff, list, write, explain bool
	report                     string
	annotate                   bool
	runtime                    string
	bar                        *progressBar
	skip                       map[string]bool
	context                    string
	stdout, stderr             io.Writer
	stdin                      io.Reader
}

// run is the whole command; main only passes os.Args and exits with its
// result, so tests run it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	code := exitOK
	app := &cli.App{
		Name:      "stagesplit",
		Usage:     "rewrite single-stage Dockerfiles into multi-stage builds",
		UsageText: "stagesplit [flags] [path ...]\n   stagesplit verify [--json] [--smoke CMD] [--keep] PATH",
		Description: "With no path, or -, reads a Dockerfile from standard input and writes the result to standard output.\n" +
			"A directory is walked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile and Containerfile.*.\n" +
			"Exit status: 0 nothing to change (or written), 1 changes found under -d or -l, 2 error.",
		Version:         version,
		Writer:          stdout,
		ErrWriter:       stderr,
		Reader:          stdin,
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "diff", Aliases: []string{"d"}, Usage: "print a unified diff instead of the rewritten file"},
			&cli.BoolFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the files whose rewrite differs from the file"},
			&cli.BoolFlag{Name: "write", Aliases: []string{"w"}, Usage: "write the result to the file instead of standard output"},
			&cli.BoolFlag{Name: "explain", Usage: "print every decision, with its reason, to standard error as path:line: pass: message (a skip or warning says so first)"},
			&cli.StringFlag{Name: "report", Usage: "print a machine-readable report to standard output instead of files (`FORMAT`: json, sarif, rdjson, github)"},
			&cli.StringSliceFlag{Name: "skip-pass", Usage: "do not run the pass `NAME` (repeatable; see --list-passes)"},
			&cli.BoolFlag{Name: "list-passes", Usage: "list the passes with their documentation and exit"},
			&cli.StringFlag{Name: "context", Usage: "build context `DIR` for standard input (files use their own directory)"},
			&cli.BoolFlag{Name: "annotate", Usage: "add a short comment above each generated instruction saying why it is there"},
			&cli.StringFlag{Name: "runtime", Value: "slim", Usage: "runtime image `POLICY`: slim, distroless, alpine or scratch (refused, with the reason, where its preconditions fail; see docs/tables.md)"},
		},
		Commands: []*cli.Command{verifyCommand(&code)},
		Action: func(c *cli.Context) error {
			if c.Bool("list-passes") {
				for _, name := range transform.Names() {
					p := transform.Lookup(name)
					fmt.Fprintf(stdout, "%s\n", name)
					for _, l := range strings.Split(p.Doc, "\n") {
						fmt.Fprintf(stdout, "    %s\n", l)
					}
				}
				return nil
			}
			o := &options{
				diff: c.Bool("diff"), list: c.Bool("list"), write: c.Bool("write"), explain: c.Bool("explain"),
				report: c.String("report"), context: c.String("context"),
				stdout: stdout, stderr: stderr, stdin: stdin, skip: map[string]bool{},
				annotate: c.Bool("annotate"), bar: newProgress(stderr), runtime: c.String("runtime"),
			}
			if !slices.Contains(transform.RuntimePolicies, o.runtime) {
				return usageErr("--runtime: unknown policy %q (known: %s)", o.runtime, strings.Join(transform.RuntimePolicies, ", "))
			}
			switch o.report {
			case "", "json", "sarif", "rdjson", "github":
			default:
				return usageErr("--report: unknown format %q (known: json, sarif, rdjson, github)", o.report)
			}
			if o.diff && o.write {
				return usageErr("-d and -w cannot be used together")
			}
			for _, n := range c.StringSlice("skip-pass") {
				if transform.Lookup(n) == nil {
					return usageErr("--skip-pass: no pass named %q (passes: %s)", n, strings.Join(transform.Names(), ", "))
				}
				o.skip[n] = true
			}
			code = o.main(c.Args().Slice())
			return nil
		},
	}
	if err := app.Run(append([]string{"stagesplit"}, args...)); err != nil {
		fmt.Fprintf(stderr, "stagesplit: %v\n", err)
		return exitError
	}
	return code
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErr(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// fileReport is one file's entry in --report=json.
type fileReport struct {
	Path        string               `json:"path"`
	Status      string               `json:"status"` // rewritten, unchanged, skipped, error
	Reason      string               `json:"reason,omitempty"`
	Ecosystem   string               `json:"ecosystem,omitempty"`
	BaseBefore  string               `json:"base_before,omitempty"`
	RuntimeBase string               `json:"runtime_base,omitempty"`
	Decisions   []transform.Decision `json:"decisions,omitempty"`
	Error       string               `json:"error,omitempty"`
	// SavingMB is the estimated compressed-size saving (see estimate.go).
	SavingMB float64 `json:"estimated_saving_mb,omitempty"`

	before, after []byte // for the SARIF and rdjson fixes
	err           error
}

func (o *options) main(paths []string) int {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	code := exitOK
	var reports []fileReport
	sum := newSummary()
	walked := false
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for _, p := range paths {
			if p == "-" {
				jobs <- job{path: stdinName, stdin: true}
				continue
			}
			st, err := os.Stat(p)
			if err == nil && st.IsDir() {
				walked = true
			}
			discover(p, func(f string) { jobs <- job{path: f} }, func(err error) { jobs <- job{path: p, err: err} })
		}
	}()
	o.process(jobs, func(out outcome) {
		o.stdout.Write(out.stdout)
		o.stderr.Write(out.stderr)
		switch {
		case out.err != nil:
			code = exitError
		case out.changed && (o.diff || o.list) && !o.write && code == exitOK:
			code = exitChanges
		}
		if out.rep.Path != "" {
			sum.add(out.rep)
			if o.report != "" {
				reports = append(reports, out.rep)
			}
		}
		o.bar.update(sum.seen)
	})
	o.bar.done()
	if err := o.writeReport(reports); err != nil {
		fmt.Fprintf(o.stderr, "stagesplit: %v\n", err)
		return exitError
	}
	if walked || sum.seen > 1 {
		sum.write(o.stderr)
	}
	return code
}

// job is one file to process: a path found by the walk, standard input,
// or an error met while walking.
type job struct {
	path  string
	stdin bool
	err   error
}

// outcome is what processing a job prints and reports.
type outcome struct {
	stdout, stderr []byte
	rep            fileReport
	changed        bool
	err            error
}

// process runs jobs on a bounded pool of workers and hands the outcomes
// to emit in the order the jobs came, whatever the scheduling, holding at
// most a window of them in memory.
func (o *options) process(jobs <-chan job, emit func(outcome)) {
	workers := runtime.GOMAXPROCS(0)
	window := make(chan struct{}, workers*4)
	type slot struct{ done chan outcome }
	slots := make(chan slot, workers*4)
	go func() {
		defer close(slots)
		for j := range jobs {
			window <- struct{}{}
			s := slot{done: make(chan outcome, 1)}
			slots <- s
			go func(j job) { s.done <- o.run(j) }(j)
		}
	}()
	for s := range slots {
		emit(<-s.done)
		<-window
	}
}

// run processes one job.
func (o *options) run(j job) (out outcome) {
	var stdout, stderr bytes.Buffer
	// The named result lets this see every return path's outcome.
	defer func() { out.stdout, out.stderr = stdout.Bytes(), stderr.Bytes() }()
	fail := func(err error) outcome {
		fmt.Fprintln(&stderr, err)
		out.err = err
		out.rep = fileReport{Path: j.path, Status: "error", Error: err.Error()}
		return out
	}
	if j.err != nil {
		return fail(j.err)
	}
	var src []byte
	var ctx fs.FS
	var writeBack func([]byte) error
	if j.stdin {
		if o.write {
			out.err = errors.New("-w cannot write to standard input")
			fmt.Fprintln(&stderr, "stagesplit: -w cannot write to standard input")
			return out
		}
		b, err := io.ReadAll(o.stdin)
		if err != nil {
			return fail(fmt.Errorf("%s: %v", stdinName, err))
		}
		src = b
		if o.context != "" {
			ctx = os.DirFS(o.context)
		}
	} else {
		b, err := readRegular(j.path)
		if err != nil {
			return fail(err)
		}
		src = b
		ctx = os.DirFS(filepath.Dir(j.path))
		path := j.path
		writeBack = func(data []byte) error { return writeAtomic(path, data) }
	}
	out.rep, out.changed, out.err = o.one(j.path, src, ctx, writeBack, &stdout, &stderr)
	if out.err != nil {
		fmt.Fprintln(&stderr, out.err)
	}
	return out
}

// one processes one file and prints what the mode asks for.
func (o *options) one(path string, src []byte, ctx fs.FS, writeBack func([]byte) error, stdout, stderr io.Writer) (fileReport, bool, error) {
	rep := fileReport{Path: path}
	f, err := parser.Parse(path, src)
	if err != nil {
		rep.Status, rep.Error, rep.err = "error", err.Error(), err
		return rep, false, err
	}
	res, err := transform.Rewrite(f, transform.Options{Context: ctx, Skip: o.skip, Annotate: o.annotate, Runtime: o.runtime})
	if err != nil {
		err = fmt.Errorf("%s: %v", path, err)
		rep.Status, rep.Error = "error", err.Error()
		return rep, false, err
	}
	rep.Ecosystem, rep.BaseBefore, rep.RuntimeBase = res.Ecosystem, res.BaseBefore, res.RuntimeBase
	rep.Decisions = res.Decisions
	if o.report == "sarif" || o.report == "rdjson" {
		rep.before, rep.after = src, res.Output // for the fixes; other runs do not hold every file
	}
	switch {
	case res.Changed:
		rep.Status = "rewritten"
		rep.SavingMB = estimateSaving(res)
	case res.SkippedReason != "":
		rep.Status, rep.Reason = "skipped", res.SkippedReason
	default:
		rep.Status = "unchanged"
	}
	if o.explain {
		ds := append([]transform.Decision(nil), res.Decisions...)
		transform.SortDecisions(ds)
		for _, d := range ds {
			// A skip and a warning say so: they are what a reader looks for.
			msg := d.Message
			switch d.Action {
			case transform.ActSkip:
				msg = "skipped: " + msg
			case transform.ActWarn:
				msg = "warning: " + msg
			}
			if d.Line > 0 {
				fmt.Fprintf(stderr, "%s:%d: %s: %s\n", path, d.Line, d.Pass, msg)
			} else {
				fmt.Fprintf(stderr, "%s: %s: %s\n", path, d.Pass, msg)
			}
		}
	}
	quiet := o.report != ""
	if o.list && res.Changed && !quiet {
		fmt.Fprintln(stdout, path)
	}
	if o.write {
		if res.Changed {
			if writeBack == nil {
				return rep, true, fmt.Errorf("%s: cannot write", path)
			}
			if err := writeBack(res.Output); err != nil {
				rep.Status, rep.Error = "error", err.Error()
				return rep, true, err
			}
		}
		return rep, res.Changed, nil
	}
	if quiet {
		return rep, res.Changed, nil
	}
	if o.diff {
		if res.Changed {
			name := diffName(path)
			stdout.Write(emit.Unified(name, name, src, res.Output))
		}
		return rep, res.Changed, nil
	}
	if !o.list {
		stdout.Write(res.Output)
	}
	return rep, res.Changed, nil
}

// diffName is the path in diff headers and reports: relative to the root
// of the git work tree holding the file, so that `git apply` works from
// anywhere in it and code scanning finds the file; outside a work tree,
// relative to the working directory (for `patch -p1` there). Forward
// slashes either way.
func diffName(path string) string {
	if path == stdinName {
		return "Dockerfile"
	}
	abs := absPath(path)
	if top := workTreeTop(filepath.Dir(abs)); top != "" {
		if rel, err := filepath.Rel(top, abs); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	p := path
	if filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
				p = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

var (
	topMu    sync.Mutex
	topCache = map[string]string{}
)

// workTreeTop is the nearest directory at or above dir holding .git, or
// "", remembered per directory since a walk asks for many files.
func workTreeTop(dir string) string {
	topMu.Lock()
	defer topMu.Unlock()
	var seen []string
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if t, ok := topCache[d]; ok {
			top = t
			break
		}
		seen = append(seen, d)
		if hasGit(d) {
			top = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	for _, d := range seen {
		topCache[d] = top
	}
	return top
}

// readRegular reads a regular file; anything else is refused so that -w
// never replaces a device, a FIFO or a directory.
func readRegular(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, cleanErr(err))
		}
		st = target
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	return b, nil
}

// writeAtomic replaces path with data: a temporary file in the same
// directory is written, synced and renamed over the original, keeping its
// permission bits (and owner, when running as root). A reader sees the old
// file or the new one, never a mix.
func writeAtomic(path string, data []byte) error {
	st, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file: refusing to write", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".stagesplit-*")
	if err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	chownLike(tmp, st)
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %v", path, cleanErr(err))
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

// cleanErr drops the path os errors repeat, since messages start with it.
func cleanErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
