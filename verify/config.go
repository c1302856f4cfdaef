package verify

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// IgnoredLabels are image labels that are not compared: the local
// stand-in base images carry dev.stagesplit.standin.
var IgnoredLabels = map[string]bool{"dev.stagesplit.standin": true}

// BaseImageEnv are variables that base images set for their own toolchain.
// They naturally differ when the runtime stage uses another base image.
var BaseImageEnv = map[string]bool{
	"GOLANG_VERSION": true, "GOPATH": true, "GOTOOLCHAIN": true,
	"NODE_VERSION": true, "YARN_VERSION": true, "SSL_CERT_FILE": true,
	// rust, maven/gradle/temurin, python and ruby images
	"RUSTUP_HOME": true, "CARGO_HOME": true, "RUST_VERSION": true,
	"MAVEN_HOME": true, "MAVEN_CONFIG": true, "GRADLE_HOME": true, "GRADLE_VERSION": true,
	"JAVA_HOME": true, "JAVA_VERSION": true, "LANG": true, "LANGUAGE": true, "LC_ALL": true,
	"PYTHON_VERSION": true, "PYTHON_SHA256": true, "GPG_KEY": true, "PYTHON_PIP_VERSION": true,
	"RUBY_VERSION": true, "RUBY_DOWNLOAD_SHA256": true, "RUBY_DOWNLOAD_URL": true,
	"GCC_VERSION": true,
	// the .NET SDK image's own (the aspnet and runtime images set fewer)
	"DOTNET_SDK_VERSION": true, "DOTNET_VERSION": true, "ASPNET_VERSION": true, "DOTNET_USE_POLLING_FILE_WATCHER": true,
	"NUGET_XMLDOC_MODE": true, "DOTNET_GENERATE_ASPNET_CERTIFICATE": true, "DOTNET_NOLOGO": true, "POWERSHELL_DISTRIBUTION_CHANNEL": true,
}

// TransparentEntrypoints are base-image entrypoint scripts that only set
// up and then exec "$@" (the maven image's, eclipse-temurin's CA import,
// the official images' docker-entrypoint.sh): inherited from the base
// images, one may stand for another or for none.
var TransparentEntrypoints = map[string]bool{
	"/usr/local/bin/mvn-entrypoint.sh": true, "/__cacert_entrypoint.sh": true, "docker-entrypoint.sh": true,
}

// BaseImageVolumes are VOLUMEs toolchain images declare for their caches.
var BaseImageVolumes = map[string]bool{"/home/gradle/.gradle": true, "/root/.m2": true}

// Facts are what the Dockerfiles themselves set, which the comparison
// must hold strictly.
type Facts struct {
	// Env are the variables the original's ENV instructions set.
	Env map[string]bool
	// Entrypoint is set when the original has an ENTRYPOINT instruction.
	Entrypoint bool
	// Volumes are the original's VOLUME paths.
	Volumes map[string]bool
	// AddedPath are PATH entries the rewrite adds on purpose (a Python
	// virtual environment's bin directory).
	AddedPath map[string]bool
}

// BasePathEntries are PATH entries that base images put there: the
// standard directories and the toolchain directories of the golang image.
var BasePathEntries = map[string]bool{
	"/usr/local/sbin": true, "/usr/local/bin": true, "/usr/sbin": true,
	"/usr/bin": true, "/sbin": true, "/bin": true,
	"/go/bin": true, "/usr/local/go/bin": true,
	"/usr/local/cargo/bin": true, "/opt/java/openjdk/bin": true, "/usr/local/bundle/bin": true,
}

// ConfigReport is the comparison of the two images' runtime configuration.
type ConfigReport struct {
	Equal bool `json:"equal"`
	// Differences are the differences that fail the check.
	Differences []string `json:"differences"`
	// EnvFromBase are the Env differences allowed because they come from
	// the base images (see CompareConfig).
	EnvFromBase []string `json:"env_from_base,omitempty"`
	// Equivalent are differences in spelling only (User "" and "0").
	Equivalent []string `json:"equivalent,omitempty"`
}

// CompareConfig compares the runtime configuration of the original image
// (before) and the rewritten one (after).
//
// Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels,
// Healthcheck and StopSignal must be equal (nil and empty count as equal;
// the labels in IgnoredLabels are left out; the User spellings of root —
// unset, "0", "root", optionally with group 0 or root — count as equal and
// are listed in Equivalent).
//
// Env: every variable whose value differs (or which only one image has) is
// a difference, except when it comes from the base images:
//   - a variable named in BaseImageEnv that no ENV instruction of the
//     original Dockerfile sets (dockerfileEnv lists those it sets), or
//   - PATH, when every entry that only one of the two values has is in
//     BasePathEntries and the entries both have are in the same order
//     (whether or not the Dockerfile sets PATH: the entries it adds itself
//     are never in BasePathEntries).
//
// Those allowed differences are listed in EnvFromBase.
func CompareConfig(before, after ImageConfig, facts Facts) ConfigReport {
	var diffs, equiv []string
	add := func(field, b, a string) {
		diffs = append(diffs, fmt.Sprintf("%s: %s -> %s", field, b, a))
	}
	if !sameList(before.Cmd, after.Cmd) {
		add("Cmd", show(before.Cmd), show(after.Cmd))
	}
	if !sameList(before.Entrypoint, after.Entrypoint) {
		wrapper := func(ep []string) bool { return len(ep) == 0 || len(ep) == 1 && TransparentEntrypoints[ep[0]] }
		if !facts.Entrypoint && wrapper(before.Entrypoint) && wrapper(after.Entrypoint) {
			equiv = append(equiv, fmt.Sprintf("Entrypoint: %s -> %s (base-image wrappers that exec their arguments)", show(before.Entrypoint), show(after.Entrypoint)))
		} else {
			add("Entrypoint", show(before.Entrypoint), show(after.Entrypoint))
		}
	}
	if before.WorkingDir != after.WorkingDir {
		add("WorkingDir", show(before.WorkingDir), show(after.WorkingDir))
	}
	if before.User != after.User {
		if isRoot(before.User) && isRoot(after.User) {
			equiv = append(equiv, fmt.Sprintf("User: %s -> %s (both run as root)", show(before.User), show(after.User)))
		} else {
			add("User", show(before.User), show(after.User))
		}
	}
	if !sameSet(before.ExposedPorts, after.ExposedPorts) {
		add("ExposedPorts", show(keys(before.ExposedPorts)), show(keys(after.ExposedPorts)))
	}
	bv, av := map[string]struct{}{}, map[string]struct{}{}
	for k := range before.Volumes {
		if !BaseImageVolumes[k] || facts.Volumes[k] {
			bv[k] = struct{}{}
		}
	}
	for k := range after.Volumes {
		if !BaseImageVolumes[k] || facts.Volumes[k] {
			av[k] = struct{}{}
		}
	}
	if !sameSet(bv, av) {
		add("Volumes", show(keys(before.Volumes)), show(keys(after.Volumes)))
	} else if !sameSet(before.Volumes, after.Volumes) {
		equiv = append(equiv, fmt.Sprintf("Volumes: %s -> %s (a toolchain image's cache volume)", show(keys(before.Volumes)), show(keys(after.Volumes))))
	}
	bl, al := labels(before.Labels), labels(after.Labels)
	for _, k := range union(bl, al) {
		b, bok := bl[k]
		a, aok := al[k]
		if b != a || bok != aok {
			add("Labels["+k+"]", optional(b, bok), optional(a, aok))
		}
	}
	if !sameHealthcheck(before.Healthcheck, after.Healthcheck) {
		add("Healthcheck", show(before.Healthcheck), show(after.Healthcheck))
	}
	if before.StopSignal != after.StopSignal {
		add("StopSignal", show(before.StopSignal), show(after.StopSignal))
	}

	var fromBase []string
	be, ae := envMap(before.Env), envMap(after.Env)
	for _, k := range union(be, ae) {
		b, bok := be[k]
		a, aok := ae[k]
		if b == a && bok == aok {
			continue
		}
		d := fmt.Sprintf("Env %s: %s -> %s", k, optional(b, bok), optional(a, aok))
		switch {
		case k == "PATH" && pathFromBase(b, a, facts.AddedPath):
			fromBase = append(fromBase, d)
		case k != "PATH" && BaseImageEnv[k] && !facts.Env[k]:
			fromBase = append(fromBase, d)
		default:
			diffs = append(diffs, d)
		}
	}
	if diffs == nil {
		diffs = []string{}
	}
	return ConfigReport{Equal: len(diffs) == 0, Differences: diffs, EnvFromBase: fromBase, Equivalent: equiv}
}

// isRoot reports whether an image's User runs as root: unset, "0" or
// "root", with no group or group 0/root. (Distroless's root images say
// "0"; most others leave User unset.)
func isRoot(user string) bool {
	u, g, hasGroup := strings.Cut(user, ":")
	root := func(s string) bool { return s == "" || s == "0" || s == "root" }
	return root(u) && (!hasGroup || (g != "" && root(g)))
}

// pathFromBase reports whether two PATH values differ only by base-image
// entries, or by entries the rewrite added (only in after).
func pathFromBase(before, after string, added map[string]bool) bool {
	bs, as := strings.Split(before, ":"), strings.Split(after, ":")
	inB, inA := map[string]bool{}, map[string]bool{}
	for _, e := range bs {
		inB[e] = true
	}
	for _, e := range as {
		inA[e] = true
	}
	var commonB, commonA []string
	for _, e := range bs {
		if !inA[e] {
			if !BasePathEntries[e] {
				return false
			}
			continue
		}
		commonB = append(commonB, e)
	}
	for _, e := range as {
		if !inB[e] {
			if !BasePathEntries[e] && !added[e] {
				return false
			}
			continue
		}
		commonA = append(commonA, e)
	}
	return reflect.DeepEqual(commonB, commonA)
}

func sameList(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func sameSet(a, b map[string]struct{}) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

func sameHealthcheck(a, b *Healthcheck) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(*a, *b)
}

func keys(m map[string]struct{}) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func labels(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !IgnoredLabels[k] {
			out[k] = v
		}
	}
	return out
}

func envMap(env []string) map[string]string {
	out := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func union(a, b map[string]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func optional(v string, ok bool) string {
	if !ok {
		return "(unset)"
	}
	return fmt.Sprintf("%q", v)
}

func show(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		if v == nil {
			return "[]"
		}
		return fmt.Sprintf("%q", v)
	case *Healthcheck:
		if v == nil {
			return "(none)"
		}
		return fmt.Sprintf("%q interval=%s timeout=%s start-period=%s start-interval=%s retries=%d",
			v.Test, time.Duration(v.Interval), time.Duration(v.Timeout), time.Duration(v.StartPeriod),
			time.Duration(v.StartInterval), v.Retries)
	}
	return fmt.Sprint(v)
}
