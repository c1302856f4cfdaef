// Package verify checks a rewrite for real: it builds the original
// Dockerfile and stagesplit's rewrite with a Docker engine and compares the
// two images (size, build and rebuild times, runtime configuration, the
// output of a smoke command, build tools left on the runtime PATH).
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/stagesplit/stagesplit/parser"
	"github.com/stagesplit/stagesplit/transform"
)

// Options tune Run.
type Options struct {
	// Smoke are the arguments appended to `docker run --rm IMAGE` (they
	// replace CMD, or are appended to ENTRYPOINT). If nil, the file `smoke`
	// next to the Dockerfile is read when it exists (one line, split on
	// spaces). If neither, the smoke step is not run (reported, not a
	// failure).
	Smoke []string
	// Keep keeps the images (and the work directory); otherwise they are
	// removed at the end.
	Keep bool
	// Docker is the client binary; default: $STAGESPLIT_DOCKER, else
	// "docker" on PATH.
	Docker string
	// Stdout and Stderr receive progress lines; nil discards them. Build
	// logs go to a file whose path is in the report.
	Stdout, Stderr io.Writer
	// SmokeTimeout bounds each smoke run; default 60s.
	SmokeTimeout time.Duration
}

// TagRepo is the repository of the images Run builds:
// stagesplit-verify/<context dir>:before, :after, :rebuild-before,
// :rebuild-after.
const TagRepo = "stagesplit-verify"

// Run verifies the rewrite of the Dockerfile at path (a file, or a
// directory holding `Dockerfile`); the build context is its directory.
//
// An error means the check could not be made (no engine, unreadable or
// unparsable file, the original does not build); a rewrite that fails to
// build or differs is reported in the Report (OK false) with a nil error.
func Run(ctx context.Context, path string, opt Options) (*Report, error) {
	stdout, stderr := opt.Stdout, opt.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	progress := func(format string, args ...any) { fmt.Fprintf(stdout, "verify: "+format+"\n", args...) }
	if opt.SmokeTimeout <= 0 {
		opt.SmokeTimeout = 60 * time.Second
	}

	dockerfile, ctxDir, err := locate(path)
	if err != nil {
		return nil, err
	}
	r := &Report{Path: dockerfile}

	bin, err := resolveDocker(opt.Docker)
	if err != nil {
		return nil, err
	}
	d := &docker{bin: bin, log: io.Discard}
	if r.Engine, err = d.check(ctx); err != nil {
		return nil, err
	}

	// Rewrite.
	src, err := os.ReadFile(dockerfile)
	if err != nil {
		return nil, err
	}
	f, err := parser.Parse(dockerfile, src)
	if err != nil {
		return nil, err
	}
	facts := dockerfileFacts(f) // before Rewrite edits f
	res, err := transform.Rewrite(f, transform.Options{Context: os.DirFS(ctxDir)})
	if err != nil {
		return nil, fmt.Errorf("rewrite %s: %w", dockerfile, err)
	}
	if !res.Changed {
		reason := res.SkippedReason
		if reason == "" {
			reason = "the rewrite made no change"
		}
		r.Skipped = "skipped: " + reason
		progress("%s: %s", dockerfile, r.Skipped)
		return r, nil
	}

	// Work directory outside the context: rewritten Dockerfile, logs,
	// the copy for the rebuild measure.
	work, err := os.MkdirTemp("", "stagesplit-verify-")
	if err != nil {
		return nil, err
	}
	if within(work, ctxDir) {
		os.RemoveAll(work)
		return nil, fmt.Errorf("the temporary directory %s is inside the build context %s: set TMPDIR elsewhere", work, ctxDir)
	}
	rewritten := filepath.Join(work, "rewrite", "Dockerfile")
	if err := os.MkdirAll(filepath.Dir(rewritten), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(rewritten, res.Output, 0o644); err != nil {
		return nil, err
	}
	r.Rewrite = rewritten
	r.Log = filepath.Join(work, "build.log")
	logf, err := os.Create(r.Log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	d.log = logf

	name := sanitize(filepath.Base(ctxDir))
	r.Images = Images{Before: TagRepo + "/" + name + ":before", After: TagRepo + "/" + name + ":after"}
	rebuildTags := []string{TagRepo + "/" + name + ":rebuild-before", TagRepo + "/" + name + ":rebuild-after"}
	cleanCtx := context.WithoutCancel(ctx)
	defer func() {
		if opt.Keep {
			progress("kept images %s, %s and work directory %s", r.Images.Before, r.Images.After, work)
			return
		}
		for _, tag := range append([]string{r.Images.Before, r.Images.After}, rebuildTags...) {
			d.output(cleanCtx, "image", "rm", tag)
		}
		if r.OK() {
			logf.Close()
			os.RemoveAll(work)
			r.Log, r.Rewrite = "", ""
		}
	}()

	// Builds.
	build := func(df, dir, tag string) (time.Duration, error) {
		old := d.imageID(ctx, tag)
		took, id, err := d.build(ctx, df, dir, tag, filepath.Join(work, "iid"))
		if err == nil && old != "" && old != id {
			d.removeIfDangling(ctx, old)
		}
		return took, err
	}
	progress("building original %s as %s", dockerfile, r.Images.Before)
	took, err := build(dockerfile, ctxDir, r.Images.Before)
	if err != nil {
		return r, fmt.Errorf("the original Dockerfile does not build (log: %s): %w", r.Log, err)
	}
	r.Built.Before, r.BuildSeconds.Before = true, took.Seconds()
	progress("  built in %.1fs", took.Seconds())
	progress("building rewrite %s as %s", rewritten, r.Images.After)
	took, err = build(rewritten, ctxDir, r.Images.After)
	r.BuildSeconds.After = took.Seconds()
	if err != nil {
		r.fail("the rewrite does not build (log: %s): %v", r.Log, err)
		progress("  rewrite build FAILED")
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		return r, nil
	}
	r.Built.After = true
	progress("  built in %.1fs", took.Seconds())

	// Sizes and configuration.
	bi, err := d.inspect(ctx, r.Images.Before)
	if err != nil {
		return r, err
	}
	ai, err := d.inspect(ctx, r.Images.After)
	if err != nil {
		return r, err
	}
	r.Sizes = Sizes{Before: bi.Size, After: ai.Size}
	if bi.Size > 0 {
		r.Sizes.Ratio = float64(ai.Size) / float64(bi.Size)
	}
	if ai.Size > bi.Size {
		r.fail("the rewritten image is larger: %d > %d bytes", ai.Size, bi.Size)
	}
	_, sb := bi.Config.Labels["dev.stagesplit.standin"]
	_, sa := ai.Config.Labels["dev.stagesplit.standin"]
	r.StandIn = sb || sa
	if r.StandIn {
		r.note("sizes measured on local stand-in base images (label dev.stagesplit.standin), not the registry's images")
	}
	facts.AddedPath = addedPath(f, res.Output)
	cfg := CompareConfig(bi.Config, ai.Config, facts)
	r.Config = &cfg
	if !cfg.Equal {
		r.fail("the runtime configuration differs (%d differences)", len(cfg.Differences))
	}

	// Smoke.
	if err := smoke(ctx, d, r, dockerfile, opt, progress); err != nil {
		return r, err
	}

	// Build tools on the runtime PATH.
	progress("looking for build tools in both images")
	tb, err := d.exportTools(ctx, r.Images.Before, searchDirs(bi.Config.Env))
	if err != nil {
		return r, err
	}
	ta, err := d.exportTools(ctx, r.Images.After, searchDirs(ai.Config.Env))
	if err != nil {
		return r, err
	}
	r.Tools = &Tools{Before: toolNames(tb), After: toolNames(ta)}
	r.Tools.Found.Before, r.Tools.Found.After = orEmpty(tb), orEmpty(ta)
	if len(ta) > 0 {
		r.fail("build tools on the runtime image's PATH: %s", strings.Join(r.Tools.After, ", "))
	}

	// Rebuild after a source-only change.
	progress("measuring rebuild time after a source-only change")
	rb, err := rebuild(ctx, build, work, dockerfile, ctxDir, rewritten, rebuildTags, f)
	if !opt.Keep {
		os.RemoveAll(filepath.Join(work, "context")) // the copy; logs stay on failure
	}
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		r.RebuildSeconds = &Rebuild{Error: err.Error()}
		r.note("rebuild time not measured: %v", err)
		fmt.Fprintf(stderr, "verify: rebuild time not measured: %v\n", err)
	} else {
		r.RebuildSeconds = rb
		progress("  rebuild after changing %s: %.1fs before, %.1fs after", rb.File, rb.Before, rb.After)
	}
	return r, nil
}

func orEmpty(h []ToolHit) []ToolHit {
	if h == nil {
		return []ToolHit{}
	}
	return h
}

// smoke runs the smoke command in both images.
func smoke(ctx context.Context, d *docker, r *Report, dockerfile string, opt Options, progress func(string, ...any)) error {
	dir := filepath.Dir(dockerfile)
	var fileArgs []string
	hasFile := false
	switch b, err := os.ReadFile(filepath.Join(dir, "smoke")); {
	case err == nil:
		line, _, _ := strings.Cut(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		fileArgs, hasFile = strings.Fields(line), true
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	args, source := opt.Smoke, "option"
	if args == nil {
		args, source = nil, ""
		if hasFile {
			args, source = fileArgs, "file"
		}
	}
	r.Smoke.Args, r.Smoke.Source = args, source
	if r.Smoke.Args == nil {
		r.Smoke.Args = []string{}
	}
	if source == "" {
		r.note("smoke not run: no smoke arguments and no smoke file next to the Dockerfile")
		progress("smoke: not run (no smoke args, no smoke file)")
		return nil
	}
	progress("smoke: docker run --rm --network none IMAGE %s", strings.Join(args, " "))
	one := func(image string) (*SmokeRun, error) {
		res, err := d.run(ctx, image, args, opt.SmokeTimeout)
		if err != nil {
			return nil, err
		}
		return &SmokeRun{Stdout: res.Stdout, Stderr: clipTo(res.Stderr, 4096), Exit: res.Exit, TimedOut: res.TimedOut}, nil
	}
	var err error
	if r.Smoke.Before, err = one(r.Images.Before); err != nil {
		return err
	}
	if r.Smoke.After, err = one(r.Images.After); err != nil {
		r.fail("smoke run of the rewrite failed: %v", err)
		return nil
	}
	r.Smoke.Run = true
	b, a := r.Smoke.Before, r.Smoke.After
	r.Smoke.Same = !b.TimedOut && !a.TimedOut && b.Exit == a.Exit && b.Stdout == a.Stdout
	switch {
	case b.TimedOut || a.TimedOut:
		r.fail("smoke timed out after %s (before: %v, after: %v)", opt.SmokeTimeout, b.TimedOut, a.TimedOut)
	case !r.Smoke.Same:
		r.fail("smoke differs: before exit %d stdout %q, after exit %d stdout %q", b.Exit, clipTo(b.Stdout, 200), a.Exit, clipTo(a.Stdout, 200))
	}
	if b.Exit != 0 && r.Smoke.Same {
		r.note("the smoke command exits %d in both images", b.Exit)
	}
	// smoke.out goes with the smoke file: it is compared when the args
	// are the file's.
	if want, err := os.ReadFile(filepath.Join(dir, "smoke.out")); err == nil && (source == "file" || sameArgs(args, fileArgs)) {
		r.Smoke.ExpectedMatch = &Expected{
			Before: sameText(b.Stdout, string(want)),
			After:  sameText(a.Stdout, string(want)),
		}
		if !r.Smoke.ExpectedMatch.After {
			r.note("the rewrite's smoke output does not match smoke.out")
		}
	}
	progress("  smoke: before exit %d, after exit %d, same=%v", b.Exit, a.Exit, r.Smoke.Same)
	return nil
}

func sameArgs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sameText compares outputs ignoring CRLF and trailing newlines.
func sameText(got, want string) bool {
	norm := func(s string) string {
		return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	}
	return norm(got) == norm(want)
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// locate returns the Dockerfile and the context directory for path.
func locate(path string) (dockerfile, dir string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", "", err
	}
	if st.IsDir() {
		abs = filepath.Join(abs, "Dockerfile")
		if _, err := os.Stat(abs); err != nil {
			return "", "", err
		}
	}
	return abs, filepath.Dir(abs), nil
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// sanitize makes a name usable as a component of an image repository:
// lowercase [a-z0-9], single separators in between.
func sanitize(name string) string {
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(c)
		default:
			sep = true
		}
	}
	if b.Len() == 0 {
		return "context"
	}
	return b.String()
}

// dockerfileFacts lists what the original's instructions set: ENV names,
// an ENTRYPOINT, VOLUME paths.
func dockerfileFacts(f *parser.File) Facts {
	facts := Facts{Env: map[string]bool{}, Volumes: map[string]bool{}}
	for _, in := range f.Instructions {
		switch c := in.Command.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				facts.Env[kv.Key] = true
			}
		case *instructions.EntrypointCommand:
			facts.Entrypoint = true
		case *instructions.VolumeCommand:
			for _, v := range c.Volumes {
				facts.Volumes[v] = true
			}
		}
	}
	return facts
}

// addedPath lists the PATH entries the rewrite's ENV PATH instructions
// name that the original's do not (the venv a Python rewrite adds).
func addedPath(orig *parser.File, out []byte) map[string]bool {
	entries := func(f *parser.File) map[string]bool {
		m := map[string]bool{}
		for _, in := range f.Instructions {
			if c, ok := in.Command.(*instructions.EnvCommand); ok {
				for _, kv := range c.Env {
					if kv.Key == "PATH" {
						// The parser keeps the value's quotes:
						// ENV PATH="/opt/venv/bin:$PATH".
						for _, e := range strings.Split(kv.Value, ":") {
							m[strings.Trim(e, `"'`)] = true
						}
					}
				}
			}
		}
		return m
	}
	rewritten, err := parser.Parse("rewrite", out)
	if err != nil {
		return nil
	}
	before, after := entries(orig), entries(rewritten)
	added := map[string]bool{}
	for e := range after {
		if !before[e] && strings.HasPrefix(e, "/") {
			added[e] = true
		}
	}
	return added
}
