package services

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/strslice"
)

// Labels that ContainerSpec puts on every service container, so init can
// find and clean up the containers it made.
const (
	LabelService = labelPrefix + "service" // the service name
	LabelVersion = labelPrefix + "version" // the OS version that made it
	LabelOneshot = labelPrefix + "oneshot" // "true" or "false"
	LabelSpec    = labelPrefix + "spec"    // digest of the definition: a changed one is recreated

	labelPrefix = "io.ros."
	versionVar  = "${ROS_VERSION}"
)

// ImageTag is the image tag of an OS version: a version may hold '+'
// (semver build metadata), which a tag may not, so it becomes '_'.
func ImageTag(version string) string {
	return strings.ReplaceAll(version, "+", "_")
}

// ImageRef is the service's image with ${ROS_VERSION} replaced by the
// [ImageTag] of version. Nothing else is changed.
func (s Service) ImageRef(version string) string {
	return strings.ReplaceAll(s.Image, versionVar, ImageTag(version))
}

// ContainerSpec is the Docker container of service name for OS version
// version. The container is to be created with the service name as its name.
func (s Service) ContainerSpec(name, version string) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{
		Image:      s.ImageRef(version),
		Cmd:        strslice.StrSlice(s.Command),
		Entrypoint: strslice.StrSlice(s.Entrypoint),
		Env:        append([]string(nil), s.Environment...),
		WorkingDir: s.WorkingDir,
		User:       s.User,
		Labels:     s.labels(name, version),
	}
	hc := &container.HostConfig{
		Privileged:    s.Privileged,
		NetworkMode:   container.NetworkMode(s.Net),
		PidMode:       container.PidMode(s.Pid),
		IpcMode:       container.IpcMode(s.Ipc),
		UTSMode:       container.UTSMode(s.Uts),
		Binds:         append([]string(nil), s.Volumes...),
		RestartPolicy: container.RestartPolicy{Name: s.restartPolicy()},
		Resources:     container.Resources{Devices: s.devices()},
	}
	if s.Pid != "host" {
		// An init reaps the service's orphans, and the service's own
		// program is not PID 1 (ros would take itself for the host's init).
		hc.Init = &yes
	}
	cfg.Labels[LabelSpec] = specDigest(cfg, hc)
	return cfg, hc
}

var yes = true

// specDigest identifies a container definition.
func specDigest(cfg *container.Config, hc *container.HostConfig) string {
	b, _ := json.Marshal([]any{cfg, hc})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (s Service) labels(name, version string) map[string]string {
	l := make(map[string]string, len(s.Labels)+4)
	for k, v := range s.Labels {
		l[k] = v
	}
	l[LabelService] = name
	l[LabelVersion] = version
	l[LabelOneshot] = strconv.FormatBool(s.Oneshot)
	return l
}

// restartPolicy defaults to unless-stopped: Docker restarts a crashed
// service, but after an orderly shutdown (PID 1 stops every service) it does
// not start them itself when System Docker starts, which would delay its API
// by the services' start-up and bypass their order; PID 1 starts them.
func (s Service) restartPolicy() container.RestartPolicyMode {
	switch {
	case s.Oneshot:
		return container.RestartPolicyDisabled
	case s.Restart == "":
		return container.RestartPolicyUnlessStopped
	}
	return container.RestartPolicyMode(s.Restart)
}

func (s Service) devices() []container.DeviceMapping {
	var ds []container.DeviceMapping
	for _, d := range s.Devices {
		host, ctr, ok := strings.Cut(d, ":")
		if !ok {
			ctr = host
		}
		ds = append(ds, container.DeviceMapping{PathOnHost: host, PathInContainer: ctr, CgroupPermissions: "rwm"})
	}
	return ds
}
