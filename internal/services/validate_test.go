package services

import "testing"

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		file File
		want string // "" means valid
	}{
		{"valid", File{"ab": {Image: "i"}, "cd": {Image: "i", DependsOn: []string{"ab"}}}, ""},
		{"empty", File{}, ""},
		{"missing image", File{"ab": {}}, `service "ab": image is required`},
		{"unknown dependency", File{"ab": {Image: "i", DependsOn: []string{"nope"}}}, `service "ab": depends on unknown service "nope"`},
		{"self", File{"ab": {Image: "i", DependsOn: []string{"ab"}}}, "dependency cycle: ab -> ab"},
		{"cycle", File{
			"a1": {Image: "i", DependsOn: []string{"b1"}},
			"b1": {Image: "i", DependsOn: []string{"a1"}},
		}, "dependency cycle: a1 -> b1 -> a1"},
		{"cycle behind a chain", File{
			"aa": {Image: "i", DependsOn: []string{"bb"}},
			"bb": {Image: "i", DependsOn: []string{"cc"}},
			"cc": {Image: "i", DependsOn: []string{"dd"}},
			"dd": {Image: "i", DependsOn: []string{"bb"}},
		}, "dependency cycle: bb -> cc -> dd -> bb"},
		{"first bad service by name", File{"zz": {}, "bb": {Image: "i", Restart: "x"}}, `service "bb": restart "x": want no, always, on-failure or unless-stopped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.file)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, svc string
		s         Service
		field     string // "" with wantErr: the service itself
		wantErr   bool
	}{
		{"valid, dependencies not looked at", "ab", Service{Image: "i", DependsOn: []string{"nope"}}, "", false},
		{"missing image", "ab", Service{}, "image", true},
		{"bad volume", "ab", Service{Image: "i", Volumes: []string{"a"}}, "volumes", true},
		{"bad name", "a/b", Service{Image: "i"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Check(tt.svc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check = %v, want an error: %v", err, tt.wantErr)
			}
			if fe, ok := err.(*FieldError); err != nil && (!ok || fe.Field != tt.field) {
				t.Errorf("Check = %#v, want a *FieldError for %q", err, tt.field)
			}
		})
	}
}
