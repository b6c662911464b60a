// Command cable-publish broadcasts one message through a Cable server's gRPC
// Publisher API:
//
//	cable-publish --target HOST:PORT --stream S --data D
//	    [--api-key K] [--ca FILE] [--cert FILE --key FILE] [--tls] [--timeout 5s]
//
// It exits 0 once the server accepted the broadcast; otherwise it prints one
// line on stderr and exits 1 (the call failed) or 2 (bad arguments or
// files). DATA is sent as is: valid JSON arrives as that JSON value,
// anything else as a JSON string.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"cable.dev/sdk/go/cable"
)

const prog = "cable-publish"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line below
	target := fs.String("target", "", "the server's gRPC address, HOST:PORT (required)")
	stream := fs.String("stream", "", "the stream to broadcast to (required)")
	data := fs.String("data", "", "the message (required)")
	apiKey := fs.String("api-key", os.Getenv("CABLE_API_KEY"),
		"sent as 'authorization: Bearer KEY' (default: $CABLE_API_KEY)")
	ca := fs.String("ca", "", "use TLS, trusting this PEM CA bundle (default: plaintext)")
	cert := fs.String("cert", "", "TLS client certificate chain (PEM)")
	key := fs.String("key", "", "TLS client private key (PEM)")
	useTLS := fs.Bool("tls", false, "use TLS with the system's root certificates")
	timeout := fs.Duration("timeout", cable.DefaultTimeout, "deadline for the call, retries included")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "usage: %s --target HOST:PORT --stream S --data D [options]\n", prog)
			fs.PrintDefaults()
			return 0
		}
		return fail(stderr, 2, "%v (see --help)", err)
	}
	if fs.NArg() > 0 {
		return fail(stderr, 2, "unexpected argument %q (see --help)", fs.Arg(0))
	}
	if missing := missingFlags(fs, "target", "stream", "data"); missing != "" {
		return fail(stderr, 2, "missing %s (see --help)", missing)
	}

	opts := []cable.Option{cable.WithAPIKey(*apiKey), cable.WithTimeout(*timeout)}
	if *useTLS {
		opts = append(opts, cable.WithTLS(nil))
	}
	if *ca != "" {
		opts = append(opts, cable.WithRootCAFile(*ca))
	}
	if *cert != "" || *key != "" {
		opts = append(opts, cable.WithClientCertFiles(*cert, *key))
	}
	publisher, err := cable.NewPublisher(*target, opts...)
	if err != nil {
		return fail(stderr, 2, "%v", err)
	}
	defer publisher.Close()

	if err := publisher.Broadcast(context.Background(), *stream, *data); err != nil {
		return fail(stderr, 1, "%v", err)
	}
	fmt.Fprintln(stdout, "accepted")
	return 0
}

// missingFlags names the required flags not given on the command line (an
// empty value counts as given: the server judges it).
func missingFlags(fs *flag.FlagSet, required ...string) string {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var missing []string
	for _, name := range required {
		if !set[name] {
			missing = append(missing, "--"+name)
		}
	}
	return strings.Join(missing, ", ")
}

// fail prints "cable-publish: <message>" as one line and returns status.
func fail(stderr io.Writer, status int, format string, args ...any) int {
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	fmt.Fprintf(stderr, "%s: %s\n", prog, msg)
	return status
}
