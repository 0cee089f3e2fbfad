// Command benchserver is the loopback HTTP server that scripts/bench-load.sh
// points wrk and the load probe at: it answers every request with 200 and
// a small fixed body, as fast as net/http can, so the comparison measures
// the load generators, not the server's work. With -delay it answers after
// a fixed service time instead, so the machine is not saturated and both
// generators should report the same latencies. It is a benchmark fixture,
// never shipped in the readyctl binary.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	size := flag.Int("size", 13, "response body size in bytes")
	delay := flag.Duration("delay", 0, "wait this long before answering (a fixed service time)")
	flag.Parse()

	body := []byte(strings.Repeat("x", max(*size-1, 0)) + "\n")
	// Shared, read-only header values: no per-request allocation here.
	contentType := []string{"text/plain"}
	contentLength := []string{strconv.Itoa(len(body))}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if *delay > 0 {
			time.Sleep(*delay)
		}
		hd := w.Header()
		hd["Content-Type"] = contentType
		hd["Content-Length"] = contentLength
		w.Write(body)
	})

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The caller reads this line to learn the port.
	fmt.Fprintf(os.Stdout, "listening on %s\n", l.Addr())
	log.Fatal(http.Serve(l, h))
}
