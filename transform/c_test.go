package transform

import "testing"

func TestCPass(t *testing.T) {
	static := "FROM gcc:13-bookworm\nWORKDIR /src\nCOPY . .\nRUN gcc -c util.c -o util.o && gcc -static -o app main.c util.o\nCMD [\"/src/app\"]\n"
	cases := []rustCase{{
		name: "static on the builder's release",
		src:  static,
		// The program lives in the WORKDIR: the directory is the safe copy.
		want: []string{"FROM debian:bookworm-slim", "COPY --from=build /src /src"},
		not:  []string{"ldconfig"},
	}, {
		name: "scratch for a static binary", runtime: RuntimeScratch, src: static,
		want: []string{"FROM scratch", "COPY --from=build /src /src"},
	}, {
		name: "-o glued to its value",
		src:  "FROM gcc:13\nWORKDIR /src\nCOPY . .\nRUN g++ -static -O2 main.cpp -oapp\nCMD [\"./app\"]\n",
		want: []string{"COPY --from=build /src /src"},
		not:  []string{"libstdc++"},
	}, {
		name: "the command is a script",
		src:  "FROM gcc:13\nWORKDIR /src\nCOPY . .\nRUN gcc -static -o app main.c\nCMD [\"./run.sh\"]\n",
		skip: "the container runs ./run.sh, which line 3 copies in from the build context, not a program built here",
	}, {
		name: "cmake build",
		src:  "FROM gcc:13\nWORKDIR /src\nCOPY . .\nRUN cmake -B build && cmake --build build\nCMD [\"./build/app\"]\n",
		skip: "line 4 runs cmake, and there is no build context: which libraries the program links",
	}, {
		name: "nothing built",
		src:  "FROM gcc:13\nCOPY app /app\nCMD [\"/app\"]\n",
		skip: "no compiler, make or cmake command builds a program",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRustCase(t, tc) })
	}
}

// Every build package of the -l table has a run-time package for the
// releases the gcc image is built on.
func TestLinkLibsTable(t *testing.T) {
	for lib, dev := range linkLibs {
		if dev == "" {
			continue
		}
		m, ok := devToRuntime[dev]
		if !ok {
			t.Errorf("-l%s: %s is not in devToRuntime", lib, dev)
			continue
		}
		for _, rel := range []string{"bullseye", "bookworm", "trixie"} {
			if _, ok := m[rel]; !ok {
				if _, ok := m["*"]; !ok {
					t.Errorf("-l%s: %s has no run-time package for %s", lib, dev, rel)
				}
			}
		}
	}
	pkgs, why := runtimeLibPackages([]string{"pq", "ssl", "m", "stdc++", "pthread"}, "trixie")
	if why != "" || pkgs["pq"] != "libpq5" || pkgs["ssl"] != "libssl3t64" || len(pkgs) != 2 {
		t.Errorf("runtimeLibPackages = %v, %q", pkgs, why)
	}
	if _, why := runtimeLibPackages([]string{"nosuchlib"}, "bookworm"); why == "" {
		t.Error("an unknown -l must give a reason")
	}
}

func TestGccRelease(t *testing.T) {
	for tag, want := range map[string]string{
		"latest": "trixie", "": "trixie", "16": "trixie", "15.2.0": "trixie", "14": "trixie", "13.3": "bookworm",
		"12": "bookworm", "11.5.0": "bullseye", "9": "bullseye", "8": "buster", "6.4.0": "", "14-bookworm": "bookworm",
		"15-trixie": "trixie", "bookworm": "bookworm",
	} {
		ref := "gcc"
		if tag != "" {
			ref += ":" + tag
		}
		if got := ParseImage(ref, ref).Release; got != want {
			t.Errorf("%s: release %q, want %q", ref, got, want)
		}
	}
}

func TestCompilerRe(t *testing.T) {
	for name, want := range map[string]string{
		"gcc": "gcc", "g++": "g++", "cc": "cc", "c++": "c++", "clang++": "clang++", "gcc-12": "gcc",
		"clang-17": "clang", "x86_64-linux-gnu-gcc": "gcc", "aarch64-linux-gnu-g++-13": "g++",
		"x86_64-alpine-linux-musl-gcc": "gcc", "gccgo": "", "ccache": "", "cmake": "", "foo-gcc": "",
	} {
		got := ""
		if m := compilerRe.FindStringSubmatch(name); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: driver %q, want %q", name, got, want)
		}
	}
}

func TestParseMakefile(t *testing.T) {
	mf := parseMakefile("CC = gcc\nLDLIBS += -lz\nLDLIBS += -lpq\nPROG := tool\nPREFIX ?= /opt/tool\n\n$(PROG): main.o \\\n  util.o\n\t$(CC) -o $@ $^ $(LDLIBS)\n\ninstall:\n\tinstall -m 755 $(PROG) $(PREFIX)/bin\n", nil)
	if !contains(mf.Names, "tool") || !contains(mf.Libs, "z") || !contains(mf.Libs, "pq") || mf.CXX != "" || mf.Prefix != "/opt/tool" || mf.Unknown != "" {
		t.Errorf("parseMakefile = %+v", mf)
	}
	mf = parseMakefile("LIBS = $(shell pkg-config --libs openssl)\napp: app.cpp\n\t$(CXX) -static -o app app.cpp $(LIBS)\n", map[string]string{"PREFIX": "/usr"})
	if mf.Unknown == "" || mf.CXX == "" || !mf.Static {
		t.Errorf("parseMakefile with pkg-config = %+v", mf)
	}
}

func TestCmakeCommands(t *testing.T) {
	cmds := cmakeCommands("# comment (with parens)\nproject(x LANGUAGES C)\nadd_executable(x \"main.c\" util.c) # trailing\ntarget_link_libraries(x PRIVATE $<$<CONFIG:Debug>:dbg> m)\n")
	if len(cmds) != 3 || cmds[1].name != "add_executable" || len(cmds[1].args) != 3 || cmds[1].args[1] != "main.c" {
		t.Fatalf("cmakeCommands = %+v", cmds)
	}
	if got := cmds[2].args[2]; got != "$<$<CONFIG:Debug>:dbg>" {
		t.Errorf("generator expression read as %q", got)
	}
}

func TestDistroRuntime(t *testing.T) {
	for ref, want := range map[string]string{
		"debian:bookworm": "debian:bookworm-slim", "debian:12": "debian:12-slim", "debian:bookworm-20240110": "debian:bookworm-20240110-slim",
		"debian:bookworm-slim": "debian:bookworm-slim", "debian": "debian", "debian:latest": "debian:latest", "debian:sid": "debian:sid",
		"debian:bookworm-backports": "debian:bookworm-backports", "ubuntu:22.04": "ubuntu:22.04", "ubuntu": "ubuntu",
		"alpine:3.19": "alpine:3.19", "alpine:latest": "alpine:latest",
	} {
		rt, _ := distroRuntime(ParseImage(ref, ref))
		if rt.Ref != want {
			t.Errorf("%s: runtime %s, want %s", ref, rt.Ref, want)
		}
	}
}

func TestCPassDistro(t *testing.T) {
	cases := []rustCase{{
		name: "cp out of the build tree",
		src:  "FROM debian:bookworm\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nRUN cd /src && make && cp bin/tool /usr/local/bin/\nCMD [\"tool\"]\n",
		want: []string{"FROM debian:bookworm-slim", "COPY --from=build /usr/local/bin/tool /usr/local/bin/tool"},
		not:  []string{"COPY --from=build /src"},
	}, {
		name: "compiler not from the package manager",
		src:  "FROM debian:bookworm\nCOPY . /src\nWORKDIR /src\nRUN gcc -o app main.c\nCMD [\"./app\"]\n",
		skip: "uses a compiler no apt-get or apk install of this file provides",
	}, {
		name: "make install with a plain Makefile and no context",
		src:  "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN make && make install\nCMD [\"tool\"]\n",
		skip: "no configure step or Makefile of the build context says where it installs",
	}, {
		name: "make install with the Makefile's prefix",
		src:  "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN make && make install\nCMD [\"tool\"]\n",
		ctx:  map[string]string{"Makefile": "PREFIX = /opt/tool\ntool: tool.c\n\t$(CC) -o tool tool.c\ninstall:\n\tinstall -D tool $(PREFIX)/bin/tool\n"},
		skip: "the container runs tool, which no compiler command", // /opt/tool/bin is not on the PATH
	}, {
		name: "the Makefile's prefix, run by path",
		src:  "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN make && make install\nCMD [\"/opt/tool/bin/tool\"]\n",
		ctx:  map[string]string{"Makefile": "PREFIX = /opt/tool\ntool: tool.c\n\t$(CC) -o tool tool.c\ninstall:\n\tinstall -D tool $(PREFIX)/bin/tool\n"},
		want: []string{"FROM ubuntu:22.04\n", "COPY --from=build /opt/tool /opt/tool", "RUN ldconfig"},
	}, {
		name: "DESTDIR staging",
		src:  "FROM debian:bookworm\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN ./configure && make && make install DESTDIR=/out\nCMD [\"tool\"]\n",
		skip: "make install DESTDIR=/out stages the install elsewhere",
	}, {
		name: "the program is removed",
		src:  "FROM alpine:3.19\nRUN apk add --no-cache build-base\nCOPY . /src\nWORKDIR /src\nRUN gcc -o /usr/local/bin/app main.c && rm /usr/local/bin/app\nCMD [\"app\"]\n",
		skip: "but line 5 removes it",
	}, {
		name:    "distroless is refused after ldconfig",
		src:     "FROM debian:bookworm\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN ./configure && make && make install\nCMD [\"tool\"]\n",
		runtime: RuntimeDistroless,
		skip:    "--runtime=distroless refused",
	}, {
		name: "a launcher",
		src:  "FROM debian:bookworm\nRUN apt-get update && apt-get install -y build-essential\nCOPY . /src\nWORKDIR /src\nRUN make\nCMD [\"sh\", \"-c\", \"./app\"]\n",
		skip: "the container runs sh: which program it starts is not followed",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRustCase(t, tc) })
	}
}
