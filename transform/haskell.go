package transform

import (
	"path"
	"strings"
)

var passHaskell = &Pass{
	Name: "haskell",
	Doc: `Reads a Haskell build on the official haskell image, and says why it is not split yet.
A GHC program links libgmp and libffi, and the C libraries its packages bind (postgresql-libpq,
HsOpenSSL, zlib...), which the full image (buildpack-deps) supplied silently; its network code
reads /etc/protocols (netbase). The runtime would be debian:<release>-slim of the builder's
release with those packages, so it needs apt-get: haskell 8.8 and older were built on Debian
stretch and buster, whose packages moved to archive.debian.org (a skip with that reason), and a
tag that names no release was rebuilt on newer ones over time (a skip: name the release).
Reading the libraries from the .cabal file of the build context is not implemented yet, so
a tag naming bullseye or bookworm is skipped with that reason too. ghc, ghci, runghc, cabal
and stack at run time need the toolchain.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"haskell"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		switch path.Base(needs.Exec) {
		case "ghc", "ghci", "runghc", "runhaskell", "cabal", "stack":
			u.Skip(needs.ExecLine, "the container runs %s: it needs the Haskell toolchain", needs.Exec)
			return nil
		}
		from := u.Stage.From.StartLine
		rel := haskellRelease(u.Base)
		switch {
		case rel == "" && haskellOld(u.Base):
			u.Skip(from, "%s was built on Debian stretch, later buster (haskell/docker-haskell: 8.6/Dockerfile FROM debian:stretch, then 8.6/buster and 8.8/buster): both moved to archive.debian.org, so a debian slim runtime of its release cannot apt-get install what a Haskell program needs (libgmp10, libffi, netbase, the run-time packages of its -dev packages)", u.Base.Expanded)
		case archivedReleases[rel]:
			u.Skip(from, "%s is on Debian %s, whose packages moved to archive.debian.org: a debian:%s-slim runtime cannot apt-get install what a Haskell program needs (libgmp10, libffi, netbase, the run-time packages of its -dev packages)", u.Base.Expanded, rel, rel)
		case rel == "":
			u.Skip(from, "the Debian release of %s is not fixed: the haskell images rebuilt tags without a release name on newer Debian releases over time (buster, then bullseye and bookworm variants); name it in the tag (-bookworm, -slim-bookworm) so the runtime can match its glibc", u.Base.Expanded)
		default:
			u.Skip(from, "a Haskell program links the C libraries its packages bind, which %s (buildpack-deps) supplied silently: reading them from the .cabal file of the build context is not implemented yet, so the runtime's packages cannot be chosen", u.Base.Expanded)
		}
		return nil
	},
}

// haskellRelease is the Debian release a haskell tag names
// (9.10-bookworm, 9.10-slim-bullseye, 8.6-stretch), or "".
func haskellRelease(im Image) string {
	for _, r := range []string{"stretch", "buster", "bullseye", "bookworm", "trixie"} {
		if strings.Contains(im.Variant, r) {
			return r
		}
	}
	return ""
}

// haskellOld reports a tag of GHC 8.8 or older without a release name:
// docker-haskell built those on stretch (8.6/Dockerfile: FROM
// debian:stretch) and then on buster, never on a release still on the
// mirrors.
func haskellOld(im Image) bool {
	if im.Variant != "" && im.Variant != "slim" || im.Version == "" {
		return false
	}
	major, minor := versionParts(im.Version)
	return major < 8 || major == 8 && minor <= 8
}

func init() {
	familyNames["haskell"] = "haskell"
	// haskell/docker-haskell: LANG and a PATH with cabal's and stack's
	// bin directories and GHC's; CMD ["ghci"]. The GHC directory differs
	// per version; the Dockerfiles here are not rewritten, only read.
	familyConfigs["haskell"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{"PATH=/root/.cabal/bin:/root/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}, Cmd: []string{"ghci"}}
	}
}
