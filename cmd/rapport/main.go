// Command rapport is the Rapport server and its administration commands; see run for the list.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rapport:", err)
		os.Exit(1)
	}
}
