package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

var passSwift = &Pass{
	Name: "swift",
	Doc: `Plans the split of a Swift Package Manager build on the official swift image.
swift build writes <build-path>/<configuration>/<product>: the build path is --build-path or
--scratch-path, else .build of the package (--package-path, else where it runs); the configuration
is debug, or release with -c release. The products are --product, else the executables of the
build context's Package.swift, else the program the CMD or ENTRYPOINT runs there. The runtime is
the -slim tag of the same version and Ubuntu variant (swift:5.10 -> swift:5.10-slim,
swift:5.10-jammy -> swift:5.10-jammy-slim), which has the Swift run-time libraries, libcurl4,
libxml2 and tzdata; swift 4.x and older have no -slim image, and other variants are not known to:
a skip. A package that links SQLite (a sqlite dependency in Package.swift or Package.resolved)
gets libsqlite3-0, which the full image had. A package with resources is skipped: its bundles
lie next to the program under names the rewrite does not follow. swift run and swift test at run
time need the toolchain: a skip.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"swift"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		if path.Base(needs.Exec) == "swift" || path.Base(needs.Exec) == "swiftc" {
			u.Skip(needs.ExecLine, "the container runs %s: it needs the Swift toolchain", needs.Exec)
			return nil
		}
		from := u.Stage.From.StartLine
		slim, why := swiftSlimTag(u.Base)
		if why != "" {
			u.Skip(from, "%s", why)
			return nil
		}
		bins, manifests, why, line := u.swiftBins()
		if why != "" {
			u.Skip(line, "%s", why)
			return nil
		}
		if len(bins) == 0 {
			u.Skip(from, "no swift build writes a program: nothing to carry into a runtime stage")
			return nil
		}
		ref := u.Base.Name + ":" + slim
		plan := &Plan{Ecosystem: "swift", Runtime: ParseImage(ref, ref)}
		u.Plan = plan
		if !u.copyNativeBins(bins) {
			return nil
		}
		u.Fact(from, "runtime %s: the slim image of the same Swift version and Ubuntu release, with the Swift run-time libraries", ref)
		if len(manifests) == 0 {
			u.Warn(bins[0].Line, "no Package.swift in the build context: if the program links a system library the swift image had and the slim image lacks (libsqlite3-0), install it in the runtime stage")
		}
		for _, m := range manifests {
			if sqliteRe.Match(m.text) {
				plan.Packages = append(plan.Packages, Package{Name: "libsqlite3-0", Line: bins[0].Line,
					Why: fmt.Sprintf("%s names SQLite: %s had libsqlite3-0, %s lacks it", m.name, u.Base.Expanded, ref)})
				break
			}
		}
		return nil
	},
}

var sqliteRe = regexp.MustCompile(`(?i)sqlite`)

// swiftSlimTag is the -slim tag of the builder's swift tag, or why there
// is none. Sources: swiftlang/swift-docker (slim Dockerfiles from 5.0 on;
// 4.2/ubuntu/16.04 and 18.04 have none) and the official image's tag list
// (docker-library/docs swift/README.md: 5.7 to 5.10 publish X-slim,
// X-jammy-slim and X-focal-slim, and no slim tag of -mantic, -noble,
// -bookworm, -fedora39; 6.0 has slim Dockerfiles for Ubuntu 20.04, 22.04
// and 24.04).
func swiftSlimTag(im Image) (string, string) {
	major, _ := versionParts(im.Version)
	switch {
	case im.Version == "":
		return "", fmt.Sprintf("%s names no Swift version: which -slim image matches it is not known", im.Expanded)
	case major < 5:
		return "", fmt.Sprintf("%s has no -slim variant (the swift images have one from Swift 5.0 on; swiftlang/swift-docker has no slim Dockerfile for %s): no runtime image with the same Swift run-time libraries", im.Expanded, im.Version)
	}
	switch v := im.Variant; {
	case v == "":
		return im.Tag + "-slim", ""
	case v == "slim" || strings.HasSuffix(v, "-slim"):
		return "", fmt.Sprintf("%s is already the slim image: it has no compiler to leave behind", im.Expanded)
	case v == "focal" || v == "jammy" || v == "noble" && major >= 6 || (v == "bionic" || v == "xenial") && major == 5:
		// swift-docker has 5.x/ubuntu/18.04/slim and 16.04/slim (5.5's
		// among them) besides the focal and jammy ones.
		return im.Tag + "-slim", ""
	}
	return "", fmt.Sprintf("no -slim tag of %s is known (the Ubuntu xenial, bionic, focal and jammy variants have one): the runtime must have the same Swift run-time libraries and distribution", im.Expanded)
}

// swiftValueFlags are swift build options that take the next word.
var swiftValueFlags = map[string]bool{"-Xswiftc": true, "-Xcc": true, "-Xlinker": true, "-Xcxx": true, "--triple": true,
	"--sdk": true, "--toolchain": true, "-j": true, "--jobs": true, "--target": true, "--swift-sdk": true,
	"--cache-path": true, "--config-path": true, "--security-path": true, "--pkg-config-path": true}

var swiftProductRe = regexp.MustCompile(`\.executable\(\s*name:\s*"([^"]+)"`)
var swiftExecTargetRe = regexp.MustCompile(`\.executableTarget\(\s*name:\s*"([^"]+)"`)

// swiftManifest is a manifest of the build context the rewrite read.
type swiftManifest struct {
	name string
	text []byte
}

// swiftBins reads the swift build commands of the RUN instructions; the
// reason is set when a build's output cannot be known.
func (u *Unit) swiftBins() (bins []nativeBin, manifests []swiftManifest, why string, line int) {
	needs := u.runtimeNeeds()
	for i, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "swift" || len(c.Args) < 2 || c.Args[1] != "build" {
				continue
			}
			line := s.In.StartLine
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			config, buildPath, product := "debug", "", ""
			args := c.Args[2:]
			val := func(i *int, a string) string {
				if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
					return v
				}
				if *i+1 < len(args) {
					*i++
					return args[*i]
				}
				return ""
			}
			for j := 0; j < len(args); j++ {
				a := args[j]
				flag, _, _ := strings.Cut(a, "=")
				switch {
				case a == "-c" || flag == "--configuration":
					config = val(&j, a)
				case flag == "--build-path" || flag == "--scratch-path":
					buildPath = val(&j, a)
				case flag == "--package-path":
					dir = Resolve(dir, val(&j, a))
				case flag == "--product":
					product = val(&j, a)
				case a == "--show-bin-path" || a == "--build-tests" || a == "--help":
					return nil, nil, "", 0 // prints a path or builds tests only
				case swiftValueFlags[a]:
					j++
				}
			}
			if strings.ContainsAny(config+buildPath+product+dir, "$`") || config != "debug" && config != "release" {
				return nil, nil, fmt.Sprintf("line %d: where swift build writes is not known", line), line
			}
			out := path.Join(dir, ".build", config)
			if buildPath != "" {
				out = path.Join(Resolve(dir, buildPath), config)
			}
			var names []string
			if product != "" {
				names = []string{product}
			}
			if f, ok := u.contextFile(path.Join(dir, "Package.swift"), i); ok {
				b, _ := fs.ReadFile(u.Context.FS, f)
				manifests = append(manifests, swiftManifest{"Package.swift", b})
				if resolved, ok := u.contextFile(path.Join(dir, "Package.resolved"), i); ok {
					r, _ := fs.ReadFile(u.Context.FS, resolved)
					manifests = append(manifests, swiftManifest{"Package.resolved", r})
				}
				if strings.Contains(string(b), "resources:") {
					return nil, nil, fmt.Sprintf("line %d builds a package with resources (Package.swift): their bundles lie next to the program under names the rewrite does not follow", line), line
				}
				if product == "" {
					for _, m := range swiftProductRe.FindAllSubmatch(b, -1) {
						names = append(names, string(m[1]))
					}
				}
				if len(names) == 0 {
					for _, m := range swiftExecTargetRe.FindAllSubmatch(b, -1) {
						names = append(names, string(m[1]))
					}
				}
			}
			if len(names) == 0 {
				// The program the container runs from the output directory.
				p := Resolve(u.finalWorkdir(), needs.Exec)
				if !strings.Contains(needs.Exec, "/") || strings.Contains(p, "$") || path.Dir(p) != out {
					return nil, nil, fmt.Sprintf("line %d runs swift build: its products are named in Package.swift, which the build context does not show (or names none), and the container runs no program in %s", line, out), line
				}
				u.Fact(line, "swift build: the product is %s, which the container runs", path.Base(p))
				names = []string{path.Base(p)}
			}
			for _, n := range names {
				bins = append(bins, nativeBin{Path: path.Join(out, n), Line: line, Why: fmt.Sprintf("product %s of swift build, line %d", n, line)})
			}
		}
	}
	return bins, manifests, "", 0
}

func init() {
	familyNames["swift"] = "swift"
	// The official swift images (swiftlang/swift-docker): ubuntu with
	// the toolchain, or only its run-time libraries for -slim; both add
	// SWIFT_* variables (left out here: the slim image has them too) and
	// keep ubuntu's CMD.
	familyConfigs["swift"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{stdPath}, Cmd: []string{"/bin/bash"}}
	}
	// The Ubuntu release of a tag that names none (docker-library/docs
	// swift/README.md): 5.7 to 5.10 (and their -slim) are jammy, 5.0 was
	// bionic (official-images library/swift: 5.0.1-bionic). Others are
	// not recorded here.
	familyReleases["swift"] = func(im Image) string {
		if im.Variant != "" && im.Variant != "slim" {
			return ""
		}
		major, minor := versionParts(im.Version)
		switch {
		case major == 5 && minor >= 7 && minor <= 10:
			return "jammy"
		case major == 5 && minor == 0:
			return "bionic"
		}
		return ""
	}
}
