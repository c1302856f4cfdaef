package transform

import (
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/stagesplit/stagesplit/parser"
	"regexp"
	"sort"
	"strings"
)

// buildOnlyPackages are compilers and tools that only the build needs.
var buildOnlyPackages = map[string]bool{
	"build-essential": true, "gcc": true, "g++": true, "make": true, "cmake": true, "pkg-config": true,
	"pkgconf": true, "autoconf": true, "automake": true, "libtool": true, "git": true, "musl-dev": true,
	"python3": true, "python": true, "python3-dev": true, "python2": true, "python2.7": true, "python2-dev": true, "node-gyp": true, "build-base": true,
	"binutils": true, "patch": true, "gnupg": true, "dirmngr": true, "unzip": true, "xz-utils": true,
	"curl": true, "wget": true, "golang": true, "golang-go": true, "nodejs": true, "npm": true, "yarn": true,
	"clang": true, "llvm": true, "protobuf-compiler": true, "linux-headers": true, "linux-headers-amd64": true, "linux-headers-arm64": true, "linux-headers-generic": true, "upx": true, "upx-ucl": true,
	"musl-tools": true, "lld": true, "mold": true, "nim": true, "pkgconfig": true,
	// Java build tools (apt pulls a JDK of its own with them).
	"maven": true, "gradle": true, "ant": true, "sbt": true,
	// build tools of C and C++ projects
	"bison": true, "libbison-dev": true, "flex": true, "ninja-build": true, "meson": true, "ninja": true, "samurai": true, "gperf": true,
	"nasm": true, "yasm": true, "texinfo": true, "libtool-bin": true, "alpine-sdk": true, "check": true,
	// Fortran compilers (numpy/scipy source builds); devToRuntime names the
	// library what they compiled links.
	"gfortran": true, "g77": true,
	// msgfmt for Django's compilemessages and Babel's: the .mo files it
	// writes are what the app reads (Python's gettext module).
	"gettext": true,
}

// The versioned compiler packages of the Debian and Ubuntu releases in the
// tables (buster's gcc-8 to noble's gcc-14, clang-11 to clang-19): a
// Dockerfile may pin one (gcc-12, gfortran-13).
func init() {
	for v := 8; v <= 14; v++ {
		for _, n := range []string{"gcc", "g++", "gfortran"} {
			buildOnlyPackages[fmt.Sprintf("%s-%d", n, v)] = true
		}
		devToRuntime[fmt.Sprintf("gfortran-%d", v)] = map[string]string{"*": "libgfortran5"}
	}
	for v := 11; v <= 19; v++ {
		buildOnlyPackages[fmt.Sprintf("clang-%d", v)] = true
	}
	// Boost's compiled libraries, one package per component and Boost
	// version: the version each release's boost-defaults picks (1.83's
	// kept their names through the 64-bit time_t transition:
	// libboost-program-options1.83.0 beside libssl3t64 in noble and trixie
	// Dockerfiles); libboost-dev is headers only.
	buildOnlyPackages["libboost-dev"] = true
	buildOnlyPackages["libeigen3-dev"] = true // headers only
	boost := map[string]string{"bionic": "1.65.1", "buster": "1.67.0", "focal": "1.71.0", "bullseye": "1.74.0", "bookworm": "1.74.0", "jammy": "1.74.0", "trixie": "1.83.0", "noble": "1.83.0"}
	for _, comp := range []string{"system", "filesystem", "program-options", "thread", "regex", "date-time", "chrono",
		"iostreams", "serialization", "locale", "log", "atomic", "random", "timer", "context", "coroutine", "graph", "wave"} {
		m := map[string]string{}
		for rel, ver := range boost {
			m[rel] = "libboost-" + comp + ver
		}
		devToRuntime["libboost-"+comp+"-dev"] = m
		lib := "boost_" + strings.ReplaceAll(comp, "-", "_")
		linkLibs[lib] = "libboost-" + comp + "-dev"
		cmakeLinkItems["Boost::"+strings.TrimPrefix(lib, "boost_")] = []string{lib}
	}
	cmakeLinkItems["Boost::boost"], cmakeLinkItems["Boost::headers"] = nil, nil // header-only
}

// busyboxApplets are the tools of slimMissingTools that alpine's busybox
// provides.
var busyboxApplets = map[string]bool{"wget": true, "nc": true, "netcat": true, "ps": true}

// rpmSetupTools are packages an Amazon Linux or UBI builder installs for
// the build or the account setup (gradlew needs xargs, useradd comes from
// shadow-utils), which the runtime does not need or has.
var rpmSetupTools = map[string]bool{
	"shadow-utils": true, "findutils": true, "tar": true, "gzip": true, "unzip": true, "which": true,
	"git": true, "make": true, "gcc": true, "gcc-c++": true, "xz": true, "bzip2": true, "diffutils": true,
	"wget": true, "curl": true, "-y": true, "maven": true, "gradle": true, "ant": true,
}

// crossDistroLibs are library packages named alike in every Debian and
// Ubuntu release the runtimes use.
var crossDistroLibs = map[string]bool{
	"libfreetype6": true, "libfontconfig1": true, "libxrender1": true, "libxext6": true, "libxi6": true,
	"libxtst6": true, "libx11-6": true, "libgomp1": true, "libpq5": true, "libxml2": true, "libsqlite3-0": true,
	"libnss3": true, "libstdc++6": true, "libgcc-s1": true, "libc6": true, "libxslt1.1": true, "libyaml-0-2": true,
}

// distroOf is "ubuntu" or "debian" for an image whose distribution is
// known, else "".
func distroOf(im Image) string {
	switch im.Release {
	case "jammy", "noble", "focal", "bionic", "xenial":
		return "ubuntu"
	case "buster", "bullseye", "bookworm", "trixie", "stretch", "jessie":
		return "debian"
	}
	switch im.Family {
	case "ubuntu":
		return "ubuntu"
	case "eclipse-temurin":
		if im.Libc != "musl" {
			return "ubuntu"
		}
	case "openjdk", "maven", "gradle":
		// openjdk's and maven's -openjdk tags are Debian-based (the
		// oraclelinux ones use microdnf, a skip of their own); the
		// -eclipse-temurin ones are Ubuntu's like temurin itself.
		switch {
		case im.Libc == "musl":
		case strings.Contains(im.Tag, "temurin") || strings.Contains(im.Tag, "jammy") || strings.Contains(im.Tag, "noble") || strings.Contains(im.Tag, "focal"):
			return "ubuntu"
		case strings.Contains(im.Tag, "openjdk") || im.Family == "openjdk" && !strings.Contains(im.Tag, "oracle"):
			return "debian"
		}
	case "debian", "golang", "node", "python", "ruby", "rust", "gcc", "php", "buildpack-deps":
		return "debian"
	}
	return ""
}

// virtualSince are packages that were real (transitional) in older
// releases and are only virtual in newer ones, with the package they
// pulled in: buster's and bullseye's netcat depended on netcat-traditional.
var virtualSince = map[string]string{"netcat": "netcat-traditional"}

// toolPackages name the Debian and Ubuntu package of a tool whose name is
// not one (netcat is virtual, with two providers apt will not choose from).
var toolPackages = map[string]string{"nc": "netcat-openbsd", "netcat": "netcat-openbsd", "ps": "procps"}

// isBuildOnly reports whether a package serves the build alone: a build
// tool, or an alpine package of static archives (openssl-libs-static),
// which nothing loads at run time.
func isBuildOnly(pkg string) bool {
	return buildOnlyPackages[pkg] || strings.HasSuffix(pkg, "-static")
}

// devRuntimeName is the run-time package of a -dev package on a release
// ("" when not known).
func devRuntimeName(dev, release string) string {
	m := devToRuntime[dev]
	if rt, ok := m[release]; ok {
		return rt
	}
	return m["*"]
}

// devToRuntime maps a Debian build package to the library package a
// program linked against it needs at run time, per release (Rails'
// generator and REWRITE-RULES §4). "*" applies to every release.
var devToRuntime = map[string]map[string]string{
	"libpq-dev":                  {"*": "libpq5"},
	"libjansson-dev":             {"*": "libjansson4"},
	"libmysqlclient-dev":         {"bionic": "libmysqlclient20", "focal": "libmysqlclient21", "jammy": "libmysqlclient21", "noble": "libmysqlclient21"},
	"libgeos-dev":                {"buster": "libgeos-c1v5", "bullseye": "libgeos-c1v5", "bookworm": "libgeos-c1v5", "trixie": "libgeos-c1t64", "focal": "libgeos-c1v5", "jammy": "libgeos-c1v5", "noble": "libgeos-c1t64"},
	"libproj-dev":                {"buster": "libproj13", "bullseye": "libproj19", "bookworm": "libproj25", "trixie": "libproj25", "focal": "libproj15", "jammy": "libproj22", "noble": "libproj25"},
	"freetds-dev":                {"*": "libsybdb5"},
	"libzbar-dev":                {"buster": "libzbar0", "bullseye": "libzbar0", "bookworm": "libzbar0", "trixie": "libzbar0t64", "focal": "libzbar0", "jammy": "libzbar0", "noble": "libzbar0t64"},
	"libtiff-dev":                {"buster": "libtiff5", "bullseye": "libtiff5", "bookworm": "libtiff6", "trixie": "libtiff6", "focal": "libtiff5", "jammy": "libtiff5", "noble": "libtiff6"},
	"libharfbuzz-dev":            {"*": "libharfbuzz0b"},
	"libfribidi-dev":             {"*": "libfribidi0"},
	"libxcb1-dev":                {"*": "libxcb1"},
	"libzmq3-dev":                {"*": "libzmq5"},
	"libncurses5-dev":            {"*": "libncurses6"},
	"libncursesw5-dev":           {"*": "libncursesw6"},
	"libmpfr-dev":                {"*": "libmpfr6"},
	"libmpc-dev":                 {"*": "libmpc3"},
	"libkrb5-dev":                {"*": "libgssapi-krb5-2"},
	"libcurl4-gnutls-dev":        {"buster": "libcurl3-gnutls", "bullseye": "libcurl3-gnutls", "bookworm": "libcurl3-gnutls", "trixie": "libcurl3t64-gnutls", "focal": "libcurl3-gnutls", "jammy": "libcurl3-gnutls", "noble": "libcurl3t64-gnutls"},
	"libdbus-1-dev":              {"*": "libdbus-1-3"},
	"libsystemd-dev":             {"*": "libsystemd0"},
	"libusb-1.0-0-dev":           {"*": "libusb-1.0-0"},
	"libglib2.0-dev":             {"buster": "libglib2.0-0", "bullseye": "libglib2.0-0", "bookworm": "libglib2.0-0", "trixie": "libglib2.0-0t64", "focal": "libglib2.0-0", "jammy": "libglib2.0-0", "noble": "libglib2.0-0t64"},
	"libmemcached-dev":           {"buster": "libmemcached11", "bullseye": "libmemcached11", "bookworm": "libmemcached11", "trixie": "libmemcached11t64", "focal": "libmemcached11", "jammy": "libmemcached11", "noble": "libmemcached11t64"},
	"libfontconfig1-dev":         {"*": "libfontconfig1"},
	"libnss3-dev":                {"*": "libnss3"},
	"libleveldb-dev":             {"*": "libleveldb1d"},
	"libgirepository1.0-dev":     {"*": "libgirepository-1.0-1"},
	"libxmlsec1-dev":             {"buster": "libxmlsec1-openssl", "bullseye": "libxmlsec1-openssl", "bookworm": "libxmlsec1-openssl", "trixie": "libxmlsec1t64-openssl", "focal": "libxmlsec1-openssl", "jammy": "libxmlsec1-openssl", "noble": "libxmlsec1t64-openssl"},
	"libgdal-dev":                {"buster": "libgdal20", "bullseye": "libgdal28", "bookworm": "libgdal32", "trixie": "libgdal36", "focal": "libgdal26", "jammy": "libgdal30", "noble": "libgdal34t64"},
	"default-libmysqlclient-dev": {"*": "libmariadb3"},
	"libmariadb-dev":             {"*": "libmariadb3"},
	"libmariadb-dev-compat":      {"*": "libmariadb3"},
	"libssl-dev":                 {"bookworm": "libssl3", "bullseye": "libssl1.1", "trixie": "libssl3t64", "buster": "libssl1.1", "jammy": "libssl3", "noble": "libssl3t64", "focal": "libssl1.1", "bionic": "libssl1.1"},
	"libffi-dev":                 {"bookworm": "libffi8", "trixie": "libffi8", "bullseye": "libffi7", "buster": "libffi6", "jammy": "libffi8", "noble": "libffi8", "focal": "libffi7"},
	"libxml2-dev":                {"*": "libxml2"},
	"libxslt1-dev":               {"*": "libxslt1.1"},
	"libxslt-dev":                {"*": "libxslt1.1"}, // a virtual package of libxslt1-dev
	"libjpeg-dev":                {"*": "libjpeg62-turbo", "jammy": "libjpeg8", "noble": "libjpeg8", "focal": "libjpeg8"},
	"libjpeg62-turbo-dev":        {"*": "libjpeg62-turbo"},
	"zlib1g-dev":                 {"*": "zlib1g"},
	"libz-dev":                   {"*": "zlib1g"},
	"libsqlite3-dev":             {"*": "libsqlite3-0"},
	"libyaml-dev":                {"*": "libyaml-0-2"},
	"libcurl4-openssl-dev":       {"bookworm": "libcurl4", "bullseye": "libcurl4", "trixie": "libcurl4t64", "buster": "libcurl4", "jammy": "libcurl4", "noble": "libcurl4t64", "focal": "libcurl4", "bionic": "libcurl4"},
	"libltdl-dev":                {"*": "libltdl7"},
	"libgdk-pixbuf2.0-dev":       {"buster": "libgdk-pixbuf2.0-0", "bionic": "libgdk-pixbuf2.0-0", "focal": "libgdk-pixbuf2.0-0", "bullseye": "libgdk-pixbuf-2.0-0", "bookworm": "libgdk-pixbuf-2.0-0", "trixie": "libgdk-pixbuf-2.0-0", "jammy": "libgdk-pixbuf-2.0-0", "noble": "libgdk-pixbuf-2.0-0"},
	"libjsoncpp-dev":             {"buster": "libjsoncpp1", "bullseye": "libjsoncpp24", "bookworm": "libjsoncpp25", "trixie": "libjsoncpp26", "bionic": "libjsoncpp1", "focal": "libjsoncpp1", "jammy": "libjsoncpp25", "noble": "libjsoncpp25"},
	"libpng-dev":                 {"*": "libpng16-16", "trixie": "libpng16-16t64", "noble": "libpng16-16t64"},
	"libbz2-dev":                 {"*": "libbz2-1.0"},
	"liblzma-dev":                {"*": "liblzma5"},
	"libzstd-dev":                {"*": "libzstd1"},
	"liblz4-dev":                 {"*": "liblz4-1"},
	"libbrotli-dev":              {"*": "libbrotli1"},
	"libgmp-dev":                 {"*": "libgmp10"},
	"libpcre3-dev":               {"*": "libpcre3"},
	"librdkafka-dev":             {"bookworm": "librdkafka1", "bullseye": "librdkafka1", "buster": "librdkafka1", "jammy": "librdkafka1", "focal": "librdkafka1"},
	"libcairo2-dev":              {"*": "libcairo2"},
	"libpango1.0-dev":            {"*": "libpangocairo-1.0-0"}, // depends on libpango-1.0-0 and libcairo2
	"libgif-dev":                 {"*": "libgif7"},
	"librsvg2-dev":               {"*": "librsvg2-2"},
	"libgc-dev":                  {"*": "libgc1", "buster": "libgc1c2", "focal": "libgc1c2", "bionic": "libgc1c2"},
	"libpcre2-dev":               {"*": "libpcre2-8-0"},
	"libreadline-dev":            {"bookworm": "libreadline8", "bullseye": "libreadline8", "trixie": "libreadline8t64", "jammy": "libreadline8", "noble": "libreadline8t64"},
	"libsasl2-dev":               {"*": "libsasl2-2"},
	"libldap2-dev":               {"bookworm": "libldap-2.5-0", "bullseye": "libldap-2.4-2", "jammy": "libldap-2.5-0", "trixie": "libldap2", "noble": "libldap2"},
	"libsodium-dev":              {"*": "libsodium23"},
	"libjemalloc-dev":            {"*": "libjemalloc2"},
	"libuv1-dev":                 {"bookworm": "libuv1", "bullseye": "libuv1", "trixie": "libuv1t64", "jammy": "libuv1", "noble": "libuv1t64"},
	"libevent-dev":               {"bookworm": "libevent-2.1-7", "bullseye": "libevent-2.1-7", "trixie": "libevent-2.1-7t64", "jammy": "libevent-2.1-7", "noble": "libevent-2.1-7t64", "focal": "libevent-2.1-7", "buster": "libevent-2.1-6", "bionic": "libevent-2.1-6"},
	"libmagic-dev":               {"bookworm": "libmagic1", "bullseye": "libmagic1", "trixie": "libmagic1t64", "jammy": "libmagic1", "noble": "libmagic1t64"},
	"libwebp-dev":                {"bookworm": "libwebp7", "trixie": "libwebp7", "bullseye": "libwebp6", "jammy": "libwebp7", "noble": "libwebp7"},
	"libfreetype-dev":            {"*": "libfreetype6"},
	"libfreetype6-dev":           {"*": "libfreetype6"},
	"liblcms2-dev":               {"*": "liblcms2-2"},
	"libopenjp2-7-dev":           {"*": "libopenjp2-7"},
	"libonig-dev":                {"*": "libonig5"},
	"libexpat1-dev":              {"*": "libexpat1"},
	"uuid-dev":                   {"*": "libuuid1"},
	"libpcap-dev":                {"bullseye": "libpcap0.8", "bookworm": "libpcap0.8", "trixie": "libpcap0.8t64", "focal": "libpcap0.8", "jammy": "libpcap0.8", "noble": "libpcap0.8t64"},
	"libhwloc-dev":               {"*": "libhwloc15"},
	"libhyperscan-dev":           {"*": "libhyperscan5"},
	"libnuma-dev":                {"*": "libnuma1"},
	"libcrypt-dev":               {"bullseye": "libcrypt1", "bookworm": "libcrypt1", "trixie": "libcrypt1", "focal": "libcrypt1", "jammy": "libcrypt1", "noble": "libcrypt1"},
	"libcap-dev":                 {"*": "libcap2"},
	"libseccomp-dev":             {"*": "libseccomp2"},
	"libluajit-5.1-dev":          {"*": "libluajit-5.1-2"},
	"libsnappy-dev":              {"*": "libsnappy1v5"},
	"libgl1-mesa-dev":            {"*": "libgl1"},
	"libx11-dev":                 {"*": "libx11-6"},
	"libxext-dev":                {"*": "libxext6"},
	"libxrender-dev":             {"*": "libxrender1"},
	"libxi-dev":                  {"*": "libxi6"},
	"libxcursor-dev":             {"*": "libxcursor1"},
	"libxinerama-dev":            {"*": "libxinerama1"},
	"libxrandr-dev":              {"*": "libxrandr2"},
	"libxxf86vm-dev":             {"*": "libxxf86vm1"},
	"portaudio19-dev":            {"*": "libportaudio2"},
	"libicu-dev":                 {"bookworm": "libicu72", "bullseye": "libicu67", "trixie": "libicu76", "jammy": "libicu70", "noble": "libicu74"},
	"libmagickwand-dev":          {"bullseye": "libmagickwand-6.q16-6", "bookworm": "libmagickwand-6.q16-6", "trixie": "libmagickwand-7.q16-10", "jammy": "libmagickwand-6.q16-6", "noble": "libmagickwand-6.q16-7t64"},
	"libzip-dev":                 {"bookworm": "libzip4", "bullseye": "libzip4", "trixie": "libzip5", "jammy": "libzip4", "noble": "libzip4t64"},
	"libopenblas-dev":            {"*": "libopenblas0", "buster": "libopenblas-base", "bionic": "libopenblas-base"},
	"liblapack-dev":              {"*": "liblapack3"},
	"libblas-dev":                {"*": "libblas3"},
	// A compiler, not headers, but what it compiled links its run-time
	// library, which slim images lack (gcc 8 and later: libgfortran5).
	"gfortran":    {"*": "libgfortran5", "bionic": "libgfortran4"},
	"libvips-dev": {"buster": "libvips42", "bullseye": "libvips42", "bookworm": "libvips42", "trixie": "libvips42t64", "focal": "libvips42", "jammy": "libvips42", "noble": "libvips42t64"},
}

// headerOnly are -dev packages whose library every runtime image has
// already (libc, the interpreter's own headers).
var headerOnly = map[string]bool{
	"libc6-dev": true, "linux-libc-dev": true, "libc-dev": true, "python3-dev": true, "python-dev": true,
	"ruby-dev": true, "libstdc++-dev": true, "libgcc-dev": true,
	// Header-only C++ libraries: nothing to load at run time.
	"nlohmann-json3-dev": true, "nlohmann-json-dev": true, "libeigen3-dev": true, "libglm-dev": true,
	"libcxxopts-dev": true, "libcereal-dev": true, "librange-v3-dev": true, "libcli11-dev": true,
}

// apkDevToRuntime is the same for Alpine.
var apkDevToRuntime = map[string]string{
	"postgresql-dev": "libpq", "libpq-dev": "libpq", "mariadb-dev": "mariadb-connector-c", "openssl-dev": "openssl",
	"libffi-dev": "libffi", "libxml2-dev": "libxml2", "libxslt-dev": "libxslt", "jpeg-dev": "libjpeg-turbo",
	"zlib-dev": "zlib", "sqlite-dev": "sqlite-libs", "yaml-dev": "yaml", "curl-dev": "libcurl", "libpng-dev": "libpng",
	"gfortran": "libgfortran", "vips-dev": "vips", "cairo-dev": "cairo", "pango-dev": "pango", "giflib-dev": "giflib",
	"librsvg-dev": "librsvg", "freetype-dev": "freetype", "libwebp-dev": "libwebp", "tiff-dev": "tiff", "lcms2-dev": "lcms2",
	"icu-dev": "icu-libs", "libsodium-dev": "libsodium", "gmp-dev": "gmp", "readline-dev": "readline", "libevent-dev": "libevent",
	"pcre-dev": "pcre", "pcre2-dev": "pcre2", "libuv-dev": "libuv", "krb5-dev": "krb5-libs", "unixodbc-dev": "unixodbc",
	"libzip-dev": "libzip", "openjpeg-dev": "openjpeg", "libpcap-dev": "libpcap",
	"mariadb-connector-c-dev": "mariadb-connector-c", "libressl-dev": "libressl", "geos-dev": "geos", "proj-dev": "proj",
	"gdal-dev": "gdal", "lapack-dev": "lapack", "openblas-dev": "openblas", "libjpeg-turbo-dev": "libjpeg-turbo",
	"harfbuzz-dev": "harfbuzz", "fribidi-dev": "fribidi", "libxcb-dev": "libxcb", "zeromq-dev": "libzmq",
	"imagemagick-dev": "imagemagick-libs", "file-dev": "libmagic", "cyrus-sasl-dev": "libsasl", "openldap-dev": "libldap",
	"ncurses-dev": "ncurses-libs", "bzip2-dev": "libbz2", "xz-dev": "xz-libs", "zstd-dev": "zstd-libs", "lz4-dev": "lz4-libs",
	"glib-dev": "glib", "dbus-dev": "dbus-libs", "libusb-dev": "libusb", "snappy-dev": "snappy", "hdf5-dev": "hdf5",
}

// aptSourceRe finds a RUN that adds a package source or its key (the
// NodeSource setup script adds one).
var aptSourceRe = regexp.MustCompile(`sources\.list|add-apt-repository|apt-key|/etc/apt/keyrings|/usr/share/keyrings|/etc/apt/apt\.conf|/etc/apk/repositories|deb\.nodesource\.com/setup`)

// sourcePackages are well-known vendor package sources and the packages
// they provide (name prefixes), to name what a skip is about.
var sourcePackages = []struct {
	host string
	pkgs []string
}{
	{"deb.nodesource.com", []string{"nodejs"}},
	{"dl.yarnpkg.com", []string{"yarn"}},
	{"apt.postgresql.org", []string{"postgresql", "libpq"}},
	{"download.docker.com", []string{"docker-ce", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"}},
	{"dl.google.com/linux", []string{"google-chrome"}},
	{"repo.mongodb.org", []string{"mongodb-"}},
	{"packages.confluent.io", []string{"librdkafka", "confluent-"}},
}

// archivedSuccessor is the release a program of an archived one moves to
// when all it needs from apt is releaseFree.
const archivedSuccessor = "bookworm"

// releaseFree reports whether every package is a program or data package
// of the same name and use on every Debian release (no library, whose
// soname may have changed).
func releaseFree(names []string) bool {
	for _, n := range names {
		switch n {
		case "ca-certificates", "tzdata", "curl", "wget", "netbase", "procps", "bash", "tini", "gosu", "dumb-init", "iproute2", "iputils-ping", "netcat-traditional", "openssl", "git", "unzip", "xz-utils", "gzip", "tar", "jq", "less", "file":
		default:
			return false
		}
	}
	return true
}

// archivedReleases are Debian releases whose packages left the mirrors for
// archive.debian.org (buster in 2024, after its LTS).
var archivedReleases = map[string]bool{"jessie": true, "stretch": true, "buster": true}

// skipPackages only serve apt itself (adding repositories).
var skipPackages = regexp.MustCompile(`^(apt-transport-https|software-properties-common|lsb-release)$`)

var passPackages = &Pass{
	Name: "packages",
	Doc: `Decides the system packages the runtime stage needs.
Compilers, headers and download tools stay in the builder; a -dev package a native build linked
against becomes its run-time library (libpq-dev -> libpq5, zlib1g-dev -> zlib1g, per Debian
release); other packages the Dockerfile installed (an image tool, fonts) are installed again;
curl, wget, nc or ps called by HEALTHCHECK, CMD or ENTRYPOINT are installed (netcat-openbsd,
procps), because slim images lack them (not what busybox has on alpine, nor curl and wget on the
Ubuntu temurin images).
ca-certificates and tzdata the Dockerfile installed are installed again, and a Go program on a
Debian slim runtime gets ca-certificates (and tzdata on trixie, where slim lacks it) because the
golang image had them; a ruby or node slim runtime on trixie gets tzdata too (python's slim
images install it themselves). A runtime without a package manager (distroless) is then replaced by the
slim Debian image of the builder's release. A debian slim runtime whose release moved to
archive.debian.org (jessie, stretch, buster), where apt-get fails, becomes bookworm-slim when every
package it needs is a program or data package of the same name on every release (ca-certificates,
tzdata, curl...): a program linked against an older glibc runs on a newer one. A library there is a
skip. A package installed after the Dockerfile adds a package source is a skip (the runtime would
need that source), unless every URL that step names is a known vendor's (NodeSource, Yarn,
PostgreSQL, Docker, Chrome, MongoDB, Confluent) that does not provide it: postgresql-client beside
the Yarn source is Debian's. That holds for a -dev package too, whose run-time library would come
from the source (Confluent's librdkafka). A -dev package installed with its recommends that maps to
libcurl brings ca-certificates, which libcurl4 recommends; libc6-dev installed with libgdiplus stays
(System.Drawing loads the unversioned libdl.so, only libc6-dev's before glibc 2.34). A runtime whose
Debian release is not known (node:16.14.2, aspnet:5.0: possibly buster, archived) gets no apt-get
install unless the Dockerfile itself runs apt-get on that image: a skip. tzdata and the other
packages that ask debconf questions are installed with DEBIAN_FRONTEND=noninteractive unless the
stage sets it. An apt configuration the Dockerfile writes (a proxy in /etc/apt/apt.conf.d) counts as
a package source.`,
	// Requires: every ecosystem pass, set in init.
	Run: func(u *Unit) error {
		p := u.Plan
		if p == nil || p.Ecosystem == "php" {
			return nil // the PHP runtime is the builder's image, its setup repeated
		}
		needs := u.runtimeNeeds()
		purged := map[string]bool{}
		for _, s := range u.Steps {
			for _, x := range s.Purges {
				purged[x] = true
			}
		}
		type reason struct {
			why  string
			line int
		}
		want := map[string]reason{}
		musl := u.Base.Libc == "musl"
		runs := u.runtimePrograms()
		dropped := map[int][]string{} // build packages left in the builder, by line
		defer func() {
			var lines []int
			for l := range dropped {
				lines = append(lines, l)
			}
			sort.Ints(lines)
			for _, l := range lines {
				var left []string
				for _, pkg := range dropped[l] {
					if _, kept := want[pkg]; !kept {
						left = append(left, pkg)
					}
				}
				if len(left) > 0 {
					// curl for a HEALTHCHECK on a runtime that has it is
					// not installed again, though the container runs it.
					what := "build tools and headers the container does not run"
					for _, pkg := range left {
						if _, tool := needs.Tools[pkgProgram(pkg)]; runs[pkgProgram(pkg)] || tool {
							what = "build tools and headers, and programs the runtime image has itself"
						}
					}
					u.Fact(l, "left in the builder: %s (%s)", strings.Join(left, ", "), what)
				}
			}
		}()
		sourceLine := 0      // the first RUN that adds a package source
		var sourceStep *Step // that RUN
		recommends := false  // a program was installed with its recommended packages
		sourceSkip := func(s *Step, pkg string) {
			u.Skip(s.In.StartLine, "%s", u.sourceSkipReason(s, pkg, sourceStep))
		}
		// mayComeFromSource: a package source was added by now, and pkg is
		// not known to come from the distribution all the same.
		mayComeFromSource := func(pkg string) bool { return sourceLine != 0 && !fromDistribution(sourceStep, pkg) }
		for _, s := range u.Steps {
			if p.Replays[s.In] != "" || p.Left[s.In] {
				continue // repeated in the runtime stage as it is, or left behind on purpose
			}
			if p.Runtime.Ref != u.Base.Ref {
				for _, c := range s.Commands {
					if n := c.Name(); (n == "yum" || n == "dnf" || n == "microdnf") && slices.Contains(c.Args, "install") {
						for _, pkg := range nonFlags(c.Args[1:]) {
							if pkg != "install" && !rpmSetupTools[pkg] {
								u.Skip(s.In.StartLine, "line %d installs %s with %s, whose name on %s (apt or apk) is not known", s.In.StartLine, pkg, n, p.Runtime.Ref)
								return nil
							}
						}
					}
				}
			}
			if sourceLine == 0 && (s.In.Keyword == "run" || s.In.Keyword == "copy" || s.In.Keyword == "add") && aptSourceRe.MatchString(string(s.In.Raw)) {
				sourceLine, sourceStep = s.In.StartLine, s
			}
			for _, pkg := range s.Installs {
				if purged[pkg] || strings.Contains(pkg, "$") {
					continue
				}
				if strings.HasSuffix(pkg, ".deb") || strings.HasSuffix(pkg, ".apk") || strings.Contains(pkg, "/") {
					u.Skip(s.In.StartLine, "line %d installs the package file %s, which the runtime stage does not have: install it there by hand", s.In.StartLine, pkg)
					return nil
				}
				if !strings.HasSuffix(pkg, "-dev") && !isBuildOnly(pkg) && !skipPackages.MatchString(pkg) && mayComeFromSource(pkg) {
					sourceSkip(s, pkg)
					return nil
				}
				switch {
				case musl:
					if rt, ok := apkDevToRuntime[pkg]; ok {
						if !p.Static && mayComeFromSource(pkg) {
							sourceSkip(s, pkg) // a -dev of an edge or vendor repository
							return nil
						}
						if !p.Static {
							want[rt] = reason{fmt.Sprintf("line %d installs %s for the build; the program needs %s at run time", s.In.StartLine, pkg, rt), s.In.StartLine}
						}
						continue
					}
					if strings.HasSuffix(pkg, "-dev") && !isBuildOnly(pkg) && !headerOnly[pkg] && !p.Static {
						if p.Ecosystem == "python" || p.Ecosystem == "ruby" || p.Ecosystem == "node" {
							u.Skip(s.In.StartLine, "line %d installs %s, whose run-time package is not known (docs/tables.md): a package built from source against it would not find its library in the runtime", s.In.StartLine, pkg)
							return nil
						}
						u.Warn(s.In.StartLine, "%s: no run-time package is known for it (docs/tables.md); if the program links its library, install that in the runtime stage", pkg)
					}
					if strings.HasSuffix(pkg, "-dev") || isBuildOnly(pkg) {
						continue
					}
				case devToRuntime[pkg] != nil:
					if p.Static {
						continue // a static binary links nothing at run time
					}
					if mayComeFromSource(pkg) {
						// librdkafka-dev from Confluent's source: the
						// runtime's librdkafka1 would be Debian's, older.
						sourceSkip(s, pkg)
						return nil
					}
					rt := devRuntimeName(pkg, u.Base.Release)
					if rt == "" && u.Base.Release != "" {
						u.Skip(s.In.StartLine, "%s needs a run-time library whose name depends on the release, and the table has none for %s (%s): docs/tables.md", pkg, u.Base.Release, u.Base.Expanded)
						return nil
					}
					if rt == "" {
						u.Skip(s.In.StartLine, "%s needs a run-time library whose name depends on the Debian release, and the release of %s is unknown", pkg, u.Base.Expanded)
						return nil
					}
					want[rt] = reason{fmt.Sprintf("line %d installs %s for the build; the program needs %s at run time", s.In.StartLine, pkg, rt), s.In.StartLine}
					if strings.HasPrefix(rt, "libcurl") && installsRecommends(s) {
						// libcurl4 recommends ca-certificates: the original
						// had the CA bundle its HTTPS transfers verify with.
						want["ca-certificates"] = reason{fmt.Sprintf("line %d installs %s with its recommends, and %s recommends ca-certificates, the CA bundle libcurl verifies HTTPS servers with", s.In.StartLine, pkg, rt), s.In.StartLine}
					}
					continue
				case strings.HasSuffix(pkg, "-dev") && !isBuildOnly(pkg) && !headerOnly[pkg] && !p.Static:
					if p.Ecosystem == "go" {
						// cgo links what the Dockerfile installed headers for.
						u.Skip(s.In.StartLine, "line %d installs %s, whose run-time package is not known (docs/tables.md): the cgo binary links its library, and the runtime would lack it", s.In.StartLine, pkg)
						return nil
					}
					if p.Ecosystem == "python" || p.Ecosystem == "ruby" || p.Ecosystem == "node" {
						// A package without a wheel or prebuilt binary (xmlsec,
						// a gem's C extension, a node-gyp addon) compiles
						// against it and loads its library at run time.
						u.Skip(s.In.StartLine, "line %d installs %s, whose run-time package is not known (docs/tables.md): a package built from source against it would not find its library in the runtime", s.In.StartLine, pkg)
						return nil
					}
					u.Warn(s.In.StartLine, "%s: no run-time package is known for it (docs/tables.md); if the program links its library, install that in the runtime stage", pkg)
					continue
				case isBuildOnly(pkg) && (runs[pkgProgram(pkg)] || pkg == "gettext" && (runs["msgfmt"] || runs["compilemessages"] || runs["makemessages"])):
					// A build tool the container itself runs (node ssr.js).
					if sourceLine != 0 {
						sourceSkip(s, pkg)
						return nil
					}
					want[pkg] = reason{fmt.Sprintf("line %d installs %s and the container runs %s", s.In.StartLine, pkg, pkgProgram(pkg)), s.In.StartLine}
					if installsRecommends(s) {
						recommends = true
					}
					continue
				case pkg == "libc6-dev" && u.installs("libgdiplus") && !musl && u.glibcMayPredate234():
					// System.Drawing (libgdiplus) loads "libdl", which before
					// glibc 2.34 only libc6-dev's unversioned libdl.so
					// provides (dotnet/dotnet-docker#618).
					want[pkg] = reason{fmt.Sprintf("line %d installs libc6-dev with libgdiplus: System.Drawing loads the unversioned libdl.so, which only libc6-dev has before glibc 2.34", s.In.StartLine), s.In.StartLine}
					continue
				case strings.HasSuffix(pkg, "-dev") || isBuildOnly(pkg):
					dropped[s.In.StartLine] = append(dropped[s.In.StartLine], pkg)
					continue
				}
				if skipPackages.MatchString(pkg) {
					continue
				}
				if alt, ok := virtualSince[pkg]; ok && !musl {
					// A real package of older releases is only a virtual
					// one in newer ones (netcat since bookworm and noble),
					// where apt-get will not pick a provider; the package
					// it stood for exists in every release.
					want[alt] = reason{fmt.Sprintf("line %d installs %s, which the program may call at run time; it is a virtual package on newer releases, so %s, the package it stood for, is installed", s.In.StartLine, pkg, alt), s.In.StartLine}
					continue
				}
				if bd, rd := distroOf(u.Base), distroOf(p.Runtime); strings.HasPrefix(pkg, "lib") && !crossDistroLibs[pkg] && !musl && bd != "" && rd != "" && bd != rd {
					// libjpeg62-turbo is Debian's, libjpeg-turbo8 Ubuntu's:
					// library package names differ between the two.
					u.Skip(s.In.StartLine, "line %d installs %s on %s (%s), and the runtime %s is %s, where library packages are named differently", s.In.StartLine, pkg, u.Base.Expanded, bd, p.Runtime.Ref, rd)
					return nil
				}
				want[pkg] = reason{fmt.Sprintf("line %d installs %s, which the program may call at run time", s.In.StartLine, pkg), s.In.StartLine}
				if installsRecommends(s) {
					recommends = true
				}
			}
		}
		for _, pk := range p.Packages {
			if _, ok := want[pk.Name]; !ok {
				want[pk.Name] = reason{pk.Why, pk.Line}
			}
		}
		for tool, line := range needs.Tools {
			musl := p.Runtime.Libc == "musl" || p.Runtime.Family == "alpine"
			if p.Runtime.Family == "eclipse-temurin" && !musl && (tool == "curl" || tool == "wget") {
				// The Ubuntu temurin images install curl and wget themselves
				// (adoptium/containers).
				u.Fact(line, "line %d calls %s, which %s has", line, tool, p.Runtime.Ref)
				continue
			}
			if musl && busyboxApplets[tool] {
				u.Fact(line, "line %d calls %s, which busybox provides in %s", line, tool, p.Runtime.Ref)
				continue
			}
			pkg := tool
			if name, ok := toolPackages[tool]; ok && !musl {
				pkg = name // nc and ps are not package names
			}
			want[pkg] = reason{fmt.Sprintf("line %d calls %s, which the slim runtime image lacks (package %s)", line, tool, pkg), line}
		}
		// A tool the Dockerfile installed and the container's script calls
		// (docker-entrypoint.sh running curl) is needed at run time.
		if script, words := u.runtimeScript(); script != "" {
			for _, s := range u.Steps {
				for _, pkg := range s.Installs {
					if slimMissingTools[pkg] && words[pkg] && !purged[pkg] {
						want[pkg] = reason{fmt.Sprintf("line %d installs %s and %s calls it", s.In.StartLine, pkg, script), s.In.StartLine}
					}
				}
			}
			// curl and wget come with the full images (buildpack-deps'
			// curl layer, the .NET SDK), not with slim ones or aspnet.
			full := !strings.Contains(u.Base.Tag, "slim") && u.Base.Libc != "musl" && p.Runtime.Ref != u.Base.Ref
			musl := p.Runtime.Libc == "musl" || p.Runtime.Family == "alpine"
			for _, tool := range []string{"curl", "wget"} {
				if _, ok := want[tool]; ok || !words[tool] || !full || musl || p.Runtime.Family == "eclipse-temurin" || p.Runtime.Family == "distroless" {
					continue
				}
				want[tool] = reason{fmt.Sprintf("%s calls %s, which %s had and %s lacks", script, tool, u.Base.Expanded, p.Runtime.Ref), 0}
			}
		}
		// update-ca-certificates runs again in the runtime (effects pass):
		// ca-certificates provides it.
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				if c.Name() == "update-ca-certificates" && p.Replays[s.In] == "" {
					if _, ok := want["ca-certificates"]; !ok {
						want["ca-certificates"] = reason{fmt.Sprintf("line %d adds certificates with update-ca-certificates, which the runtime runs again", s.In.StartLine), s.In.StartLine}
					}
				}
			}
		}
		if p.Runtime.Family == "distroless" {
			// Every distroless image has both.
			delete(want, "ca-certificates")
			delete(want, "tzdata")
		}
		slimPolicy := u.Opts.Runtime == "" || u.Opts.Runtime == RuntimeSlim // distroless and scratch bring their own
		if p.Ecosystem == "go" && slimPolicy && (p.Runtime.Family == "debian" || p.Runtime.Family == "distroless" && len(want) > 0) {
			// The golang image has both; a Go program reads them at run
			// time (TLS roots, time.LoadLocation), and distroless has them.
			if _, ok := want["ca-certificates"]; !ok {
				want["ca-certificates"] = reason{"the golang image had CA certificates, which the program's TLS clients read; debian slim lacks them", 0}
			}
			if rel := p.Runtime.Release; rel == "trixie" || rel == "" && u.Base.Release == "trixie" {
				if _, ok := want["tzdata"]; !ok {
					want["tzdata"] = reason{"the golang image had the time zone database, which time.LoadLocation reads; debian:trixie-slim lacks it", 0}
				}
			}
		}
		// python's slim images install tzdata themselves
		// (docker-library/python's slim Dockerfiles); node's and ruby's
		// do not.
		interp := p.Ecosystem == "ruby" || p.Ecosystem == "node"
		if interp && strings.Contains(p.Runtime.Tag, "slim") && !strings.Contains(u.Base.Tag, "slim") && u.Base.Libc != "musl" &&
			(p.Runtime.Release == "trixie" || p.Runtime.Release == "" && u.Base.Release == "trixie") {
			// The full images (buildpack-deps) have the time zone database,
			// and trixie's slim images dropped it: Rails, zoneinfo and
			// Intl read it at run time.
			if _, ok := want["tzdata"]; !ok {
				want["tzdata"] = reason{fmt.Sprintf("%s had the time zone database; %s, on trixie, lacks it", u.Base.Expanded, p.Runtime.Ref), 0}
			}
		}
		if len(want) == 0 {
			return nil
		}
		if p.Runtime.Family == "distroless" {
			rel := u.Base.Release
			if rel == "" || u.Base.Libc == "musl" {
				rel = "bookworm"
			}
			ref := "debian:" + rel + "-slim"
			u.Fact(u.Stage.From.StartLine, "runtime %s instead of distroless: the container needs system packages (%s)", ref, strings.Join(mapKeys(want), ", "))
			p.Runtime = ParseImage(ref, ref)
		}
		names := mapKeys(want)
		var why []string
		line := 0
		for _, n := range names {
			why = append(why, want[n].why)
			if line == 0 || want[n].line < line {
				line = want[n].line
			}
		}
		if rel := p.Runtime.Release; archivedReleases[rel] {
			copiesGccLibs := false // the gcc image's libstdc++, older than the newer release's
			for _, c := range p.Copies {
				if _, in := under(c.Src, gccLibDir); in {
					copiesGccLibs = true
				}
			}
			if p.Runtime.Family != "debian" || !releaseFree(names) || copiesGccLibs {
				u.Skip(line, "the runtime %s is on Debian %s, whose packages moved to archive.debian.org: apt-get cannot install %s there as the Dockerfile is written", p.Runtime.Ref, rel, strings.Join(names, ", "))
				return nil
			}
			// A program linked against an older glibc runs on a newer one
			// (glibc keeps its old symbol versions), and these packages
			// are the same on a release the mirrors still serve.
			ref := "debian:" + archivedSuccessor + "-slim"
			u.Fact(line, "runtime %s instead of %s: Debian %s moved to archive.debian.org, so apt-get cannot install %s there; the program, linked against %s's older glibc, runs on %s's, and needs no library whose name changed", ref, p.Runtime.Ref, rel, strings.Join(names, ", "), rel, archivedSuccessor)
			p.Runtime = ParseImage(ref, ref)
		}
		if p.Runtime.Release == "" && p.Runtime.Libc != "musl" && p.Runtime.Family != "alpine" && !u.runsApt() && !currentDotnet(u.Base) {
			// node:16.14.2, aspnet:5.0: tags whose Debian may be buster,
			// which left deb.debian.org in 2025.
			u.Skip(line, "the runtime %s needs %s from apt, and the Debian release of %s is not known: on an archived release (buster, stretch) apt-get fails, and the Dockerfile never runs apt-get on this image to show it works", p.Runtime.Ref, strings.Join(names, ", "), u.Base.Expanded)
			return nil
		}
		in := u.installRun(p.Runtime, names, recommends)
		p.RuntimeRuns = append([]Gen{{In: in, Why: strings.Join(why, "; "), Line: line}}, p.RuntimeRuns...)
		return nil
	},
}

// sourceSkipReason says why a package installed at s, at or after the RUN
// src that adds a package source, stops the split. The packages that come
// from the source are named when its host is a known vendor's; otherwise
// the packages the same RUN installs, any of which may come from it.
func (u *Unit) sourceSkipReason(s *Step, pkg string, src *Step) string {
	raw := string(src.In.Raw)
	var hosts, from []string
	for _, sp := range sourcePackages {
		if !strings.Contains(raw, sp.host) {
			continue
		}
		hosts = append(hosts, sp.host)
		for _, x := range u.Steps {
			if x.In.StartLine < src.In.StartLine {
				continue
			}
			for _, p := range x.Installs {
				for _, prefix := range sp.pkgs {
					if strings.HasPrefix(p, prefix) && !contains(from, p) {
						from = append(from, p)
					}
				}
			}
		}
	}
	const need = "the runtime stage would need that source (and its key) too"
	if len(from) > 0 {
		verb := "come"
		if len(from) == 1 {
			verb = "comes"
		}
		if len(hosts) > 1 {
			return fmt.Sprintf("line %d adds the package sources of %s, and %s %s from them: the runtime stage would need those sources (and their keys) too", src.In.StartLine, strings.Join(hosts, " and "), strings.Join(from, ", "), verb)
		}
		return fmt.Sprintf("line %d adds the package source of %s, and %s %s from it: %s", src.In.StartLine, hosts[0], strings.Join(from, ", "), verb, need)
	}
	if s == src {
		var named []string
		for _, p := range s.Installs {
			if !skipPackages.MatchString(p) && !strings.Contains(p, "$") {
				named = append(named, p)
			}
		}
		which := "any of which"
		if len(named) == 1 {
			which = "which"
		}
		return fmt.Sprintf("line %d adds a package source and installs %s in the same RUN, %s may come from it: %s", s.In.StartLine, strings.Join(named, ", "), which, need)
	}
	return fmt.Sprintf("line %d installs %s after line %d adds a package source, which it may come from: %s", s.In.StartLine, pkg, src.In.StartLine, need)
}

var sourceURLRe = regexp.MustCompile(`https?://[^\s"'>]+`)

// fromDistribution reports whether pkg, installed after src added package
// sources, still comes from the distribution: every URL src names is a
// known vendor's (dl.yarnpkg.com, the key and the list alike), and none of
// those provides pkg. postgresql-client next to the yarn source is
// Debian's.
func fromDistribution(src *Step, pkg string) bool {
	raw := string(src.In.Raw)
	urls := sourceURLRe.FindAllString(raw, -1)
	if len(urls) == 0 || strings.Contains(raw, "add-apt-repository") || strings.Contains(raw, "ppa:") {
		return false
	}
	for _, url := range urls {
		known := false
		for _, sp := range sourcePackages {
			if !strings.Contains(url, sp.host) {
				continue
			}
			known = true
			for _, prefix := range sp.pkgs {
				if strings.HasPrefix(pkg, prefix) {
					return false
				}
			}
		}
		if !known {
			return false
		}
	}
	return true
}

// installRun is the RUN that installs packages on the runtime image,
// written the way the official images do (no recommends, no apt lists).
// recommends keeps apt's recommended packages, as the original had them
// for a program it installed (imagemagick's coders, for one).
func (u *Unit) installRun(rt Image, pkgs []string, recommends bool) *parser.Instruction {
	if rt.Libc == "musl" || rt.Family == "alpine" {
		return u.File.New("RUN", "RUN apk add --no-cache "+strings.Join(pkgs, " "))
	}
	flag := "--no-install-recommends "
	if recommends {
		flag = ""
	}
	install := "apt-get install -y "
	if u.aptAsks(pkgs) {
		install = "DEBIAN_FRONTEND=noninteractive " + install
	}
	return u.File.New("RUN",
		"RUN apt-get update",
		"    && "+install+flag+strings.Join(pkgs, " "),
		"    && rm -rf /var/lib/apt/lists/*")
}

// interactivePackages ask debconf questions when installed (tzdata's
// "Geographic area", on Ubuntu from 18.04): with no answer the build waits.
var interactivePackages = map[string]bool{"tzdata": true, "keyboard-configuration": true, "console-setup": true, "krb5-config": true, "postfix": true}

// aptAsks reports whether the runtime's install needs
// DEBIAN_FRONTEND=noninteractive: a package that asks questions is
// installed, and the stage sets no DEBIAN_FRONTEND the runtime restates.
func (u *Unit) aptAsks(pkgs []string) bool {
	if _, ok := u.finalEnv().Get("DEBIAN_FRONTEND"); ok {
		return false
	}
	for _, p := range pkgs {
		if interactivePackages[p] {
			return true
		}
	}
	return false
}

// installsRecommends reports whether an apt install of the step keeps the
// recommended packages (no --no-install-recommends).
// glibcBefore234 are the releases whose glibc predates 2.34, where libdl
// was still a library of its own (libdl.so in libc6-dev).
var glibcBefore234 = map[string]bool{"jessie": true, "stretch": true, "buster": true, "bullseye": true,
	"xenial": true, "bionic": true, "focal": true}

// glibcMayPredate234 reports whether the runtime's glibc may be older than
// 2.34. An unknown release counts, except on .NET 8 and later, whose
// images are Debian 12 or Ubuntu 24.04 at least.
func (u *Unit) glibcMayPredate234() bool {
	rel := u.Plan.Runtime.Release
	if rel == "" {
		rel = u.Base.Release
	}
	if rel != "" {
		return glibcBefore234[rel]
	}
	major, _ := versionParts(u.Base.Version)
	return !(strings.HasPrefix(u.Base.Family, "dotnet") && major >= 8)
}

// currentDotnet reports whether a .NET image tag is one whose floating
// tags are built on a release the Debian and Ubuntu mirrors serve: 6.0 and
// 7.0 moved to Debian 12 in 2023 (dotnet-docker's announcement), 8.0 and
// 9.0 are Debian 12, 10.0 Ubuntu 24.04.
func currentDotnet(im Image) bool {
	major, _ := versionParts(im.Version)
	return strings.HasPrefix(im.Family, "dotnet") && major >= 6
}

// runsApt reports whether a RUN of the stage runs apt-get (or apt)
// update or install: then the image's package sources answer.
func (u *Unit) runsApt() bool {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if n := c.Name(); (n == "apt-get" || n == "apt") && (slices.Contains(c.Args, "update") || slices.Contains(c.Args, "install")) {
				return true
			}
		}
	}
	return false
}

// installs reports whether a step of the stage installs pkg.
func (u *Unit) installs(pkg string) bool {
	for _, s := range u.Steps {
		if slices.Contains(s.Installs, pkg) {
			return true
		}
	}
	return false
}

func installsRecommends(s *Step) bool {
	for _, c := range s.Commands {
		name := c.Name()
		if (name == "apt-get" || name == "apt") && len(c.Args) > 1 && contains(c.Args[1:], "install") {
			if !hasFlag(c.Args, "--no-install-recommends") && !anyPrefix(c.Args, "-oAPT::Install-Recommends") && !contains(c.Args, "APT::Install-Recommends=false") {
				return true
			}
		}
	}
	return false
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runtimeScript reads the script the container runs (ENTRYPOINT or CMD
// naming a file the build context provided) and returns its name and
// words. It is read once: several passes ask.
func (u *Unit) runtimeScript() (string, map[string]bool) {
	if u.script == nil {
		name, words := u.readRuntimeScript(u.runtimeNeeds())
		u.script = &runtimeScript{name, words}
	}
	return u.script.name, u.script.words
}

type runtimeScript struct {
	name  string
	words map[string]bool
}

func (u *Unit) readRuntimeScript(n Needs) (string, map[string]bool) {
	if u.Context == nil {
		return "", nil
	}
	for _, w := range append([]string{n.Exec}, n.ExecArgs...) {
		if w == "" || strings.HasPrefix(w, "-") || !strings.Contains(w, ".") && !strings.Contains(w, "/") {
			continue
		}
		img := Resolve(u.finalWorkdir(), w)
		if !strings.HasPrefix(w, "/") && !strings.Contains(w, "/") {
			// A bare name runs from PATH: look for the file a COPY put in
			// a PATH directory.
			for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
				if _, ok := u.contextPath(dir + "/" + w); ok {
					img = dir + "/" + w
				}
			}
		}
		src, ok := u.contextPath(img)
		if !ok {
			continue
		}
		b, err := fs.ReadFile(u.Context.FS, src)
		if err != nil || len(b) > 1<<20 {
			continue
		}
		words := map[string]bool{}
		for _, f := range strings.FieldsFunc(string(b), func(r rune) bool {
			return !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			words[f] = true
		}
		return w, words
	}
	return "", nil
}

// pkgPrograms are the programs of build-only packages, where the name
// differs.
var pkgPrograms = map[string]string{"nodejs": "node", "golang": "go", "golang-go": "go", "xz-utils": "xz", "gnupg": "gpg"}

func pkgProgram(pkg string) string {
	if p, ok := pkgPrograms[pkg]; ok {
		return p
	}
	return pkg
}

// runtimePrograms are the programs the container's command may run: its
// words, the words of a shell command string it passes (sh -c "..."), and
// the words of its script from the build context.
func (u *Unit) runtimePrograms() map[string]bool {
	n := u.runtimeNeeds()
	out := map[string]bool{}
	for _, w := range append([]string{n.Exec}, n.ExecArgs...) {
		for _, f := range strings.Fields(w) {
			out[path.Base(f)] = true
		}
	}
	if _, words := u.runtimeScript(); words != nil {
		for w := range words {
			out[w] = true
		}
	}
	return out
}
