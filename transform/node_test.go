package transform

import (
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stagesplit/stagesplit/parser"
)

func TestNodeScriptRef(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"npm", "start"}, "start", true},
		{[]string{"npm", "run", "build"}, "build", true},
		{[]string{"npm", "run-script", "build:prod"}, "build:prod", true},
		{[]string{"yarn", "build"}, "build", true},
		{[]string{"yarn", "install"}, "", false},
		{[]string{"pnpm", "run", "build"}, "build", true},
		{[]string{"pnpm", "exec", "tsc"}, "", false},
		{[]string{"npm", "ci"}, "", false},
	} {
		got, ok := nodeScriptRef(Command{Args: c.args})
		if got != c.want || ok != c.ok {
			t.Errorf("nodeScriptRef(%q) = %q, %v; want %q, %v", c.args, got, ok, c.want, c.ok)
		}
	}
}

func TestNodeExecTool(t *testing.T) {
	for _, c := range []struct {
		args, want []string
	}{
		{[]string{"npx", "prisma", "generate"}, []string{"prisma", "generate"}},
		{[]string{"npx", "--yes", "tsc", "-p", "."}, []string{"tsc", "-p", "."}},
		{[]string{"npx", "-p", "typescript", "tsc"}, []string{"tsc"}},
		{[]string{"pnpm", "exec", "vite", "build"}, []string{"vite", "build"}},
		{[]string{"npm", "run", "build"}, nil},
	} {
		got, _ := nodeExecTool(Command{Args: c.args})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("nodeExecTool(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestNodeToolOutputs(t *testing.T) {
	u := &Unit{File: &parser.File{Escape: '\\'}, Context: &BuildContext{FS: fstest.MapFS{}, Package: &PackageJSON{}}}
	for _, c := range []struct {
		args    []string
		want    []string
		unknown bool
	}{
		{[]string{"vite", "build"}, []string{"dist"}, false},
		{[]string{"vite", "build", "--outDir", "web"}, []string{"web"}, false},
		{[]string{"next", "build"}, []string{".next"}, false},
		{[]string{"react-scripts", "build"}, []string{"build"}, false},
		{[]string{"tsc", "--outDir", "out"}, []string{"out"}, false},
		{[]string{"tsc", "--noEmit"}, nil, false},
		{[]string{"esbuild", "src/index.ts", "--bundle", "--outfile=dist/index.js"}, []string{"dist"}, false},
		{[]string{"mkdir", "-p", "/var/uploads"}, nil, false},
		{[]string{"curl", "-o", "/usr/local/bin/x", "https://example.com/x"}, nil, false},
		{[]string{"curl", "-o", "data.json", "https://example.com/x"}, nil, true},
		{[]string{"npm", "rebuild"}, nil, true},
		{[]string{"npm", "install", "-g", "serve"}, nil, false},
		{[]string{"prisma", "generate"}, nil, true},
		{[]string{"node", "scripts/build.js"}, nil, true},
		{[]string{"chmod", "+x", "/usr/local/bin/x"}, nil, true},
		{[]string{"rollup", "-c"}, nil, true},
		{[]string{"vite", "build", "--outDir", "../www"}, nil, true},
	} {
		outs, why := u.nodeToolOutputs(Command{Args: c.args, Dir: "/app"}, "/app")
		var got []string
		for _, o := range outs {
			got = append(got, o.Dir)
		}
		if (why != "") != c.unknown || !reflect.DeepEqual(got, c.want) {
			t.Errorf("nodeToolOutputs(%q) = %q, %q; want %q, unknown %v", c.args, got, why, c.want, c.unknown)
		}
	}
}
