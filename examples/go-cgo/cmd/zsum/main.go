// Command zsum reports zlib CRC-32 and Adler-32 checksums of a fixed
// payload, computed through cgo against the system zlib.
package main

/*
#cgo LDFLAGS: -lz
#include <zlib.h>

// checksums fills crc and adler for buf[0:n] using zlib.
static void checksums(const unsigned char *buf, unsigned int n,
                      unsigned long *crc, unsigned long *adler) {
	*crc = crc32(crc32(0L, Z_NULL, 0), buf, n);
	*adler = adler32(adler32(0L, Z_NULL, 0), buf, n);
}
*/
import "C"

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"unsafe"
)

const payload = "stagesplit"

func report() string {
	b := []byte(payload)
	var crc, adler C.ulong
	C.checksums((*C.uchar)(unsafe.Pointer(&b[0])), C.uint(len(b)), &crc, &adler)
	return fmt.Sprintf("zsum %q crc32=%08x adler32=%08x\n", payload, uint32(crc), uint32(adler))
}

func handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, report())
}

func selftest() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(handler)}
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
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve":
		log.Printf("zlib %s, listening on 0.0.0.0:8080", C.GoString(C.zlibVersion()))
		log.Fatal(http.ListenAndServe("0.0.0.0:8080", http.HandlerFunc(handler)))
	case "selftest":
		if err := selftest(); err != nil {
			fmt.Fprintln(os.Stderr, "selftest:", err)
			os.Exit(1)
		}
	case "sum":
		fmt.Print(report())
	default:
		fmt.Fprintf(os.Stderr, "usage: zsum [serve|selftest|sum]\n")
		os.Exit(2)
	}
}
