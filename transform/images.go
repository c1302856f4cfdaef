package transform

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Image is a parsed image reference from a FROM line.
type Image struct {
	// Ref is the reference as written (variables unexpanded).
	Ref string
	// Expanded is Ref with the meta ARG defaults substituted.
	Expanded string
	// Name is the repository without registry defaults ("golang", "node",
	// "gcr.io/distroless/static-debian12"); Tag and Digest as written after
	// expansion.
	Name, Tag, Digest string
	// Family is the key of the image table ("golang", "node", ...), or "".
	Family string
	// Version is the leading version part of the tag ("1.22", "20"), or "".
	Version string
	// Variant is the rest of the tag after the version ("bookworm",
	// "alpine3.19", "slim-bullseye"), or "".
	Variant string
	// Release is the distribution release the image is built on
	// ("bookworm", "trixie", "alpine3.19"), from the tag or the dated
	// defaults table; "" when unknown.
	Release string
	// Libc is "glibc" or "musl" (or "" when unknown).
	Libc string
}

// ParseImage splits an (expanded) image reference. raw is kept in Ref.
func ParseImage(raw, expanded string) Image {
	im := Image{Ref: raw, Expanded: expanded}
	ref := expanded
	if i := strings.Index(ref, "@"); i >= 0 {
		im.Digest = ref[i+1:]
		ref = ref[:i]
	}
	// The tag is after the last colon that follows the last slash (a colon
	// before a slash is a registry port).
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		im.Tag = ref[i+1:]
		ref = ref[:i]
	}
	name := strings.ToLower(ref)
	name = strings.TrimPrefix(name, "docker.io/")
	name = strings.TrimPrefix(name, "index.docker.io/")
	name = strings.TrimPrefix(name, "library/")
	im.Name = name
	im.Family = familyOf(name)
	im.Version, im.Variant = splitTag(im.Tag)
	im.Release, im.Libc = releaseOf(im)
	return im
}

// familyOf maps official image names (and their common mirrors) to a
// family key.
func familyOf(name string) string {
	base := name
	for _, p := range []string{"mirror.gcr.io/", "public.ecr.aws/docker/library/", "registry.hub.docker.com/"} {
		base = strings.TrimPrefix(base, p)
	}
	base = strings.TrimPrefix(base, "library/")
	switch base {
	case "golang", "node", "debian", "ubuntu", "alpine", "python", "ruby", "rust", "openjdk", "maven", "gradle", "eclipse-temurin", "php":
		return base
	}
	if f, ok := familyNames[base]; ok {
		return f
	}
	if strings.HasPrefix(base, "gcr.io/distroless/") {
		return "distroless"
	}
	return ""
}

var versionRe = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:-(.*))?$`)

func splitTag(tag string) (version, variant string) {
	if tag == "" {
		return "", ""
	}
	if m := versionRe.FindStringSubmatch(tag); m != nil {
		return m[1], m[2]
	}
	return "", tag // "latest", "bookworm", "lts-slim", "alpine"
}

var releases = []string{"bookworm", "bullseye", "buster", "trixie", "jammy", "noble", "focal", "bionic", "stretch", "jessie", "xenial"}

func releaseOf(im Image) (release, libc string) {
	v := im.Variant
	if strings.HasPrefix(v, "alpine") || strings.Contains(v, "-alpine") || im.Family == "alpine" {
		rel := "alpine"
		if i := strings.Index(v, "alpine"); i >= 0 {
			rel = v[i:]
		}
		if im.Family == "alpine" && im.Version != "" {
			rel = "alpine" + im.Version
		}
		return rel, "musl"
	}
	for _, r := range releases {
		if strings.Contains(v, r) || (im.Family == "debian" && (im.Tag == r || strings.HasPrefix(im.Tag, r+"-"))) {
			return r, "glibc"
		}
	}
	if im.Family == "debian" {
		if rel, ok := debianVersions[im.Version]; ok {
			return rel, "glibc"
		}
	}
	if im.Family == "ubuntu" {
		if rel, ok := ubuntuVersions[im.Version]; ok {
			return rel, "glibc"
		}
	}
	if im.Family == "distroless" {
		if strings.Contains(im.Name, "debian12") {
			return "bookworm", "glibc"
		}
		if strings.Contains(im.Name, "debian13") {
			return "trixie", "glibc"
		}
	}
	if rel := defaultRelease(im); rel != "" {
		return rel, "glibc"
	}
	return "", ""
}

var debianVersions = map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie", "10": "buster", "9": "stretch", "8": "jessie"}
var ubuntuVersions = map[string]string{"16.04": "xenial", "18.04": "bionic", "20.04": "focal", "22.04": "jammy", "24.04": "noble"}

// ubuntuImage is the ubuntu image of a release ("noble" -> ubuntu:24.04),
// or "" for a release the table does not know.
func ubuntuImage(release string) string {
	for v, r := range ubuntuVersions {
		if r == release {
			return "ubuntu:" + v
		}
	}
	return ""
}

// defaultRelease is the Debian release behind an official image tag that
// does not name one. The Docker official images moved their default from
// bookworm to trixie on 2025-08-12 (docker-library/official-images#19675
// and the golang:1.24 rebuild that day): versions still published after it
// are on trixie; older ones were last built on bookworm. Table as of
// 2026-11.
func defaultRelease(im Image) string {
	if f, ok := familyReleases[im.Family]; ok {
		return f(im)
	}
	major, minor := versionParts(im.Version)
	if im.Family == "gcc" && (im.Variant == "" || im.Variant == "latest") {
		// docker-library/gcc builds every major it supports on Debian
		// stable, except where the major's libstdc++ would be older than
		// the release's (versions.sh): 12 and 13 stay on bookworm; 9, 10
		// and 11 went back to bullseye in 2023-06 (gcc#94, #97) and were
		// last built there (10 removed 2024-06, 11 2024-07). 14 and later,
		// and latest, moved to trixie with the 2025-08 switch. 8 (EOL
		// 2021-05) ended on buster; older ones are unknown.
		switch {
		case im.Version == "" || major >= 14:
			return "trixie"
		case major == 12 || major == 13:
			return "bookworm"
		case major >= 9 && major <= 11:
			return "bullseye"
		case major == 8: // EOL 2021-05, last built on buster
			return "buster"
		}
		return ""
	}
	if im.Tag == "latest" {
		im.Variant = ""
	}
	if im.Variant != "" && im.Variant != "slim" {
		return ""
	}
	if patchPinned(im) {
		return patchRelease(im)
	}
	switch im.Family {
	case "golang":
		if im.Version == "" { // latest
			return "trixie"
		}
		if major == 1 && minor >= 24 || major > 1 || im.Version == "1" {
			return "trixie"
		}
		// Older tags kept the release they had when their last patch
		// release was built: 1.19 outlived the bookworm switch of
		// 2023-06, 1.16 to 1.18 ended on bullseye, 1.12 to 1.14 on buster.
		if major == 1 && minor >= 19 {
			return "bookworm"
		}
		if major == 1 && minor >= 16 {
			return "bullseye"
		}
		if major == 1 && minor >= 12 && minor <= 14 {
			return "buster"
		}
	case "rust":
		if im.Version == "" || major > 1 || major == 1 && minor >= 89 || im.Version == "1" {
			return "trixie"
		}
		if major == 1 && minor >= 70 {
			return "bookworm"
		}
		if major == 1 && minor >= 55 {
			return "bullseye" // before the bookworm switch of 2023-06
		}
		if major == 1 && minor >= 37 {
			return "buster" // 2019-08 to 2021-07, before bullseye
		}
	case "python":
		// 3.9 and later were still built after the trixie switch; 3.8
		// (EOL 2024-10) and 3.7 (EOL 2023-06) ended on bookworm.
		switch {
		case im.Version == "" || im.Version == "3" || major == 3 && minor >= 9:
			return "trixie"
		case major == 3 && (minor == 8 || minor == 7):
			// 3.7.17 was built on bookworm in its last weeks (2023-06,
			// docker-library/python 3.7/slim-bookworm).
			return "bookworm"
		case major == 3 && minor == 6: // EOL 2021-12, after bullseye became the default
			return "bullseye"
		case major == 3 && minor == 5, major == 2: // 3.5 and 2.7 last built in 2020, on buster
			return "buster"
		}
	case "node":
		// docker-node keeps its own default per version (versions.json's
		// debian-default), not docker-library's: bookworm from 2023-06
		// until the trixie switch of 2026-07-07 (nodejs/docker-node#2558;
		// node:25.5 was still Debian 12 in docker-node#2365). 22, 24 and
		// 26 were built after it; 20 (EOL 2026-04-30), 25 and the other
		// odd versions were not. 14 stayed on buster (docker-node#1785),
		// 12 and 10 on stretch.
		switch {
		case im.Version == "" || major >= 26 || major == 22 || major == 24:
			return "trixie"
		case major >= 16:
			return "bookworm"
		case major == 14:
			return "buster"
		case major == 12 || major == 10:
			return "stretch"
		}
	case "ruby":
		// 3.2 and later after the switch; 3.1 ended on bookworm; 3.0 and
		// 2.7 stayed on bullseye.
		switch {
		case im.Version == "" || im.Version == "3" || major == 3 && minor >= 2 || major > 3:
			return "trixie"
		case major == 3 && minor == 1:
			return "bookworm"
		case major == 3 && minor == 0, major == 2 && minor == 7, major == 2 && minor == 6:
			// Ruby 3.0 and 2.7 do not build against OpenSSL 3, so they
			// never had bookworm images (docker-library/ruby#422); 2.6
			// (EOL 2022-03) outlived bullseye's release.
			return "bullseye"
		case major == 2 && minor == 5: // EOL 2021-03, before bullseye
			return "buster"
		}
	}
	return ""
}

// patchPinned reports whether a tag pins a version finer than the table
// below dates: python:3.11.4, ruby:3.2.2, golang:1.24.3 (the table dates
// by minor), node:20.11 or node:20.11.1 (by major). Such a tag was last
// built when its patch was current, which may be before the release the
// table gives for the series (python:3.11.4, 2023, is bookworm, not
// trixie). Rust is dated by minor too, but a Rust minor's images are built
// only until the next one ships six weeks later, patches included: the
// minor places them.
func patchPinned(im Image) bool {
	parts := len(strings.Split(im.Version, "."))
	switch im.Family {
	case "python", "ruby", "golang":
		return parts >= 3
	case "node":
		return parts >= 2
	}
	return false
}

// patchRelease is the release of a patch-pinned tag, for the series whose
// every release was built on one Debian release; "" (unknown) for a series
// that lived across a change of the default (bullseye to bookworm in
// 2023-06, bookworm to trixie on 2025-08-12, on 2026-07-07 for node),
// where only the patch's date would tell.
func patchRelease(im Image) string {
	major, minor := versionParts(im.Version)
	switch im.Family {
	case "python":
		if major == 3 && minor >= 14 || major > 3 { // 3.14.0: 2025-10
			return "trixie"
		}
	case "ruby":
		if major == 3 && minor >= 5 || major > 3 { // 4.0.0: 2025-12
			return "trixie"
		}
	case "node":
		switch {
		case major == 21 || major == 23 || major == 25: // lived between the two switches
			return "bookworm"
		case major >= 27: // 27.0.0: 2026-10
			return "trixie"
		}
	case "golang":
		switch {
		case major == 1 && (minor == 21 || minor == 22): // 2023-08 to 2025-02
			return "bookworm"
		case major == 1 && minor >= 25 || major > 1: // from 2025-08-12
			return "trixie"
		}
	}
	return ""
}

// imagePathDirs are the directories of an image's own PATH (not an ENV
// PATH of the Dockerfile, which the runtime restates): a program there ran
// by name in the builder.
func imagePathDirs(im Image) map[string]bool {
	dirs := map[string]bool{}
	if base, ok := ConfigOf(im); ok {
		for _, kv := range base.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				for _, d := range strings.Split(v, ":") {
					dirs[path.Clean(d)] = true
				}
			}
		}
	}
	return dirs
}

func versionParts(v string) (major, minor int) {
	parts := strings.Split(v, ".")
	if len(parts) > 0 {
		major, _ = strconv.Atoi(parts[0])
	}
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

// BaseConfig is the part of an image's config that a Dockerfile inherits
// and that the self-check compares. Values mirror the official images.
type BaseConfig struct {
	Env        []string
	WorkingDir string
	Entrypoint []string
	Cmd        []string
	User       string
}

const stdPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// familyNames maps more repository names to a family; ecosystem files add
// theirs in init (e.g. "mcr.microsoft.com/dotnet/sdk" -> "dotnet-sdk").
var familyNames = map[string]string{}

// familyReleases give the distribution release of the images of a family
// whose tag does not name one, where defaultRelease has no case of its
// own; ecosystem files add theirs in init.
var familyReleases = map[string]func(Image) string{}

// familyConfigs gives the inherited config of the images of a family that
// the switch in ConfigOf does not know; ecosystem files add theirs in init.
var familyConfigs = map[string]func(Image) BaseConfig{}

// ConfigOf returns the inherited config of a known image, and whether the
// image is known.
func ConfigOf(im Image) (BaseConfig, bool) {
	if f, ok := familyConfigs[im.Family]; ok {
		return f(im), true
	}
	switch im.Family {
	case "golang":
		return BaseConfig{
			Env:        []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOLANG_VERSION=" + im.Version, "GOTOOLCHAIN=local", "GOPATH=/go"},
			WorkingDir: "/go",
			Cmd:        []string{"bash"},
		}, true
	case "node":
		return BaseConfig{Env: []string{stdPath, "NODE_VERSION=" + im.Version}, Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"node"}}, true
	case "debian", "ubuntu":
		return BaseConfig{Env: []string{stdPath}, Cmd: []string{"bash"}}, true
	case "alpine":
		return BaseConfig{Env: []string{stdPath}, Cmd: []string{"/bin/sh"}}, true
	case "distroless":
		c := BaseConfig{Env: []string{stdPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, WorkingDir: "/"}
		if strings.Contains(im.Tag, "nonroot") {
			c.User = "65532"
			c.WorkingDir = "/home/nonroot"
		}
		return c, true
	}
	return BaseConfig{}, false
}
