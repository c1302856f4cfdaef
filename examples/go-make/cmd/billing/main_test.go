package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadGreeting(t *testing.T) {
	f := filepath.Join(t.TempDir(), "app.conf")
	os.WriteFile(f, []byte("greeting=hi\n"), 0o644)
	if g, err := readGreeting(f); err != nil || g != "hi" {
		t.Fatalf("readGreeting = %q, %v", g, err)
	}
}
