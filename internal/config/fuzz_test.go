package config

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse does not panic and that what it accepts
// survives Marshal: init saves the applied config with Marshal and reads it
// back with Parse.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"#cloud-config\nhostname: web1\n",
		persistent,
		"#!/bin/sh\n",
		"ssh_authorized_keys: ['" + edKey + "']\nruncmd: [date, [ls, -l], 'echo \"a b\"']\nbootcmd: ['']\n",
		"write_files:\n  - path: /etc/x\n    content: |\n      a\n       b\n    permissions: 0600\n    owner: root:0\n  - {path: /y, content: aGk=, encoding: b64}\n",
		"mounts: [[LABEL=D, /mnt, ext4, noatime], [/dev/vdb, /b]]\n",
		"ros:\n  services:\n    a1: &a {image: 'i:${ROS_VERSION}', command: sh -c 'x y', environment: {A: 1}}\n    b1: {<<: *a, net: host, labels: {k: v}}\n",
		"ros:\n  services_include: {cron: true}\n  network: {interfaces: {eth0: {dhcp: true}, eth1: {address: 10.0.0.2/24, gateway: 10.0.0.1}}, dns: {nameservers: ['::1'], search: [a.b]}}\n",
		"ros: {sysctl: {net.ipv4.ip_forward: 1}, modules: [m], environment: [A=1], docker: {args: [-D]}, upgrade: {policy: manual}, console: {autologin: true}}\n",
		"hostname: \"\\x01\"\n",
		"hostname: [a\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(Source{Name: "fuzz", Data: data})
		if err != nil {
			return
		}
		out, err := Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse(Source{Name: "marshaled", Data: out})
		if err != nil {
			t.Fatalf("Parse(Marshal(c)): %v\n%s", err, out)
		}
		if got, want := normalize(back), normalize(c); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(Marshal(c)) =\n%#v\nwant\n%#v\nmarshaled:\n%s", got, want, out)
		}
	})
}

// normalize makes empty slices and maps nil, which Marshal omits.
func normalize(c Config) Config {
	v := reflect.New(reflect.TypeOf(c)).Elem()
	v.Set(reflect.ValueOf(c))
	nilEmpty(v)
	return v.Interface().(Config)
}

func nilEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				nilEmpty(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := 0; i < c.Len(); i++ {
			nilEmpty(c.Index(i))
		}
		v.Set(c)
	case reflect.Map:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			nilEmpty(e)
			c.SetMapIndex(it.Key(), e)
		}
		v.Set(c)
	}
}
