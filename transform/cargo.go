package transform

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	toml "github.com/pelletier/go-toml/v2"
)

// cargoManifest is the part of a Cargo.toml the rust pass reads.
type cargoManifest struct {
	Package *struct {
		Name     string `toml:"name"`
		Autobins *bool  `toml:"autobins"`
	} `toml:"package"`
	Bin []struct {
		Name             string   `toml:"name"`
		Path             string   `toml:"path"`
		RequiredFeatures []string `toml:"required-features"`
	} `toml:"bin"`
	Workspace *struct {
		Members        []string       `toml:"members"`
		DefaultMembers []string       `toml:"default-members"`
		Exclude        []string       `toml:"exclude"`
		Dependencies   map[string]any `toml:"dependencies"`
	} `toml:"workspace"`
	Dependencies map[string]any `toml:"dependencies"`
	Target       map[string]struct {
		Dependencies map[string]any `toml:"dependencies"`
	} `toml:"target"`

	// ctxDir is the manifest's directory in the build context, imgDir in
	// the image.
	ctxDir, imgDir string
}

func (m *cargoManifest) name() string {
	if m.Package == nil {
		return ""
	}
	return m.Package.Name
}

// cargoBin is a binary target of a package.
type cargoBin struct {
	Name     string
	Requires []string // required-features
}

// binaries lists the binary targets cargo finds for the package: the
// [[bin]] tables and, unless autobins is off, src/main.rs (named after the
// package) and src/bin/*. Without src/ in the build context, src/main.rs
// is assumed when there is no [[bin]] (a package without any target does
// not build).
func (m *cargoManifest) binaries(fsys fs.FS) []cargoBin {
	if m.Package == nil {
		return nil
	}
	var out []cargoBin
	names, paths := map[string]bool{}, map[string]bool{}
	for _, b := range m.Bin {
		if b.Name == "" {
			continue
		}
		out = append(out, cargoBin{Name: b.Name, Requires: b.RequiredFeatures})
		names[b.Name] = true
		if b.Path != "" {
			paths[path.Clean(b.Path)] = true
		}
	}
	if m.Package.Autobins != nil && !*m.Package.Autobins {
		return out
	}
	src := path.Join(m.ctxDir, "src")
	st, err := fs.Stat(fsys, src)
	srcKnown := err == nil && st.IsDir()
	main := !srcKnown && len(m.Bin) == 0
	if srcKnown {
		_, err := fs.Stat(fsys, path.Join(src, "main.rs"))
		main = err == nil
	}
	if main && !names[m.Package.Name] && !paths["src/main.rs"] {
		out = append(out, cargoBin{Name: m.Package.Name})
		names[m.Package.Name] = true
	}
	if !srcKnown {
		return out
	}
	entries, _ := fs.ReadDir(fsys, path.Join(src, "bin"))
	for _, e := range entries {
		name, rel := "", ""
		switch {
		case !e.IsDir() && strings.HasSuffix(e.Name(), ".rs"):
			name, rel = strings.TrimSuffix(e.Name(), ".rs"), "src/bin/"+e.Name()
		case e.IsDir():
			if _, err := fs.Stat(fsys, path.Join(src, "bin", e.Name(), "main.rs")); err != nil {
				continue
			}
			name, rel = e.Name(), "src/bin/"+e.Name()+"/main.rs"
		default:
			continue
		}
		if !names[name] && !paths[rel] {
			out = append(out, cargoBin{Name: name})
			names[name] = true
		}
	}
	return out
}

// dependencies lists the crates a manifest depends on (renamed ones under
// their real name), with the features it asks of each.
func (m *cargoManifest) dependencies() map[string][]string {
	out := map[string][]string{}
	add := func(deps map[string]any) {
		for key, v := range deps {
			name := key
			var feats []string
			if t, ok := v.(map[string]any); ok {
				if p, ok := t["package"].(string); ok && p != "" {
					name = p
				}
				if fs, ok := t["features"].([]any); ok {
					for _, f := range fs {
						if s, ok := f.(string); ok {
							feats = append(feats, s)
						}
					}
				}
			}
			out[name] = append(out[name], feats...)
		}
	}
	add(m.Dependencies)
	for _, t := range m.Target {
		add(t.Dependencies)
	}
	if m.Workspace != nil {
		add(m.Workspace.Dependencies)
	}
	return out
}

// cargoLock is the part of a Cargo.lock the rust pass reads.
type cargoLock struct {
	Package []struct {
		Name string `toml:"name"`
	} `toml:"package"`
}

// cargoConfig is the part of .cargo/config.toml that moves the output.
type cargoConfig struct {
	Build struct {
		Target    any    `toml:"target"` // a string or a list
		TargetDir string `toml:"target-dir"`
		Rustflags any    `toml:"rustflags"` // a string or a list
	} `toml:"build"`
	Install struct {
		Root string `toml:"root"`
	} `toml:"install"`
}

// cargoProject is what the build context tells about the package a cargo
// command builds.
type cargoProject struct {
	// Manifest is the Cargo.toml of the directory cargo runs for, or nil
	// when the build context does not have it.
	Manifest *cargoManifest
	// Root is the workspace root manifest (Manifest itself for a package
	// outside any workspace).
	Root *cargoManifest
	// Members are the workspace's packages (Root included when it is a
	// package).
	Members []*cargoManifest
	// Lock lists the crates of Cargo.lock at the workspace root; nil
	// without one.
	Lock map[string]bool
	// Config is the nearest .cargo/config.toml settings, by key.
	TargetDir, Target, Rustflags, InstallRoot string
	// ConfigWhy names the config file that set something.
	ConfigWhy string
	// Manifests are every Cargo.toml read, for features asked of
	// dependencies.
	Manifests []*cargoManifest
}

// cargoProjectAt reads the manifests for a cargo command that builds the
// package whose Cargo.toml is at manifest (an image path). before is the
// index of the command's step: only what was copied in by then counts.
func (u *Unit) cargoProjectAt(manifest string, before int) *cargoProject {
	p := &cargoProject{}
	if u.Context == nil {
		return p
	}
	dir := path.Dir(manifest)
	m := u.readManifest(manifest, before)
	if m == nil {
		return p
	}
	p.Manifest, p.Root = m, m
	p.Manifests = append(p.Manifests, m)
	if m.Workspace == nil {
		// The workspace root is the nearest ancestor whose [workspace]
		// lists this directory.
		for a := path.Dir(dir); ; a = path.Dir(a) {
			if r := u.readManifest(path.Join(a, "Cargo.toml"), before); r != nil && r.Workspace != nil {
				if r.hasMember(u.Context.FS, m.ctxDir) {
					p.Root = r
					p.Manifests = append(p.Manifests, r)
				}
				break
			}
			if path.Dir(a) == a { // "/" or "." (a manifest in / resolves relative)
				break
			}
		}
	}
	if p.Root.Workspace != nil {
		p.Members = u.members(p.Root, before)
		p.Manifests = append(p.Manifests, p.Members...)
	} else {
		p.Members = []*cargoManifest{m}
	}
	if data, err := fs.ReadFile(u.Context.FS, path.Join(p.Root.ctxDir, "Cargo.lock")); err == nil {
		var lock cargoLock
		if toml.Unmarshal(data, &lock) == nil {
			p.Lock = map[string]bool{}
			for _, pk := range lock.Package {
				p.Lock[pk.Name] = true
			}
		}
	}
	u.readCargoConfig(p, dir, before)
	return p
}

// readManifest parses the Cargo.toml found at an image path, or nil.
func (u *Unit) readManifest(imgPath string, before int) *cargoManifest {
	ctx, ok := u.contextFile(imgPath, before)
	if !ok {
		return nil
	}
	data, err := fs.ReadFile(u.Context.FS, ctx)
	if err != nil {
		return nil
	}
	var m cargoManifest
	if toml.Unmarshal(data, &m) != nil {
		return nil
	}
	m.ctxDir, m.imgDir = path.Dir(ctx), path.Dir(imgPath)
	return &m
}

// hasMember reports whether the workspace lists the context directory dir.
func (m *cargoManifest) hasMember(fsys fs.FS, dir string) bool {
	for _, d := range m.memberDirs(fsys, m.Workspace.Members) {
		if d == dir {
			return true
		}
	}
	return false
}

// memberDirs expands workspace member globs to context directories that
// hold a Cargo.toml, without the excluded ones.
func (m *cargoManifest) memberDirs(fsys fs.FS, globs []string) []string {
	excluded := map[string]bool{}
	for _, e := range m.Workspace.Exclude {
		excluded[path.Join(m.ctxDir, e)] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, g := range globs {
		matches, _ := fs.Glob(fsys, path.Join(m.ctxDir, g))
		for _, d := range matches {
			if excluded[d] || seen[d] {
				continue
			}
			if _, err := fs.Stat(fsys, path.Join(d, "Cargo.toml")); err == nil {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out
}

// members reads the manifests of a workspace's packages, the root's own
// package first.
func (u *Unit) members(root *cargoManifest, before int) []*cargoManifest {
	var out []*cargoManifest
	if root.Package != nil {
		out = append(out, root)
	}
	for _, d := range root.memberDirs(u.Context.FS, root.Workspace.Members) {
		rel := strings.TrimPrefix(strings.TrimPrefix(d, root.ctxDir), "/")
		if m := u.readManifest(path.Join(root.imgDir, rel, "Cargo.toml"), before); m != nil && m.Package != nil {
			out = append(out, m)
		}
	}
	return out
}

// defaultMembers are the packages a cargo build in a virtual workspace
// root builds.
func (p *cargoProject) defaultMembers(fsys fs.FS) []*cargoManifest {
	ws := p.Root.Workspace
	if ws == nil || len(ws.DefaultMembers) == 0 {
		return p.Members
	}
	want := map[string]bool{}
	for _, d := range p.Root.memberDirs(fsys, ws.DefaultMembers) {
		want[d] = true
	}
	if p.Root.Package != nil {
		for _, d := range ws.DefaultMembers {
			if path.Clean(d) == "." {
				want[p.Root.ctxDir] = true
			}
		}
	}
	var out []*cargoManifest
	for _, m := range p.Members {
		if want[m.ctxDir] {
			out = append(out, m)
		}
	}
	return out
}

// readCargoConfig applies the .cargo/config.toml files of dir and its
// ancestors, the nearest first, as cargo does.
func (u *Unit) readCargoConfig(p *cargoProject, dir string, before int) {
	for a := dir; ; a = path.Dir(a) {
		for _, name := range []string{".cargo/config.toml", ".cargo/config"} {
			ctx, ok := u.contextFile(path.Join(a, name), before)
			if !ok {
				continue
			}
			data, err := fs.ReadFile(u.Context.FS, ctx)
			if err != nil {
				continue
			}
			var c cargoConfig
			if toml.Unmarshal(data, &c) != nil {
				continue
			}
			set := func(dst *string, v string) {
				if *dst == "" && v != "" {
					*dst = v
					if p.ConfigWhy == "" {
						p.ConfigWhy = path.Join(a, name)
					}
				}
			}
			if c.Build.TargetDir != "" {
				// Relative to the directory that holds .cargo.
				set(&p.TargetDir, Resolve(a, c.Build.TargetDir))
			}
			set(&p.Target, tomlWords(c.Build.Target, ","))
			set(&p.Rustflags, tomlWords(c.Build.Rustflags, " "))
			if c.Install.Root != "" {
				set(&p.InstallRoot, Resolve(a, c.Install.Root))
			}
			break
		}
		if path.Dir(a) == a { // "/", or "." for a directory given relative
			return
		}
	}
}

// tomlWords joins a string-or-list config value.
func tomlWords(v any, sep string) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var w []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				w = append(w, s)
			}
		}
		return strings.Join(w, sep)
	}
	return ""
}

// contextFile maps a file of the image to the build context: the latest
// COPY or ADD before step index before that put it there. Only the build
// context is looked at; files made by RUN are not.
func (u *Unit) contextFile(img string, before int) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	img = path.Clean(img)
	lex := shell.NewLex(u.File.Escape)
	if before > len(u.Steps) {
		before = len(u.Steps)
	}
	for i := before - 1; i >= 0; i-- {
		srcs, dest, destDir, ok := u.copyOf(u.Steps[i], lex)
		if !ok {
			continue
		}
		for _, src := range srcs {
			var cand string
			if strings.ContainsAny(src, "*?[") {
				// A pattern copies matching files into the directory dest.
				if path.Dir(img) != dest {
					continue
				}
				cand = path.Join(path.Dir(src), path.Base(img))
				if ok, _ := path.Match(src, cand); !ok {
					continue
				}
			} else if st, err := fs.Stat(u.Context.FS, src); err == nil && st.IsDir() {
				// A directory's contents go into dest.
				rel, ok := under(img, dest)
				if !ok {
					continue
				}
				cand = path.Join(src, rel)
			} else {
				target := dest
				if destDir {
					target = path.Join(dest, path.Base(src))
				}
				if img != target {
					continue
				}
				cand = src
			}
			if st, err := fs.Stat(u.Context.FS, cand); err == nil && !st.IsDir() {
				return cand, true
			}
		}
	}
	return "", false
}

// copyOf reads a COPY or ADD from the build context: its sources
// (cleaned, relative to the context; URLs left out), its destination
// (absolute) and whether the destination is a directory.
func (u *Unit) copyOf(s *Step, lex *shell.Lex) (srcs []string, dest string, destDir, ok bool) {
	sd, ok := contextCopy(s)
	if !ok {
		return nil, "", false, false
	}
	dest, _, err := lex.ProcessWord(sd.DestPath, s.Env)
	if err != nil || strings.Contains(dest, "$") {
		return nil, "", false, false
	}
	destDir = strings.HasSuffix(dest, "/") || dest == "." || len(sd.SourcePaths) > 1
	dest = Resolve(s.Workdir, dest)
	destDir = destDir || u.dirExists(s, dest)
	for _, src := range sd.SourcePaths {
		if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") || strings.Contains(src, "$") {
			continue
		}
		src = strings.TrimPrefix(path.Clean("/"+src), "/")
		if src == "" {
			src = "."
		}
		srcs = append(srcs, src)
	}
	return srcs, dest, destDir, true
}

// copiedFile returns the line of the last COPY or ADD from the build
// context that puts a file at p, or 0. Without the build context a source
// that is a directory cannot be told from a file; only "." is taken to be
// one.
func (u *Unit) copiedFile(p string) int {
	lex := shell.NewLex(u.File.Escape)
	for i := len(u.Steps) - 1; i >= 0; i-- {
		srcs, dest, destDir, ok := u.copyOf(u.Steps[i], lex)
		if !ok {
			continue
		}
		line := u.Steps[i].In.StartLine
		for _, src := range srcs {
			isDir := src == "."
			if u.Context != nil && !isDir {
				st, err := fs.Stat(u.Context.FS, src)
				isDir = err == nil && st.IsDir()
			}
			switch {
			case isDir:
				if rel, in := under(p, dest); in && rel != "." {
					if u.Context == nil {
						return line
					}
					if st, err := fs.Stat(u.Context.FS, path.Join(src, rel)); err == nil && !st.IsDir() {
						return line
					}
				}
			case strings.ContainsAny(src, "*?["):
				if m, _ := path.Match(path.Base(src), path.Base(p)); m && path.Dir(p) == dest {
					return line
				}
			case destDir && path.Join(dest, path.Base(src)) == p, !destDir && dest == p:
				return line
			}
		}
	}
	return 0
}

// under returns p relative to dir when p is dir or inside it.
func under(p, dir string) (string, bool) {
	if p == dir {
		return ".", true
	}
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	if strings.HasPrefix(p, dir+"/") {
		return p[len(dir)+1:], true
	}
	return "", false
}
