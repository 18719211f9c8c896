package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/lbrx/lbrx/core"
)

func init() {
	commands["devices"] = &command{
		summary: "list every registered device, its state and why it is unavailable",
		setup:   func(*flag.FlagSet) runFunc { return runDevices },
	}
}

func runDevices(_ []string, stdout, _ io.Writer) error {
	def, err := core.DefaultDevice()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tKIND\tSTATE\tDETAIL")
	for _, d := range core.Devices() {
		st := d.Status()
		state, detail := "available", fmt.Sprint(d)
		if !st.Available {
			state, detail = "unavailable", st.Reason
		}
		if d == def {
			state += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name(), d.Kind(), state, detail)
	}
	return tw.Flush()
}
