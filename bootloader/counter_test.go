package bootloader

import (
	"reflect"
	"testing"

	"github.com/ros-os/ros/internal/slot"
)

func TestCounterTransitions(t *testing.T) {
	with := func(c *Counter) Entry { return Entry{ID: "ros-a", Counter: c} }
	tests := []struct {
		name string
		f    func(Entry) Entry
		in   Entry
		want string // FileName after f
	}{
		{"booted fresh", Booted, with(Tries(3)), "ros-a+2-1.conf"},
		{"booted last try", Booted, with(&Counter{1, 2}), "ros-a+0-3.conf"},
		{"booted bad anyway", Booted, with(&Counter{0, 3}), "ros-a+0-4.conf"},
		{"booted good", Booted, with(nil), "ros-a.conf"},
		{"good", MarkGood, with(&Counter{2, 1}), "ros-a.conf"},
		{"bad", MarkBad, with(&Counter{2, 1}), "ros-a+0-1.conf"},
		{"bad from good", MarkBad, with(nil), "ros-a+0-0.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *Counter
			if tt.in.Counter != nil {
				c := *tt.in.Counter
				before = &c
			}
			if got := tt.f(tt.in).FileName(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if !reflect.DeepEqual(tt.in.Counter, before) {
				t.Errorf("input counter changed from %+v to %+v", before, tt.in.Counter)
			}
		})
	}
	if got := Tries(3); *got != (Counter{3, 0}) {
		t.Errorf("Tries(3) = %+v", *got)
	}
}

// rosEntry is a ros entry for the Pick tables: version field v, counter c.
func rosEntry(s slot.Slot, v string, c *Counter) Entry {
	e := SlotEntry(s, 0, v, "")
	e.Version, e.Counter = v, c
	return e
}

// TestPick models the scenarios measured with systemd-boot 252 (FACTS.md)
// and the rules of the specification.
func TestPick(t *testing.T) {
	tests := []struct {
		name    string
		entries []Entry
		want    string // FileName of the picked entry
	}{
		{"new slot with tries boots first", []Entry{
			rosEntry("b", "1.0", nil), rosEntry("a", "1.1", Tries(3))}, "ros-a+3-0.conf"},
		{"new slot still has tries", []Entry{
			rosEntry("b", "1.0", nil), rosEntry("a", "1.1", &Counter{1, 2})}, "ros-a+1-2.conf"},
		{"new slot out of tries falls back", []Entry{
			rosEntry("b", "1.0", nil), rosEntry("a", "1.1", &Counter{0, 3})}, "ros-b.conf"},
		{"new slot marked good", []Entry{
			rosEntry("b", "1.0", nil), rosEntry("a", "1.1", nil)}, "ros-a.conf"},
		{"fallback can be on trial too", []Entry{
			rosEntry("b", "1.0", &Counter{2, 1}), rosEntry("a", "1.1", &Counter{0, 3})}, "ros-b+2-1.conf"},
		{"all bad: first bad one boots", []Entry{
			rosEntry("b", "1.0", &Counter{0, 5}), rosEntry("a", "1.1", &Counter{0, 3})}, "ros-a+0-3.conf"},
		{"older version never tried", []Entry{
			rosEntry("b", "1.1", nil), rosEntry("a", "1.0", Tries(3))}, "ros-b.conf"},
		{"dash release sorts after the release", []Entry{
			rosEntry("b", "1.0-rc1", nil), rosEntry("a", "1.0", Tries(3))}, "ros-b.conf"},
		{"tilde pre-release sorts before the release", []Entry{
			rosEntry("b", "1.0~rc1", nil), rosEntry("a", "1.0", Tries(3))}, "ros-a+3-0.conf"},
		{"version is compared as a version", []Entry{
			rosEntry("b", "0.9.0", nil), rosEntry("a", "0.10.0", Tries(3))}, "ros-a+3-0.conf"},
		{"same version: file name descending", []Entry{
			rosEntry("a", "1.0", nil), rosEntry("b", "1.0", nil)}, "ros-b.conf"},
		{"without sort-key b beats a+3-0 (FACTS)", []Entry{
			{ID: "a", Linux: "/a", Counter: Tries(3)}, {ID: "b", Linux: "/b"}}, "b.conf"},
		{"sort-key before none", []Entry{
			{ID: "zzz", Linux: "/z", Version: "9"}, rosEntry("a", "1.0", nil)}, "ros-a.conf"},
		{"sort-key ascending", []Entry{
			{ID: "x", Linux: "/x", SortKey: "zz", Version: "9"}, rosEntry("a", "1.0", nil)}, "ros-a.conf"},
		{"one entry", []Entry{rosEntry("a", "1.0", &Counter{0, 1})}, "ros-a+0-1.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pick(tt.entries)
			if !ok || got.FileName() != tt.want {
				t.Errorf("Pick = %s, %v; want %s", got.FileName(), ok, tt.want)
			}
		})
	}
	if _, ok := Pick(nil); ok {
		t.Error("Pick(nil) found an entry")
	}
}

// TestBootSequence plays the FACTS.md experiment: slot A gets a new version
// with 3 tries and never comes up; systemd-boot boots a+3-0, a+2-1, a+1-2,
// then slot B for good. A second run blesses A on its second boot.
func TestBootSequence(t *testing.T) {
	tests := []struct {
		name   string
		goodAt int // boot number at which A comes up healthy; 0: never
		want   []string
	}{
		{"never healthy", 0, []string{"ros-a+3-0.conf", "ros-a+2-1.conf", "ros-a+1-2.conf", "ros-b.conf", "ros-b.conf"}},
		{"healthy on second boot", 2, []string{"ros-a+3-0.conf", "ros-a+2-1.conf", "ros-a.conf", "ros-a.conf", "ros-a.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := []Entry{rosEntry("b", "1.0", nil), rosEntry("a", "1.1", Tries(3))}
			var booted []string
			for n := 1; n <= len(tt.want); n++ {
				e, _ := Pick(entries)
				booted = append(booted, e.FileName())
				i := indexOf(entries, e.ID)
				entries[i] = Booted(e) // systemd-boot renames before booting
				if n == tt.goodAt && e.ID == "ros-a" {
					entries[i] = MarkGood(entries[i]) // init blesses the slot
				}
			}
			if !reflect.DeepEqual(booted, tt.want) {
				t.Errorf("booted %v, want %v", booted, tt.want)
			}
		})
	}
}

func indexOf(entries []Entry, id string) int {
	for i, e := range entries {
		if e.ID == id {
			return i
		}
	}
	return -1
}

func TestSort(t *testing.T) {
	entries := []Entry{
		rosEntry("a", "1.1", &Counter{0, 3}),
		{ID: "memtest", Extra: []Field{{"efi", "/m.efi"}}},
		rosEntry("b", "1.0", nil),
	}
	Sort(entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.FileName())
	}
	want := []string{"ros-b.conf", "memtest.conf", "ros-a+0-3.conf"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sort = %v, want %v", got, want)
	}
}
