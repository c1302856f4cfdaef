package verify

import (
	"archive/tar"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
)

// BuildTools are the programs that should not be on the runtime image's
// PATH after a rewrite.
var BuildTools = []string{"gcc", "cc", "go", "javac", "cargo", "make"}

// StandardPathDirs are searched in every image, on top of the directories
// of the image's own PATH.
var StandardPathDirs = []string{
	"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
	"/usr/local/go/bin", "/go/bin",
}

// ToolHit is a build tool found in an image's file system.
type ToolHit struct {
	Tool string `json:"tool"`
	// Path is where it was found (a PATH directory joined with the name).
	Path string `json:"path"`
	// Target is the regular file the path resolves to through symlinks,
	// when different.
	Target string `json:"target,omitempty"`
}

// tarEntry is what we keep of a file system entry: its kind and, for links,
// the target.
type tarEntry struct {
	typ  byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink
	mode int64
	link string
}

// fsIndex is a file system read from a tar stream (`docker export`), with
// paths cleaned and absolute.
type fsIndex map[string]tarEntry

// readTar indexes a tar stream without keeping file contents.
func readTar(r io.Reader) (fsIndex, error) {
	idx := fsIndex{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return idx, nil
		}
		if err != nil {
			return nil, err
		}
		p := path.Clean("/" + h.Name)
		e := tarEntry{mode: h.Mode}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			e.typ = tar.TypeReg
		case tar.TypeDir:
			e.typ = tar.TypeDir
		case tar.TypeSymlink:
			e.typ, e.link = tar.TypeSymlink, h.Linkname
		case tar.TypeLink:
			e.typ, e.link = tar.TypeLink, path.Clean("/"+h.Linkname)
		default:
			e.typ = h.Typeflag
		}
		idx[p] = e
		// Streams without directory entries: parents are implied.
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := idx[d]; ok {
				break
			}
			idx[d] = tarEntry{typ: tar.TypeDir, mode: 0o755}
		}
	}
}

var errLoop = errors.New("too many levels of symbolic links")

// resolve follows symlinks (by name, within the index) in every component
// of p, like the kernel would inside the image's root, and returns the
// final path and its entry.
func (idx fsIndex) resolve(p string) (string, tarEntry, bool) {
	hops := 0
	var walk func(p string) (string, tarEntry, bool, error)
	walk = func(p string) (string, tarEntry, bool, error) {
		p = path.Clean("/" + p)
		if p == "/" {
			return "/", tarEntry{typ: tar.TypeDir}, true, nil
		}
		// Resolve the parent first, then the last component.
		dir, err := func() (string, error) {
			d, e, ok, err := walk(path.Dir(p))
			if err != nil {
				return "", err
			}
			if !ok || e.typ != tar.TypeDir {
				return "", errNotFound
			}
			return d, nil
		}()
		if err != nil {
			if err == errNotFound {
				return "", tarEntry{}, false, nil
			}
			return "", tarEntry{}, false, err
		}
		full := path.Join(dir, path.Base(p))
		e, ok := idx[full]
		if !ok {
			return "", tarEntry{}, false, nil
		}
		switch e.typ {
		case tar.TypeSymlink:
			hops++
			if hops > 40 {
				return "", tarEntry{}, false, errLoop
			}
			target := e.link
			if !path.IsAbs(target) {
				target = path.Join(dir, target)
			}
			return walk(target)
		case tar.TypeLink:
			t, ok := idx[e.link]
			if !ok {
				return "", tarEntry{}, false, nil
			}
			return e.link, t, true, nil
		}
		return full, e, true, nil
	}
	final, e, ok, err := walk(p)
	if err != nil {
		return "", tarEntry{}, false
	}
	return final, e, ok
}

var errNotFound = errors.New("not found")

// FindTools reads a tar stream of a root file system and reports which of
// tools are regular executable files (directly or through symlinks) in any
// of dirs. Each tool is reported once, at the first directory that has it.
func FindTools(r io.Reader, dirs, tools []string) ([]ToolHit, error) {
	idx, err := readTar(r)
	if err != nil {
		return nil, err
	}
	return idx.findTools(dirs, tools), nil
}

func (idx fsIndex) findTools(dirs, tools []string) []ToolHit {
	var hits []ToolHit
	for _, tool := range tools {
		for _, dir := range dirs {
			p := path.Join("/", dir, tool)
			final, e, ok := idx.resolve(p)
			if !ok || e.typ != tar.TypeReg || e.mode&0o111 == 0 {
				continue
			}
			h := ToolHit{Tool: tool, Path: p}
			if final != p {
				h.Target = final
			}
			hits = append(hits, h)
			break
		}
	}
	return hits
}

// searchDirs is StandardPathDirs plus the directories of the image's PATH.
func searchDirs(env []string) []string {
	seen := map[string]bool{}
	var dirs []string
	add := func(d string) {
		if d == "" || !strings.HasPrefix(d, "/") || seen[d] {
			return
		}
		seen[d] = true
		dirs = append(dirs, d)
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range strings.Split(v, ":") {
				add(path.Clean(d))
			}
		}
	}
	for _, d := range StandardPathDirs {
		add(d)
	}
	return dirs
}

// toolNames lists the tools of hits, sorted.
func toolNames(hits []ToolHit) []string {
	names := []string{}
	for _, h := range hits {
		names = append(names, h.Tool)
	}
	sort.Strings(names)
	return names
}
