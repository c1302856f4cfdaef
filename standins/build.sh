#!/usr/bin/env bash
# Build local stand-ins for the base images stagesplit's real-build tests use,
# on a machine that cannot pull from a container registry.
#
# Only tags that are ABSENT locally are built; whatever is present (a real
# image pulled from a registry, or a stand-in from an earlier run) is reused.
# Every stand-in carries the label dev.stagesplit.standin=true.
#
#   standins/build.sh             build the absent tags
#   standins/build.sh --force     rebuild every stand-in tag (a present image
#                                 WITHOUT the stand-in label, i.e. a real one,
#                                 is never replaced); uses the build cache and
#                                 the cached debian rootfs
#   standins/build.sh --no-cache  as --force, and also re-run debootstrap,
#                                 re-fetch npm/yarn and build without cache
#   standins/build.sh --verify    after building, run the end-to-end checks on
#                                 every tag (cgo and static Go builds, a
#                                 multi-stage build onto distroless, npm ci
#                                 offline, apt-get install in debian, a venv
#                                 and pip install offline, bundle install
#                                 offline, cargo build, mvn package offline)
#
# Needs a running engine (.ci/docker-up), root, debootstrap (installed with apt
# if missing), the host's Go 1.26 toolchain and Node.js 20, and the npm
# registry from the host. Python, Ruby, Rust and Java come from Debian's
# packages (see standins/README.md for how they differ from the real images). The Debian mirror is read from the host's apt
# sources at run time (override: STAGESPLIT_APT_MIRROR,
# STAGESPLIT_APT_SECURITY_MIRROR).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOCKER=${DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
CACHE_DIR=${STAGESPLIT_STANDIN_CACHE:-/var/cache/stagesplit-standins}
LOG_DIR=${STAGESPLIT_STANDIN_LOGS:-/tmp/stagesplit-standins-logs}
LABEL=dev.stagesplit.standin
SUITE=bookworm

T_DEBIAN=debian:bookworm-slim
T_CURL=stagesplit-standin/buildpack-deps:bookworm-curl
T_SCM=stagesplit-standin/buildpack-deps:bookworm-scm
T_FULL=stagesplit-standin/buildpack-deps:bookworm
T_GO_BOOKWORM=golang:1.26-bookworm
T_GO=golang:1.26
GO_MINOR=go1.26
T_STATIC=gcr.io/distroless/static-debian12
T_STATIC_NONROOT=gcr.io/distroless/static-debian12:nonroot
T_NODE=node:20
T_NODE_SLIM=node:20-slim
NODE_MAJOR=20
NPM_SPEC=npm@10
YARN_SPEC=yarn@1
T_PY=python:3.11-bookworm
T_PY_SLIM=python:3.11-slim-bookworm
T_RUBY=ruby:3.1-bookworm
T_RUBY_SLIM=ruby:3.1-slim-bookworm
T_RUST=rust:1.63-bookworm
T_GCC=gcc:12
T_JRE=eclipse-temurin:17-jre
T_JDK=eclipse-temurin:17-jdk
T_MAVEN=maven:3-eclipse-temurin-17
PUBLIC_TAGS=("$T_DEBIAN" "$T_GO_BOOKWORM" "$T_GO" "$T_STATIC" "$T_STATIC_NONROOT" "$T_NODE" "$T_NODE_SLIM"
	"$T_PY" "$T_PY_SLIM" "$T_RUBY" "$T_RUBY_SLIM" "$T_RUST" "$T_GCC" "$T_JRE" "$T_JDK" "$T_MAVEN")
INTERNAL_TAGS=("$T_CURL" "$T_SCM" "$T_FULL")

FORCE=0 NO_CACHE=0 VERIFY=0
for arg in "$@"; do
	case $arg in
	--force) FORCE=1 ;;
	--no-cache) FORCE=1 NO_CACHE=1 ;;
	--verify) VERIFY=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "build.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
	esac
done

say() { printf '[%4ds] %s\n' "$SECONDS" "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chown of the distroless rootfs)"
[ -x "$DOCKER" ] || die "$DOCKER not found: run .ci/docker-up first (it installs docker.io)"
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers '$DOCKER info': run .ci/docker-up first"

mkdir -p "$CACHE_DIR" "$LOG_DIR"
exec 9>"$CACHE_DIR/build.lock"
if ! flock -n 9; then
	say "another build.sh holds $CACHE_DIR/build.lock; waiting"
	flock 9
fi
WORK=$(mktemp -d /tmp/stagesplit-standins.XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT

# ---------------------------------------------------------------- helpers ----
present() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
is_standin() {
	[ "$("$DOCKER" image inspect -f "{{with .Config.Labels}}{{index . \"$LABEL\"}}{{end}}" "$1" 2>/dev/null)" = true ]
}
# should_build TAG: absent, or --force and the present image is a stand-in.
should_build() {
	present "$1" || return 0
	[ "$FORCE" = 1 ] || return 1
	is_standin "$1" && return 0
	say "keep $1: present and not a stand-in (a registry image); --force never replaces it" >&2
	return 1
}
# to_build TAG...: the subset of TAGs to build, space separated.
to_build() {
	local t out=()
	for t in "$@"; do should_build "$t" && out+=("$t"); done
	echo "${out[*]}"
}
tag_args() { local t; for t in "$@"; do printf -- '-t\n%s\n' "$t"; done; }

# docker build with the stand-in label; extra args before the context.
dbuild() {
	local extra=()
	[ "$NO_CACHE" = 1 ] && extra+=(--no-cache)
	"$DOCKER" build --progress=plain --label "$LABEL=true" "${extra[@]}" "$@"
}

# Jobs run in the background, each logging to $LOG_DIR/NAME.log; the status
# line goes to fd 3 (the terminal).
exec 3>&1
JOB_PIDS=() JOB_NAMES=()
job() {
	local name=$1; shift
	(
		start=$SECONDS
		# not "if func": errexit is ignored inside a function run as a condition
		set +e
		(set -e; "$@") >"$LOG_DIR/$name.log" 2>&1
		rc=$?
		set -e
		if [ "$rc" = 0 ]; then
			printf '[%4ds] done  %-16s (%ds)\n' "$SECONDS" "$name" $((SECONDS - start)) >&3
		else
			printf '[%4ds] FAIL  %-16s (rc=%d) last lines of %s:\n' "$SECONDS" "$name" "$rc" "$LOG_DIR/$name.log" >&3
			tail -n 25 "$LOG_DIR/$name.log" | sed 's/^/    | /' >&3
			exit "$rc"
		fi
	) &
	JOB_PIDS+=($!) JOB_NAMES+=("$name")
	say "start $name (log: $LOG_DIR/$name.log)"
}
wait_jobs() {
	local i failed=0
	for i in "${!JOB_PIDS[@]}"; do
		wait "${JOB_PIDS[$i]}" || failed=1
	done
	JOB_PIDS=() JOB_NAMES=()
	[ "$failed" = 0 ] || die "a build failed (logs in $LOG_DIR)"
}

# ------------------------------------------------------ apt mirror (host) ----
# Prints "URI SUITE" for each enabled deb source of the host (one-line .list
# files and deb822 .sources files).
host_apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if (i + 1 <= NF) print $i, $(i + 1)
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush(   n, m, i, j, u, s) {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^(no|false|0)$/) {
				n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (u[i] != "" && s[j] != "") print u[i], s[j]
			}
			types = uris = suites = ""; enabled = "yes"
		}
		BEGIN { enabled = "yes" }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[A-Za-z-]+:/ {
			key = tolower($0); sub(/:.*/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = tolower(val)
		}
		END { flush() }' "$f"
	done
}
apt_uri_for() { host_apt_sources | awk -v s="$1" '!found && $2 == s { sub(/\/+$/, "", $1); print $1; found = 1 }'; }

# ---------------------------------------------------------- debian slim ------
ROOTFS_TAR=$CACHE_DIR/debian-$SUITE-$(dpkg --print-architecture)-slim-rootfs.tar

make_rootfs() {
	local mirror security updates r keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=${STAGESPLIT_APT_MIRROR:-$(apt_uri_for "$SUITE")}
	security=${STAGESPLIT_APT_SECURITY_MIRROR:-$(apt_uri_for "$SUITE-security")}
	[ -n "$mirror" ] || { echo "no apt source for suite $SUITE in /etc/apt/sources.list{,.d/*}; set STAGESPLIT_APT_MIRROR"; return 1; }
	case $mirror in https:*) echo "warning: $mirror is HTTPS; apt inside containers may fail (no TLS from containers here)" ;; esac
	updates=
	[ -n "$(apt_uri_for "$SUITE-updates")" ] && updates=" $SUITE-updates"
	if ! command -v debootstrap >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap ||
			{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; }
	fi
	[ -s "$keyring" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debian-archive-keyring

	r=$(mktemp -d /var/tmp/stagesplit-rootfs.XXXXXX)
	# debootstrap mounts proc/sys inside the target: never rm -rf across them.
	# shellcheck disable=SC2064
	trap "umount_under '$r'; rm -rf --one-file-system '$r'" EXIT
	echo "debootstrap --variant=minbase $SUITE from the host's apt mirror"
	debootstrap --variant=minbase --components=main --keyring="$keyring" "$SUITE" "$r" "$mirror"
	umount_under "$r"

	# apt sources as in the official image (deb822), from the host's mirror
	rm -f "$r/etc/apt/sources.list"
	mkdir -p "$r/etc/apt/sources.list.d"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s%s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$mirror" "$SUITE" "$updates"
		[ -z "$security" ] ||
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
				"$security" "$SUITE"
	} >"$r/etc/apt/sources.list.d/debian.sources"
	# the official images' apt/dpkg minimizing config and policy-rc.d
	cp -a "$HERE/debian/overlay/." "$r/"
	# debootstrap installs the release as published; the official image also
	# carries the point-release and security updates
	mount -t proc proc "$r/proc"
	chroot "$r" env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -q && apt-get upgrade -y -q'
	umount_under "$r"

	# slimify as debian:*-slim does, then drop caches, logs and host leftovers
	find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
	find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/groff/* \
		"$r"/usr/share/lintian/* "$r"/usr/share/linda/*
	find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
		"$r"/var/cache/apt/archives/partial/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
		"$r"/var/cache/ldconfig/aux-cache "$r"/tmp/* "$r"/var/tmp/*
	mkdir -p "$r/var/lib/apt/lists/partial"
	find "$r/var/log" -type f -delete
	find "$r/dev" -mindepth 1 -delete # the engine provides /dev
	: >"$r/etc/resolv.conf"
	: >"$r/etc/hostname"
	[ ! -e "$r/etc/machine-id" ] || : >"$r/etc/machine-id"
	du -sh "$r"

	tar --numeric-owner -C "$r" -cf "$ROOTFS_TAR.tmp" .
	mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	umount_under "$r"
	rm -rf --one-file-system "$r"
	trap - EXIT
}
umount_under() {
	local m
	# deepest first
	for m in $(awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" || true
	done
}

build_debian() {
	if [ ! -s "$ROOTFS_TAR" ] || [ "$NO_CACHE" = 1 ]; then
		make_rootfs
	else
		echo "reusing cached rootfs $ROOTFS_TAR"
	fi
	"$DOCKER" import \
		--change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		--change 'CMD ["bash"]' \
		--change "LABEL $LABEL=true" \
		-m "stagesplit stand-in: debootstrap --variant=minbase $SUITE, slimmed" \
		"$ROOTFS_TAR" "$T_DEBIAN"
	"$DOCKER" run --rm "$T_DEBIAN" sh -c '. /etc/os-release && echo "$PRETTY_NAME" && apt-get --version | head -n1'
}

# ------------------------------------------------------ buildpack-deps -------
build_intermediate() { # TAG DOCKERFILE BASE
	dbuild --build-arg "BASE=$3" -t "$1" - <"$HERE/buildpack-deps/$2"
}
build_curl_scm() {
	[ "$BUILD_CURL" = 1 ] && build_intermediate "$T_CURL" curl.Dockerfile "$T_DEBIAN"
	build_intermediate "$T_SCM" scm.Dockerfile "$T_CURL"
}
build_full() { build_intermediate "$T_FULL" full.Dockerfile "$T_SCM"; }

# --------------------------------------------------------------- golang ------
GO=$(command -v go || echo /usr/local/go/bin/go)
build_golang() {
	local goroot gover hostdir ctx=$WORK/golang excl=(--exclude=./test --exclude=testdata --exclude=./pkg/obj --exclude=./pkg/bootstrap --exclude='./.git*') d
	goroot=$("$GO" env GOROOT) gover=$("$GO" env GOVERSION)
	case $gover in "$GO_MINOR" | "$GO_MINOR".*) ;; *) die "host Go is $gover, need $GO_MINOR.x for $T_GO" ;; esac
	hostdir="$("$GO" env GOHOSTOS)_$("$GO" env GOHOSTARCH)"
	mkdir -p "$ctx"
	# only this platform's tools; the Go test suite and testdata are not
	# needed by `go build` / `go test` of user code
	for d in "$goroot"/pkg/tool/*; do
		[ "${d##*/}" = "$hostdir" ] || excl+=(--exclude="./pkg/tool/${d##*/}")
	done
	tar -C "$goroot" --numeric-owner --owner=0 --group=0 "${excl[@]}" -cf "$ctx/go.tar" .
	ls -l "$ctx/go.tar"
	# shellcheck disable=SC2046
	dbuild -f "$HERE/golang/Dockerfile" --build-arg "BASE=$T_SCM" --build-arg "GOLANG_VERSION=${gover#go}" \
		$(tag_args $GO_TAGS) "$ctx"
	"$DOCKER" run --rm "${GO_TAGS%% *}" go version
}

# ----------------------------------------------------------- distroless ------
build_static() {
	local ctx=$WORK/distroless r f
	r=$ctx/rootfs
	mkdir -p "$r"/etc/ssl/certs "$r"/tmp "$r"/root "$r"/home/nonroot "$r"/usr/share "$r"/var
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/sbin/nologin
		nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
		nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		tty:x:5:
		staff:x:50:
		nobody:x:65534:
		nonroot:x:65532:
	EOF
	printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
	cat >"$r/etc/os-release" <<-'EOF'
		PRETTY_NAME="Distroless (stagesplit stand-in)"
		NAME="Debian GNU/Linux"
		ID="debian"
		VERSION_ID="12"
		VERSION="Debian GNU/Linux 12 (bookworm)"
		HOME_URL="https://github.com/GoogleContainerTools/distroless"
	EOF
	[ -s /etc/ssl/certs/ca-certificates.crt ] || die "host has no /etc/ssl/certs/ca-certificates.crt (apt-get install ca-certificates)"
	cp /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/"
	for f in services protocols ethertypes rpc mime.types; do
		[ ! -f "/etc/$f" ] || cp "/etc/$f" "$r/etc/"
	done
	[ ! -d /usr/share/zoneinfo ] || cp -a /usr/share/zoneinfo "$r/usr/share/"
	chmod 0755 "$r"
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root" "$r/home/nonroot"
	chown 65532:65532 "$r/home/nonroot"
	tar --numeric-owner -C "$r" -cf "$ctx/rootfs.tar" .
	cp "$HERE/distroless/Dockerfile" "$ctx/"
	# shellcheck disable=SC2046
	[ -z "$STATIC_TAGS" ] || dbuild --target static $(tag_args $STATIC_TAGS) "$ctx"
	# shellcheck disable=SC2046
	[ -z "$NONROOT_TAGS" ] || dbuild --target nonroot $(tag_args $NONROOT_TAGS) "$ctx"
}

# ----------------------------------------------------------------- node ------
NODE_CTX=$WORK/node
prepare_node_ctx() {
	local node prefix ver npm_tgz yarn_tgz yver u sslarch
	node=$(readlink -f "$(command -v node)") || die "no node on the host"
	ver=$("$node" --version)
	case $ver in v"$NODE_MAJOR".*) ;; *) die "host node is $ver, need v$NODE_MAJOR.x for node:$NODE_MAJOR" ;; esac
	NODE_VERSION=${ver#v}
	prefix=$(dirname "$(dirname "$node")")
	command -v npm >/dev/null 2>&1 || die "no npm on the host (needed to fetch $NPM_SPEC and $YARN_SPEC)"
	mkdir -p "$CACHE_DIR/npm"
	if [ "$NO_CACHE" = 1 ]; then rm -f "$CACHE_DIR"/npm/*.tgz; fi
	fetch_pack() { # SPEC GLOB -> path
		local f
		f=$(ls -1 "$CACHE_DIR"/npm/$2 2>/dev/null | sort -V | tail -n1)
		if [ -z "$f" ]; then
			f=$CACHE_DIR/npm/$(cd "$CACHE_DIR/npm" && npm pack "$1" --silent 2>/dev/null | tail -n1)
			[ -s "$f" ] || die "npm pack $1 failed"
		fi
		echo "$f"
	}
	npm_tgz=$(fetch_pack "$NPM_SPEC" 'npm-10.*.tgz')
	yarn_tgz=$(fetch_pack "$YARN_SPEC" 'yarn-1.*.tgz')
	yver=${yarn_tgz##*/yarn-}; YARN_VERSION=${yver%.tgz}

	u=$NODE_CTX/usr-local
	mkdir -p "$u/bin" "$u/include" "$u/lib/node_modules/npm" "$NODE_CTX/yarn/yarn-v$YARN_VERSION"
	cp "$node" "$u/bin/node"
	ln -s node "$u/bin/nodejs"
	if [ -d "$prefix/include/node" ]; then
		cp -a "$prefix/include/node" "$u/include/"
		# as upstream: keep only this platform's OpenSSL headers
		sslarch=linux-$(uname -m)
		[ ! -d "$u/include/node/openssl/archs" ] ||
			find "$u/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "$sslarch" -exec rm -rf {} +
	fi
	if [ -d "$prefix/lib/node_modules/corepack" ]; then
		cp -a "$prefix/lib/node_modules/corepack" "$u/lib/node_modules/"
		ln -s ../lib/node_modules/corepack/dist/corepack.js "$u/bin/corepack"
	fi
	tar -xzf "$npm_tgz" -C "$u/lib/node_modules/npm" --strip-components=1 --no-same-owner
	ln -s ../lib/node_modules/npm/bin/npm-cli.js "$u/bin/npm"
	ln -s ../lib/node_modules/npm/bin/npx-cli.js "$u/bin/npx"
	tar -C "$u" --numeric-owner --owner=0 --group=0 -cf "$NODE_CTX/node-usr-local.tar" .
	tar -xzf "$yarn_tgz" -C "$NODE_CTX/yarn/yarn-v$YARN_VERSION" --strip-components=1 --no-same-owner
	tar -C "$NODE_CTX/yarn" --numeric-owner --owner=0 --group=0 -cf "$NODE_CTX/yarn-opt.tar" .
	rm -rf "$u" "$NODE_CTX/yarn"
	cp "$HERE/node/Dockerfile" "$HERE/node/docker-entrypoint.sh" "$NODE_CTX/"
	printf 'NODE_VERSION=%s\nYARN_VERSION=%s\n' "$NODE_VERSION" "$YARN_VERSION" >"$NODE_CTX/versions"
	echo "node context: node $NODE_VERSION, $(basename "$npm_tgz" .tgz), yarn $YARN_VERSION"
}
build_node() { # BASE TAGS...
	local base=$1; shift
	# shellcheck source=/dev/null
	. "$NODE_CTX/versions"
	# shellcheck disable=SC2046
	dbuild --build-arg "BASE=$base" --build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "YARN_VERSION=$YARN_VERSION" \
		$(tag_args "$@") "$NODE_CTX"
	"$DOCKER" run --rm "$1" sh -c 'node -e "console.log(\"node\", process.version)" && echo "npm $(npm --version)"'
}

# ------------------------------------- python, ruby, rust (Debian packages) --
# Each Dockerfile takes BASE (the slim debian or the buildpack-deps full
# stand-in) and, for python and ruby, EXTRA_PACKAGES for the full variant.
build_lang() { # DIR BASE EXTRA_PACKAGES TAG
	dbuild --build-arg "BASE=$2" --build-arg "EXTRA_PACKAGES=$3" -t "$4" "$HERE/$1"
}
PY_FULL_EXTRA="python3-dev libbluetooth-dev tk-dev uuid-dev"
RUBY_FULL_EXTRA="ruby-dev"
# the slim variants need only debian: they run beside buildpack-deps
build_langs_slim() {
	[ -z "$PY_SLIM_TAGS" ] || build_lang python "$T_DEBIAN" "" "$T_PY_SLIM"
	[ -z "$RUBY_SLIM_TAGS" ] || build_lang ruby "$T_DEBIAN" "" "$T_RUBY_SLIM"
}
build_langs_full() {
	[ -z "$PY_TAGS" ] || build_lang python "$T_FULL" "$PY_FULL_EXTRA" "$T_PY"
	[ -z "$RUBY_TAGS" ] || build_lang ruby "$T_FULL" "$RUBY_FULL_EXTRA" "$T_RUBY"
	[ -z "$RUST_TAGS" ] || dbuild --build-arg "BASE=$T_FULL" -t "$T_RUST" "$HERE/rust"
	[ -z "$GCC_TAGS" ] || dbuild --build-arg "BASE=$T_FULL" -t "$T_GCC" "$HERE/gcc"
	local t
	for t in $PY_TAGS $PY_SLIM_TAGS $RUBY_TAGS $RUBY_SLIM_TAGS $RUST_TAGS $GCC_TAGS; do
		"$DOCKER" image inspect -f "$t: {{.Size}} bytes" "$t"
	done
}

# ----------------------------------------------------------------- java ------
# eclipse-temurin:17-jre, eclipse-temurin:17-jdk and maven:3-eclipse-temurin-17
# from one Dockerfile (targets jre, jdk, maven). JAVA_VERSION (upstream:
# jdk-17.0.12+7) is read from Debian's JDK in a first build of the stages
# they share (maven-base, honouring --no-cache); the targets, which only add
# that ENV, then reuse those stages from the cache.
build_java() {
	local iid=$WORK/java-base.iid ver t
	dbuild --target maven-base --iidfile "$iid" "$HERE/java"
	ver=$("$DOCKER" run --rm --entrypoint java "$(cat "$iid")" -XshowSettings:properties -version 2>&1 |
		awk -F' = ' '$1 ~ /java\.runtime\.version$/ { print $2 }')
	[ -n "$ver" ] || { echo "could not read java.runtime.version"; return 1; }
	ver="jdk-${ver%%-*}" # 17.0.21.1+2-1-deb12u1-Debian -> jdk-17.0.21.1+2
	echo "JAVA_VERSION=$ver"
	local targets=() nocache=$NO_CACHE
	[ -z "$JRE_TAGS" ] || targets+=("jre $T_JRE")
	[ -z "$JDK_TAGS" ] || targets+=("jdk $T_JDK")
	[ -z "$MAVEN_TAGS" ] || targets+=("maven $T_MAVEN")
	NO_CACHE=0
	for t in "${targets[@]}"; do
		dbuild --target "${t%% *}" --build-arg "JAVA_VERSION=$ver" -t "${t#* }" "$HERE/java"
	done
	NO_CACHE=$nocache
	# the probe's tagless image config (its layers are the tags' layers)
	"$DOCKER" image rm "$(cat "$iid")" >/dev/null 2>&1 || true
	for t in $JRE_TAGS $JDK_TAGS $MAVEN_TAGS; do
		"$DOCKER" image inspect -f "$t: {{.Size}} bytes" "$t"
	done
}

# --------------------------------------------------------------- verify ------
verify_all() {
	local v=$WORK/verify
	mkdir -p "$v/go" "$v/npm"
	say "verify: $T_DEBIAN apt-get update && apt-get install"
	"$DOCKER" run --rm "$T_DEBIAN" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null && hello'
	for t in "$T_GO_BOOKWORM" "$T_GO"; do
		say "verify: $t go version / env"
		"$DOCKER" run --rm "$t" sh -c 'go version && go env GOROOT GOPATH GOTOOLCHAIN CGO_ENABLED && gcc --version | head -n1 && git --version'
	done
	cat >"$v/go/main.go" <<-'EOF'
		package main

		import (
			"crypto/x509"
			"fmt"
			"os"
		)

		func main() {
			pool, err := x509.SystemCertPool()
			if err != nil {
				fmt.Println("no system cert pool:", err)
				os.Exit(1)
			}
			fmt.Printf("hello from uid %d, system roots loaded: %v\n", os.Getuid(), pool != nil)
		}
	EOF
	cat >"$v/go/cgo.go.txt" <<-'EOF'
		package main

		// #include <stdio.h>
		// static int answer(void) { return 42; }
		import "C"

		import "fmt"

		func main() { fmt.Println("cgo says", int(C.answer())) }
	EOF
	printf 'module example.com/hello\n\ngo 1.26\n' >"$v/go/go.mod"
	cat >"$v/go/Dockerfile" <<-EOF
		FROM $T_GO AS build
		WORKDIR /src
		COPY go.mod main.go cgo.go.txt ./
		RUN CGO_ENABLED=0 go build -o /out/hello . && /out/hello
		RUN mkdir /cgo && cp go.mod /cgo/ && cp cgo.go.txt /cgo/main.go && cd /cgo && CGO_ENABLED=1 go build -o /out/cgo . && /out/cgo && ldd /out/cgo | grep -q libc.so
		FROM $T_STATIC_NONROOT
		COPY --from=build /out/hello /hello
		ENTRYPOINT ["/hello"]
	EOF
	say "verify: multi-stage build $T_GO (CGO_ENABLED=0 and cgo) -> $T_STATIC_NONROOT"
	"$DOCKER" build --progress=plain -t stagesplit-standin/verify-go "$v/go" >"$LOG_DIR/verify-go.log" 2>&1 ||
		{ tail -n 40 "$LOG_DIR/verify-go.log"; die "verify-go build failed"; }
	grep -E '^#[0-9]+ [0-9.]+ (hello from|cgo says)' "$LOG_DIR/verify-go.log" | sed 's/^/    build: /' || true
	"$DOCKER" run --rm --network none stagesplit-standin/verify-go
	"$DOCKER" image ls --format '    verify-go image: {{.Size}}' stagesplit-standin/verify-go
	"$DOCKER" rmi stagesplit-standin/verify-go >/dev/null
	say "verify: $T_STATIC has no shell"
	if "$DOCKER" run --rm "$T_STATIC" /bin/sh -c true >/dev/null 2>&1; then die "$T_STATIC has a shell"; fi

	printf '{\n  "name": "t",\n  "version": "1.0.0",\n  "scripts": { "start": "node -e \\"console.log(42)\\"" }\n}\n' >"$v/npm/package.json"
	printf '{\n  "name": "t",\n  "version": "1.0.0",\n  "lockfileVersion": 3,\n  "requires": true,\n  "packages": {\n    "": { "name": "t", "version": "1.0.0" }\n  }\n}\n' >"$v/npm/package-lock.json"
	for t in "$T_NODE_SLIM" "$T_NODE"; do
		say "verify: $t node, npm, yarn, npm ci --offline (no network)"
		"$DOCKER" run --rm --network none -v "$v/npm:/src:ro" "$t" sh -c \
			'node -e "console.log(1)" && npm --version && yarn --version && cp -r /src /tmp/app && cd /tmp/app && npm ci --offline --no-audit --no-fund && npm start --silent'
	done
	verify_langs
}

# verify_langs: the Debian-package stand-ins, each with the network off.
verify_langs() {
	local v=$WORK/verify t
	mkdir -p "$v/py/pure/hello_standin" "$v/py/cext" "$v/rb/vendor/hi/lib" "$v/java/src/main/java/t" "$v/java-out"
	printf 'def main():\n    print("hello from a console script")\n' >"$v/py/pure/hello_standin/__init__.py"
	cat >"$v/py/pure/setup.py" <<-'EOF'
		from setuptools import setup
		setup(name="hello-standin", version="1.0", packages=["hello_standin"],
		      entry_points={"console_scripts": ["hello-standin = hello_standin:main"]})
	EOF
	cat >"$v/py/cext/zver.c" <<-'EOF'
		#define PY_SSIZE_T_CLEAN
		#include <Python.h>
		#include <zlib.h>
		static PyObject *version(PyObject *self, PyObject *args) { return PyUnicode_FromString(zlibVersion()); }
		static PyMethodDef methods[] = {{"version", version, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
		static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "zver", NULL, -1, methods};
		PyMODINIT_FUNC PyInit_zver(void) { return PyModule_Create(&mod); }
	EOF
	cat >"$v/py/cext/setup.py" <<-'EOF'
		from setuptools import Extension, setup
		setup(name="zver", version="1.0", ext_modules=[Extension("zver", ["zver.c"], libraries=["z"])])
	EOF
	for t in "$T_PY_SLIM" "$T_PY"; do
		say "verify: $t python -m venv, pip install offline (venv, site-packages, --prefix), console scripts, no PEP 668 marker"
		"$DOCKER" run --rm --network none -v "$v/py:/src:ro" "$t" sh -euc '
			python --version && pip --version
			! ls /usr/lib/python3*/EXTERNALLY-MANAGED 2>/dev/null
			cp -r /src /tmp/py
			python -m venv /opt/venv
			/opt/venv/bin/pip install -q --no-index --no-build-isolation /tmp/py/pure
			/opt/venv/bin/hello-standin
			pip install -q --no-index --no-build-isolation --root-user-action=ignore /tmp/py/pure
			command -v hello-standin
			cd / && python -c "import hello_standin; print(hello_standin.__file__)"
			pip install -q --no-index --no-build-isolation --root-user-action=ignore --prefix=/install /tmp/py/pure
			ls -d /install/lib/python3.*/site-packages/hello_standin /install/bin/hello-standin'
	done
	say "verify: $T_PY a C extension built by gcc against zlib1g-dev"
	"$DOCKER" run --rm --network none -v "$v/py:/src:ro" "$T_PY" sh -euc '
		cp -r /src /tmp/py && python -m venv /opt/venv
		/opt/venv/bin/pip install -q --no-index --no-build-isolation /tmp/py/cext
		/opt/venv/bin/python -c "import zver; print(\"zlib\", zver.version())"'

	cat >"$v/rb/vendor/hi/hi.gemspec" <<-'EOF'
		Gem::Specification.new do |s|
		  s.name = "hi"
		  s.version = "1.0.0"
		  s.summary = "stand-in check"
		  s.authors = ["stagesplit"]
		  s.files = ["lib/hi.rb"]
		end
	EOF
	printf 'module Hi\n  MSG = "hello from a path gem"\nend\n' >"$v/rb/vendor/hi/lib/hi.rb"
	printf 'source "https://rubygems.org"\ngem "hi", path: "vendor/hi"\n' >"$v/rb/Gemfile"
	for t in "$T_RUBY_SLIM" "$T_RUBY"; do
		say "verify: $t bundle install offline (a path gem) and bundle exec"
		"$DOCKER" run --rm --network none -v "$v/rb:/src:ro" "$t" sh -euc '
			ruby --version && bundle --version && echo "GEM_HOME=$GEM_HOME"
			cp -r /src /tmp/app && cd /tmp/app
			bundle install --quiet
			bundle exec ruby -e "require \"hi\"; puts Hi::MSG"'
	done

	say "verify: $T_RUST cargo new and cargo build --release offline"
	"$DOCKER" run --rm --network none "$T_RUST" sh -euc '
		cargo --version && rustc --version
		cd /tmp && USER=root cargo new --vcs none -q hello && cd hello
		cargo build -q --release && ./target/release/hello'

	cat >"$v/java/pom.xml" <<-'EOF'
		<project xmlns="http://maven.apache.org/POM/4.0.0">
		  <modelVersion>4.0.0</modelVersion>
		  <groupId>t</groupId>
		  <artifactId>t</artifactId>
		  <version>1</version>
		  <properties>
		    <maven.compiler.release>17</maven.compiler.release>
		    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
		  </properties>
		</project>
	EOF
	printf 'package t;\npublic class T { public static void main(String[] a) { System.out.println("hello from a jar built offline"); } }\n' \
		>"$v/java/src/main/java/t/T.java"
	say "verify: $T_MAVEN mvn dependency:go-offline and mvn package offline; the jar on $T_JRE"
	"$DOCKER" run --rm --network none -v "$v/java:/src:ro" -v "$v/java-out:/out" "$T_MAVEN" sh -euc '
		mvn -B --version 2>/dev/null | sed -n 1p
		cp -r /src /tmp/app && cd /tmp/app
		mvn -B -q dependency:go-offline && mvn -B -q package -DskipTests && cp target/t-1.jar /out/'
	"$DOCKER" run --rm --network none -v "$v/java-out:/out:ro" "$T_JRE" java -cp /out/t-1.jar t.T
	"$DOCKER" run --rm --network none "$T_JDK" javac --version
}

# ----------------------------------------------------------------- plan ------
# Public tags are built when should_build says so; the internal
# buildpack-deps layers only when something built on them is being built.
DEBIAN_TAGS=$(to_build "$T_DEBIAN")
GO_TAGS=$(to_build "$T_GO_BOOKWORM" "$T_GO")
STATIC_TAGS=$(to_build "$T_STATIC")
NONROOT_TAGS=$(to_build "$T_STATIC_NONROOT")
NODE_TAGS=$(to_build "$T_NODE")
NODE_SLIM_TAGS=$(to_build "$T_NODE_SLIM")
PY_TAGS=$(to_build "$T_PY")
PY_SLIM_TAGS=$(to_build "$T_PY_SLIM")
RUBY_TAGS=$(to_build "$T_RUBY")
RUBY_SLIM_TAGS=$(to_build "$T_RUBY_SLIM")
RUST_TAGS=$(to_build "$T_RUST")
GCC_TAGS=$(to_build "$T_GCC")
JRE_TAGS=$(to_build "$T_JRE")
JDK_TAGS=$(to_build "$T_JDK")
MAVEN_TAGS=$(to_build "$T_MAVEN")
inter() { [ "$FORCE" = 1 ] || ! present "$1"; }
BUILD_FULL=0 BUILD_SCM=0 BUILD_CURL=0
if [ -n "$NODE_TAGS$PY_TAGS$RUBY_TAGS$RUST_TAGS$GCC_TAGS" ] && inter "$T_FULL"; then BUILD_FULL=1; fi
if { [ -n "$GO_TAGS" ] || [ "$BUILD_FULL" = 1 ]; } && inter "$T_SCM"; then BUILD_SCM=1; fi
if [ "$BUILD_SCM" = 1 ] && inter "$T_CURL"; then BUILD_CURL=1; fi

for t in "${PUBLIC_TAGS[@]}"; do
	case " $DEBIAN_TAGS $GO_TAGS $STATIC_TAGS $NONROOT_TAGS $NODE_TAGS $NODE_SLIM_TAGS $PY_TAGS $PY_SLIM_TAGS $RUBY_TAGS $RUBY_SLIM_TAGS $RUST_TAGS $GCC_TAGS $JRE_TAGS $JDK_TAGS $MAVEN_TAGS " in
	*" $t "*) say "build $t" ;;
	*) say "skip  $t (present$(is_standin "$t" && echo ', stand-in' || echo ', registry image'))" ;;
	esac
done

# ---------------------------------------------------------------- build ------
# phase 1: debian rootfs | distroless, node context (npm pack on the host)
[ -z "$DEBIAN_TAGS" ] || job debian build_debian
[ -z "$STATIC_TAGS$NONROOT_TAGS" ] || job distroless build_static
[ -z "$NODE_TAGS$NODE_SLIM_TAGS" ] || job node-context prepare_node_ctx
wait_jobs
# phase 2: buildpack-deps curl+scm | node:20-slim | python and ruby slim
[ "$BUILD_SCM" = 1 ] && job bp-curl-scm build_curl_scm
# shellcheck disable=SC2086
[ -z "$NODE_SLIM_TAGS" ] || job node-slim build_node "$T_DEBIAN" $NODE_SLIM_TAGS
[ -z "$PY_SLIM_TAGS$RUBY_SLIM_TAGS" ] || job langs-slim build_langs_slim
wait_jobs
# phase 3: golang | buildpack-deps full | java (jre, jdk, maven)
# shellcheck disable=SC2086
[ -z "$GO_TAGS" ] || job golang build_golang
[ "$BUILD_FULL" = 1 ] && job bp-full build_full
[ -z "$JRE_TAGS$JDK_TAGS$MAVEN_TAGS" ] || job java build_java
wait_jobs
# phase 4: on buildpack-deps full: node:20 | python, ruby, rust
# shellcheck disable=SC2086
[ -z "$NODE_TAGS" ] || job node build_node "$T_FULL" $NODE_TAGS
[ -z "$PY_TAGS$RUBY_TAGS$RUST_TAGS$GCC_TAGS" ] || job langs-full build_langs_full
wait_jobs

# a rebuild leaves the replaced stand-ins dangling: drop those (stand-ins only)
[ "$FORCE" = 1 ] && "$DOCKER" image prune -f --filter "label=$LABEL=true" >/dev/null
[ "$VERIFY" = 1 ] && verify_all

# -------------------------------------------------------------- summary ------
echo
echo "Images (sizes as reported by the local engine, unpacked; stand-ins are NOT the real images):"
printf '%-48s %-12s %9s  %s\n' TAG ID SIZE KIND
for t in "${PUBLIC_TAGS[@]}" "${INTERNAL_TAGS[@]}"; do
	if present "$t"; then
		read -r id size < <("$DOCKER" image inspect -f '{{.Id}} {{.Size}}' "$t")
		id=${id#sha256:}
		printf '%-48s %-12s %6s MB  %s\n' "$t" "${id:0:12}" "$(awk -v s="$size" 'BEGIN { printf (s < 1e7 ? "%.1f" : "%d"), s / 1e6 }')" \
			"$(is_standin "$t" && echo stand-in || echo registry image)"
	else
		printf '%-48s %-12s %9s  %s\n' "$t" - - "absent (internal, not needed)"
	fi
done
say "total"
