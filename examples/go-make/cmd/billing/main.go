// Command billing serves the greeting its config file names; the Makefile
// builds it, as legacy Go repositories often do.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
)

var version = "dev"

// readGreeting reads greeting=... from a key=value config file.
func readGreeting(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "greeting="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s: no greeting", file)
}

func handler(greeting string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, greeting+" ("+version+")\n")
	})
	return mux
}

// selftest serves on a loopback port, GETs / once and prints the body.
func selftest(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(os.Stdout, resp.Body)
	return err
}

func main() {
	config := flag.String("config", "config/app.conf", "config file")
	test := flag.Bool("selftest", false, "serve in-process, GET / once, print the body and exit")
	flag.Parse()
	greeting, err := readGreeting(*config)
	if err != nil {
		log.Fatal(err)
	}
	if *test {
		if err := selftest(handler(greeting)); err != nil {
			fmt.Fprintln(os.Stderr, "selftest:", err)
			os.Exit(1)
		}
		return
	}
	log.Fatal(http.ListenAndServe("0.0.0.0:8080", handler(greeting)))
}
