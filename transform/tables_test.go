package transform

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestTablesDoc keeps docs/tables.md equal to the data tables it shows;
// -update writes it.
func TestTablesDoc(t *testing.T) {
	got := tablesDoc()
	const file = "../docs/tables.md"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s is out of date with the tables in transform/: run go test ./transform -run TestTablesDoc -update", file)
	}
}

func tablesDoc() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cell := func(s string) string {
		if s == "" {
			return "—"
		}
		return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
	}
	p("# Data tables\n\n")
	p("Generated from the tables in `transform/` by `go test ./transform -run TestTablesDoc -update`;\n")
	p("the test fails when this file and the code disagree. To extend a mapping, edit the table named\n")
	p("in each heading and run that command.\n\n")

	p("## Runtime images (`RuntimeTable`, transform/runtime.go)\n\n")
	p("Which runtime image a builder maps to under each `--runtime` policy. Placeholders: `{rel}` the\n")
	p("builder's Debian release, `{debN}` its major version, `{alpine}` its Alpine version, `{major}` the\n")
	p("language's major version, `{tag}`/`{version}` the builder's tag/version. `slim` is computed by the\n")
	p("ecosystem pass from the exact tag; the cell documents it. An empty cell is refused with the reason\n")
	p("in the last column.\n\n")
	p("| ecosystem | binary | slim (default) | distroless | alpine | scratch | refused because |\n")
	p("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range RuntimeTable {
		kind := "dynamic"
		if r.Static {
			kind = "static"
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", r.Ecosystem, kind, cell(r.Slim), cell(r.Distroless), cell(r.Alpine), cell(r.Scratch), strings.ReplaceAll(r.Refused, "|", "\\|"))
	}

	p("\n## Build package → run-time package, Debian (`devToRuntime`, transform/packages.go)\n\n")
	p("A `-dev` package the Dockerfile installs for the build becomes the library package in the runtime\n")
	p("stage, per Debian release (`*`: every release).\n\n")
	p("| build package | run-time package |\n| --- | --- |\n")
	for _, k := range mapKeys(devToRuntime) {
		m := devToRuntime[k]
		var parts []string
		for _, rel := range mapKeys(m) {
			parts = append(parts, rel+": `"+m[rel]+"`")
		}
		p("| `%s` | %s |\n", k, strings.Join(parts, ", "))
	}
	p("\n## Libraries a link line names (`linkLibs`, transform/clibs.go)\n\n")
	p("On the gcc image (buildpack-deps) a C or C++ program finds every library below at build time\n")
	p("without an install; the runtime gets the run-time package of each `-l` its link line, Makefile or\n")
	p("CMakeLists.txt names, through the build package's row above. A `-l` not in this table is a skip.\n")
	p("The gcc image's own `libstdc++`, `libgcc_s`, `libgomp`, `libatomic` and `libquadmath` are copied\n")
	p("from `/usr/local/lib64` instead (`gccRuntimeLibs`).\n\n")
	p("| `-l` | build package | run-time package |\n| --- | --- | --- |\n")
	for _, r := range linkLibRows() {
		dev := "—"
		if r[1] != "" {
			dev = "`" + r[1] + "`"
		}
		p("| `%s` | %s | %s |\n", r[0], dev, r[2])
	}
	p("\n## gcc image tags → Debian release (`defaultRelease`, transform/images.go)\n\n")
	p("The release a `gcc` tag without a release name was last built on (docker-library/gcc); a dynamically\n")
	p("linked program runs on `debian:<release>-slim`. An unknown release is a skip unless the program is\n")
	p("static.\n\n| tag | release |\n| --- | --- |\n")
	for _, tag := range []string{"latest", "16", "15", "14", "13", "12", "11", "10", "9", "8", "7"} {
		rel := defaultRelease(ParseImage("gcc:"+tag, "gcc:"+tag))
		if rel == "" {
			rel = "unknown"
		}
		p("| `gcc:%s` | %s |\n", tag, rel)
	}
	p("\n## crystallang/crystal and swift tags → Ubuntu release (`familyReleases`, transform/crystal.go, transform/swift.go)\n\n")
	p("The Ubuntu release of a tag that names none. A Crystal program runs on the `ubuntu` image of that\n")
	p("release; unknown is a skip. A Swift program runs on the `-slim` tag of the same tag (none for 4.x\n")
	p("and older: a skip); the release names the run-time packages of the `-dev` packages installed.\n\n")
	p("| tag | release | runtime |\n| --- | --- | --- |\n")
	for _, tag := range []string{"1.12.2", "1.13", "1.14.0", "1.20", "1.21", "1.14.0-build"} {
		im := ParseImage("crystallang/crystal:"+tag, "crystallang/crystal:"+tag)
		rt := ubuntuImage(im.Release)
		if rt == "" {
			rt = "skip"
		}
		p("| `crystallang/crystal:%s` | %s | %s |\n", tag, orUnknown(im.Release), rt)
	}
	for _, tag := range []string{"4.2", "5.0", "5.6", "5.10", "5.10-jammy", "5.10-focal", "5.10-noble", "6.0", "6.0-noble"} {
		im := ParseImage("swift:"+tag, "swift:"+tag)
		rt, why := swiftSlimTag(im)
		if why != "" {
			rt = "skip"
		} else {
			rt = "`swift:" + rt + "`"
		}
		p("| `swift:%s` | %s | %s |\n", tag, orUnknown(im.Release), rt)
	}
	p("\n## Build package → run-time package, Alpine (`apkDevToRuntime`, transform/packages.go)\n\n")
	p("| build package | run-time package |\n| --- | --- |\n")
	for _, k := range mapKeys(apkDevToRuntime) {
		p("| `%s` | `%s` |\n", k, apkDevToRuntime[k])
	}
	p("\n## Packages that stay in the builder (`buildOnlyPackages`, transform/packages.go)\n\n")
	p("Besides every `*-dev` package: ")
	names := mapKeys(buildOnlyPackages)
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			p(", ")
		}
		p("`%s`", n)
	}
	p(".\n")
	p("\n## Language packages that link a system library\n\n")
	p("The full `python`/`ruby` images carry the `-dev` packages silently (REWRITE-RULES §4); the slim\n")
	p("ones do not. When the requirements or the lock file (or, without a build context, a word of the\n")
	p("Dockerfile) show one of these packages, the runtime installs its library.\n\n")
	p("| ecosystem | package | run-time package | table |\n| --- | --- | --- | --- |\n")
	for _, k := range mapKeys(pyNative) {
		p("| python | `%s` | `%s` | `pyNative` (transform/python.go) |\n", k, pyNative[k])
	}
	for _, k := range mapKeys(gemNative) {
		p("| ruby | `%s` | `%s` | `gemNative` (transform/ruby.go) |\n", k, gemNative[k])
	}
	return b.String()
}
