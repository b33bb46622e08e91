package services

import (
	"reflect"
	"testing"
)

func TestOrder(t *testing.T) {
	svc := func(deps ...string) Service { return Service{Image: "i", DependsOn: deps} }
	tests := []struct {
		name    string
		file    File
		want    [][]string
		wantErr string
	}{
		{name: "empty", file: File{}, want: nil},
		{name: "independent services share a level, sorted", file: File{"cc": svc(), "aa": svc(), "bb": svc()},
			want: [][]string{{"aa", "bb", "cc"}}},
		{name: "chain", file: File{"aa": svc("bb"), "bb": svc("cc"), "cc": svc()},
			want: [][]string{{"cc"}, {"bb"}, {"aa"}}},
		{name: "diamond", file: File{"top": svc("left", "right"), "left": svc("base"), "right": svc("base"), "base": svc()},
			want: [][]string{{"base"}, {"left", "right"}, {"top"}}},
		{name: "level is one after the deepest dependency", file: File{"a1": svc("b1", "c1"), "b1": svc("c1"), "c1": svc(), "d1": svc("c1")},
			want: [][]string{{"c1"}, {"b1", "d1"}, {"a1"}}},
		{name: "cycle", file: File{"aa": svc("bb"), "bb": svc("aa")}, wantErr: "dependency cycle: aa -> bb -> aa"},
		{name: "unknown", file: File{"aa": svc("zz")}, wantErr: `service "aa": depends on unknown service "zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Order(tt.file)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Order error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Order = %q, want %q", got, tt.want)
			}
		})
	}
}
