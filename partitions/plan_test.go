package partitions

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/ros-os/ros/internal/slot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// defaultMin is MinDiskSize(DefaultLayout(Sizes{})): 1 MiB GPT + 512 MiB ESP
// + 2 x 1 GiB slots + 256 MiB STATE + 1 MiB backup GPT.
const defaultMin = 2818 * MiB

func TestDefaultLayout(t *testing.T) {
	l := DefaultLayout(Sizes{})
	want := Layout{
		{Name: "ros-esp", Type: TypeESP, Size: 512 * MiB},
		{Name: "ros-root-a", Type: TypeRootX86_64, Size: GiB, Attributes: AttrReadOnly},
		{Name: "ros-root-b", Type: TypeRootX86_64, Size: GiB, Attributes: AttrReadOnly},
		{Name: "ros-state", Type: TypeLinuxData, MinSize: 256 * MiB},
	}
	if fmt.Sprint(l) != fmt.Sprint(want) {
		t.Errorf("DefaultLayout(Sizes{}) =\n%+v\nwant\n%+v", l, want)
	}
	if err := l.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	custom := DefaultLayout(Sizes{ESP: 100 * MiB, Slot: 2 * GiB, MinState: GiB})
	if custom[0].Size != 100*MiB || custom[1].Size != 2*GiB || custom[2].Size != 2*GiB || custom[3].MinSize != GiB {
		t.Errorf("DefaultLayout with sizes = %+v", custom)
	}
}

func TestRootLabel(t *testing.T) {
	for s, want := range map[slot.Slot]string{slot.A: LabelRootA, slot.B: LabelRootB} {
		if got := RootLabel(s); got != want {
			t.Errorf("RootLabel(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestMinDiskSize(t *testing.T) {
	tests := []struct {
		name string
		l    Layout
		want int64
	}{
		{"default", DefaultLayout(Sizes{}), defaultMin},
		{"sizes round up to MiB", Layout{{Name: "x", Type: TypeLinuxData, Size: MiB + 1}}, 4 * MiB},
		{"rest of disk without MinSize takes 1 MiB", Layout{{Name: "x", Type: TypeLinuxData}}, 3 * MiB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MinDiskSize(tt.l); got != tt.want {
				t.Errorf("MinDiskSize = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	def := DefaultLayout(Sizes{})
	fixed := Layout{
		{Name: "one", Type: TypeLinuxData, Size: 3 * MiB},
		{Name: "two", Type: TypeLinuxData, Size: 1000}, // not even a sector
	}
	tests := []struct {
		name       string
		l          Layout
		diskSize   int64
		sectorSize int64
		want       []Placed // nil: only check the last partition's end
		lastEnd    int64
		wantErr    error
	}{
		{
			name: "exact fit 512", l: def, diskSize: defaultMin, sectorSize: 512,
			want: []Placed{
				{Name: LabelESP, Type: TypeESP, Start: 2048, End: 1050623, SectorSize: 512},
				{Name: LabelRootA, Type: TypeRootX86_64, Attributes: AttrReadOnly, Start: 1050624, End: 3147775, SectorSize: 512},
				{Name: LabelRootB, Type: TypeRootX86_64, Attributes: AttrReadOnly, Start: 3147776, End: 5244927, SectorSize: 512},
				{Name: LabelState, Type: TypeLinuxData, Start: 5244928, End: 5769215, SectorSize: 512},
			},
		},
		{
			name: "exact fit 4096", l: def, diskSize: defaultMin, sectorSize: 4096,
			want: []Placed{
				{Name: LabelESP, Type: TypeESP, Start: 256, End: 131327, SectorSize: 4096},
				{Name: LabelRootA, Type: TypeRootX86_64, Attributes: AttrReadOnly, Start: 131328, End: 393471, SectorSize: 4096},
				{Name: LabelRootB, Type: TypeRootX86_64, Attributes: AttrReadOnly, Start: 393472, End: 655615, SectorSize: 4096},
				{Name: LabelState, Type: TypeLinuxData, Start: 655616, End: 721151, SectorSize: 4096},
			},
		},
		{name: "one byte short 512", l: def, diskSize: defaultMin - 1, sectorSize: 512, wantErr: ErrDiskTooSmall},
		{name: "one byte short 4096", l: def, diskSize: defaultMin - 1, sectorSize: 4096, wantErr: ErrDiskTooSmall},
		{name: "empty disk", l: def, diskSize: 0, sectorSize: 512, wantErr: ErrDiskTooSmall},
		// 4 GiB: STATE ends 1 MiB before the end of the disk.
		{name: "rest of disk 512", l: def, diskSize: 4 * GiB, sectorSize: 512, lastEnd: (4*GiB-MiB)/512 - 1},
		{name: "rest of disk 4096", l: def, diskSize: 4 * GiB, sectorSize: 4096, lastEnd: (4*GiB-MiB)/4096 - 1},
		// A disk that is not a whole number of MiB loses the odd sectors.
		{name: "odd disk size", l: def, diskSize: 4*GiB + 3*512, sectorSize: 512, lastEnd: (4*GiB-MiB)/512 - 1},
		{
			name: "fixed sizes only", l: fixed, diskSize: 100 * MiB, sectorSize: 4096,
			want: []Placed{
				{Name: "one", Type: TypeLinuxData, Start: 256, End: 1023, SectorSize: 4096},
				{Name: "two", Type: TypeLinuxData, Start: 1024, End: 1024, SectorSize: 4096},
			},
		},
		{
			name: "type GUID upper-cased",
			l:    Layout{{Name: "x", Type: strings.ToLower(TypeESP), Size: MiB}}, diskSize: 3 * MiB, sectorSize: 512,
			want: []Placed{{Name: "x", Type: TypeESP, Start: 2048, End: 4095, SectorSize: 512}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(tt.l, tt.diskSize, tt.sectorSize)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Plan error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.want != nil && fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Plan =\n%+v\nwant\n%+v", got, tt.want)
			}
			if tt.lastEnd != 0 && got[len(got)-1].End != tt.lastEnd {
				t.Errorf("last partition ends at LBA %d, want %d", got[len(got)-1].End, tt.lastEnd)
			}
			checkPlaced(t, got, tt.diskSize, tt.sectorSize)
		})
	}
}

// checkPlaced checks what every plan must hold: aligned starts, no
// overlap, the backup GPT left alone, and a valid GPT for checkFits.
func checkPlaced(t *testing.T, placed []Placed, diskSize, sectorSize int64) {
	t.Helper()
	for i, p := range placed {
		if p.Offset()%Alignment != 0 {
			t.Errorf("%s starts at byte %d, not on a MiB boundary", p.Name, p.Offset())
		}
		if i > 0 && p.Start <= placed[i-1].End {
			t.Errorf("%s overlaps %s", p.Name, placed[i-1].Name)
		}
		if end := p.Offset() + p.Size(); end > diskSize-Alignment {
			t.Errorf("%s ends at byte %d, inside the last MiB of a %d-byte disk", p.Name, end, diskSize)
		}
	}
	if err := checkFits(placed, diskSize, sectorSize); err != nil {
		t.Errorf("checkFits: %v", err)
	}
}

func TestPlanSizes(t *testing.T) {
	placed, err := Plan(DefaultLayout(Sizes{}), 4*GiB, 512)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{LabelESP: 512 * MiB, LabelRootA: GiB, LabelRootB: GiB, LabelState: 4*GiB - 2*MiB - 512*MiB - 2*GiB}
	for label, size := range want {
		p, err := Find(placed, label)
		if err != nil {
			t.Fatal(err)
		}
		if p.Size() != size {
			t.Errorf("%s is %d bytes, want %d", label, p.Size(), size)
		}
	}
}

func TestPlanInvalid(t *testing.T) {
	good := Part{Name: "x", Type: TypeLinuxData, Size: MiB}
	with := func(f func(p *Part)) Layout {
		p := good
		f(&p)
		return Layout{p}
	}
	tests := []struct {
		name       string
		l          Layout
		sectorSize int64
		wantErr    string
	}{
		{"empty layout", Layout{}, 512, "0 partitions"},
		{"rest of disk not last", Layout{{Name: "x", Type: TypeLinuxData}, good}, 512, "only the last partition"},
		{"duplicate name", Layout{good, good}, 512, "used twice"},
		{"empty name", with(func(p *Part) { p.Name = "" }), 512, "empty name"},
		{"name too long", with(func(p *Part) { p.Name = strings.Repeat("n", 37) }), 512, "37 UTF-16 code units"},
		// 19 runes, but 38 UTF-16 code units: go-diskfs counts runes.
		{"name too long in UTF-16", with(func(p *Part) { p.Name = strings.Repeat("😀", 19) }), 512, "38 UTF-16 code units"},
		{"bad type", with(func(p *Part) { p.Type = "linux" }), 512, "not a GUID"},
		{"braced type", with(func(p *Part) { p.Type = "{" + TypeESP + "}" }), 512, "not a GUID"},
		{"negative size", with(func(p *Part) { p.Size = -1 }), 512, "negative size"},
		{"sector size 520", Layout{good}, 520, "sector size 520"},
		{"sector size 8192", Layout{good}, 8192, "sector size 8192"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.l, 100*MiB, tt.sectorSize)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Plan error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrDiskTooSmall) {
				t.Errorf("Plan error %v is ErrDiskTooSmall", err)
			}
		})
	}
}

func TestDiskTooSmallMessage(t *testing.T) {
	_, err := Plan(DefaultLayout(Sizes{}), 500*MiB, 512)
	want := "disk is 500 MiB, ros needs at least 2.8 GiB: use a bigger disk or smaller --slot-size"
	if err == nil || err.Error() != want {
		t.Errorf("Plan error = %v, want %q", err, want)
	}
	var tooSmall *DiskTooSmallError
	if !errors.As(err, &tooSmall) || tooSmall.Size != 500*MiB || tooSmall.Min != defaultMin {
		t.Errorf("Plan error = %#v, want a *DiskTooSmallError{Size: 500 MiB, Min: %d}", err, int64(defaultMin))
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		up   bool
		want string
	}{
		{0, false, "0 bytes"},
		{1023, true, "1023 bytes"},
		{KiB, false, "1 KiB"},
		{500 * MiB, false, "500 MiB"},
		{GiB, true, "1 GiB"},
		{defaultMin, true, "2.8 GiB"},  // 2.752 GiB
		{defaultMin, false, "2.7 GiB"}, // never overstate a disk
		{GiB + 1, true, "1.1 GiB"},     // never understate a minimum
		{2*GiB - 1, true, "2 GiB"},     // 1.99... rounds up to a whole unit
		{2*GiB - 1, false, "1.9 GiB"},  // and down
		{3 * TiB / 2, false, "1.5 TiB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n, tt.up); got != tt.want {
			t.Errorf("humanSize(%d, %v) = %q, want %q", tt.n, tt.up, got, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	table := []Placed{{Name: "a", Start: 1}, {Name: "b", Start: 2}, {Name: "dup"}, {Name: "dup"}}
	tests := []struct {
		label     string
		wantStart int64
		wantErr   error
		errText   string
	}{
		{label: "b", wantStart: 2},
		{label: "a", wantStart: 1},
		{label: "c", wantErr: ErrNotFound, errText: `finding partition "c": no such partition`},
		{label: "dup", errText: "2 partitions have that name"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			p, err := Find(table, tt.label)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Errorf("Find(%q) error = %v, want %q (is %v)", tt.label, err, tt.errText, tt.wantErr)
				}
				return
			}
			if err != nil || p.Start != tt.wantStart {
				t.Errorf("Find(%q) = %+v, %v; want start %d", tt.label, p, err, tt.wantStart)
			}
		})
	}
}

// TestPlanGolden keeps the default layout on a 4 GiB disk in testdata/, so a
// change to the layout shows up in review. Run with -update to rewrite.
func TestPlanGolden(t *testing.T) {
	for _, ss := range []int64{512, 4096} {
		t.Run(fmt.Sprint(ss), func(t *testing.T) {
			placed, err := Plan(DefaultLayout(Sizes{}), 4*GiB, ss)
			if err != nil {
				t.Fatal(err)
			}
			got := formatPlaced(placed)
			golden := filepath.Join("testdata", fmt.Sprintf("default-4GiB-%d.golden", ss))
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (run go test -update if intended):\n%s", golden, got)
			}
		})
	}
}

func formatPlaced(placed []Placed) []byte {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tATTRIBUTES\tSTART\tEND\tOFFSET\tSIZE")
	for _, p := range placed {
		fmt.Fprintf(w, "%s\t%s\t%#016x\t%d\t%d\t%s\t%s\n", p.Name, p.Type, p.Attributes,
			p.Start, p.End, mib(p.Offset()), mib(p.Size()))
	}
	w.Flush()
	return b.Bytes()
}

// mib formats n exactly: in MiB if it is a whole number of them.
func mib(n int64) string {
	if n%MiB == 0 {
		return fmt.Sprintf("%d MiB", n/MiB)
	}
	return fmt.Sprintf("%d bytes", n)
}
