package transform

import (
	"fmt"
	"sort"
	"strings"
)

// linkLibs maps a library a link line names (-lNAME) to the Debian build
// package that provides it in buildpack-deps, on which the gcc image sits:
// the compile finds it there silently, and devToRuntime then names the
// run-time package of each release. "" marks the libraries of glibc
// (libc6) and of the compiler's own libgcc_s, which every Debian and Ubuntu
// image has. A library missing from the table is a skip: the program would
// not start without it. Sources: the -dev packages' file lists and
// Depends (packages.debian.org), docs/tables.md shows the table.
var linkLibs = map[string]string{
	// glibc: libc6 has them in every release; libgcc_s is a dependency of
	// libc6.
	"c": "", "m": "", "pthread": "", "dl": "", "rt": "", "util": "", "resolv": "", "anl": "",
	"gcc_s": "", "gcc": "",
	// libxcrypt left glibc in bullseye.
	"crypt":   "libcrypt-dev",
	"pq":      "libpq-dev",
	"ssl":     "libssl-dev",
	"crypto":  "libssl-dev",
	"z":       "zlib1g-dev",
	"sqlite3": "libsqlite3-dev",
	"curl":    "libcurl4-openssl-dev",
	"xml2":    "libxml2-dev",
	"xslt":    "libxslt1-dev", "exslt": "libxslt1-dev",
	"ffi":  "libffi-dev",
	"jpeg": "libjpeg-dev",
	"png":  "libpng-dev", "png16": "libpng-dev",
	"bz2":      "libbz2-dev",
	"lzma":     "liblzma-dev",
	"zstd":     "libzstd-dev",
	"lz4":      "liblz4-dev",
	"gmp":      "libgmp-dev",
	"pcre":     "libpcre3-dev",
	"pcre2-8":  "libpcre2-dev",
	"readline": "libreadline-dev",
	"sasl2":    "libsasl2-dev",
	"ldap":     "libldap2-dev", "lber": "libldap2-dev",
	"sodium":   "libsodium-dev",
	"jemalloc": "libjemalloc-dev",
	"uv":       "libuv1-dev",
	"event":    "libevent-dev",
	"magic":    "libmagic-dev",
	"webp":     "libwebp-dev",
	"freetype": "libfreetype-dev",
	"lcms2":    "liblcms2-dev",
	"openjp2":  "libopenjp2-7-dev",
	"onig":     "libonig-dev",
	"expat":    "libexpat1-dev",
	"uuid":     "uuid-dev",
	"jansson":  "libjansson-dev",
	"cap":      "libcap-dev",
	"seccomp":  "libseccomp-dev",
	"yaml":     "libyaml-dev", "yaml-0": "libyaml-dev",
	"mariadb": "default-libmysqlclient-dev", "mysqlclient": "default-libmysqlclient-dev",
	"icuuc": "libicu-dev", "icui18n": "libicu-dev", "icudata": "libicu-dev", "icuio": "libicu-dev",
	"zip":        "libzip-dev",
	"luajit-5.1": "libluajit-5.1-dev",
	"snappy":     "libsnappy-dev",
	"brotlienc":  "libbrotli-dev", "brotlidec": "libbrotli-dev", "brotlicommon": "libbrotli-dev",
	"GL":        "libgl1-mesa-dev",
	"X11":       "libx11-dev",
	"Xext":      "libxext-dev",
	"Xrender":   "libxrender-dev",
	"Xi":        "libxi-dev",
	"Xcursor":   "libxcursor-dev",
	"Xinerama":  "libxinerama-dev",
	"Xrandr":    "libxrandr-dev",
	"Xxf86vm":   "libxxf86vm-dev",
	"portaudio": "portaudio19-dev",
}

// gccRuntimeLibs are libraries of the gcc image's own compiler, which it
// installs in /usr/local/lib64 (newer than the Debian release's, or not in
// a slim image at all): a program linked against them needs those files.
// The soname is the file name the dynamic linker looks for.
var gccRuntimeLibs = map[string]string{
	"stdc++":   "libstdc++.so.6",
	"gcc_s":    "libgcc_s.so.1",
	"gomp":     "libgomp.so.1",
	"atomic":   "libatomic.so.1",
	"quadmath": "libquadmath.so.0",
}

// gccLibDir is where the gcc image installs its run-time libraries on the
// 64-bit platforms it is built for (amd64, arm64v8, ppc64le, s390x), and
// gccLdConf the file it adds so that ldconfig puts them before the Debian
// release's (docker-library/gcc Dockerfile.template: "this filename needs to
// sort higher than all the architecture filenames"; every image built since
// 2021, gcc 9 and later, has it).
const (
	gccLibDir = "/usr/local/lib64"
	gccLdConf = "/etc/ld.so.conf.d/000-local-lib.conf"
)

// cmakeLinkItems maps what a CMakeLists.txt links (imported targets of
// CMake's find modules, their result variables) to -l names.
var cmakeLinkItems = map[string][]string{
	"Threads::Threads": nil, "${CMAKE_THREAD_LIBS_INIT}": nil, "${CMAKE_DL_LIBS}": nil,
	"OpenSSL::SSL": {"ssl"}, "OpenSSL::Crypto": {"crypto"}, "${OPENSSL_LIBRARIES}": {"ssl", "crypto"},
	"${OPENSSL_SSL_LIBRARY}": {"ssl"}, "${OPENSSL_CRYPTO_LIBRARY}": {"crypto"},
	"ZLIB::ZLIB": {"z"}, "${ZLIB_LIBRARIES}": {"z"}, "${ZLIB_LIBRARY}": {"z"},
	"CURL::libcurl": {"curl"}, "${CURL_LIBRARIES}": {"curl"}, "${CURL_LIBRARY}": {"curl"},
	"SQLite::SQLite3": {"sqlite3"}, "${SQLite3_LIBRARIES}": {"sqlite3"},
	"PostgreSQL::PostgreSQL": {"pq"}, "${PostgreSQL_LIBRARIES}": {"pq"},
	"LibXml2::LibXml2": {"xml2"}, "${LIBXML2_LIBRARIES}": {"xml2"},
	"BZip2::BZip2": {"bz2"}, "${BZIP2_LIBRARIES}": {"bz2"},
	"LibLZMA::LibLZMA": {"lzma"}, "${LIBLZMA_LIBRARIES}": {"lzma"},
	"PNG::PNG": {"png16"}, "${PNG_LIBRARIES}": {"png16"},
	"JPEG::JPEG": {"jpeg"}, "${JPEG_LIBRARIES}": {"jpeg"},
	"EXPAT::EXPAT": {"expat"}, "${EXPAT_LIBRARIES}": {"expat"},
	"Iconv::Iconv": nil, "stdc++fs": nil,
	// Header-only libraries: their imported targets carry include paths,
	// no library to load at run time.
	"nlohmann_json::nlohmann_json": nil, "fmt::fmt-header-only": nil, "spdlog::spdlog_header_only": nil,
	"Catch2::Catch2": nil, "cxxopts::cxxopts": nil, "Eigen3::Eigen": nil, "glm::glm": nil,
	"range-v3::range-v3": nil, "CLI11::CLI11": nil, "cereal::cereal": nil, "cereal": nil,
}

// runtimeLibPackages resolves -l names to the run-time packages of a Debian
// or Ubuntu release. The reason is set for the first library whose package
// is not known.
func runtimeLibPackages(libs []string, rel string) (pkgs map[string]string, why string) {
	pkgs = map[string]string{}
	for _, l := range libs {
		if _, ok := gccRuntimeLibs[l]; ok {
			continue
		}
		dev, ok := linkLibs[l]
		if !ok {
			return nil, fmt.Sprintf("-l%s: no run-time package is known for this library (docs/tables.md)", l)
		}
		if dev == "" {
			continue
		}
		pkg := devRuntimeName(dev, rel)
		if pkg == "" {
			return nil, fmt.Sprintf("-l%s: the name of its run-time package (from %s) on %s is not known (docs/tables.md)", l, dev, orUnknown(rel))
		}
		pkgs[l] = pkg
	}
	return pkgs, ""
}

// linkLibRows lists linkLibs for docs/tables.md: the -l names of each build
// package, and the run-time packages per release.
func linkLibRows() [][3]string {
	byDev := map[string][]string{}
	for l, dev := range linkLibs {
		byDev[dev] = append(byDev[dev], l)
	}
	var rows [][3]string
	for _, dev := range mapKeys(byDev) {
		names := byDev[dev]
		sort.Strings(names)
		for i := range names {
			names[i] = "-l" + names[i]
		}
		rt := "none: in every Debian and Ubuntu image (libc6, libgcc-s1)"
		if dev != "" {
			m := devToRuntime[dev]
			var parts []string
			for _, rel := range mapKeys(m) {
				parts = append(parts, rel+": "+m[rel])
			}
			rt = strings.Join(parts, ", ")
		}
		rows = append(rows, [3]string{strings.Join(names, " "), dev, rt})
	}
	return rows
}
