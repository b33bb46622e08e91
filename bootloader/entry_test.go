package bootloader

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ros-os/ros/internal/slot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		file string
		id   string
		c    *Counter
		err  error
	}{
		{"ros-a.conf", "ros-a", nil, nil},
		{"ros-a+3-0.conf", "ros-a", &Counter{3, 0}, nil},
		{"ros-a+2-1.conf", "ros-a", &Counter{2, 1}, nil},
		{"ros-a+0-3.conf", "ros-a", &Counter{0, 3}, nil},
		{"ros-a+3.conf", "ros-a", &Counter{3, 0}, nil},
		{"ros-a+03-007.conf", "ros-a", &Counter{3, 7}, nil},
		{"a+b+1-2.conf", "a+b", &Counter{1, 2}, nil},
		// Not a counter: the id keeps the "+...".
		{"ros-a+.conf", "ros-a+", nil, nil},
		{"ros-a+x.conf", "ros-a+x", nil, nil},
		{"ros-a+3-.conf", "ros-a+3-", nil, nil},
		{"ros-a+-1.conf", "ros-a+-1", nil, nil},
		{"ros-a+3-0-1.conf", "ros-a+3-0-1", nil, nil},
		{"ros-a+3-0x.conf", "ros-a+3-0x", nil, nil},
		{"ros-a+3-0.CONF", "ros-a+3-0", nil, nil}, // counters need a lower-case ".conf"
		{"ros-a+2147483648.conf", "ros-a+2147483648", nil, nil},
		{"ros-a+2147483647-0.conf", "ros-a", &Counter{2147483647, 0}, nil},
		{"ros-a.conf.tmp", "", nil, ErrNotEntry},
		{"ros-a.tmp", "", nil, ErrNotEntry},
		{".conf", "", nil, ErrNotEntry},
		{"+3.conf", "", nil, ErrNotEntry},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			id, c, err := ParseName(tt.file)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseName(%q) error = %v, want %v", tt.file, err, tt.err)
			}
			if id != tt.id || !reflect.DeepEqual(c, tt.c) {
				t.Errorf("ParseName(%q) = %q, %+v; want %q, %+v", tt.file, id, c, tt.id, tt.c)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		e    Entry
		want string
	}{
		{Entry{ID: "ros-a"}, "ros-a.conf"},
		{Entry{ID: "ros-a", Counter: &Counter{3, 0}}, "ros-a+3-0.conf"},
		{Entry{ID: "ros-b", Counter: &Counter{0, 3}}, "ros-b+0-3.conf"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := tt.e.FileName()
			if got != tt.want {
				t.Fatalf("FileName() = %q, want %q", got, tt.want)
			}
			id, c, err := ParseName(got)
			if err != nil || id != tt.e.ID || !reflect.DeepEqual(c, tt.e.Counter) {
				t.Errorf("ParseName(%q) = %q, %+v, %v; want the entry back", got, id, c, err)
			}
		})
	}
}

func TestSlotEntry(t *testing.T) {
	tests := []struct {
		name             string
		slot             slot.Slot
		version, cmdline string
		counter          *Counter
	}{
		{"slot-a-tries.conf", "a", "0.2.0", "console=ttyS0 quiet", Tries(3)},
		{"slot-b.conf", "b", "0.1.0", "  console=ttyS0   panic=10 ", nil},
		{"slot-a-no-cmdline.conf", "a", "0.1.0", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := SlotEntry(tt.slot, 4, tt.version, tt.cmdline)
			e.Counter = tt.counter
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, e.Render())
			back, err := Parse(e.FileName(), e.Render())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Errorf("Parse(Render()) = %+v, want %+v", back, e)
			}
			if s, ok := SlotOf(e.ID); !ok || s != tt.slot {
				t.Errorf("SlotOf(%q) = %q, %v", e.ID, s, ok)
			}
		})
	}
}

func TestLoaderConf(t *testing.T) {
	golden(t, "loader.conf", LoaderConf(3))
	if got, want := string(LoaderConf(-1)), string(LoaderConf(0)); got != want {
		t.Errorf("LoaderConf(-1) = %q, want %q", got, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             Entry
		err              error
	}{
		{
			name: "comments, blank lines, tabs and extra spaces",
			file: "ros-b+1-2.conf",
			data: "# ros\n\n  title   ros 1 (slot B)  \nversion\t1\nsort-key \t ros\r\nlinux /ros/b/vmlinuz\n#options ignored\noptions a=1\n",
			want: Entry{ID: "ros-b", Counter: &Counter{1, 2}, Title: "ros 1 (slot B)", Version: "1",
				SortKey: "ros", Linux: "/ros/b/vmlinuz", Options: "a=1"},
		},
		{
			name: "repeated keys",
			file: "x.conf",
			data: "title one\ntitle two\nlinux /a\nlinux /b\ninitrd /i1\noptions o1\ninitrd /i2\noptions o2\n",
			want: Entry{ID: "x", Title: "two", Linux: "/b", Initrd: "/i1", Options: "o1",
				Extra: []Field{{"initrd", "/i2"}, {"options", "o2"}}},
		},
		{
			name: "quotes and keys without value",
			file: "x.conf",
			data: "linux\t\"/x\"\rtitle\nversion \"\noptions \"a\" \"b\"\nsort-key \"ros\n",
			want: Entry{ID: "x", Linux: "/x", Options: `a" "b`, SortKey: `"ros`},
		},
		{
			name: "efi entry",
			file: "memtest.conf",
			data: "title Memtest\nefi /memtest.efi\n",
			want: Entry{ID: "memtest", Title: "Memtest", Extra: []Field{{"efi", "/memtest.efi"}}},
		},
		{name: "no linux", file: "x.conf", data: "title x\n", err: ErrInvalidEntry},
		{name: "not an entry", file: "x.txt", data: "linux /x\n", err: ErrNotEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, []byte(tt.data))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse error = %v, want %v", err, tt.err)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRenderExtra: a foreign entry keeps its other keys, and the order of
// its initrd and options lines, through Parse and Render.
func TestRenderExtra(t *testing.T) {
	in := "title Fedora\nmachine-id 4098b3f648d74c13b1f04ccfba7798e8\nversion 6.1\nlinux /f/linux\n" +
		"initrd /f/ucode\noptions root=x\ninitrd /f/initrd\narchitecture x64\noptions quiet\n"
	e, err := Parse("fedora-6.1.conf", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "extra.conf", e.Render())
	again, err := Parse(e.FileName(), e.Render())
	if err != nil || !reflect.DeepEqual(again, e) {
		t.Errorf("Parse(Render()) = %+v, %v; want %+v", again, err, e)
	}
}

func TestRenderQuotes(t *testing.T) {
	e := Entry{ID: "x", Linux: "/x", Title: `"quoted"`, Options: `"`}
	got := string(e.Render())
	want := "title    \"\"quoted\"\"\nlinux    /x\noptions  \"\"\"\n"
	if got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	back, err := Parse("x.conf", e.Render())
	if err != nil || !reflect.DeepEqual(back, e) {
		t.Errorf("Parse(Render()) = %+v, %v; want %+v", back, err, e)
	}
}

func TestValidate(t *testing.T) {
	ok := SlotEntry("a", 1, "1", "quiet")
	tests := []struct {
		name string
		edit func(*Entry)
		err  error
	}{
		{"slot entry", func(*Entry) {}, nil},
		{"counter", func(e *Entry) { e.Counter = &Counter{2, 1} }, nil},
		{"empty id", func(e *Entry) { e.ID = "" }, ErrInvalidEntry},
		{"slash in id", func(e *Entry) { e.ID = "../x" }, ErrInvalidEntry},
		{"space in id", func(e *Entry) { e.ID = "ros a" }, ErrInvalidEntry},
		{"id like a counter", func(e *Entry) { e.ID = "ros-a+3" }, ErrInvalidEntry},
		{"id with plus", func(e *Entry) { e.ID = "ros+a" }, nil},
		{"negative counter", func(e *Entry) { e.Counter = &Counter{-1, 0} }, ErrInvalidEntry},
		{"no linux", func(e *Entry) { e.Linux = "" }, ErrInvalidEntry},
		{"newline in options", func(e *Entry) { e.Options = "quiet\ninit=/bin/sh" }, ErrInvalidEntry},
		{"bad extra key", func(e *Entry) { e.Extra = []Field{{"a b", "c"}} }, ErrInvalidEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.edit(&e)
			if err := e.Validate(); !errors.Is(err, tt.err) {
				t.Errorf("Validate() = %v, want %v", err, tt.err)
			}
		})
	}
}

// The slot written last boots next, whatever the two version strings: the
// generation in the version field decides. Without it, systemd-boot takes
// "1.2.0-rc.1" as newer than "1.2.0" and the old slot keeps booting.
func TestGenerationOrdersSlots(t *testing.T) {
	tests := []struct{ running, next string }{
		{"1.2.0-rc.1", "1.2.0"}, // "-" is a release separator for systemd-boot
		{"1.1.0", "v1.2.0"},
		{"1.2.0", "1.1.0"}, // a --force downgrade
		{"1.2.0", "1.2.0"}, // a --force reinstall
		{"9.0.0", "10.0.0"},
		{"1.0.0+build.9", "1.0.0+build.10"},
	}
	for _, tt := range tests {
		t.Run(tt.running+"→"+tt.next, func(t *testing.T) {
			a := SlotEntry("a", 1, tt.running, "")
			for _, s := range []slot.Slot{"b", "a", "b"} { // three upgrades in a row
				running := a
				if s == "a" {
					running = SlotEntry("b", a.Generation(), tt.running, "")
				}
				next := SlotEntry(s, NextGeneration([]Entry{running}), tt.next, "")
				next.Counter = Tries(3)
				if got, _ := Pick([]Entry{running, next}); got.ID != next.ID {
					t.Fatalf("systemd-boot boots %s (%q), want the new %s (%q)", got.ID, got.Version, next.ID, next.Version)
				}
				if next.OSVersion() != tt.next {
					t.Errorf("OSVersion() = %q, want %q", next.OSVersion(), tt.next)
				}
				a = next
			}
		})
	}
}

func TestGeneration(t *testing.T) {
	tests := []struct {
		version string
		gen     int
		os      string
	}{
		{"7-1.2.0", 7, "1.2.0"},
		{"12-1.2.0-rc.1", 12, "1.2.0-rc.1"},
		{"0.1.0", 0, "0.1.0"}, // written before generations
		{"2.3.0", 2, "2.3.0"},
		{"v1.0", 0, "v1.0"},
		{"", 0, ""},
		{"99999999999999999999-1", 0, "1"},
	}
	for _, tt := range tests {
		e := Entry{Version: tt.version}
		if e.Generation() != tt.gen || e.OSVersion() != tt.os {
			t.Errorf("%q: Generation() = %d, OSVersion() = %q, want %d, %q", tt.version, e.Generation(), e.OSVersion(), tt.gen, tt.os)
		}
	}
	old := SlotEntry("a", 0, "", "")
	old.Version = "2.3.0"
	if g := NextGeneration([]Entry{old, {ID: "other", Version: "50"}}); g != 3 {
		t.Errorf("NextGeneration after a 2.3.0 entry = %d, want 3 (other entries do not count)", g)
	}
}
