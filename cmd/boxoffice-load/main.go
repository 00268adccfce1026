// Command boxoffice-load drives a boxoffice server with virtual guests and
// measures it against a baseline. Run "boxoffice-load -help" for its flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"boxoffice/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := load.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "boxoffice-load:", err)
		stop()
		os.Exit(1)
	}
}
