package partitions

import (
	"os"
	"regexp"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

// A disk image made for 4 GiB, on a 10 GiB disk: STATE grows to the end,
// every GUID and every other partition stay, sgdisk finds no problem, and
// a second Grow does nothing.
func TestGrow(t *testing.T) {
	sgdisk := need.Tool(t, "sgdisk")
	path := newImage(t, 4*GiB)
	written := writeDefault(t, path, 512, 1)
	diskGUID := regexp.MustCompile(`Disk identifier \(GUID\): (\S+)`)
	before := diskGUID.FindStringSubmatch(run(t, sgdisk, "-p", path))
	if err := os.Truncate(path, 10*GiB); err != nil {
		t.Fatal(err)
	}
	grew, err := Grow(path)
	if err != nil || !grew {
		t.Fatalf("Grow: %v, %v", grew, err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := GrowLast(written, 10*GiB)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("partition %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if size := got[len(got)-1].Size(); size < 10*GiB-written[len(written)-1].Offset()-2*MiB {
		t.Errorf("STATE is %d bytes on a 10 GiB disk", size)
	}
	checkSgdisk(t, sgdisk, path, want)
	if after := diskGUID.FindStringSubmatch(run(t, sgdisk, "-p", path)); before == nil || after == nil || after[1] != before[1] {
		t.Errorf("disk GUID %v before, %v after", before, after)
	}
	if grew, err := Grow(path); err != nil || grew {
		t.Errorf("a second Grow: %v, %v, want nothing done", grew, err)
	}
}

func TestGrowLast(t *testing.T) {
	placed, err := Plan(DefaultLayout(Sizes{}), 4*GiB, 512)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := GrowLast(placed, 4*GiB); ok {
		t.Error("grew on the disk it was planned for")
	}
	if _, ok := GrowLast(placed, 4*GiB+MiB/2); ok {
		t.Error("grew by less than the alignment")
	}
	grown, ok := GrowLast(placed, 8*GiB)
	if !ok || grown[len(grown)-1].Start != placed[len(placed)-1].Start {
		t.Fatalf("grown %v %+v", ok, grown)
	}
	if want, _ := Plan(DefaultLayout(Sizes{}), 8*GiB, 512); grown[len(grown)-1].End != want[len(want)-1].End {
		t.Errorf("STATE ends at %d, Plan on 8 GiB ends it at %d", grown[len(grown)-1].End, want[len(want)-1].End)
	}
	if placed[len(placed)-1].End == grown[len(grown)-1].End {
		t.Error("GrowLast changed its argument")
	}
	noState := append([]Placed(nil), placed[:len(placed)-1]...)
	if _, ok := GrowLast(noState, 8*GiB); ok {
		t.Error("grew a last partition that is not STATE")
	}
}
