package transform

import (
	"strings"
	"testing"
)

func TestDotnetRuntime(t *testing.T) {
	for _, c := range []struct {
		sdk  string
		web  bool
		want string // "" for a skip
	}{
		{"mcr.microsoft.com/dotnet/sdk:8.0", true, "mcr.microsoft.com/dotnet/aspnet:8.0"},
		{"mcr.microsoft.com/dotnet/sdk:8.0", false, "mcr.microsoft.com/dotnet/runtime:8.0"},
		{"mcr.microsoft.com/dotnet/sdk:8.0.404-bookworm-slim", true, "mcr.microsoft.com/dotnet/aspnet:8.0-bookworm-slim"},
		{"mcr.microsoft.com/dotnet/sdk:9.0-alpine", false, "mcr.microsoft.com/dotnet/runtime:9.0-alpine"},
		{"mcr.microsoft.com/dotnet/sdk:10.0-noble", true, "mcr.microsoft.com/dotnet/aspnet:10.0-noble"},
		{"mcr.microsoft.com/dotnet/sdk:6.0-bullseye-slim", true, "mcr.microsoft.com/dotnet/aspnet:6.0-bullseye-slim"},
		{"mcr.microsoft.com/dotnet/core/sdk:3.1-buster", true, "mcr.microsoft.com/dotnet/core/aspnet:3.1-buster-slim"},
		{"mcr.microsoft.com/dotnet/core/sdk:2.1", false, "mcr.microsoft.com/dotnet/core/runtime:2.1"},
		{"microsoft/dotnet:2.2-sdk", true, "microsoft/dotnet:2.2-aspnetcore-runtime"},
		{"microsoft/dotnet:2.1-sdk-alpine", false, "microsoft/dotnet:2.1-runtime-alpine"},
		{"microsoft/dotnet:2.0-sdk", true, ""},
		{"microsoft/dotnet:sdk", true, ""},
		{"microsoft/dotnet:latest", true, ""},
		{"mcr.microsoft.com/dotnet/sdk:latest", true, ""},
		{"mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022", true, ""},
	} {
		b := ParseImage(c.sdk, c.sdk)
		v, why := dotnetSDKVersion(b)
		var rt Image
		if why == "" {
			rt, why = dotnetRuntime(b, v, c.web)
		}
		if c.want == "" {
			if why == "" {
				t.Errorf("%s: got %s, want a skip", c.sdk, rt.Ref)
			}
			continue
		}
		if rt.Ref != c.want {
			t.Errorf("%s web=%v: got %q (%s), want %s", c.sdk, c.web, rt.Ref, why, c.want)
		}
	}
}

func TestDotnetRIDProblem(t *testing.T) {
	glibc := ParseImage("mcr.microsoft.com/dotnet/aspnet:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0")
	musl := ParseImage("mcr.microsoft.com/dotnet/aspnet:8.0-alpine", "mcr.microsoft.com/dotnet/aspnet:8.0-alpine")
	for _, c := range []struct {
		rid  string
		rt   Image
		okay bool
	}{
		{"", glibc, true}, {"linux-x64", glibc, true}, {"linux-musl-x64", glibc, false},
		{"linux-musl-x64", musl, true}, {"linux-x64", musl, false}, {"win-x64", glibc, false},
	} {
		if got := dotnetRIDProblem(c.rid, c.rt) == ""; got != c.okay {
			t.Errorf("%s on %s: ok=%v", c.rid, c.rt.Ref, got)
		}
	}
}

func TestDotnetBaseConfigURLs(t *testing.T) {
	get := func(ref string) map[string]string {
		c, ok := ConfigOf(ParseImage(ref, ref))
		if !ok {
			t.Fatalf("%s: unknown image", ref)
		}
		m := map[string]string{}
		for _, kv := range c.Env {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		return m
	}
	if v := get("mcr.microsoft.com/dotnet/sdk:6.0")["ASPNETCORE_URLS"]; v != "" {
		t.Errorf("sdk 6.0 ASPNETCORE_URLS = %q, want cleared", v)
	}
	if v := get("mcr.microsoft.com/dotnet/aspnet:6.0")["ASPNETCORE_URLS"]; v != "http://+:80" {
		t.Errorf("aspnet 6.0 ASPNETCORE_URLS = %q", v)
	}
	if a, b := get("mcr.microsoft.com/dotnet/sdk:8.0")["ASPNETCORE_HTTP_PORTS"], get("mcr.microsoft.com/dotnet/aspnet:8.0")["ASPNETCORE_HTTP_PORTS"]; a != "8080" || b != "8080" {
		t.Errorf("8.0 ASPNETCORE_HTTP_PORTS sdk %q aspnet %q, want 8080 both", a, b)
	}
}
