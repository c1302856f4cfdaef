package verify

import (
	"strings"
	"testing"
)

func goImage() ImageConfig {
	return ImageConfig{
		Cmd:          []string{"/app/server"},
		Env:          []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOLANG_VERSION=1.26.8", "GOTOOLCHAIN=local", "GOPATH=/go", "PORT=8080"},
		WorkingDir:   "/app",
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels:       map[string]string{"dev.stagesplit.standin": "true"},
	}
}

func distrolessImage() ImageConfig {
	return ImageConfig{
		Cmd:          []string{"/app/server"},
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "PORT=8080"},
		WorkingDir:   "/app",
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels:       map[string]string{"dev.stagesplit.standin": "true"},
	}
}

func TestCompareConfigBaseEnvAllowed(t *testing.T) {
	b, a := goImage(), distrolessImage()
	a.Labels["dev.stagesplit.standin"] = "other" // ignored label
	got := CompareConfig(b, a, Facts{Env: map[string]bool{"PORT": true}})
	if !got.Equal || len(got.Differences) != 0 {
		t.Fatalf("want equal, got %+v", got)
	}
	// GOLANG_VERSION, GOPATH, GOTOOLCHAIN, PATH, SSL_CERT_FILE.
	if len(got.EnvFromBase) != 5 {
		t.Errorf("EnvFromBase = %q, want 5 entries", got.EnvFromBase)
	}
	for _, d := range got.EnvFromBase {
		if strings.Contains(d, "PORT") {
			t.Errorf("PORT is not from the base: %s", d)
		}
	}
}

func TestCompareConfigDockerfileEnv(t *testing.T) {
	b, a := goImage(), distrolessImage()
	// A base-image variable the Dockerfile sets itself is compared.
	got := CompareConfig(b, a, Facts{Env: map[string]bool{"GOPATH": true}})
	if got.Equal || len(got.Differences) != 1 || !strings.HasPrefix(got.Differences[0], "Env GOPATH:") {
		t.Fatalf("want one GOPATH difference, got %+v", got)
	}
	// A variable the Dockerfile sets that is lost.
	a.Env = a.Env[:2]
	got = CompareConfig(b, a, Facts{})
	if got.Equal || len(got.Differences) != 1 || got.Differences[0] != `Env PORT: "8080" -> (unset)` {
		t.Fatalf("want PORT difference, got %q", got.Differences)
	}
}

func TestComparePath(t *testing.T) {
	for _, tc := range []struct {
		before, after string
		ok            bool
	}{
		{"/go/bin:/usr/local/go/bin:/usr/bin:/bin", "/usr/bin:/bin", true},
		{"/usr/bin:/bin", "/usr/bin:/bin:/go/bin", true},
		{"/app/bin:/usr/bin:/bin", "/usr/bin:/bin", false},      // set by the Dockerfile, lost
		{"/usr/bin:/bin", "/opt/x/bin:/usr/bin:/bin", false},    // new entry
		{"/usr/bin:/bin", "/bin:/usr/bin", false},               // order changed
		{"/usr/bin:/bin", "/opt/venv/bin:/usr/bin:/bin", true},  // the venv the rewrite adds
		{"/opt/venv/bin:/usr/bin:/bin", "/usr/bin:/bin", false}, // ... but never lost
	} {
		if got := pathFromBase(tc.before, tc.after, map[string]bool{"/opt/venv/bin": true}); got != tc.ok {
			t.Errorf("pathFromBase(%q, %q) = %v, want %v", tc.before, tc.after, got, tc.ok)
		}
	}
}

func TestCompareConfigFields(t *testing.T) {
	b := goImage()
	a := goImage()
	a.Cmd = []string{"/server"}
	a.Entrypoint = []string{"tini", "--"}
	a.WorkingDir = "/"
	a.User = "65532"
	a.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "9090/tcp": {}}
	a.Volumes = map[string]struct{}{"/data": {}}
	a.Labels = map[string]string{"org.example": "x"}
	b.Healthcheck = &Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 30e9, Retries: 3}
	a.Healthcheck = &Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 30e9, Retries: 4}
	a.StopSignal = "SIGINT"
	got := CompareConfig(b, a, Facts{})
	want := []string{"Cmd:", "Entrypoint:", "WorkingDir:", "User:", "ExposedPorts:", "Volumes:", "Labels[org.example]:", "Healthcheck:", "StopSignal:"}
	if got.Equal || len(got.Differences) != len(want) {
		t.Fatalf("got %d differences %q, want %d", len(got.Differences), got.Differences, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(got.Differences[i], w) {
			t.Errorf("difference %d = %q, want prefix %q", i, got.Differences[i], w)
		}
	}
}

func TestCompareConfigNilEmpty(t *testing.T) {
	b := ImageConfig{Cmd: nil, ExposedPorts: nil, Labels: nil}
	a := ImageConfig{Cmd: []string{}, ExposedPorts: map[string]struct{}{}, Labels: map[string]string{"dev.stagesplit.standin": "true"}}
	if got := CompareConfig(b, a, Facts{}); !got.Equal {
		t.Fatalf("nil and empty should be equal: %q", got.Differences)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"go-static": "go-static", "My App_2": "my-app-2", "--x--": "x", "": "context", "Ünï": "n",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompareConfigUserRoot(t *testing.T) {
	for _, tc := range []struct {
		b, a  string
		equal bool
	}{
		{"", "0", true}, {"root", "0:0", true}, {"", "root:root", true},
		{"", "65532", false}, {"0", "nonroot", false}, {"0:1", "0", false}, {"app", "", false},
	} {
		got := CompareConfig(ImageConfig{User: tc.b}, ImageConfig{User: tc.a}, Facts{})
		if got.Equal != tc.equal {
			t.Errorf("User %q -> %q: equal = %v, want %v (%q)", tc.b, tc.a, got.Equal, tc.equal, got.Differences)
		}
		if tc.equal && len(got.Equivalent) != 1 {
			t.Errorf("User %q -> %q: Equivalent = %q", tc.b, tc.a, got.Equivalent)
		}
	}
}

func TestCompareEntrypointWrappersAndCacheVolumes(t *testing.T) {
	b := ImageConfig{Entrypoint: []string{"/usr/local/bin/mvn-entrypoint.sh"}, Cmd: []string{"java", "-jar", "app.jar"},
		Volumes: map[string]struct{}{"/root/.m2": {}}}
	a := ImageConfig{Entrypoint: []string{"/__cacert_entrypoint.sh"}, Cmd: []string{"java", "-jar", "app.jar"}}
	if got := CompareConfig(b, a, Facts{}); !got.Equal || len(got.Equivalent) != 2 {
		t.Errorf("base-image wrappers and cache volume: %+v", got)
	}
	// The Dockerfile's own ENTRYPOINT and VOLUME compare strictly.
	if got := CompareConfig(b, a, Facts{Entrypoint: true}); got.Equal {
		t.Errorf("an ENTRYPOINT the Dockerfile sets must compare strictly: %+v", got)
	}
	if got := CompareConfig(b, a, Facts{Volumes: map[string]bool{"/root/.m2": true}}); got.Equal {
		t.Errorf("a VOLUME the Dockerfile declares must compare strictly: %+v", got)
	}
	a.Entrypoint = []string{"/app/start.sh"}
	if got := CompareConfig(b, a, Facts{}); got.Equal {
		t.Errorf("a non-wrapper entrypoint must differ: %+v", got)
	}
}
