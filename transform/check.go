package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	bkparser "github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stagesplit/stagesplit/parser"
)

// Converted is what BuildKit's own Dockerfile-to-LLB conversion says about
// a Dockerfile: the final image config and the lint rules it raises.
type Converted struct {
	Image *dockerspec.DockerOCIImage
	// Base is the config the final stage inherited.
	Base BaseConfig
	// Lint maps each rule name raised to its first message.
	Lint map[string]string
}

// stubResolver answers BuildKit's image config requests offline from the
// table of known images, so the conversion needs no registry.
type stubResolver struct{}

func (stubResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg, _ := ConfigOf(ParseImage(ref, ref))
	img := map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}},
		"config": map[string]any{
			"Env": cfg.Env, "WorkingDir": cfg.WorkingDir, "Entrypoint": cfg.Entrypoint,
			"Cmd": cfg.Cmd, "User": cfg.User,
		},
	}
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(dt), dt, nil
}

// Convert runs BuildKit's conversion of src to LLB (no build happens) with
// the linter on.
func Convert(src []byte) (*Converted, error) {
	c := &Converted{Lint: map[string]string{}}
	opt := dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{},
		MetaResolver:   stubResolver{},
		TargetPlatform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Warn: func(rule, _, _, msg string, _ []bkparser.Range) {
			if _, ok := c.Lint[rule]; !ok {
				c.Lint[rule] = msg
			}
		},
	}
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), src, opt)
	if err != nil {
		return nil, err
	}
	c.Image = res.Image
	if res.BaseImage != nil {
		bc := res.BaseImage.Config
		c.Base = BaseConfig{Env: bc.Env, WorkingDir: bc.WorkingDir, Entrypoint: bc.Entrypoint, Cmd: bc.Cmd, User: bc.User}
	}
	return c, nil
}

var passSelfcheck = &Pass{
	Name: "selfcheck",
	Doc: `Checks the rewrite before anything is printed; a failure leaves the file unchanged.
The output must parse with BuildKit and convert with BuildKit's own Dockerfile-to-LLB code; raise
no BuildKit lint rule the input did not; keep the final image config (Cmd, Entrypoint, WorkingDir,
User, ExposedPorts, Volumes, Labels, Healthcheck, StopSignal, Shell, OnBuild, and the Env the
Dockerfile sets, where PATH may only gain a prefix and secret-looking variables may only be
dropped); name an earlier stage in every COPY --from; and be left unchanged by a second run.`,
	Requires: []*Pass{passSplit},
	Run: func(u *Unit) error {
		out := u.File.Bytes()
		fail := func(format string, args ...any) {
			u.Skip(0, "self-check failed, file left unchanged: "+format, args...)
		}
		f2, err := parser.Parse(u.File.Name, out)
		if err != nil {
			fail("the output does not parse: %v", err)
			return nil
		}
		before, err := Convert(u.File.Source)
		if err != nil {
			// The input itself does not convert (an undefined stage, a
			// FROM variable without default...): nothing can be compared.
			u.Skip(0, "BuildKit cannot convert the input: %v", err)
			return nil
		}
		after, err := Convert(out)
		if err != nil {
			fail("BuildKit cannot convert the output: %v", err)
			return nil
		}
		for _, rule := range mapKeys(after.Lint) {
			if _, ok := before.Lint[rule]; !ok {
				fail("the output raises BuildKit lint rule %s (%s)", rule, after.Lint[rule])
				return nil
			}
		}
		if diffs := CompareConfig(before, after, u.droppedSecrets(), u.Plan.addedPath()); len(diffs) > 0 {
			fail("the final image config would change: %s", strings.Join(diffs, "; "))
			return nil
		}
		images := map[string]bool{} // COPY --from=<image> of the original
		for _, s := range u.Steps {
			if c, ok := s.In.Command.(*instructions.CopyCommand); ok && c.From != "" {
				images[c.From] = true
			}
		}
		if err := checkCopyFrom(f2, images); err != nil {
			fail("%v", err)
			return nil
		}
		again, err := Run(f2, Options{Context: u.Opts.Context, Skip: u.Opts.Skip, Runtime: u.Opts.Runtime}, Default)
		if err != nil || again.Changed {
			fail("a second run would change the output again")
			return nil
		}
		u.decide(ActVerify, 0, 0, nil, "output parses and converts with BuildKit, raises no new lint rule, keeps the final image config, and a second run changes nothing")
		return nil
	},
}

// droppedSecrets lists the ENV names the split kept out of the runtime.
func (u *Unit) droppedSecrets() map[string]bool {
	out := map[string]bool{}
	for _, s := range u.Steps {
		if c, ok := s.In.Command.(*instructions.EnvCommand); ok {
			for _, kv := range c.Env {
				if IsSecretName(kv.Key) {
					out[kv.Key] = true
				}
			}
		}
	}
	return out
}

// checkCopyFrom checks that every COPY --from names an earlier stage (by
// name or index) of the file, or one of the images the original copied
// from.
func checkCopyFrom(f *parser.File, images map[string]bool) error {
	names := map[string]bool{}
	n := 0
	for _, st := range f.Stages() {
		for _, in := range st.Body {
			if c, ok := in.Command.(*instructions.CopyCommand); ok && c.From != "" {
				if !names[strings.ToLower(c.From)] && !images[c.From] {
					return fmt.Errorf("line %d: COPY --from=%s names no earlier stage", in.StartLine, c.From)
				}
			}
		}
		names[fmt.Sprint(n)] = true
		if name := st.Base().Name; name != "" {
			names[strings.ToLower(name)] = true
		}
		n++
	}
	return nil
}

// CompareConfig lists the differences between two final image configs
// that a rewrite must not introduce.
// addedPath are PATH entries the rewrite adds on purpose (a venv's bin),
// allowed anywhere in the new PATH.
func CompareConfig(a, b *Converted, droppedEnv, addedPath map[string]bool) []string {
	ca, cb := a.Image.Config, b.Image.Config
	var diffs []string
	add := func(field string, x, y any) {
		diffs = append(diffs, fmt.Sprintf("%s %v -> %v", field, show(x), show(y)))
	}
	if !sameWords(ca.Cmd, cb.Cmd) {
		add("Cmd", ca.Cmd, cb.Cmd)
	}
	// Base-image wrappers that end in exec "$@" may replace each other when
	// the Dockerfile sets no ENTRYPOINT (see transparentEntrypoints).
	if !sameWords(ca.Entrypoint, cb.Entrypoint) && !transparentEntrypointSwap(a, b) {
		add("Entrypoint", ca.Entrypoint, cb.Entrypoint)
	}
	if normDir(ca.WorkingDir) != normDir(cb.WorkingDir) {
		add("WorkingDir", ca.WorkingDir, cb.WorkingDir)
	}
	if normUser(ca.User) != normUser(cb.User) {
		add("User", ca.User, cb.User)
	}
	if !sameKeys(ca.ExposedPorts, cb.ExposedPorts) {
		add("ExposedPorts", keys(ca.ExposedPorts), keys(cb.ExposedPorts))
	}
	if !sameKeys(ca.Volumes, cb.Volumes) {
		add("Volumes", keys(ca.Volumes), keys(cb.Volumes))
	}
	if !reflect.DeepEqual(nilIfEmpty(ca.Labels), nilIfEmpty(cb.Labels)) {
		add("Labels", ca.Labels, cb.Labels)
	}
	if !reflect.DeepEqual(ca.Healthcheck, cb.Healthcheck) {
		add("Healthcheck", ca.Healthcheck, cb.Healthcheck)
	}
	if ca.StopSignal != cb.StopSignal {
		add("StopSignal", ca.StopSignal, cb.StopSignal)
	}
	if !sameWords(ca.Shell, cb.Shell) {
		add("Shell", ca.Shell, cb.Shell)
	}
	if !sameWords(ca.OnBuild, cb.OnBuild) {
		add("OnBuild", ca.OnBuild, cb.OnBuild)
	}
	ea, eb := setEnv(ca.Env, a.Base.Env), setEnv(cb.Env, b.Base.Env)
	pa, pb := pathAdded(ca.Env, a.Base.Env), pathAdded(cb.Env, b.Base.Env)
	delete(ea, "PATH")
	delete(eb, "PATH")
	for k := range droppedEnv {
		if _, ok := eb[k]; !ok {
			delete(ea, k)
		}
	}
	// The rewrite may set a variable to the value the original image had
	// from its base (the .NET SDK's ASPNETCORE_URLS= over the runtime
	// image's http://+:80): the final value is the same.
	for k, v := range eb {
		if _, set := ea[k]; !set {
			if ov, ok := envValue(ca.Env, k); ok && ov == v {
				delete(eb, k)
			}
		}
	}
	// And the other way: a value the original's Dockerfile set may be the
	// runtime image's own (ENV LANG=en_US.UTF-8 on a temurin runtime,
	// which sets it): the final value is the same.
	for k, v := range ea {
		if _, set := eb[k]; !set {
			if nv, ok := envValue(cb.Env, k); ok && nv == v {
				delete(ea, k)
			}
		}
	}
	if !reflect.DeepEqual(ea, eb) {
		add("Env", envList(ea), envList(eb))
	}
	// PATH may only gain a prefix, and the entries the rewrite adds.
	inA := map[string]bool{}
	for _, e := range pa {
		inA[path.Clean(e)] = true
	}
	var kept []string
	for _, e := range pb {
		if !addedPath[path.Clean(e)] || inA[path.Clean(e)] {
			kept = append(kept, e)
		}
	}
	pb = kept
	if len(pb) < len(pa) || !sameWords(pa, pb[len(pb)-len(pa):]) {
		add("PATH additions", pa, pb)
	}
	return diffs
}

// setEnv is the environment the Dockerfile set: final entries that differ
// from the base image's.
func setEnv(final, base []string) map[string]string {
	b := map[string]string{}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		b[k] = v
	}
	out := map[string]string{}
	for _, kv := range final {
		k, v, _ := strings.Cut(kv, "=")
		if bv, ok := b[k]; ok && bv == v {
			continue
		}
		out[k] = v
	}
	return out
}

// pathAdded is the PATH entries the Dockerfile added to the base's PATH.
func pathAdded(final, base []string) []string {
	get := func(env []string) []string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				return strings.Split(v, ":")
			}
		}
		return nil
	}
	inBase := map[string]bool{}
	for _, p := range get(base) {
		inBase[path.Clean(p)] = true
	}
	var out []string
	for _, p := range get(final) {
		if !inBase[path.Clean(p)] {
			out = append(out, p)
		}
	}
	return out
}

func sameWords(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameKeys[V any](a, b map[string]V) bool {
	return reflect.DeepEqual(keys(a), keys(b))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func normDir(d string) string {
	if d == "" {
		return "/"
	}
	return path.Clean(d)
}

func normUser(u string) string {
	switch u {
	case "", "0", "root", "0:0", "root:root":
		return "0"
	}
	return u
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func show(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}

// Default is the list of passes a rewrite runs, in order. It is set in
// init because the self-check runs the passes again.
var Default []*Pass

// ecosystemPasses plan the split for their families of base images; the
// packages pass runs after all of them.
var ecosystemPasses []*Pass

func init() {
	ecosystemPasses = []*Pass{passGolang, passNode, passPython, passRuby, passPHP, passRust, passC, passJava, passDotnet, passCrystal, passSwift, passHaskell}
	passPackages.Requires = ecosystemPasses
	Default = []*Pass{passShape, passBase, passContext, passSteps}
	Default = append(Default, ecosystemPasses...)
	Default = append(Default, passPackages, passRuntime, passEffects, passSplit, passSelfcheck)
	for _, p := range ecosystemPasses {
		for _, f := range p.Families {
			supportedFamilies[f] = true
		}
	}
}
