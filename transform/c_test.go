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
