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
		{[]string{"chmod", "+x", "/usr/local/bin/x"}, nil, false},
		{[]string{"chmod", "-R", "755", "/usr/local/bin/x", "/opt/tool"}, nil, false},
		{[]string{"chown", "node:node", "/var/log/app"}, nil, false},
		{[]string{"chmod", "+x", "start.sh"}, nil, true},
		{[]string{"chown", "-R", "node:node", "/app"}, nil, true},
		{[]string{"chown", "-R", "node", "/"}, nil, true},
		{[]string{"chmod", "-x", "/usr/local/bin/x"}, nil, true},
		{[]string{"chmod", "755", "$BIN/x"}, nil, true},
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

func TestAccountHome(t *testing.T) {
	for _, c := range []struct {
		args []string
		user string
		home string
		ok   bool
	}{
		{[]string{"useradd", "-r", "-g", "pptruser", "-G", "audio,video", "-m", "pptruser"}, "pptruser", "/home/pptruser", true},
		{[]string{"useradd", "-ms", "/bin/bash", "runner"}, "runner", "/home/runner", true},
		{[]string{"useradd", "-d", "/srv/app", "-m", "app"}, "app", "/srv/app", true},
		{[]string{"useradd", "--home-dir=/srv/app", "app"}, "app", "/srv/app", true},
		{[]string{"useradd", "-b", "/users", "app"}, "app", "/users/app", true},
		{[]string{"useradd", "-u", "1001", "-m", "app"}, "1001", "/home/app", true},
		{[]string{"useradd", "-d", "$APP_HOME", "app"}, "app", "", true},
		{[]string{"useradd", "-m", "other"}, "app", "", false},
		{[]string{"adduser", "-D", "-h", "/opt/app", "app"}, "app", "/opt/app", true},
		{[]string{"adduser", "-D", "-S", "app"}, "app", "/home/app", true},
		{[]string{"adduser", "--disabled-password", "--gecos", "", "app"}, "app", "/home/app", true},
		{[]string{"adduser", "--system", "app"}, "app", "", true},
		{[]string{"adduser", "app", "video"}, "app", "", false},
		{[]string{"usermod", "-d", "/data/app", "app"}, "app", "/data/app", true},
		{[]string{"usermod", "-aG", "video", "app"}, "app", "", false},
	} {
		home, ok := accountHome(Command{Args: c.args}, c.user)
		if home != c.home || ok != c.ok {
			t.Errorf("accountHome(%q, %q) = %q, %v; want %q, %v", c.args, c.user, home, ok, c.home, c.ok)
		}
	}
}

func TestNodeYarnInfo(t *testing.T) {
	for _, c := range []struct {
		name              string
		files             map[string]string
		pm                string
		args              []string
		berry, pnp, local bool
		major             int
		focus             bool
	}{
		{"classic", map[string]string{"yarn.lock": "# yarn lockfile v1\n"}, "", nil, false, false, false, 0, false},
		{"classic pinned", map[string]string{".yarnrc.yml": "nodeLinker: node-modules\n"}, "yarn@1.22.22", nil, false, false, false, 1, false},
		{"yarn 4 yarnPath", map[string]string{".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.1.1.cjs\n"}, "", nil, true, false, false, 4, true},
		{"yarnPath wins", map[string]string{".yarnrc.yml": "nodeLinker: \"node-modules\" # npm layout\nyarnPath: .yarn/releases/yarn-3.6.4.cjs\n"}, "yarn@4.1.1", nil, true, false, false, 3, false},
		{"yarn 3 plugin", map[string]string{".yarnrc.yml": "nodeLinker: node-modules\nplugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs\n"}, "yarn@3.6.4", nil, true, false, false, 3, true},
		{"yarn 3 pnp", map[string]string{}, "yarn@3.6.4", nil, true, true, true, 3, false},
		{"yarn 4 pnp", map[string]string{}, "yarn@4.1.1", nil, true, true, false, 4, true},
		{"yarn 4 pnp local", map[string]string{".yarnrc.yml": "enableGlobalCache: false\n"}, "yarn@4.1.1", nil, true, true, true, 4, true},
		{"yarn 3 cacheFolder", map[string]string{".yarnrc.yml": "cacheFolder: /var/cache/yarn\n"}, "yarn@3.6.4", nil, true, true, false, 3, false},
		{"releases only", map[string]string{".yarn/releases/yarn-3.2.0.cjs": ""}, "", nil, true, true, true, 3, false},
		{"berry lock", map[string]string{"yarn.lock": "# generated\n\n__metadata:\n  version: 6\n"}, "", nil, true, true, false, 0, false},
		{"immutable flag", map[string]string{}, "", []string{"yarn", "install", "--immutable"}, true, true, false, 0, false},
	} {
		fsys := fstest.MapFS{}
		for k, v := range c.files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		u := &Unit{Context: &BuildContext{FS: fsys, Package: &PackageJSON{PackageManager: c.pm}}}
		args := c.args
		if args == nil {
			args = []string{"yarn", "install"}
		}
		y := u.nodeYarnInfo(Command{Args: args})
		if y.Berry != c.berry || y.PnP != c.pnp || y.LocalCache != c.local || y.Major != c.major || y.Focus != c.focus {
			t.Errorf("%s: berry %v pnp %v local %v major %d focus %v (%s); want %v %v %v %d %v", c.name, y.Berry, y.PnP, y.LocalCache, y.Major, y.Focus, y.What, c.berry, c.pnp, c.local, c.major, c.focus)
		}
	}
}

func TestNodeCorepackXDG(t *testing.T) {
	for ref, want := range map[string]bool{
		"node:20": true, "node:20.0.0-slim": true, "node:22-alpine": true, "node:lts-slim": true,
		"node:18": true, "node:18.19.1-bookworm": true, "node:18.4.0": false, "node:16": false,
		"node:14-alpine": false, "node:gallium": false, "node:hydrogen-slim": true,
	} {
		if got := nodeCorepackXDG(ParseImage(ref, ref)); got != want {
			t.Errorf("nodeCorepackXDG(%s) = %v, want %v", ref, got, want)
		}
	}
}
