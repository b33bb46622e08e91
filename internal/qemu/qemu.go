// Package qemu boots ros in QEMU (TCG) for tests and benchmarks, with the
// serial console captured so tests can wait for what a user would see.
package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes one VM.
type Config struct {
	Kernel, Initrd, Append string   // direct kernel boot
	Disks                  []string // disk images, virtio: raw, or qcow2 by their name
	CDROM                  string   // an ISO image in a SATA CD drive, booted first (with OVMF)
	OVMF                   bool     // boot the first disk through UEFI (OVMF)
	MemoryMB, CPUs         int
	Reboot                 bool      // let the guest reboot, also after a panic (default: QEMU exits when it reboots)
	Net                    bool      // a virtio NIC on QEMU user networking
	Forward                []string  // with Net, host ports to the guest: "tcp:127.0.0.1:2222-:22"
	NetOptions             []string  // with Net, more options of the user network: "net=169.254.169.0/24", "guestfwd=..."
	Extra                  []string  // more qemu arguments
	Log                    io.Writer // a copy of the console, e.g. a file
}

// VM is a running QEMU.
type VM struct {
	Console *Console
	ctx     context.Context
	args    []string
	reboot  bool
	mu      sync.Mutex
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	killed  bool
	cut     chan struct{} // PowerCut: closed by wait once QEMU is gone
	on      chan struct{} // PowerOn: start QEMU again
	done    chan struct{}
	err     error
	cleanup func()
}

// ErrExited is returned by waits when QEMU exits before the wait is over.
var ErrExited = errors.New("qemu exited")

// Start boots a VM. Kill (or Wait) must be called to release it.
func Start(ctx context.Context, c Config) (*VM, error) {
	args, cleanup, err := c.args()
	if err != nil {
		return nil, err
	}
	vm := &VM{Console: newConsole(c.Log), ctx: ctx, args: args, reboot: c.Reboot, done: make(chan struct{}), cleanup: cleanup}
	if err := vm.start(); err != nil {
		cleanup()
		return nil, err
	}
	go vm.wait()
	return vm, nil
}

func (vm *VM) start() error {
	cmd := exec.CommandContext(vm.ctx, "qemu-system-x86_64", vm.args...)
	cmd.Stdout, cmd.Stderr = vm.Console, vm.Console
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("starting qemu: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting qemu: %w", err)
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.killed { // Kill came while the guest was rebooting
		_ = cmd.Process.Kill()
	}
	vm.cmd, vm.stdin = cmd, stdin
	return nil
}

// restart tells, from what the console printed since QEMU last started and
// how QEMU ended, whether the machine reset (QEMU runs with -no-reboot, so
// any reset ends it) rather than powered off or failed: a reboot, the reboot
// after a kernel panic (panic=N), or a reset without a kernel message, which
// is the hardware watchdog's (i6300esb) when the guest stopped petting it.
// A real machine comes back from all three.
func restart(console string, exitErr error) (bool, string) {
	switch {
	case strings.Contains(console, "reboot: Restarting system"), strings.Contains(console, "Rebooting in "):
		return true, ""
	case exitErr != nil:
		return false, ""
	case strings.Contains(console, "reboot: Power down"), strings.Contains(console, "reboot: System halted"):
		return false, ""
	}
	return true, "\r\n[qemu: the machine reset without a kernel message (the watchdog fired?): starting it again]\r\n"
}

// wait restarts QEMU when the guest rebooted (with Config.Reboot), and
// otherwise ends the VM when QEMU exits.
func (vm *VM) wait() {
	for {
		mark := vm.Console.Len()
		vm.mu.Lock()
		cmd := vm.cmd
		vm.mu.Unlock()
		vm.err = cmd.Wait()
		vm.mu.Lock()
		killed, cut := vm.killed, vm.cut
		vm.mu.Unlock()
		if cut != nil && !killed {
			if !vm.powerOff(cut) {
				break
			}
			continue
		}
		if killed || !vm.reboot {
			break
		}
		again, note := restart(vm.Console.After(mark), vm.err)
		if !again {
			if vm.err != nil { // a crash or a kill, not the guest: say which
				_, _ = fmt.Fprintf(vm.Console, "\r\n[qemu: exited: %v]\r\n", vm.err)
			}
			break
		}
		_, _ = vm.Console.Write([]byte(note))
		if err := vm.start(); err != nil {
			vm.err = err
			break
		}
	}
	vm.cleanup()
	vm.Console.close()
	close(vm.done)
}

func (c Config) args() ([]string, func(), error) {
	mem, cpus := c.MemoryMB, c.CPUs
	if mem == 0 {
		mem = 2048
	}
	if cpus == 0 {
		cpus = 2
	}
	args := []string{"-machine", "q35", "-accel", tcg, "-m", strconv.Itoa(mem), "-smp", strconv.Itoa(cpus),
		"-display", "none", "-monitor", "none", "-serial", "stdio", "-device", "i6300esb", "-no-reboot"}
	if c.Net {
		nic := "user,model=virtio-net-pci"
		for _, f := range c.Forward {
			nic += ",hostfwd=" + f
		}
		for _, o := range c.NetOptions {
			nic += "," + o
		}
		args = append(args, "-nic", nic)
	} else {
		args = append(args, "-nic", "none")
	}
	if c.Kernel != "" {
		args = append(args, "-kernel", c.Kernel, "-initrd", c.Initrd, "-append", c.Append)
	}
	for _, d := range c.Disks {
		format := "raw"
		if strings.HasSuffix(d, ".qcow2") {
			format = "qcow2"
		}
		args = append(args, "-drive", "file="+d+",if=virtio,format="+format)
	}
	if c.CDROM != "" {
		args = append(args, "-drive", "file="+c.CDROM+",media=cdrom,if=none,id=cd0,format=raw,readonly=on", "-device", "ide-cd,drive=cd0,bootindex=0")
	}
	cleanup := func() {}
	if c.OVMF {
		fw, clean, err := ovmfArgs()
		if err != nil {
			return nil, nil, err
		}
		args, cleanup = append(args, fw...), clean
	}
	return append(args, c.Extra...), cleanup, nil
}

// tcg runs all vCPUs on one host thread. With one thread per vCPU (QEMU's
// default), QEMU 7.2 and 10.0 sometimes let a vCPU execute the int3 that the
// guest kernel puts in its code while another CPU patches a static key
// (cgroup controllers, CFS bandwidth), after the patch is done: the kernel
// oopses ("Oops: int3") and panics. A loop toggling cpu.max in the guest hits
// it within minutes; with one thread it ran 19000 toggles clean.
const tcg = "tcg,thread=single"

// OVMF firmware from Debian's ovmf package; the variables store is a copy.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

func ovmfArgs() ([]string, func(), error) {
	vars, err := os.CreateTemp("", "ros-ovmf-vars-*.fd")
	if err != nil {
		return nil, nil, fmt.Errorf("copying OVMF variables: %w", err)
	}
	src, err := os.Open(ovmfVars)
	if err != nil {
		vars.Close()
		return nil, nil, fmt.Errorf("copying OVMF variables (apt-get install ovmf): %w", err)
	}
	defer src.Close()
	_, err = io.Copy(vars, src)
	vars.Close()
	cleanup := func() { os.Remove(vars.Name()) }
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("copying OVMF variables: %w", err)
	}
	return []string{"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars.Name()}, cleanup, nil
}

// Send types s on the serial console. Right after PowerOn, or while the
// guest reboots, QEMU is being started again: a write to the QEMU that is
// gone waits (up to 30 s) for the new one and goes there.
func (vm *VM) Send(s string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		vm.mu.Lock()
		stdin := vm.stdin
		vm.mu.Unlock()
		_, err := io.WriteString(stdin, s)
		if !errors.Is(err, os.ErrClosed) || time.Now().After(deadline) || vm.Exited() {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Wait waits for QEMU to exit, killing it after timeout.
func (vm *VM) Wait(timeout time.Duration) error {
	select {
	case <-vm.done:
		return vm.err
	case <-time.After(timeout):
		vm.Kill()
		return fmt.Errorf("qemu still running after %s: killed", timeout)
	}
}

// PowerCut pulls the machine's plug: QEMU is killed (SIGKILL) and the VM
// stays off until PowerOn. The guest's page cache and anything it had not
// written out are lost; what QEMU had passed to the disk image stays, as on
// a disk without a volatile write cache. The EFI variables stay too.
func (vm *VM) PowerCut() error {
	vm.mu.Lock()
	if vm.killed || vm.cut != nil {
		vm.mu.Unlock()
		return errors.New("qemu: power cut of a VM that is off")
	}
	cut := make(chan struct{})
	vm.cut, vm.on = cut, make(chan struct{})
	cmd := vm.cmd
	vm.mu.Unlock()
	_ = cmd.Process.Kill()
	select {
	case <-cut:
		return nil
	case <-vm.done:
		return ErrExited
	}
}

// PowerOn starts a VM that PowerCut turned off, on the same disks and EFI
// variables.
func (vm *VM) PowerOn() {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.pressPower()
}

// pressPower ends powerOff's wait, once; vm.mu must be held.
func (vm *VM) pressPower() {
	if vm.on != nil {
		close(vm.on)
		vm.on = nil
	}
}

// powerOff waits, with QEMU gone after a PowerCut, for PowerOn (then starts
// QEMU again) or Kill; it returns false if the VM is to end.
func (vm *VM) powerOff(cut chan struct{}) bool {
	vm.mu.Lock()
	on := vm.on
	vm.mu.Unlock()
	close(cut)
	select {
	case <-on:
	case <-vm.ctx.Done():
		return false
	}
	vm.mu.Lock()
	vm.cut = nil
	killed := vm.killed
	vm.mu.Unlock()
	if killed {
		return false
	}
	_, _ = vm.Console.Write([]byte("\r\n[qemu: power on after a power cut]\r\n"))
	if err := vm.start(); err != nil {
		vm.err = err
		return false
	}
	return true
}

// Kill stops QEMU at once.
func (vm *VM) Kill() {
	vm.mu.Lock()
	vm.killed = true
	cmd := vm.cmd
	vm.pressPower() // off after a power cut: powerOff sees killed
	vm.mu.Unlock()
	_ = cmd.Process.Kill()
	<-vm.done
}

// Exited reports whether QEMU has exited.
func (vm *VM) Exited() bool {
	select {
	case <-vm.done:
		return true
	default:
		return false
	}
}
