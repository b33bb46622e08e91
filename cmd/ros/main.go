//go:build !initramfs

// Command ros is the multi-call binary of the ros OS: run as PID 1 it is the
// init; as sudo it runs a command as root (the binary is setuid); as
// system-docker it is the docker CLI for System Docker; otherwise it is the
// ros CLI. The initramfs carries a smaller build of the same command
// (main_initramfs.go) that only does the early boot.
package main

import "os"

func main() { os.Exit(dispatch(os.Args)) }
