package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// docker runs the Docker client. Every command inherits the caller's
// environment (so DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG apply as
// usual) with DOCKER_BUILDKIT=1 added.
type docker struct {
	bin string
	log io.Writer // build logs; never nil
}

// resolveDocker picks the client binary: the option, then
// $STAGESPLIT_DOCKER, then "docker" on PATH.
func resolveDocker(opt string) (string, error) {
	bin := opt
	if bin == "" {
		bin = os.Getenv("STAGESPLIT_DOCKER")
	}
	if bin == "" {
		bin = "docker"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("docker client %q not found: install Docker or set STAGESPLIT_DOCKER to the client binary", bin)
	}
	return p, nil
}

func (d *docker) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, d.bin, args...)
	c.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	c.WaitDelay = 5 * time.Second
	return c
}

// output runs a short docker command and returns its trimmed stdout; the
// error carries stderr.
func (d *docker) output(ctx context.Context, args ...string) (string, error) {
	c := d.cmd(ctx, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("docker %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// engineAddress describes where the client looks for the engine.
func engineAddress() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	if c := os.Getenv("DOCKER_CONTEXT"); c != "" && c != "default" {
		return "docker context " + c
	}
	return "unix:///var/run/docker.sock (default socket)"
}

const buildxMissing = "buildx component is missing or broken"

// check makes sure an engine answers and the client can build with
// BuildKit. It returns the engine's version.
func (d *docker) check(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ver, err := d.output(cctx, "version", "--format", "{{.Server.Version}}")
	if err != nil || ver == "" {
		detail := ""
		if err != nil {
			detail = " (" + firstLines(err.Error(), 3) + ")"
		}
		return "", fmt.Errorf("no Docker engine answers at %s: start dockerd or set DOCKER_HOST%s", engineAddress(), detail)
	}
	// With DOCKER_BUILDKIT=1, `docker build` either is the classic client's
	// built-in BuildKit build or is handed to the buildx plugin; a client
	// without built-in BuildKit and without buildx refuses even --help.
	c := d.cmd(cctx, "build", "--help")
	out, err := c.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte(buildxMissing)) {
		return "", fmt.Errorf("docker client %s cannot build with BuildKit (%s): install the buildx plugin (~/.docker/cli-plugins/docker-buildx) or set STAGESPLIT_DOCKER=/usr/bin/docker (a client with BuildKit built in, such as Debian's docker.io 20.10)",
			d.bin, firstLines(strings.TrimSpace(string(out)), 1))
	}
	return ver, nil
}

// build runs `docker build` and returns the wall time and the image ID.
// The build log goes to d.log.
func (d *docker) build(ctx context.Context, dockerfile, contextDir, tag, iidFile string) (time.Duration, string, error) {
	args := []string{"build", "--progress=plain", "-f", dockerfile, "-t", tag, "--iidfile", iidFile, contextDir}
	fmt.Fprintf(d.log, "\n===== %s docker %s\n", time.Now().Format(time.RFC3339), strings.Join(args, " "))
	c := d.cmd(ctx, args...)
	tail := &tailBuffer{max: 4096}
	w := io.MultiWriter(d.log, tail)
	c.Stdout, c.Stderr = w, w
	os.Remove(iidFile)
	start := time.Now()
	err := c.Run()
	took := time.Since(start)
	fmt.Fprintf(d.log, "===== exit: %v after %.1fs\n", err, took.Seconds())
	if err != nil {
		if strings.Contains(tail.String(), buildxMissing) {
			return took, "", fmt.Errorf("docker client %s cannot build with BuildKit: install buildx or set STAGESPLIT_DOCKER=/usr/bin/docker", d.bin)
		}
		return took, "", fmt.Errorf("docker build -t %s failed: %v\n%s", tag, err, lastLines(tail.String(), 12))
	}
	id, err := os.ReadFile(iidFile)
	if err != nil {
		return took, "", fmt.Errorf("docker build -t %s: no image ID written: %v", tag, err)
	}
	return took, strings.TrimSpace(string(id)), nil
}

// imageInspect is the part of `docker image inspect` we use.
type imageInspect struct {
	ID     string      `json:"Id"`
	Size   int64       `json:"Size"`
	Config ImageConfig `json:"Config"`
}

// ImageConfig is the runtime configuration compared between the images.
type ImageConfig struct {
	Cmd          []string            `json:"Cmd"`
	Entrypoint   []string            `json:"Entrypoint"`
	Env          []string            `json:"Env"`
	WorkingDir   string              `json:"WorkingDir"`
	User         string              `json:"User"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	Volumes      map[string]struct{} `json:"Volumes"`
	Labels       map[string]string   `json:"Labels"`
	Healthcheck  *Healthcheck        `json:"Healthcheck"`
	StopSignal   string              `json:"StopSignal"`
}

// Healthcheck is an image's HEALTHCHECK; durations are in nanoseconds as
// Docker reports them.
type Healthcheck struct {
	Test          []string `json:"Test"`
	Interval      int64    `json:"Interval"`
	Timeout       int64    `json:"Timeout"`
	StartPeriod   int64    `json:"StartPeriod"`
	StartInterval int64    `json:"StartInterval"`
	Retries       int      `json:"Retries"`
}

func (d *docker) inspect(ctx context.Context, ref string) (*imageInspect, error) {
	out, err := d.output(ctx, "image", "inspect", ref)
	if err != nil {
		return nil, err
	}
	var imgs []imageInspect
	if err := json.Unmarshal([]byte(out), &imgs); err != nil {
		return nil, fmt.Errorf("docker image inspect %s: %v", ref, err)
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("docker image inspect %s: %d results", ref, len(imgs))
	}
	return &imgs[0], nil
}

// imageID returns the ID a reference points to, or "" when there is none.
func (d *docker) imageID(ctx context.Context, ref string) string {
	id, err := d.output(ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		return ""
	}
	return id
}

// removeIfDangling removes an image that lost its last tag. Errors are
// ignored: the image may still be used by another tag or a container.
func (d *docker) removeIfDangling(ctx context.Context, id string) {
	if id == "" {
		return
	}
	tags, err := d.output(ctx, "image", "inspect", "--format", "{{len .RepoTags}}", id)
	if err != nil || tags != "0" {
		return
	}
	d.output(ctx, "image", "rm", id)
}

// runResult is what a smoke run printed and how it exited.
type runResult struct {
	Stdout   string
	Stderr   string
	Exit     int
	TimedOut bool
}

// run runs IMAGE with args in a fresh container without network and waits
// at most timeout.
func (d *docker) run(ctx context.Context, image string, args []string, timeout time.Duration) (*runResult, error) {
	name := fmt.Sprintf("stagesplit-verify-%d-%d", os.Getpid(), time.Now().UnixNano())
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := d.cmd(rctx, append([]string{"run", "--rm", "--name", name, "--network", "none", image}, args...)...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	res := &runResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if rctx.Err() != nil {
		// The client was killed; the container may still run.
		d.output(context.WithoutCancel(ctx), "rm", "-f", name)
		res.TimedOut, res.Exit = true, -1
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, nil
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
		// 125: docker itself failed (no such image, bad flags): not a
		// result of the program.
		if res.Exit == 125 {
			return res, fmt.Errorf("docker run %s: %s", image, firstLines(strings.TrimSpace(res.Stderr), 3))
		}
	default:
		return res, err
	}
	return res, nil
}

// exportTools creates (without starting) a container of image, exports its
// file system and looks for build tools in dirs.
func (d *docker) exportTools(ctx context.Context, image string, dirs []string) ([]ToolHit, error) {
	// A command is given so that images without CMD/ENTRYPOINT (distroless
	// bases) can be created; it is never run.
	id, err := d.output(ctx, "create", "--network", "none", image, "/stagesplit-verify-not-run")
	if err != nil {
		return nil, err
	}
	defer d.output(context.WithoutCancel(ctx), "rm", "-f", id)
	c := d.cmd(ctx, "export", id)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	pipe, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	hits, scanErr := FindTools(pipe, dirs, BuildTools)
	if scanErr != nil {
		io.Copy(io.Discard, pipe)
	}
	waitErr := c.Wait()
	if scanErr != nil {
		return nil, fmt.Errorf("docker export %s: %v", image, scanErr)
	}
	if waitErr != nil {
		return nil, fmt.Errorf("docker export %s: %v: %s", image, waitErr, firstLines(stderr.String(), 3))
	}
	return hits, nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
