package transform

import (
	"fmt"
	"strings"
)

// sysCrate is a -sys crate that links a library the full rust image
// (buildpack-deps) has and a slim image lacks.
type sysCrate struct {
	Crate string
	// Deb and Apk are the build packages whose run-time library the
	// program needs (keys of devToRuntime and apkDevToRuntime).
	Deb, Apk string
	// Builtin lists, per crate that can ask for it, the features that
	// compile the library into the program instead.
	Builtin map[string][]string
	// Certs is set when the library reads the system's CA certificates.
	Certs bool
}

var sysCrates = []sysCrate{
	{Crate: "openssl-sys", Deb: "libssl-dev", Apk: "openssl-dev", Certs: true, Builtin: map[string][]string{
		"openssl-sys": {"vendored"}, "openssl": {"vendored"}, "native-tls": {"vendored"},
		"reqwest": {"native-tls-vendored"}, "git2": {"vendored-openssl"}, "libgit2-sys": {"vendored-openssl"},
	}},
	{Crate: "pq-sys", Deb: "libpq-dev", Apk: "libpq-dev", Builtin: map[string][]string{"pq-sys": {"bundled"}}},
	{Crate: "mysqlclient-sys", Deb: "default-libmysqlclient-dev", Apk: "mariadb-dev", Builtin: map[string][]string{"mysqlclient-sys": {"bundled"}}},
	{Crate: "libsqlite3-sys", Deb: "libsqlite3-dev", Apk: "sqlite-dev", Builtin: map[string][]string{
		"libsqlite3-sys": {"bundled", "bundled-sqlcipher", "bundled-sqlcipher-vendored-openssl"},
		"rusqlite":       {"bundled", "bundled-full", "bundled-sqlcipher", "bundled-sqlcipher-vendored-openssl"},
		// sqlx's sqlite feature compiles SQLite in; sqlite-unbundled does not.
		"sqlx": {"sqlite"}, "sqlx-sqlite": {"bundled"},
	}},
	{Crate: "libz-sys", Deb: "zlib1g-dev", Apk: "zlib-dev", Builtin: map[string][]string{"libz-sys": {"static"}}},
	{Crate: "curl-sys", Deb: "libcurl4-openssl-dev", Apk: "curl-dev", Certs: true, Builtin: map[string][]string{
		"curl-sys": {"static-curl"}, "curl": {"static-curl"}, "isahc": {"static-curl"},
	}},
}

// certCrates read the system's CA certificates without a -sys crate.
var certCrates = []string{"native-tls", "rustls-native-certs", "openssl-probe", "rustls-platform-verifier"}

// quietSysCrates link nothing a slim Debian image lacks: platform bindings,
// crates that compile their C library in, or libraries Debian always has
// (libbz2, liblzma).
var quietSysCrates = map[string]bool{
	"linux-raw-sys": true, "windows-sys": true, "js-sys": true, "web-sys": true, "core-foundation-sys": true,
	"security-framework-sys": true, "system-configuration-sys": true, "objc-sys": true, "fsevent-sys": true,
	"inotify-sys": true, "kqueue-sys": true, "zstd-sys": true, "lz4-sys": true, "libmimalloc-sys": true,
	"tikv-jemalloc-sys": true, "jemalloc-sys": true, "aws-lc-sys": true, "aws-lc-fips-sys": true,
	"libz-ng-sys": true, "libnghttp2-sys": true, "bzip2-sys": true, "lzma-sys": true, "onig_sys": true,
	"clang-sys": true, "libsodium-sys": true, "lmdb-master-sys": true, "lmdb-rkv-sys": true,
	"librocksdb-sys": true, "boring-sys": true, "ittapi-sys": true, "wasm-bindgen": true,
}

// directSys maps crates a Cargo.toml names to the -sys crate they pull in,
// for a build context without Cargo.lock; per feature where it depends
// on one ("" = always).
var directSys = map[string]map[string]string{
	"openssl": {"": "openssl-sys"}, "openssl-sys": {"": "openssl-sys"}, "native-tls": {"": "openssl-sys"},
	"postgres-openssl": {"": "openssl-sys"}, "hyper-tls": {"": "openssl-sys"}, "tokio-native-tls": {"": "openssl-sys"},
	"git2":   {"": "openssl-sys"},
	"pq-sys": {"": "pq-sys"}, "mysqlclient-sys": {"": "mysqlclient-sys"}, "libsqlite3-sys": {"": "libsqlite3-sys"},
	"rusqlite": {"": "libsqlite3-sys"}, "libz-sys": {"": "libz-sys"}, "curl": {"": "curl-sys"},
	"curl-sys": {"": "curl-sys"}, "isahc": {"": "curl-sys"},
	"diesel": {"postgres": "pq-sys", "mysql": "mysqlclient-sys", "sqlite": "libsqlite3-sys"},
	"sqlx":   {"sqlite": "libsqlite3-sys", "sqlite-unbundled": "libsqlite3-sys"},
}

// dockerfileWords infer database client libraries when no Cargo.toml says
// which crates the program uses.
var dockerfileWords = []struct{ word, crate string }{
	{"postgres", "pq-sys"}, {"libpq", "pq-sys"}, {"mysql", "mysqlclient-sys"}, {"mariadb", "mysqlclient-sys"},
	{"sqlite", "libsqlite3-sys"},
}

// linkEvidence is what the build context and the Dockerfile say about the
// system libraries the binaries link.
type linkEvidence struct {
	need         map[string]evidence // -sys crate -> why
	certs        evidence
	haveLock     bool
	haveManifest bool
}

type evidence struct {
	cause   string
	assumed bool
	line    int
}

// linkEvidence reads Cargo.lock (else Cargo.toml, else the Dockerfile's
// words) for the -sys crates that link a library of the rust image.
func (r *rustScan) linkEvidence(line int) linkEvidence {
	u := r.u
	ev := linkEvidence{need: map[string]evidence{}}
	add := func(crate string, e evidence) {
		if _, ok := ev.need[crate]; !ok {
			ev.need[crate] = e
		}
	}
	deps := map[string][]string{} // every dependency the manifests name, with its features
	for _, run := range r.runs {
		if run.Registry == "diesel_cli" && run.found > 0 {
			// diesel_cli links the client library of each database
			// feature: postgres, mysql and sqlite by default.
			feats := run.Features
			if !run.NoDefault || run.AllFeats {
				feats = append(feats, "postgres", "mysql", "sqlite")
			}
			for _, f := range feats {
				if c, ok := directSys["diesel"][f]; ok {
					add(c, evidence{cause: fmt.Sprintf("diesel_cli (line %d) links it for its %s feature", run.Line, f), line: run.Line})
				}
			}
		}
		pr := run.Project
		if run.Registry != "" || pr == nil || pr.Manifest == nil {
			continue
		}
		ev.haveManifest = true
		for _, m := range pr.Manifests {
			for d, f := range m.dependencies() {
				deps[d] = append(deps[d], f...)
			}
		}
		if pr.Lock == nil {
			continue
		}
		ev.haveLock = true
		var unknown []string
		for _, crate := range mapKeys(pr.Lock) {
			if findSysCrate(crate) != nil {
				add(crate, evidence{cause: "Cargo.lock has " + crate, line: run.Line})
			} else if strings.HasSuffix(crate, "-sys") && !quietSysCrates[crate] {
				unknown = append(unknown, crate)
			}
		}
		for _, c := range certCrates {
			if pr.Lock[c] && ev.certs.cause == "" {
				ev.certs = evidence{cause: "Cargo.lock has " + c + ", which reads the system's CA certificates", line: run.Line}
			}
		}
		if len(unknown) > 0 {
			u.Warn(run.Line, "Cargo.lock has %s, which may link a system library of the rust image: check that the runtime has it", strings.Join(unknown, ", "))
		}
	}
	if ev.haveManifest && !ev.haveLock {
		for _, dep := range mapKeys(deps) {
			m := directSys[dep]
			if c, ok := m[""]; ok {
				add(c, evidence{cause: "Cargo.toml depends on " + dep, line: line})
			}
			for _, f := range deps[dep] {
				if c, ok := m[f]; ok && f != "" {
					add(c, evidence{cause: fmt.Sprintf("Cargo.toml asks %s for feature %s", dep, f), line: line})
				}
			}
		}
	}
	if !ev.haveLock {
		what := "no Cargo.lock in the build context"
		if !ev.haveManifest {
			what = "no Cargo.toml in the build context"
		}
		add("openssl-sys", evidence{cause: what + ": openssl-sys (native-tls, reqwest) is the system library Rust programs link most", assumed: true, line: line})
		u.Warn(line, "%s: the libraries the binary links are not known; libssl and ca-certificates are installed as an assumption, database client libraries only where the Dockerfile names the database", what)
	}
	if !ev.haveManifest {
		r.inferFromWords(add)
	}
	for _, crate := range mapKeys(ev.need) {
		if findSysCrate(crate).Certs && ev.certs.cause == "" {
			e := ev.need[crate]
			ev.certs = evidence{cause: fmt.Sprintf("%s reads the system's CA certificates (%s)", crate, e.cause), assumed: e.assumed, line: e.line}
		}
	}
	// Compiled in (vendored, bundled) is not linked; the certificates are
	// still read from the system.
	for _, crate := range mapKeys(ev.need) {
		sc := findSysCrate(crate)
		for _, dep := range mapKeys(sc.Builtin) {
			for _, f := range deps[dep] {
				if _, still := ev.need[crate]; !still || !contains(sc.Builtin[dep], f) {
					continue
				}
				if dep == "sqlx" && contains(deps["sqlx"], "sqlite-unbundled") {
					continue
				}
				u.Fact(line, "%s is compiled into the binary: Cargo.toml asks %s for feature %s", crate, dep, f)
				delete(ev.need, crate)
			}
		}
	}
	return ev
}

// installLibraries adds the run-time libraries and CA certificates to the
// plan's packages.
func (r *rustScan) installLibraries(ev linkEvidence) bool {
	u, p := r.u, r.u.Plan
	policy := u.Opts.Runtime
	if p.Static {
		for _, crate := range mapKeys(ev.need) {
			u.Fact(ev.need[crate].line, "%s: linked into the static binary, nothing to install", crate)
		}
	} else {
		musl := p.Runtime.Libc == "musl"
		rel := u.Base.Release
		for _, crate := range mapKeys(ev.need) {
			sc := findSysCrate(crate)
			e := ev.need[crate]
			var pkg, dev string
			if musl {
				dev, pkg = sc.Apk, apkDevToRuntime[sc.Apk]
			} else {
				dev = sc.Deb
				pkg = devRuntimeName(dev, rel)
			}
			if pkg == "" {
				u.Skip(e.line, "%s needs the run-time library of %s, whose name for %s is not known", crate, dev, orUnknown(rel))
				return false
			}
			if crate == "openssl-sys" && policy == RuntimeDistroless {
				u.Fact(e.line, "%s: the distroless cc image has %s", crate, pkg)
				continue
			}
			why := fmt.Sprintf("%s, which links %s: the rust image had it (%s), the runtime image lacks it", e.cause, pkg, dev)
			if e.assumed {
				why = fmt.Sprintf("%s assumed: %s", pkg, e.cause)
			}
			p.Packages = append(p.Packages, Package{Name: pkg, Line: e.line, Why: why})
		}
	}
	c := ev.certs
	if c.cause == "" {
		return true
	}
	if policy == RuntimeDistroless || policy == RuntimeScratch {
		u.Fact(c.line, "CA certificates come with the --runtime=%s image or copy", policy)
		return true
	}
	why := "ca-certificates: " + c.cause + ", and the rust image had them"
	if c.assumed {
		why = "ca-certificates assumed: " + c.cause
	}
	p.Packages = append(p.Packages, Package{Name: "ca-certificates", Line: c.line, Why: why})
	return true
}

// inferFromWords reads database names from the Dockerfile itself (ENV
// URLs, feature lists, binary names). diesel without a database word may
// link any of its three client libraries, so all three are installed.
func (r *rustScan) inferFromWords(add func(crate string, e evidence)) {
	lines := strings.Split(strings.ToLower(string(r.u.File.Source)), "\n")
	found := false
	dieselLine := 0
	for i, l := range lines {
		for _, w := range dockerfileWords {
			if strings.Contains(l, w.word) {
				add(w.crate, evidence{cause: fmt.Sprintf("line %d names %s", i+1, w.word), assumed: true, line: i + 1})
				found = true
			}
		}
		if dieselLine == 0 && strings.Contains(l, "diesel") {
			dieselLine = i + 1
		}
	}
	if dieselLine != 0 && !found {
		for _, c := range []string{"pq-sys", "mysqlclient-sys", "libsqlite3-sys"} {
			add(c, evidence{cause: fmt.Sprintf("line %d names diesel but no database, and diesel links the client library of its backend", dieselLine), assumed: true, line: dieselLine})
		}
	}
}

func findSysCrate(name string) *sysCrate {
	for i := range sysCrates {
		if sysCrates[i].Crate == name {
			return &sysCrates[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
