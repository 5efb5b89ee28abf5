// Command p2pplan turns the field guide on vendor P2P NAT traversal into
// policy-as-code: it loads site descriptions, decides with Rego policies and
// generates the chosen alternative. main only wires; the work is in internal/
// and generators/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command (SPEC §2).
const (
	exitOK     = 0 // decided, nothing denied
	exitDenied = 1 // a policy denial: the pipeline must stop
	exitInput  = 2 // bad input or usage: nothing is written
	exitEnv    = 3 // environment failure: socket, name resolution, netlink
)

// exitError carries an exit code up to main. A nil err with a code is a
// silent exit (the command already printed what it had to say).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// inputError marks bad input or usage (exit 2).
func inputError(err error) error { return &exitError{code: exitInput, err: err} }

// envError marks an environment failure (exit 3).
func envError(err error) error { return &exitError{code: exitEnv, err: err} }

// deniedExit is a silent exit 1 after a report that shows the denial.
func deniedExit() error { return &exitError{code: exitDenied} }

// subcommands are added by each command's file in init, so every command
// lives in its own file and main.go stays wiring only.
var subcommands = map[string]func() *cobra.Command{}

func register(name string, f func() *cobra.Command) { subcommands[name] = f }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "p2pplan",
		Short:         "Decide and generate NAT-traversal alternatives for IP cameras and NVRs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return inputError(err) })
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(subcommands[n]())
	}
	return root
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "p2pplan:", ee.err)
		}
		return ee.code
	}
	// Anything cobra rejects itself (unknown command, bad arguments) is usage.
	fmt.Fprintln(stderr, "p2pplan:", err)
	return exitInput
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func dirOf(path string) string {
	if d := filepath.Dir(path); d != "" {
		return d
	}
	return "."
}
