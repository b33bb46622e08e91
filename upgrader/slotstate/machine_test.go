package slotstate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/bootloader"
	"github.com/ros-os/ros/internal/slot"
)

// testNow is the clock of every test machine.
var testNow = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

// testMachine is a machine in a temporary directory: an ESP directory with
// real entry files, the record, the lock and the published status.
type testMachine struct {
	Machine
	esp string
}

// newTestMachine writes entries to the ESP with bootloader.WriteEntry;
// nil entries leaves the ESP without loader/entries, an empty list leaves
// the directory empty. rec is the record's contents ("": none).
func newTestMachine(t *testing.T, entries []bootloader.Entry, rec string) *testMachine {
	t.Helper()
	dir := t.TempDir()
	m := &testMachine{esp: filepath.Join(dir, "esp")}
	m.Machine = Machine{
		ESP:       func() (bootloader.FS, error) { return bootloader.DirFS(m.esp), nil },
		Record:    filepath.Join(dir, "var/lib/ros/os/record.json"),
		Lock:      filepath.Join(dir, "run/ros/upgrade.lock"),
		LockWait:  100 * time.Millisecond,
		Published: filepath.Join(dir, "run/ros/os-status.json"),
		Now:       func() time.Time { return testNow },
	}
	if err := os.MkdirAll(m.esp, 0o755); err != nil {
		t.Fatal(err)
	}
	if entries != nil {
		if err := os.MkdirAll(filepath.Join(m.esp, bootloader.EntriesDir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		if err := bootloader.WriteEntry(bootloader.DirFS(m.esp), e); err != nil {
			t.Fatal(err)
		}
	}
	if rec != "" {
		if err := os.MkdirAll(filepath.Dir(m.Record), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(m.Record, []byte(rec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// files lists the entry files on the ESP.
func (m *testMachine) files(t *testing.T) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(m.esp, bootloader.EntriesDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// record reads the record file as it is on disk (nil: none).
func (m *testMachine) recordBytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(m.Record)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

func (m *testMachine) record(t *testing.T) *Record {
	t.Helper()
	r, err := LoadRecord(m.Record)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// states are the published states of slots a and b; nil if nothing was
// published. The file must be world-readable.
func (m *testMachine) states(t *testing.T) []string {
	t.Helper()
	fi, err := os.Stat(m.Published)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("the published status has mode %v, want 0644", fi.Mode().Perm())
	}
	st, err := ReadPublished(m.Published)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, s := range st.Slots {
		states = append(states, s.State)
	}
	return states
}

// holdLock takes the machine's lock until the test ends.
func (m *testMachine) holdLock(t *testing.T) {
	t.Helper()
	unlock, err := Lock(m.Lock, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
}

func entry(s slot.Slot, version string, c *bootloader.Counter) bootloader.Entry {
	e := bootloader.SlotEntry(s, 1, version, "console=ttyS0")
	e.Counter = c
	return e
}

func tries(left, done int) *bootloader.Counter { return &bootloader.Counter{Left: left, Done: done} }

func recordJSON(t *testing.T, r *Record) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "record.json")
	if err := r.Save(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	v1, v2        = "1.0.0", "2.0.0"
	gaveUp        = "the new slot never passed its health gate (it hung, panicked or ran out of tries)"
	unhealthyWhy  = "docker: User Docker is not healthy"
	activeGood    = "active, good"
	rollbackByCLI = "ros os rollback"
)

// Boot assessment on a real ESP directory, for every row of Decide's table
// and the failures around it: which entry file is renamed, whether the
// machine reboots, what the record says and what is published.
func TestAssess(t *testing.T) {
	slots := map[slot.Slot]SlotInfo{slot.A: {Version: v1}, slot.B: {Version: v2}}
	pendingAB := &Pending{From: slot.A, To: slot.B, FromVersion: v1, ToVersion: v2, Since: testNow.Add(-time.Hour)}
	pending := recordJSON(t, &Record{Slots: slots, Pending: pendingAB})
	bFailed := recordJSON(t, &Record{Slots: slots, Pending: pendingAB,
		LastBoot: &BootResult{Slot: slot.B, Version: v2, Result: "failed", Reason: unhealthyWhy}})
	plain := recordJSON(t, &Record{Slots: map[slot.Slot]SlotInfo{slot.A: {Version: v1}}})
	onTrial := []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(2, 1))}
	bothGood := []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, nil)}
	bGivenUp := []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(0, 3))}
	tests := []struct {
		name     string
		booted   slot.Slot
		entries  []bootloader.Entry
		rec      string
		healthy  bool
		espErr   error
		locked   bool
		wantErr  error // nil: no error; errAny: any
		files    []string
		reboot   bool
		pending  bool     // the record still holds the pending upgrade
		lastBoot string   // the last boot's result in the record
		rollback string   // the recorded rollback's reason, "" none
		states   []string // published states of a and b, nil none

		extra      map[string]string // more files in loader/entries
		movedAside bool              // the record is found in record.json.bad
	}{
		{name: "new slot healthy: keep it", booted: slot.B, entries: onTrial, rec: pending, healthy: true,
			files: []string{"ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}},
		{name: "new slot unhealthy: give it up at once", booted: slot.B, entries: onTrial, rec: pending,
			files: []string{"ros-a.conf", "ros-b+0-1.conf"}, reboot: true, pending: true, lastBoot: "failed"},
		{name: "new slot already good (record lost its counter)", booted: slot.B, entries: bothGood, rec: pending, healthy: true,
			files: []string{"ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}},
		{name: "back on the old slot: report the rollback", booted: slot.A, entries: bGivenUp, rec: bFailed, healthy: true,
			files: []string{"ros-a.conf", "ros-b+0-3.conf"}, lastBoot: "good", rollback: unhealthyWhy, states: []string{activeGood, "bad"}},
		{name: "back on the old slot, itself unhealthy", booted: slot.A, entries: bGivenUp, rec: pending,
			files: []string{"ros-a.conf", "ros-b+0-3.conf"}, lastBoot: "failed", rollback: gaveUp, states: []string{activeGood, "bad"}},
		{name: "back on an old slot that was on trial", booted: slot.A, entries: []bootloader.Entry{entry(slot.A, v1, tries(1, 0)), entry(slot.B, v2, tries(0, 3))},
			rec: pending, healthy: true,
			files: []string{"ros-a.conf", "ros-b+0-3.conf"}, lastBoot: "good", rollback: gaveUp, states: []string{activeGood, "bad"}},
		{name: "trial entry without a record, healthy", booted: slot.B, entries: onTrial, healthy: true,
			files: []string{"ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}},
		{name: "trial entry without a record, unhealthy", booted: slot.B, entries: onTrial,
			files: []string{"ros-a.conf", "ros-b+0-1.conf"}, reboot: true, lastBoot: "failed"},
		{name: "plain boot, healthy", booted: slot.A, entries: []bootloader.Entry{entry(slot.A, v1, nil)}, rec: plain, healthy: true,
			files: []string{"ros-a.conf"}, lastBoot: "good", states: []string{activeGood, "empty"}},
		{name: "plain boot, unhealthy: stay up to be repaired", booted: slot.A, entries: []bootloader.Entry{entry(slot.A, v1, nil)}, rec: plain,
			files: []string{"ros-a.conf"}, lastBoot: "failed", states: []string{activeGood, "empty"}},
		{name: "no entry found (direct kernel boot)", booted: slot.A, entries: []bootloader.Entry{}, healthy: true,
			files: []string{}, lastBoot: "good", states: []string{"active, empty", "empty"}},
		{name: "new slot's entry gone, unhealthy: reboot anyway", booted: slot.B, entries: []bootloader.Entry{entry(slot.A, v1, nil)}, rec: pending,
			files: []string{"ros-a.conf"}, reboot: true, pending: true, lastBoot: "failed"},

		{name: "corrupt record: decided from the counter, the record moved aside", booted: slot.B, entries: onTrial, rec: `{"slots": {`, healthy: true,
			files: []string{"ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}, movedAside: true},
		{name: "corrupt record, unhealthy: given up", booted: slot.B, entries: onTrial, rec: `{"slots": {`,
			files: []string{"ros-a.conf", "ros-b+0-1.conf"}, reboot: true, lastBoot: "failed", movedAside: true},
		{name: "a stray file that systemd-boot does not boot either", booted: slot.B, entries: onTrial, rec: pending, healthy: true,
			extra: map[string]string{"junk.conf": "", "other.conf": "title no linux line\n"},
			files: []string{"junk.conf", "other.conf", "ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}},
		{name: "a rename torn by a power cut: two files of the new slot, healthy", booted: slot.B, entries: onTrial, rec: pending, healthy: true,
			extra: map[string]string{"ros-b+3-0.conf": string(entry(slot.B, v2, nil).Render())},
			files: []string{"ros-a.conf", "ros-b.conf"}, lastBoot: "good", states: []string{"good", activeGood}},
		{name: "a rename torn by a power cut: two files of the new slot, unhealthy", booted: slot.B, entries: onTrial, rec: pending,
			extra: map[string]string{"ros-b+3-0.conf": string(entry(slot.B, v2, nil).Render())},
			files: []string{"ros-a.conf", "ros-b+0-1.conf"}, reboot: true, pending: true, lastBoot: "failed"},
		{name: "no entries on the ESP", booted: slot.B, rec: pending, healthy: true, wantErr: errAny},
		{name: "ESP not mounted, healthy: stay up", booted: slot.B, entries: onTrial, rec: pending, healthy: true, espErr: errors.New("mounting the ESP: no device"),
			wantErr: errAny, files: []string{"ros-a.conf", "ros-b+2-1.conf"}},
		{name: "ESP not mounted, unhealthy new slot: reboot anyway", booted: slot.B, entries: onTrial, rec: pending, espErr: errors.New("mounting the ESP: no device"),
			wantErr: errAny, reboot: true, files: []string{"ros-a.conf", "ros-b+2-1.conf"}},
		{name: "ESP not mounted, unhealthy plain boot: stay up", booted: slot.A, entries: onTrial, rec: plain, espErr: errors.New("mounting the ESP: no device"),
			wantErr: errAny, files: []string{"ros-a.conf", "ros-b+2-1.conf"}},
		{name: "lock held by an upgrade", booted: slot.B, entries: onTrial, rec: pending, healthy: true, locked: true,
			wantErr: ErrBusy, files: []string{"ros-a.conf", "ros-b+2-1.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMachine(t, tt.entries, tt.rec)
			for name, data := range tt.extra {
				if err := os.WriteFile(filepath.Join(m.esp, bootloader.EntriesDir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.espErr != nil {
				m.ESP = func() (bootloader.FS, error) { return nil, tt.espErr }
			}
			if tt.locked {
				m.holdLock(t)
			}
			before := m.recordBytes(t)
			version := map[slot.Slot]string{slot.A: v1, slot.B: v2}[tt.booted]
			reason := ""
			if !tt.healthy {
				reason = unhealthyWhy
			}
			reboot, err := m.Assess(tt.booted, version, tt.healthy, reason)
			if got := m.files(t); !reflect.DeepEqual(got, tt.files) {
				t.Errorf("entry files %q, want %q", got, tt.files)
			}
			if tt.wantErr != nil {
				checkErr(t, err, tt.wantErr)
				if after := m.recordBytes(t); !bytes.Equal(after, before) {
					t.Errorf("a failed assessment changed the record:\n%s", after)
				}
				if m.states(t) != nil {
					t.Error("a failed assessment published a status")
				}
				if reboot != tt.reboot {
					t.Errorf("reboot = %v, want %v", reboot, tt.reboot)
				}
				return
			}
			if err != nil {
				t.Fatalf("Assess: %v", err)
			}
			if tt.movedAside {
				if bad, err := os.ReadFile(m.Record + ".bad"); err != nil || string(bad) != tt.rec {
					t.Errorf("the bad record was not moved aside: %q, %v", bad, err)
				}
				if note := m.record(t).Recovered; !strings.Contains(note, "did not parse") || !strings.Contains(note, ".bad") {
					t.Errorf("the record does not say the old one was moved aside: %q", note)
				}
			}
			if reboot != tt.reboot {
				t.Errorf("reboot = %v, want %v", reboot, tt.reboot)
			}
			checkAssessed(t, m, tt.booted, version, reason, tt.pending, tt.lastBoot, tt.rollback)
			if got := m.states(t); !reflect.DeepEqual(got, tt.states) {
				t.Errorf("published states %q, want %q", got, tt.states)
			}
		})
	}
}

// checkAssessed checks the record boot assessment saved.
func checkAssessed(t *testing.T, m *testMachine, booted slot.Slot, version, reason string, pending bool, lastBoot, rollback string) {
	t.Helper()
	if fi, err := os.Stat(m.Record); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the record is not readable by all (mode 0644): %v %v", fi.Mode(), err)
	}
	rec := m.record(t)
	if (rec.Pending != nil) != pending {
		t.Errorf("pending = %+v, want pending %v", rec.Pending, pending)
	}
	want := &BootResult{Slot: booted, Version: version, Result: lastBoot, Time: testNow}
	if lastBoot == "failed" {
		want.Reason = reason
	}
	if !reflect.DeepEqual(rec.LastBoot, want) {
		t.Errorf("last boot %+v, want %+v", rec.LastBoot, want)
	}
	if lastBoot == "good" && rec.Slots[booted].Version != version {
		t.Errorf("slot %s holds %q in the record, want %s", booted, rec.Slots[booted].Version, version)
	}
	switch {
	case rollback == "" && rec.Rollback != nil:
		t.Errorf("rollback recorded: %+v", rec.Rollback)
	case rollback != "":
		want := &Rollback{FromSlot: slot.B, FromVersion: v2, ToSlot: slot.A, ToVersion: v1, Reason: rollback, Time: testNow}
		if !reflect.DeepEqual(rec.Rollback, want) {
			t.Errorf("rollback %+v, want %+v", rec.Rollback, want)
		}
	}
}

// errAny stands for any error in a table.
var errAny = errors.New("any error")

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want %v", want)
	case want != errAny && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("error is not one line: %q", err)
	}
}

// A new slot that fails its gate is given up at once, and the old slot
// reports why on the next boot.
func TestAssessFailedUpgrade(t *testing.T) {
	pendingAB := &Pending{From: slot.A, To: slot.B, FromVersion: v1, ToVersion: v2}
	m := newTestMachine(t, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(2, 1))},
		recordJSON(t, &Record{Slots: map[slot.Slot]SlotInfo{slot.A: {Version: v1}, slot.B: {Version: v2}}, Pending: pendingAB}))
	if reboot, err := m.Assess(slot.B, v2, false, unhealthyWhy); err != nil || !reboot {
		t.Fatalf("Assess on the new slot = %v, %v; want a reboot", reboot, err)
	}
	// systemd-boot now sorts ros-b+0-1 last and boots slot A.
	if reboot, err := m.Assess(slot.A, v1, true, ""); err != nil || reboot {
		t.Fatalf("Assess on the old slot = %v, %v; want no reboot", reboot, err)
	}
	if got, want := m.files(t), []string{"ros-a.conf", "ros-b+0-1.conf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("entry files %q, want %q", got, want)
	}
	checkAssessed(t, m, slot.A, v1, "", false, "good", unhealthyWhy)
	if got, want := m.states(t), []string{activeGood, "bad"}; !reflect.DeepEqual(got, want) {
		t.Errorf("published states %q, want %q", got, want)
	}
}

// Boot assessment waits for the lock a little, then goes on.
func TestAssessWaitsForTheLock(t *testing.T) {
	m := newTestMachine(t, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(2, 1))}, "")
	m.LockWait = 10 * time.Second
	unlock, err := Lock(m.Lock, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, unlock)
	if _, err := m.Assess(slot.B, v2, true, ""); err != nil {
		t.Fatalf("Assess after the lock was released: %v", err)
	}
	if got, want := m.files(t), []string{"ros-a.conf", "ros-b.conf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("entry files %q, want %q", got, want)
	}
}

// ros os rollback on a real ESP directory.
func TestRollbackTo(t *testing.T) {
	plain := recordJSON(t, &Record{Slots: map[slot.Slot]SlotInfo{slot.A: {Version: v1}, slot.B: {Version: v2}}})
	bothGood := []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, nil)}
	tests := []struct {
		name    string
		entries []bootloader.Entry
		rec     string
		locked  bool
		wantErr error
		files   []string
		states  []string
	}{
		{name: "back to the good other slot", entries: bothGood, rec: plain,
			files: []string{"ros-a.conf", "ros-b+0-0.conf"}, states: []string{"good", "active, bad"}},
		{name: "from a slot on trial", entries: []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(2, 1))}, rec: plain,
			files: []string{"ros-a.conf", "ros-b+0-1.conf"}, states: []string{"good", "active, bad"}},
		{name: "no record: recorded in a new one", entries: bothGood,
			files: []string{"ros-a.conf", "ros-b+0-0.conf"}, states: []string{"good", "active, bad"}},

		{name: "other slot bad", entries: []bootloader.Entry{entry(slot.A, v1, tries(0, 3)), entry(slot.B, v2, nil)}, rec: plain,
			wantErr: ErrNoRollback, files: []string{"ros-a+0-3.conf", "ros-b.conf"}},
		{name: "other slot on trial: refused, nothing renamed", entries: []bootloader.Entry{entry(slot.A, v1, tries(3, 0)), entry(slot.B, v2, nil)}, rec: plain,
			wantErr: ErrOnTrial, files: []string{"ros-a+3-0.conf", "ros-b.conf"}},
		{name: "other slot empty", entries: []bootloader.Entry{entry(slot.B, v2, nil)}, rec: plain,
			wantErr: ErrNoRollback, files: []string{"ros-b.conf"}},
		{name: "running slot has no entry", entries: []bootloader.Entry{entry(slot.A, v1, nil)}, rec: plain,
			wantErr: ErrNoRollback, files: []string{"ros-a.conf"}},
		{name: "corrupt record: moved aside, rolled back", entries: bothGood, rec: "not json",
			files: []string{"ros-a.conf", "ros-b+0-0.conf"}, states: []string{"good", "active, bad"}},
		{name: "no entries on the ESP", rec: plain, wantErr: errAny},
		{name: "an upgrade is running", entries: bothGood, rec: plain, locked: true,
			wantErr: ErrBusy, files: []string{"ros-a.conf", "ros-b.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMachine(t, tt.entries, tt.rec)
			if tt.locked {
				m.holdLock(t)
			}
			before := m.recordBytes(t)
			to, err := m.RollbackTo(slot.B, v2)
			if got := m.files(t); !reflect.DeepEqual(got, tt.files) {
				t.Errorf("entry files %q, want %q", got, tt.files)
			}
			if tt.wantErr != nil {
				checkErr(t, err, tt.wantErr)
				if to != "" {
					t.Errorf("a failed rollback returned version %q", to)
				}
				if after := m.recordBytes(t); !bytes.Equal(after, before) {
					t.Errorf("a failed rollback changed the record:\n%s", after)
				}
				if m.states(t) != nil {
					t.Error("a failed rollback published a status")
				}
				return
			}
			if err != nil || to != v1 {
				t.Fatalf("RollbackTo = %q, %v; want %s", to, err, v1)
			}
			want := &Rollback{FromSlot: slot.B, FromVersion: v2, ToSlot: slot.A, ToVersion: v1, Reason: rollbackByCLI, Time: testNow}
			if got := m.record(t).Rollback; !reflect.DeepEqual(got, want) {
				t.Errorf("rollback %+v, want %+v", got, want)
			}
			if got := m.states(t); !reflect.DeepEqual(got, tt.states) {
				t.Errorf("published states %q, want %q", got, tt.states)
			}
		})
	}
}

// Machine.Status reads the ESP and the record live, as root does.
func TestMachineStatus(t *testing.T) {
	m := newTestMachine(t, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(3, 0))},
		recordJSON(t, &Record{Slots: map[slot.Slot]SlotInfo{slot.A: {Version: v1}, slot.B: {Version: v2}},
			Pending: &Pending{From: slot.A, To: slot.B, FromVersion: v1, ToVersion: v2}}))
	st, err := m.Status(slot.A, v1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running != v1 || st.Pending == nil || st.Slots[0].State != activeGood || st.Slots[1].State != "pending" {
		t.Fatalf("status %+v", st)
	}
	// A corrupt record does not block ros os status: it says so.
	if st, err := newTestMachine(t, []bootloader.Entry{entry(slot.A, v1, nil)}, "{").Status(slot.A, v1); err != nil || !strings.Contains(st.Note, "did not parse") {
		t.Errorf("status with a corrupt record: %+v, %v", st, err)
	}
	for name, m := range map[string]*testMachine{
		"no ESP":     {Machine: Machine{ESP: func() (bootloader.FS, error) { return nil, errors.New("no ESP") }}},
		"no entries": newTestMachine(t, nil, ""),
	} {
		if _, err := m.Status(slot.A, v1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestStatusOf(t *testing.T) {
	slots := map[slot.Slot]SlotInfo{slot.A: {Version: v1, Digest: "sha256:aa"}, slot.B: {Version: v2}}
	tests := []struct {
		name    string
		booted  slot.Slot
		rec     *Record
		entries []bootloader.Entry
		want    []SlotStatus
	}{
		{"upgrade pending", slot.A, &Record{Slots: slots}, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(3, 0))}, []SlotStatus{
			{Slot: slot.A, Version: v1, Digest: "sha256:aa", State: activeGood, Entry: "ros-a.conf"},
			{Slot: slot.B, Version: v2, State: "pending", Entry: "ros-b+3-0.conf"}}},
		{"new slot kept", slot.B, &Record{Slots: slots}, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, nil)}, []SlotStatus{
			{Slot: slot.A, Version: v1, Digest: "sha256:aa", State: "good", Entry: "ros-a.conf"},
			{Slot: slot.B, Version: v2, State: activeGood, Entry: "ros-b.conf"}}},
		{"new slot given up", slot.A, &Record{Slots: slots}, []bootloader.Entry{entry(slot.A, v1, nil), entry(slot.B, v2, tries(0, 3))}, []SlotStatus{
			{Slot: slot.A, Version: v1, Digest: "sha256:aa", State: activeGood, Entry: "ros-a.conf"},
			{Slot: slot.B, Version: v2, State: "bad", Entry: "ros-b+0-3.conf"}}},
		{"fresh install: versions from the entries", slot.A, &Record{Slots: map[slot.Slot]SlotInfo{}}, []bootloader.Entry{entry(slot.A, v1, nil)}, []SlotStatus{
			{Slot: slot.A, Version: v1, State: activeGood, Entry: "ros-a.conf"},
			{Slot: slot.B, State: "empty"}}},
		{"slot being written: in the record, no entry", slot.A, &Record{Slots: slots}, []bootloader.Entry{entry(slot.A, v1, nil)}, []SlotStatus{
			{Slot: slot.A, Version: v1, Digest: "sha256:aa", State: activeGood, Entry: "ros-a.conf"},
			{Slot: slot.B, Version: v2, State: "empty"}}},
		{"direct kernel boot: no entries", slot.B, &Record{Slots: map[slot.Slot]SlotInfo{}}, nil, []SlotStatus{
			{Slot: slot.A, State: "empty"},
			{Slot: slot.B, State: "active, empty"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rec.LastBoot = &BootResult{Slot: tt.booted, Result: "good"}
			tt.rec.Rollback = &Rollback{Reason: "why"}
			st := StatusOf(tt.booted, "9.9.9", tt.rec, tt.entries)
			if !reflect.DeepEqual(st.Slots, tt.want) {
				t.Errorf("slots\n%+v, want\n%+v", st.Slots, tt.want)
			}
			if st.Running != "9.9.9" || st.LastBoot != tt.rec.LastBoot || st.Rollback != tt.rec.Rollback || st.Pending != tt.rec.Pending {
				t.Errorf("status %+v does not carry the record's last boot, rollback and pending upgrade", st)
			}
		})
	}
}

// The published status reads back as it was; a missing or corrupt one
// says in one line to use sudo.
func TestPublished(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run/ros/os-status.json")
	_, err := ReadPublished(p)
	if !errors.Is(err, ErrNotPublished) || !strings.Contains(err.Error(), "sudo") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("missing status: %v", err)
	}
	st := StatusOf(slot.A, v1, &Record{Slots: map[slot.Slot]SlotInfo{slot.A: {Version: v1}},
		Pending: &Pending{From: slot.A, To: slot.B, ToVersion: v2, Since: testNow}}, []bootloader.Entry{entry(slot.A, v1, nil)})
	if err := Publish(p, st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPublished(p)
	if err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("ReadPublished = %+v, %v; want %+v", got, err, st)
	}
	if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPublished(p); err == nil || !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("corrupt status: %v", err)
	}
	if err := Publish(filepath.Join(p, "under-a-file"), st); err == nil {
		t.Fatal("Publish under a file succeeded")
	}
}

// One holder at a time; a waiter gets the lock once it is let go.
func TestLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run/ros/upgrade.lock")
	unlock, err := Lock(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(p, 0); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "wait for it to finish") {
		t.Fatalf("second Lock: %v, want ErrBusy", err)
	}
	start := time.Now()
	if _, err := Lock(p, 150*time.Millisecond); !errors.Is(err, ErrBusy) || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("Lock waiting 150ms: %v after %v", err, time.Since(start))
	}
	time.AfterFunc(50*time.Millisecond, unlock)
	again, err := Lock(p, 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after the holder let go: %v", err)
	}
	again()
	if _, err := Lock(filepath.Join(p, "under-a-file"), 0); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("Lock under a file: %v", err)
	}
}
