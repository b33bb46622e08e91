package rosinit

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/docker/docker/api/types/container"

	"github.com/ros-os/ros/internal/buildinfo"
	"github.com/ros-os/ros/internal/services"
	"github.com/ros-os/ros/internal/svcrun"
)

// startServices starts the services level by level; a one-shot service must
// exit 0 before the next level starts. A service that fails to start is
// logged and the others still start (the console among them, so the machine
// can be repaired); if it is a built-in one, the health gate then fails.
func startServices(ctx context.Context, st *state) error {
	file := st.serviceFile
	levels, err := services.Order(file)
	if err != nil {
		return err
	}
	if err := removeStale(ctx, st.sys, file); err != nil {
		return err
	}
	for _, level := range levels {
		startLevel(ctx, st, file, level)
		if err := waitOneshots(ctx, st.sys, file, level); err != nil {
			st.log.Printf("%v", err)
		}
	}
	st.mark("services")
	return nil
}

// startLevel starts the services of one level, which do not depend on each
// other, at the same time (each start is mostly System Docker's and its
// shim's work: ~1.3 s under TCG), and records them in the level's order.
func startLevel(ctx context.Context, st *state, file services.File, level []string) {
	results := make([]started, len(level))
	var wg sync.WaitGroup
	for i, name := range level {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = startService(ctx, st, name, file[name])
		}()
	}
	wg.Wait()
	for i, name := range level {
		r := results[i]
		if r.err != nil && r.core {
			st.serviceErrs = append(st.serviceErrs, r.err)
		}
		if r.err == nil && r.core && !r.oneshot {
			st.services = append(st.services, name)
		}
	}
}

// started is how the start of one service went.
type started struct {
	err           error
	core, oneshot bool // a built-in service; one that runs to completion
}

// startService starts one service. A built-in service that the config
// replaced and that does not start is started as built instead, so a bad
// definition of, say, the console cannot take the console away.
func startService(ctx context.Context, st *state, name string, svc services.Service) started {
	builtin, core := st.coreServices[name]
	err := svcrun.Ensure(ctx, st.sys, name, svc, buildinfo.Version, st.opts.RegistryAuth)
	if err != nil && core && !reflect.DeepEqual(svc, builtin) {
		st.log.Printf("%v: starting the built-in %s instead", err, name)
		svc = builtin
		err = svcrun.Ensure(ctx, st.sys, name, svc, buildinfo.Version, st.opts.RegistryAuth)
	}
	if err != nil {
		st.log.Printf("%v", err)
	}
	return started{err: err, core: core, oneshot: svc.Oneshot}
}

// removeStale removes service containers of another OS version or of a
// service that is no longer defined.
func removeStale(ctx context.Context, cli engine, file services.File) error {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range list {
		name, ok := c.Labels[services.LabelService]
		if !ok {
			continue
		}
		if _, defined := file[name]; defined && c.Labels[services.LabelVersion] == buildinfo.Version {
			continue
		}
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("removing stale service %s: %w", name, err)
		}
	}
	return nil
}

func waitOneshots(ctx context.Context, cli engine, file services.File, level []string) error {
	for _, name := range level {
		if !file[name].Oneshot {
			continue
		}
		statusCh, errCh := cli.ContainerWait(ctx, name, container.WaitConditionNotRunning)
		select {
		case st := <-statusCh:
			if st.StatusCode != 0 {
				return fmt.Errorf("one-shot service %s exited with status %d", name, st.StatusCode)
			}
		case err := <-errCh:
			return fmt.Errorf("waiting for service %s: %w", name, err)
		}
	}
	return nil
}
