package transform

import (
	"reflect"
	"testing"
)

func TestGoPatternRe(t *testing.T) {
	for _, c := range []struct {
		pat, dir string
		want     bool
	}{
		{"/app/...", "/app", true},
		{"/app/...", "/app/cmd/api", true},
		{"/app/...", "/apple", false},
		{"/app/cmd/...", "/app/internal", false},
		{"/app/cmd/a...", "/app/cmd/api", true},
		{"/app/cmd/a...", "/app/cmd/worker", false},
	} {
		if got := goPatternRe(c.pat).MatchString(c.dir); got != c.want {
			t.Errorf("%s matches %s: got %v, want %v", c.pat, c.dir, got, c.want)
		}
	}
}

func TestImportPathName(t *testing.T) {
	for _, c := range []struct {
		imp    string
		module bool
		want   string
	}{
		{"github.com/golang-migrate/migrate/v4/cmd/migrate", true, "migrate"},
		{"github.com/acme/tool/v2", true, "tool"},
		{"github.com/acme/tool/v2", false, "v2"}, // GOPATH mode keeps the last element
		{"example.com/x/v1", true, "v1"},         // v1 is never a major-version suffix
		{"example.com/x/v0", true, "v0"},
		{"app", true, "app"},
	} {
		if got := importPathName(c.imp, c.module); got != c.want {
			t.Errorf("importPathName(%q, %v) = %q, want %q", c.imp, c.module, got, c.want)
		}
	}
}

func TestShellScript(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"sh", "-c", "a && b"}, "a && b", true},
		{[]string{"/bin/bash", "-ec", "a"}, "a", true},
		{[]string{"bash", "-o", "pipefail", "-c", "a | b"}, "a | b", true},
		{[]string{"sh", "start.sh"}, "", false},
		{[]string{"sh", "-c"}, "", false},
		{[]string{"node", "-c", "x"}, "", false},
	} {
		got, ok := shellScript(c.args)
		if got != c.want || ok != c.ok {
			t.Errorf("shellScript(%q) = %q, %v; want %q, %v", c.args, got, ok, c.want, c.ok)
		}
	}
}

func TestStripWrappers(t *testing.T) {
	u := &Unit{Base: Image{Family: "node"}}
	for _, c := range []struct{ in, want []string }{
		{[]string{"/sbin/tini", "--", "./app"}, []string{"./app"}},
		{[]string{"tini", "-g", "--", "./app", "-x"}, []string{"./app", "-x"}},
		{[]string{"dumb-init", "node", "server.js"}, []string{"node", "server.js"}},
		{[]string{"exec", "env", "-i", "A=1", "./app"}, []string{"./app"}},
		{[]string{"gosu", "app", "./app"}, []string{"./app"}},
		{[]string{"docker-entrypoint.sh", "--inspect", "x.js"}, []string{"node", "--inspect", "x.js"}},
		{[]string{"/usr/local/bin/docker-entrypoint.sh", "x"}, []string{"/usr/local/bin/docker-entrypoint.sh", "x"}},
	} {
		if got := u.stripWrappers(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("stripWrappers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
