// Command mkimage builds the ros OS from images/os.yaml into an OCI image
// layout, and pushes it to a registry. It is a build tool, not part of the OS.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{Use: "mkimage", Short: "Build, sign and push the ros OS image", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newBuildCmd(), newPushCmd(), newSignCmd(), newKeygenCmd(), newToolCmd(), newISOCmd())
	return root
}
