package services

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want File
	}{
		{
			name: "every field",
			yaml: `
all:
  image: ros/all:${ROS_VERSION}
  command: [a, "b c"]
  entrypoint: [/bin/sh, -c]
  privileged: true
  pid: host
  net: host
  ipc: host
  uts: host
  volumes: [/a:/b, "/c:/d:ro", "/e:/f:ro,rslave"]
  devices: [/dev/kvm, "/dev/ttyS0:/dev/ttyS1"]
  environment: [A=1, B=x=y, C=]
  restart: on-failure
  depends_on: [dep]
  labels: {k: v}
  working_dir: /w
  user: "1000:1000"
dep:
  image: ros/dep
  oneshot: true
  restart: no
`,
			want: File{
				"all": {
					Image: "ros/all:${ROS_VERSION}", Command: Command{"a", "b c"}, Entrypoint: Command{"/bin/sh", "-c"},
					Privileged: true, Pid: "host", Net: "host", Ipc: "host", Uts: "host",
					Volumes:     []string{"/a:/b", "/c:/d:ro", "/e:/f:ro,rslave"},
					Devices:     []string{"/dev/kvm", "/dev/ttyS0:/dev/ttyS1"},
					Environment: Environment{"A=1", "B=x=y", "C="}, Restart: "on-failure",
					DependsOn: []string{"dep"}, Labels: map[string]string{"k": "v"}, WorkingDir: "/w", User: "1000:1000",
				},
				"dep": {Image: "ros/dep", Oneshot: true, Restart: "no"},
			},
		},
		{
			name: "string command and map environment",
			yaml: `
s1:
  image: i
  command: sh -c 'echo "hi there"' a\ b
  entrypoint: /init
  environment:
    Z: last
    A: 1
    T: true
    E: ""
    N:
`,
			want: File{"s1": {
				Image: "i", Command: Command{"sh", "-c", `echo "hi there"`, "a b"}, Entrypoint: Command{"/init"},
				Environment: Environment{"A=1", "E=", "N=", "T=true", "Z=last"},
			}},
		},
		{
			name: "anchors and merge keys",
			yaml: `
base: &base
  image: ros/base
  net: host
other:
  <<: *base
  privileged: true
`,
			want: File{
				"base":  {Image: "ros/base", Net: "host"},
				"other": {Image: "ros/base", Net: "host", Privileged: true},
			},
		},
		{name: "empty", yaml: "", want: File{}},
		{name: "comments only", yaml: "# nothing\n", want: File{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("s.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown key", "ab:\n  image: i\n  volume: [/a:/b]\n", `s.yaml:3: unknown key "volume"`},
		{"missing image", "ab:\n  net: host\n", `s.yaml:1: service "ab": image is required`},
		{"null service", "ab:\n", `s.yaml:1: service "ab": image is required`},
		{"bad volume", "ab:\n  image: i\n\n  volumes: [a:/b]\n", `s.yaml:4: service "ab": volume "a:/b": SRC and DST must be absolute paths`},
		{"volume without target", "ab:\n  image: i\n  volumes: [/a]\n", `s.yaml:3: service "ab": volume "/a": want SRC:DST[:OPTS]`},
		{"volume option", "ab:\n  image: i\n  volumes: [/a:/b:rx]\n", `s.yaml:3: service "ab": volume "/a:/b:rx": unknown option "rx"`},
		{"two volume modes", "ab:\n  image: i\n  volumes: [\"/a:/b:ro,rw\"]\n", `s.yaml:3: service "ab": volume "/a:/b:ro,rw": more than one mode option`},
		{"bad device", "ab:\n  image: i\n  devices: [kvm]\n", `s.yaml:3: service "ab": device "kvm": want /dev/HOST[:/dev/CONTAINER]`},
		{"bad restart", "ab:\n  image: i\n  restart: sometimes\n", `s.yaml:3: service "ab": restart "sometimes": want no, always, on-failure or unless-stopped`},
		{"oneshot restart", "ab:\n  image: i\n  oneshot: true\n  restart: always\n", `s.yaml:4: service "ab": restart "always": a oneshot service is not restarted`},
		{"bad namespace", "ab:\n  image: i\n  pid: container:x\n", `s.yaml:3: service "ab": pid "container:x": want host or nothing`},
		{"reserved label", "ab:\n  image: i\n  labels: {io.ros.service: x}\n", `s.yaml:3: service "ab": label "io.ros.service": the io.ros. prefix is reserved`},
		{"unknown variable", "ab:\n  image: ros/ab:${VERSION}\n", `s.yaml:2: service "ab": image "ros/ab:${VERSION}": only ${ROS_VERSION} can be expanded`},
		{"bad name", "a/b:\n  image: i\n", `s.yaml:1: service "a/b": name must match`},
		{"wrong type", "ab:\n  image: i\n  privileged: yes please\n", "s.yaml:3: cannot unmarshal !!str `yes please` into bool"},
		{"two errors", "ab:\n  image: i\n  x: 1\n  y: 2\n", `s.yaml:3: unknown key "x"; s.yaml:4: unknown key "y"`},
		{"unterminated quote", "ab:\n  image: i\n  command: echo 'hi\n", `s.yaml:3: unterminated quote or escape in "echo 'hi"`},
		{"environment without value", "ab:\n  image: i\n  environment: [A=1, B]\n", `s.yaml:3: environment entry "B" is not KEY=VALUE`},
		{"environment nested", "ab:\n  image: i\n  environment:\n    A: [1]\n", `s.yaml:4: environment value of "A" must be a scalar`},
		{"environment scalar", "ab:\n  image: i\n  environment: A=1\n", `s.yaml:3: environment must be a list`},
		{"duplicate service", "ab:\n  image: i\nab:\n  image: j\n", `s.yaml:3: mapping key "ab" already defined at line 1`},
		{"not a map", "- a\n", "s.yaml:1: cannot unmarshal !!seq into services.File"},
		{"syntax", "ab:\n  image: i\n bad\n", "s.yaml:2: did not find expected key"},
		{"two documents", "ab:\n  image: i\n---\ncd:\n  image: j\n", "s.yaml:3: more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse error = %q, want one line starting with %q", err, tt.want)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  a  b\tc ", []string{"a", "b", "c"}},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}},
		{`"" ''`, []string{"", ""}},
		{`a\ b \"c`, []string{"a b", `"c`}},
		{`'a\b' "a\b" "\"\\"`, []string{`a\b`, `a\b`, `"\`}},
		{`x"y z"w`, []string{"xy zw"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitWords(tt.in)
			if err != nil {
				t.Fatalf("splitWords: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []string{`'a`, `"a`, `a\`} {
		if _, err := splitWords(bad); err == nil {
			t.Errorf("splitWords(%q) succeeded, want an error", bad)
		}
	}
}

func TestMerge(t *testing.T) {
	base := File{
		"a": {Image: "a", Net: "host", DependsOn: []string{"b"}},
		"b": {Image: "b"},
	}
	override := File{
		"a": {Image: "a2"},
		"c": {Image: "c"},
	}
	want := File{
		"a": {Image: "a2"}, // replaced as a whole: no net, no depends_on
		"b": {Image: "b"},
		"c": {Image: "c"},
	}
	if got := Merge(base, override); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %#v, want %#v", got, want)
	}
	if base["a"].Image != "a" || len(base) != 2 {
		t.Errorf("Merge modified base: %#v", base)
	}
	if got := Merge(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("Merge(nil, nil) = %#v, want an empty File", got)
	}
}
