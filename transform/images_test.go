package transform

import "testing"

func TestReleaseOfPinnedTags(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"python:3.11", "trixie"},
		{"python:3.11.4", ""}, // built in 2023, on bookworm: only the patch's date tells
		{"python:3.11.4-slim", ""},
		{"python:3.11.4-bookworm", "bookworm"},
		{"python:3.14.1", "trixie"},
		{"ruby:3.2.2", ""},
		{"ruby:3.2", "trixie"},
		{"ruby:4.0.1-slim", "trixie"},
		{"node:20", "bookworm"}, // ended before docker-node's trixie switch
		{"node:22", "trixie"},
		{"node:20.11", ""},
		{"node:20.11.1-bullseye", "bullseye"},
		{"node:25.1.0", "bookworm"},
		{"node:24.11.1", ""}, // before or after the switch of 2026-07-07
		{"golang:1.24.2", ""},
		{"golang:1.24", "trixie"},
		{"golang:1.22.5", "bookworm"},
		{"golang:1.25.3", "trixie"},
		{"rust:1.75.0", "bookworm"}, // a Rust minor's images are built only until the next minor
	} {
		if got := ParseImage(tc.ref, tc.ref).Release; got != tc.want {
			t.Errorf("%s: release %q, want %q", tc.ref, got, tc.want)
		}
	}
}
