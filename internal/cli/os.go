package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
	"github.com/ros-os/ros/images/trust"
	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/configstore"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
	"github.com/ros-os/ros/internal/slot"
	"github.com/ros-os/ros/upgrader"
	"github.com/ros-os/ros/upgrader/slotstate"
)

func newOSCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "os", Short: "Upgrade, list, inspect and roll back the OS"}
	cmd.AddCommand(newOSUpgradeCmd(), newOSVersionCmd(), newOSStatusCmd(), newOSListCmd(), newOSRollbackCmd())
	return cmd
}

func newOSVersionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the running OS version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), buildinfo.Version)
			return err
		}}
}

type upgradeOpts struct {
	force, reboot, insecure, skipSignature, dryRun bool
}

func newOSUpgradeCmd() *cobra.Command {
	o := upgradeOpts{}
	cmd := &cobra.Command{
		Use:   "upgrade [REF]",
		Short: "Write a newer OS image into the inactive slot and boot it next, on trial",
		Long: `Write a newer OS image into the inactive slot and make it the next boot,
with 3 tries. It is kept only once System Docker, every system service and
User Docker are healthy; otherwise the machine goes back to this slot by itself.

REF is a registry reference (with or without a tag: without one, the newest
version in the repository), oci-layout:DIR[:tag] or oci-archive:FILE[:tag].
Without REF, ros.upgrade.repository of the cloud-config is used, else the
repository of the last upgrade.

The image must be signed (cosign's format, beside it in the repository)
by a key the machine trusts: those in /etc/ros/trust, which the running
image brought, and ros.upgrade.trust of the cloud-config.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runUpgrade(cmd, args, o) },
	}
	cmd.Flags().BoolVarP(&o.force, "force", "f", false, "install the same or an older version, or upgrade while the running slot is on trial (dangerous: overwrites the last good slot)")
	cmd.Flags().BoolVar(&o.reboot, "reboot", false, "reboot into the new slot when written")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "check the image and say how much would be downloaded; write nothing")
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "allow a plain-HTTP registry")
	cmd.Flags().BoolVar(&o.skipSignature, trust.SkipFlag[2:], false, skipSignatureUsage)
	return cmd
}

// upgradeHeap is the Go heap ros os upgrade keeps to (a soft limit: the
// collector runs more often near it). Its buffers are a few chunks' worth;
// without the limit the heap may grow to twice what is live before a
// collection, and the upgrade's peak memory past its 64 MB budget.
const upgradeHeap = 32 << 20

func runUpgrade(cmd *cobra.Command, args []string, o upgradeOpts) error {
	if err := needRoot(cmd); err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(upgradeHeap)
	}
	booted, cmdline, err := procsys.Host.BootedSlot()
	if err != nil {
		return err
	}
	rec, err := slotstate.LoadRecord(slotstate.RecordPath)
	if err != nil {
		return err
	}
	opts := registryOpts(o.insecure)
	ref, repo, err := upgrader.ResolveRef(argOr(args, ""), upgradeRepo(rec.Repo), opts...)
	if err != nil {
		return err
	}
	keys, err := machineKeys()
	if err != nil {
		return err
	}
	out := cmd.ErrOrStderr()
	rep, err := upgrader.Upgrade(cmd.Context(), upgrader.Options{Ref: ref, Force: o.force, Booted: booted, Running: buildinfo.Version,
		Cmdline: cmdline.Raw, ImageOpts: opts, Progress: os.Stderr, Repo: repo, Published: contract.OSStatus,
		Trust: policy(keys, o.skipSignature, out, "ros os upgrade"), DryRun: o.dryRun,
		Logf: func(f string, a ...any) { fmt.Fprintf(out, "ros os upgrade: "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	if rep.SignedBy != "" {
		fmt.Fprintf(out, "ros os upgrade: signed by %s\n", rep.SignedBy)
	}
	if o.dryRun {
		fmt.Fprintf(cmd.OutOrStdout(), "ros %s would go to slot %s: %s\n", rep.Version, rep.Slot, transfer(rep, booted, "would download"))
		return nil
	}
	fmt.Fprintf(out, "ros os upgrade: %s\n", transfer(rep, booted, "downloaded"))
	fmt.Fprintf(cmd.OutOrStdout(), "ros %s is in slot %s and boots next, on trial (3 tries)\n", rep.Version, rep.Slot)
	fmt.Fprintf(out, "ros os upgrade: %s\n", usage(rep))
	if o.reboot {
		return unix.Kill(1, unix.SIGTERM)
	}
	fmt.Fprintln(cmd.OutOrStdout(), "reboot to use it: sudo ros reboot")
	return nil
}

// upgradeRepo is where to look without an argument: ros.upgrade.repository
// of the cloud-config, else the repository of the last upgrade.
func upgradeRepo(last string) string {
	if cfg, err := configstore.Default().Effective(); err == nil && cfg.Ros.Upgrade.Repository != "" {
		return cfg.Ros.Upgrade.Repository
	}
	return last
}

func newOSListCmd() *cobra.Command {
	var insecure bool
	cmd := &cobra.Command{
		Use: "list [REPOSITORY]", Short: "List the versions in the upgrade repository, newest first", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := slotstate.LoadRecord(slotstate.RecordPath)
			if err != nil {
				return err
			}
			repo := upgradeRepo(rec.Repo)
			if len(args) == 1 {
				repo = args[0]
			}
			if repo == "" {
				return fmt.Errorf("no repository known: give one, e.g. ros os list registry.example.com/ros/os")
			}
			opts := registryOpts(insecure)
			vs, err := upgrader.Versions(repo, opts...)
			if err != nil {
				return err
			}
			keys, err := machineKeys()
			if err != nil {
				return err
			}
			p := trust.Policy{Keys: keys}
			for _, v := range vs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s%s\n", v, marks(v, rec, signedMark(p, repo+":"+v, opts)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a plain-HTTP registry")
	return cmd
}

// signedMark says whether the image at ref is signed by a key p trusts:
// "signed", "unsigned", "untrusted signature", or why it is not known.
func signedMark(p trust.Policy, ref string, opts []artifact.Option) string {
	img, err := artifact.Open(ref, opts...)
	if err != nil {
		return "signature not checked: unreadable"
	}
	_, err = p.Check(ref, img, opts...)
	switch {
	case err == nil:
		return "signed"
	case errors.Is(err, signature.ErrUnsigned):
		return "unsigned"
	case errors.Is(err, trust.ErrNoKeys):
		return "signature not checked: no trusted keys"
	case errors.Is(err, signature.ErrUntrusted):
		return "not signed by a trusted key"
	}
	return "bad signature"
}

// marks are what ros os list says of version v beside it: running, the
// slot holding it, and signed (signedMark).
func marks(v string, rec *slotstate.Record, signed string) string {
	var m []string
	if v == buildinfo.Version {
		m = append(m, "running")
	}
	for _, s := range slot.All {
		if rec.Slots[s].Version == v {
			m = append(m, "in slot "+string(s))
		}
	}
	if signed != "" {
		m = append(m, signed)
	}
	if len(m) == 0 {
		return ""
	}
	return "  (" + strings.Join(m, ", ") + ")"
}

func newOSStatusCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "status", Short: "Show each slot's version and state, the last boot and any rollback", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := osStatus(os.Geteuid() == 0, contract.OSStatus)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return printStatus(cmd, st)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json for machine-readable output")
	return cmd
}

// osStatus is the slots' status: root reads the ESP and the record live,
// other users the status published after boot assessment and each change.
func osStatus(root bool, published string) (*slotstate.Status, error) {
	if !root {
		return slotstate.ReadPublished(published)
	}
	booted, _, err := procsys.Host.BootedSlot()
	if err != nil {
		return nil, err
	}
	return slotstate.Host.Status(booted, buildinfo.Version)
}

func printStatus(cmd *cobra.Command, st *slotstate.Status) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT\tVERSION\tSTATE\tENTRY\tVERITY ROOT HASH")
	for _, s := range st.Slots {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Slot, s.Version, s.State, s.Entry, s.Verity)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if lb := st.LastBoot; lb != nil {
		fmt.Fprintf(out, "last boot: slot %s, ros %s: %s %s\n", lb.Slot, lb.Version, lb.Result, lb.Reason)
	}
	if p := st.Pending; p != nil {
		fmt.Fprintf(out, "pending: ros %s in slot %s, on trial\n", p.ToVersion, p.To)
	}
	if st.Note != "" {
		fmt.Fprintf(out, "note: %s\n", st.Note)
	}
	if r := st.Rollback; r != nil {
		fmt.Fprintf(out, "rolled back: ros %s (slot %s) to ros %s (slot %s) at %s: %s\n",
			r.FromVersion, r.FromSlot, r.ToVersion, r.ToSlot, r.Time.Format("2006-01-02 15:04:05Z"), r.Reason)
	}
	return nil
}

func newOSRollbackCmd() *cobra.Command {
	var reboot bool
	cmd := &cobra.Command{
		Use: "rollback", Short: "Boot the other slot next, if it holds a good image", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needRoot(cmd); err != nil {
				return err
			}
			booted, _, err := procsys.Host.BootedSlot()
			if err != nil {
				return err
			}
			to, err := slotstate.RollbackTo(booted, buildinfo.Version)
			if to != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "slot %s (ros %s) boots next\n", booted.Other(), to)
			}
			if err != nil {
				return err
			}
			if reboot {
				return unix.Kill(1, unix.SIGTERM)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reboot, "reboot", false, "reboot into it now")
	return cmd
}

// needRoot refuses a command that changes the boot slots to other users.
func needRoot(cmd *cobra.Command) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s changes the boot slots: run it with sudo", cmd.CommandPath())
	}
	return nil
}

// usage is the phases' times and the peak memory of ros and of its children
// (xz), for `make bench`.
func usage(rep *upgrader.Report) string {
	var parts []string
	for _, p := range []string{"resolve", "write", "verify", "flip"} {
		parts = append(parts, fmt.Sprintf("%s %.1fs", p, rep.Phases[p].Seconds()))
	}
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &ru)
	mem := fmt.Sprintf("ros %d MB", procsys.Host.PeakRSSKiB()>>10)
	if ru.Maxrss > 0 { // an image of the xz format, decoded by xz(1)
		mem += fmt.Sprintf(", xz %d MB", ru.Maxrss>>10)
	}
	return fmt.Sprintf("phases: %s; peak memory: %s", strings.Join(parts, ", "), mem)
}

// transfer says how much of the image came (or would come) from the
// registry, and how much from this machine (slot and ESP).
func transfer(rep *upgrader.Report, booted slot.Slot, verb string) string {
	mb := func(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
	t := rep.Total()
	pct := 100.0
	if t.Full > 0 {
		pct = 100 * float64(t.Downloaded) / float64(t.Full)
	}
	return fmt.Sprintf("%s %s of the %s image (%.1f %%: root filesystem %s, kernel and initramfs %s), %s reused from slot %s",
		verb, mb(t.Downloaded), mb(t.Full), pct, mb(rep.Rootfs.Downloaded), mb(rep.Boot.Downloaded), mb(t.Reused), booted)
}

// argOr is the first argument, or def without one.
func argOr(args []string, def string) string {
	if len(args) > 0 {
		return args[0]
	}
	return def
}
