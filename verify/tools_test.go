package verify

import (
	"archive/tar"
	"bytes"
	"reflect"
	"testing"
)

type tarFile struct {
	name string
	typ  byte
	link string
	mode int64
}

func makeTar(t *testing.T, files []tarFile) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Linkname: f.link, Mode: f.mode}
		if f.mode == 0 {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// A merged-/usr Debian with gcc through alternatives-like symlinks, go in
// /usr/local/go/bin, a dangling cc, a non-executable make and a directory
// named cargo.
func TestFindTools(t *testing.T) {
	buf := makeTar(t, []tarFile{
		{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		{name: "sbin", typ: tar.TypeSymlink, link: "usr/sbin"},
		{name: "usr/", typ: tar.TypeDir},
		{name: "usr/bin/", typ: tar.TypeDir},
		{name: "usr/bin/gcc-12", typ: tar.TypeReg},
		{name: "usr/bin/gcc", typ: tar.TypeSymlink, link: "gcc-12"},
		{name: "usr/bin/cc", typ: tar.TypeSymlink, link: "/etc/alternatives/cc"},
		{name: "etc/alternatives/cc", typ: tar.TypeSymlink, link: "/usr/bin/gcc"},
		{name: "usr/bin/make", typ: tar.TypeReg, mode: 0o644},
		{name: "usr/local/go/bin/go", typ: tar.TypeReg},
		{name: "usr/local/bin/cargo/", typ: tar.TypeDir},
		{name: "usr/bin/javac", typ: tar.TypeSymlink, link: "/opt/jdk/bin/javac"}, // dangling
		{name: "usr/bin/loop", typ: tar.TypeSymlink, link: "loop"},
	})
	hits, err := FindTools(buf, StandardPathDirs, append(BuildTools, "loop"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ToolHit{
		{Tool: "gcc", Path: "/usr/bin/gcc", Target: "/usr/bin/gcc-12"},
		{Tool: "cc", Path: "/usr/bin/cc", Target: "/usr/bin/gcc-12"},
		{Tool: "go", Path: "/usr/local/go/bin/go"},
	}
	if !reflect.DeepEqual(hits, want) {
		t.Errorf("hits = %+v\nwant   %+v", hits, want)
	}
}

// Through a symlinked directory only (/bin -> usr/bin with the tool in
// /usr/bin but the search list naming /bin only), and hard links.
func TestFindToolsDirSymlinkAndHardlink(t *testing.T) {
	buf := makeTar(t, []tarFile{
		{name: "bin", typ: tar.TypeSymlink, link: "/usr/bin"},
		{name: "usr/bin/make", typ: tar.TypeReg},
		{name: "usr/lib/gcc-real", typ: tar.TypeReg},
		{name: "usr/bin/gcc", typ: tar.TypeLink, link: "usr/lib/gcc-real"},
	})
	hits, err := FindTools(buf, []string{"/bin"}, BuildTools)
	if err != nil {
		t.Fatal(err)
	}
	if got := toolNames(hits); !reflect.DeepEqual(got, []string{"gcc", "make"}) {
		t.Errorf("tools = %q (%+v)", got, hits)
	}
}

// A distroless-like tree: nothing found.
func TestFindToolsNone(t *testing.T) {
	buf := makeTar(t, []tarFile{
		{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644},
		{name: "app/server", typ: tar.TypeReg},
		{name: "usr/bin", typ: tar.TypeDir},
	})
	hits, err := FindTools(buf, StandardPathDirs, BuildTools)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 0 {
		t.Errorf("hits = %+v", hits)
	}
}

func TestSearchDirs(t *testing.T) {
	got := searchDirs([]string{"FOO=1", "PATH=/opt/bin:/usr/bin:relative:/opt/bin/"})
	if got[0] != "/opt/bin" || len(got) != 1+len(StandardPathDirs) {
		t.Errorf("searchDirs = %q", got)
	}
}
