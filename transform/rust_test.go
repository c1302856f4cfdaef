package transform

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagesplit/stagesplit/parser"
)

// rustCase is a Dockerfile, an optional build context, and what the
// rewrite must contain (want) or the skip reason it must give (skip).
type rustCase struct {
	name    string
	src     string
	ctx     map[string]string
	runtime string
	want    []string
	not     []string
	skip    string
}

func runRustCase(t *testing.T, tc rustCase) {
	t.Helper()
	opts := Options{Runtime: tc.runtime}
	if tc.ctx != nil {
		m := fstest.MapFS{}
		for k, v := range tc.ctx {
			m[k] = &fstest.MapFile{Data: []byte(v)}
		}
		opts.Context = m
	}
	f, err := parser.Parse("Dockerfile", []byte(tc.src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Rewrite(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	var dec strings.Builder
	for _, d := range res.Decisions {
		dec.WriteString(d.String() + "\n")
	}
	if tc.skip != "" {
		if res.Changed || !strings.Contains(res.SkippedReason, tc.skip) {
			t.Fatalf("want a skip with %q, got changed=%v reason %q\n%s\n%s", tc.skip, res.Changed, res.SkippedReason, res.Output, dec.String())
		}
		return
	}
	if !res.Changed {
		t.Fatalf("not rewritten: %s\n%s", res.SkippedReason, dec.String())
	}
	out := string(res.Output)
	for _, w := range tc.want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s\n%s", w, out, dec.String())
		}
	}
	for _, w := range tc.not {
		if strings.Contains(out, w) {
			t.Errorf("output has %q:\n%s", w, out)
		}
	}
	checkRewrite(t, "Dockerfile", []byte(tc.src), res.Output, opts)
}

const helloManifest = "[package]\nname = \"hello\"\nversion = \"0.1.0\"\n"
const helloLock = "version = 3\n\n[[package]]\nname = \"hello\"\nversion = \"0.1.0\"\n"

func helloCtx(extra ...string) map[string]string {
	m := map[string]string{"Cargo.toml": helloManifest, "Cargo.lock": helloLock, "src/main.rs": "fn main() {}\n"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// TestRustArtifacts covers where cargo leaves the binary.
func TestRustArtifacts(t *testing.T) {
	cases := []rustCase{{
		name: "gnu target triple",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target x86_64-unknown-linux-gnu\nCMD [\"/app/target/x86_64-unknown-linux-gnu/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"FROM debian:bookworm-slim", "COPY --from=build /app/target/x86_64-unknown-linux-gnu/release/hello /app/target/x86_64-unknown-linux-gnu/release/hello"},
		not:  []string{"apt-get"},
	}, {
		name: "custom profile",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --profile production\nCMD [\"./target/production/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/production/hello /app/target/production/hello"},
	}, {
		name: "dev profile is debug",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --profile dev\nCMD [\"./target/debug/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/debug/hello"},
	}, {
		name: "several --bin without context",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --bin api --bin worker\nCMD [\"./target/release/api\"]\n",
		want: []string{"COPY --from=build /app/target/release/api /app/target/release/api", "COPY --from=build /app/target/release/worker /app/target/release/worker"},
	}, {
		name: "manifest path",
		src:  "FROM rust:1.85\nWORKDIR /src\nCOPY . .\nRUN cargo build --release --manifest-path server/Cargo.toml\nCMD [\"/src/server/target/release/hello\"]\n",
		ctx:  map[string]string{"server/Cargo.toml": helloManifest, "server/Cargo.lock": helloLock, "server/src/main.rs": ""},
		want: []string{"COPY --from=build /src/server/target/release/hello"},
	}, {
		name: "cd into a workspace member",
		src:  "FROM rust:1.85\nWORKDIR /ws\nCOPY . .\nRUN cd crates/api && cargo build --release\nCMD [\"/ws/target/release/api\"]\n",
		ctx: map[string]string{
			"Cargo.toml":             "[workspace]\nmembers = [\"crates/api\", \"crates/cli\"]\n",
			"Cargo.lock":             "version = 3\n",
			"crates/api/Cargo.toml":  "[package]\nname = \"api\"\n",
			"crates/api/src/main.rs": "",
			"crates/cli/Cargo.toml":  "[package]\nname = \"cli\"\n",
			"crates/cli/src/main.rs": "",
		},
		want: []string{"COPY --from=build /ws/target/release/api /ws/target/release/api"},
		not:  []string{"cli"},
	}, {
		name: "virtual workspace builds its default members",
		src:  "FROM rust:1.85\nWORKDIR /ws\nCOPY . .\nRUN cargo build --release\nCMD [\"/ws/target/release/api\"]\n",
		ctx: map[string]string{
			"Cargo.toml":             "[workspace]\nmembers = [\"crates/*\"]\ndefault-members = [\"crates/api\"]\n",
			"Cargo.lock":             "version = 3\n",
			"crates/api/Cargo.toml":  "[package]\nname = \"api\"\n",
			"crates/api/src/main.rs": "",
			"crates/cli/Cargo.toml":  "[package]\nname = \"cli\"\n",
			"crates/cli/src/main.rs": "",
		},
		want: []string{"/ws/target/release/api"},
		not:  []string{"/ws/target/release/cli"},
	}, {
		name: "install with --root",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo install --path . --root /opt/hello\nCMD [\"/opt/hello/bin/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /opt/hello/bin/hello /opt/hello/bin/hello"},
	}, {
		name: "mv out of the target dir, renamed",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release && mv target/release/hello /usr/local/bin/app && rm -rf target\nCMD [\"app\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /usr/local/bin/app /usr/local/bin/app"},
		not:  []string{"COPY --from=build /app/target"},
	}, {
		name: "install(1) into a directory",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release && install -m 0755 target/release/hello /usr/local/bin\nCMD [\"hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /usr/local/bin/hello /usr/local/bin/hello"},
	}, {
		name: "cargo clean afterwards",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nRUN cargo clean\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		skip: "cargo clean at line 5 removes /app/target/release/hello",
	}, {
		name: "cargo config moves the target dir and the target",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"/out/x86_64-unknown-linux-musl/release/hello\"]\n",
		ctx:  helloCtx(".cargo/config.toml", "[build]\ntarget = \"x86_64-unknown-linux-musl\"\ntarget-dir = \"/out\"\n"),
		want: []string{"COPY --from=build /out/x86_64-unknown-linux-musl/release/hello"},
		not:  []string{"apt-get"},
	}, {
		name: "required-features not enabled",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx("Cargo.toml", helloManifest+"\n[[bin]]\nname = \"admin\"\npath = \"src/admin.rs\"\nrequired-features = [\"admin\"]\n"),
		want: []string{"/app/target/release/hello"},
		not:  []string{"admin"},
	}, {
		name: "required-features enabled",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --features admin\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx("Cargo.toml", helloManifest+"\n[[bin]]\nname = \"admin\"\npath = \"src/admin.rs\"\nrequired-features = [\"admin\"]\n"),
		want: []string{"/app/target/release/hello", "/app/target/release/admin"},
	}, {
		name: "a tool from the registry stays behind",
		src:  "FROM rust:1.85\nRUN cargo install sqlx-cli\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/release/hello"},
		not:  []string{"cargo/bin"},
	}, {
		name: "a tool from the registry the container runs",
		src:  "FROM rust:1.85\nRUN cargo install --locked miniserve\nCMD [\"miniserve\", \"/srv\"]\n",
		want: []string{"COPY --from=build /usr/local/cargo/bin/miniserve /usr/local/bin/miniserve"},
	}, {
		name: "diesel of diesel_cli, with the client library of its feature",
		src:  "FROM rust:1.85\nRUN cargo install diesel_cli --no-default-features --features postgres\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"diesel\", \"migration\", \"run\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /usr/local/cargo/bin/diesel /usr/local/bin/diesel", "libpq5"},
	}, {
		name: "a tool from the registry, the container runs something by name",
		src:  "FROM rust:1.85\nRUN cargo install sea-orm-cli\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"migrate\", \"up\"]\n",
		ctx:  helloCtx(),
		skip: "may be a binary of cargo install sea-orm-cli",
	}, {
		name: "cargo install writes another name than the container runs",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo install --path .\nCMD [\"hello-server\"]\n",
		ctx:  helloCtx(),
		skip: "the container runs hello-server by name, but cargo install at line 4 writes /usr/local/cargo/bin/hello",
	}, {
		name: "features from a shell variable do not matter without required-features",
		src:  "FROM rust:1.85\nARG FEATURES=default\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --features \"$FEATURES\"\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/release/hello"},
	}, {
		name: "entrypoint script copied in, installed binary run from it",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo install --path .\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"hello\"]\n",
		ctx:  helloCtx("docker-entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n"),
		want: []string{"COPY --from=build /usr/local/cargo/bin/hello /usr/local/bin/hello", "COPY --from=build /usr/local/bin/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh"},
	}, {
		name: "entrypoint script by absolute path",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n",
		ctx:  helloCtx("start.sh", "#!/bin/sh\nexec /app/target/release/hello\n"),
		want: []string{"COPY --from=build /app/target/release/hello /app/target/release/hello", "COPY --from=build /start.sh /start.sh"},
	}, {
		name: "the command is made by a RUN",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release && printf '#!/bin/sh\\nexec ./target/release/hello' > /run.sh && chmod +x /run.sh\nCMD [\"/run.sh\"]\n",
		ctx:  helloCtx(),
		skip: "the container runs /run.sh, which is neither a binary of the build nor a file copied into the image",
	}, {
		name: "toolchain override",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN rustup toolchain install nightly && cargo +nightly build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/release/hello"},
	}, {
		name: "target from a shell variable",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target $(uname -m)-unknown-linux-musl\nCMD [\"./hello\"]\n",
		ctx:  helloCtx(),
		skip: "depends on a shell variable",
	}, {
		name: "arguments from a shell variable",
		src:  "FROM rust:1.85\nENV CARGO_FLAGS=\"--release\"\nWORKDIR /app\nCOPY . .\nRUN cargo build $CARGO_FLAGS\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		skip: "cargo takes arguments from $CARGO_FLAGS",
	}, {
		name: "not a Linux target",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target wasm32-unknown-unknown\nCMD [\"bash\"]\n",
		ctx:  helloCtx(),
		skip: "not a Linux target",
	}, {
		name: "symlink into the target dir",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release && ln -s /app/target/release/hello /usr/local/bin/hello\nCMD [\"hello\"]\n",
		ctx:  helloCtx(),
		skip: "links /app/target/release/hello elsewhere",
	}, {
		name: "no cargo at all",
		src:  "FROM rust:1.85\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n",
		skip: "no cargo build or cargo install",
	}, {
		name: "release unknown",
		src:  "FROM rust:1.30\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		skip: "the Debian release of rust:1.30 is unknown",
	}, {
		name: "release unknown but static",
		src:  "FROM rust:1.30\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target x86_64-unknown-linux-musl\nCMD [\"./target/x86_64-unknown-linux-musl/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"FROM debian:bookworm-slim"},
	}, {
		name: "alpine unpinned, dynamic",
		src:  "FROM rust:alpine\nRUN apk add --no-cache openssl-dev\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		skip: "without a pinned alpine version",
	}, {
		name: "alpine unpinned, static",
		src:  "FROM rust:alpine\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"FROM alpine:latest"},
	}, {
		name: "Rocket.toml is read at run time",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx("Rocket.toml", "[default]\n", "static/index.html", "<p>"),
		want: []string{"COPY --from=build /app/Rocket.toml /app/Rocket.toml", "COPY --from=build /app/static /app/static"},
	}, {
		name: "only the manifests copied before the build",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY Cargo.toml Cargo.lock ./\nRUN mkdir src && echo 'fn main(){}' > src/main.rs && cargo build --release && rm -rf src\nCOPY src ./src\nRUN touch src/main.rs && cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx(),
		want: []string{"COPY --from=build /app/target/release/hello /app/target/release/hello"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRustCase(t, tc) })
	}
}

// TestRustLibraries covers the run-time packages of the rust image.
func TestRustLibraries(t *testing.T) {
	const df = "FROM rust:1.91\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n"
	lock := func(crates ...string) string {
		s := helloLock
		for _, c := range crates {
			s += "\n[[package]]\nname = \"" + c + "\"\nversion = \"1.0.0\"\n"
		}
		return s
	}
	cases := []rustCase{{
		name: "trixie names",
		src:  df,
		ctx:  helloCtx("Cargo.lock", lock("openssl-sys", "curl-sys", "libz-sys", "mysqlclient-sys")),
		want: []string{"FROM debian:trixie-slim", "ca-certificates libcurl4t64 libmariadb3 libssl3t64 zlib1g"},
	}, {
		name: "sqlite linked unless bundled",
		src:  df,
		ctx:  helloCtx("Cargo.lock", lock("libsqlite3-sys", "diesel")),
		want: []string{"install -y --no-install-recommends libsqlite3-0"},
	}, {
		name: "sqlx sqlite is bundled",
		src:  df,
		ctx:  helloCtx("Cargo.toml", helloManifest+"\n[dependencies]\nsqlx = { version = \"0.7\", features = [\"sqlite\", \"runtime-tokio\"] }\n", "Cargo.lock", lock("libsqlite3-sys", "sqlx")),
		not:  []string{"apt-get"},
	}, {
		name: "workspace dependency with features",
		src:  df,
		ctx:  helloCtx("Cargo.toml", helloManifest+"\n[workspace]\n\n[workspace.dependencies]\nopenssl = { version = \"0.10\", features = [\"vendored\"] }\n\n[dependencies]\nopenssl.workspace = true\n", "Cargo.lock", lock("openssl-sys", "openssl")),
		want: []string{"install -y --no-install-recommends ca-certificates \\\n"},
		not:  []string{"libssl"},
	}, {
		name: "Cargo.toml without lock",
		src:  df,
		ctx:  map[string]string{"Cargo.toml": helloManifest + "\n[dependencies]\ndiesel = { version = \"2\", features = [\"mysql\"] }\n", "src/main.rs": ""},
		want: []string{"ca-certificates libmariadb3 libssl3t64"},
		not:  []string{"libpq"},
	}, {
		name: "no context: diesel without its database",
		src:  "FROM rust:1.85\nWORKDIR /diesel-app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/app\"]\n",
		want: []string{"ca-certificates libmariadb3 libpq5 libsqlite3-0 libssl3"},
	}, {
		name: "static binary links nothing",
		src:  "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target x86_64-unknown-linux-musl\nCMD [\"./target/x86_64-unknown-linux-musl/release/hello\"]\n",
		ctx:  helloCtx("Cargo.lock", lock("pq-sys")),
		not:  []string{"apt-get"},
	}, {
		name: "the Dockerfile's own -dev package",
		src:  "FROM rust:1.85-slim-bookworm\nRUN apt-get update && apt-get install -y pkg-config libssl-dev\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/hello\"]\n",
		ctx:  helloCtx("Cargo.lock", lock("openssl-sys", "native-tls")),
		want: []string{"install -y --no-install-recommends ca-certificates libssl3 \\\n"},
		not:  []string{"recommends ca-certificates libssl3 pkg-config"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRustCase(t, tc) })
	}
}

// TestRustRuntimePolicy covers --runtime for Rust builds.
func TestRustRuntimePolicy(t *testing.T) {
	musl := "FROM rust:1.85\nRUN rustup target add x86_64-unknown-linux-musl\nWORKDIR /app\nCOPY . .\nRUN cargo build --release --target x86_64-unknown-linux-musl\nCMD [\"/app/target/x86_64-unknown-linux-musl/release/hello\"]\n"
	glibc := "FROM rust:1.85\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"/app/target/release/hello\"]\n"
	certs := helloLock + "\n[[package]]\nname = \"rustls-native-certs\"\nversion = \"0.7.0\"\n"
	cases := []rustCase{{
		name: "scratch for a static binary", runtime: RuntimeScratch, src: musl,
		ctx:  helloCtx("Cargo.lock", certs),
		want: []string{"FROM scratch", "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt", "COPY --from=build /app/target/x86_64-unknown-linux-musl/release/hello"},
		not:  []string{"apt-get"},
	}, {
		name: "scratch refused for glibc", runtime: RuntimeScratch, src: glibc, ctx: helloCtx(),
		skip: "--runtime=scratch refused",
	}, {
		name: "distroless static", runtime: RuntimeDistroless, src: musl, ctx: helloCtx(),
		want: []string{"FROM gcr.io/distroless/static-debian12"},
	}, {
		name: "distroless cc has libssl and certificates", runtime: RuntimeDistroless, src: glibc,
		ctx:  helloCtx("Cargo.lock", helloLock+"\n[[package]]\nname = \"openssl-sys\"\nversion = \"0.9.0\"\n"),
		want: []string{"FROM gcr.io/distroless/cc-debian12"},
		not:  []string{"apt-get"},
	}, {
		name: "distroless refused when libpq is needed", runtime: RuntimeDistroless, src: glibc,
		ctx:  helloCtx("Cargo.lock", helloLock+"\n[[package]]\nname = \"pq-sys\"\nversion = \"0.4.0\"\n"),
		skip: "--runtime=distroless refused",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRustCase(t, tc) })
	}
}

func TestCargoSubcommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		sub  string
		dir  string
	}{
		{[]string{"build", "--release"}, "build", ""},
		{[]string{"+nightly", "build"}, "build", ""},
		{[]string{"--locked", "-C", "server", "build"}, "build", "server"},
		{[]string{"--config", "net.git-fetch-with-cli=true", "install", "--path", "."}, "install", ""},
		{[]string{"auditable", "build", "--release"}, "build", ""},
		{[]string{"--version"}, "", ""},
	} {
		sub, _, g := cargoSubcommand(tc.args)
		if sub != tc.sub || g.dir != tc.dir {
			t.Errorf("%v: got %q %q, want %q %q", tc.args, sub, g.dir, tc.sub, tc.dir)
		}
	}
}
