package transform

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// BuildContext is what was read from the build context next to the
// Dockerfile.
type BuildContext struct {
	FS fs.FS
	// GoModule is the module path from go.mod at the context root.
	GoModule string
	GoMod    *modfile.File
	// CgoFiles are .go files that import "C" (vendor included).
	CgoFiles []string
	// CgoModules are required modules known to need cgo.
	CgoModules []string
	// GoFilesSeen counts the .go files read.
	GoFilesSeen int
	Package     *PackageJSON
	// Lockfile names the package manager's lock file found ("package-lock.json", ...).
	Lockfile string
	// TSOutDir is compilerOptions.outDir from tsconfig.json.
	TSOutDir string
}

// PackageJSON is the part of package.json the node pass reads.
type PackageJSON struct {
	Name            string            `json:"name"`
	Main            string            `json:"main"`
	Scripts         map[string]string `json:"scripts"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	PackageManager  string            `json:"packageManager"`
	Workspaces      json.RawMessage   `json:"workspaces"`
}

// hasWorkspaces reports whether package.json declares workspaces, whose
// own dependencies a root install adds.
func (p *PackageJSON) hasWorkspaces() bool {
	w := strings.TrimSpace(string(p.Workspaces))
	return w != "" && w != "null" && w != "[]" && w != "{}"
}

// knownCgoModules need cgo to build (their pure-Go fallbacks do not exist).
var knownCgoModules = []string{
	"github.com/mattn/go-sqlite3",
	"github.com/confluentinc/confluent-kafka-go",
	"github.com/go-gl/glfw",
	"github.com/veandco/go-sdl2",
	"github.com/DataDog/zstd",
	"github.com/tecbot/gorocksdb",
	"github.com/linxGnu/grocksdb",
	"github.com/google/gopacket/pcap",
	"gopkg.in/gographics/imagick.v3",
	"github.com/h2non/bimg",
	"github.com/davidbyttow/govips",
}

// maxGoFiles bounds the scan for import "C" in large trees.
const maxGoFiles = 20000

var passContext = &Pass{
	Name: "context",
	Doc: `Reads the build context next to the Dockerfile, when it is there.
go.mod (module path, requirements known to need cgo), every .go file's imports (import "C"),
package.json (scripts, dependencies), the lock file, tsconfig.json's outDir.`,
	Requires: []*Pass{passBase},
	Run: func(u *Unit) error {
		fsys := u.Opts.Context
		if fsys == nil {
			u.Fact(0, "no build context: decisions rest on the Dockerfile alone")
			return nil
		}
		c := &BuildContext{FS: fsys}
		u.Context = c
		if data, err := fs.ReadFile(fsys, "go.mod"); err == nil {
			if mf, err := modfile.ParseLax("go.mod", data, nil); err == nil && mf.Module != nil {
				c.GoMod = mf
				c.GoModule = mf.Module.Mod.Path
				for _, r := range mf.Require {
					for _, k := range knownCgoModules {
						if r.Mod.Path == k || strings.HasPrefix(r.Mod.Path, k+"/") {
							c.CgoModules = append(c.CgoModules, r.Mod.Path)
						}
					}
				}
			}
			c.scanGo()
		}
		if data, err := fs.ReadFile(fsys, "package.json"); err == nil {
			var pj PackageJSON
			if json.Unmarshal(data, &pj) == nil {
				c.Package = &pj
			}
			for _, lf := range []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb"} {
				if _, err := fs.Stat(fsys, lf); err == nil {
					c.Lockfile = lf
					break
				}
			}
			if data, err := fs.ReadFile(fsys, "tsconfig.json"); err == nil {
				c.TSOutDir = tsOutDir(data)
			}
		}
		return nil
	},
}

func (c *BuildContext) scanGo() {
	fset := token.NewFileSet()
	_ = fs.WalkDir(c.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if c.GoFilesSeen >= maxGoFiles {
			return fs.SkipAll
		}
		c.GoFilesSeen++
		src, err := fs.ReadFile(c.FS, p)
		if err != nil {
			return nil
		}
		f, err := parser.ParseFile(fset, p, src, parser.ImportsOnly)
		if err != nil {
			return nil
		}
		for _, im := range f.Imports {
			if v, _ := strconv.Unquote(im.Path.Value); v == "C" {
				c.CgoFiles = append(c.CgoFiles, p)
			}
		}
		return nil
	})
}

// tsOutDir reads compilerOptions.outDir from a tsconfig.json, which may
// hold comments and trailing commas.
func tsOutDir(data []byte) string {
	var cfg struct {
		CompilerOptions struct {
			OutDir string `json:"outDir"`
		} `json:"compilerOptions"`
	}
	if json.Unmarshal(stripJSONC(data), &cfg) != nil {
		return ""
	}
	return path.Clean(strings.TrimPrefix(cfg.CompilerOptions.OutDir, "./"))
}

// stripJSONC removes // and /* */ comments and trailing commas outside
// strings.
func stripJSONC(in []byte) []byte {
	out := make([]byte, 0, len(in))
	inStr := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(in) {
				i++
				out = append(out, in[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			i += 2
			for i+1 < len(in) && !(in[i] == '*' && in[i+1] == '/') {
				i++
			}
			i++
		case c == ',':
			j := i + 1
			for j < len(in) && strings.ContainsRune(" \t\r\n", rune(in[j])) {
				j++
			}
			if j < len(in) && (in[j] == '}' || in[j] == ']') {
				continue
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
