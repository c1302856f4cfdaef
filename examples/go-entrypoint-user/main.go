// Command notes stores short notes in $DATA_DIR. Its image starts as root
// and an entrypoint script drops to the notes user with gosu: the user must
// exist in the runtime image although no USER instruction names it.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
)

func dataDir() string {
	if d := os.Getenv("DATA_DIR"); d != "" {
		return d
	}
	return "/data"
}

// selftest prints who the program runs as and whether it can write its
// data directory.
func selftest() error {
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("user lookup: %w", err)
	}
	p := filepath.Join(dataDir(), "selftest.txt")
	if err := os.WriteFile(p, []byte("ok\n"), 0o644); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fmt.Printf("notes runs as %s (uid %s) and writes %s\n", u.Username, u.Uid, dataDir())
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-selftest" {
		if err := selftest(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	http.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			name := filepath.Base(r.URL.Query().Get("name"))
			body := strings.TrimSpace(r.URL.Query().Get("text"))
			if err := os.WriteFile(filepath.Join(dataDir(), name), []byte(body+"\n"), 0o644); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		entries, _ := os.ReadDir(dataDir())
		for _, e := range entries {
			fmt.Fprintln(w, e.Name())
		}
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
