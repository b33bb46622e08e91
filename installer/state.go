package installer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/fstools"
	"github.com/ros-os/ros/partitions"
)

// CloudConfigPath is where the install-time cloud-config lives on STATE,
// relative to its root: the running system reads it as contract.StateConfig.
const CloudConfigPath = contract.OnStateConfig

// seedState lays out the first contents of STATE in dir.
func seedState(dir, cloudConfig string) error {
	if err := os.MkdirAll(filepath.Join(dir, contract.StateRosDir), 0o755); err != nil {
		return fmt.Errorf("seeding STATE: %w", err)
	}
	if cloudConfig == "" {
		return nil
	}
	data, err := os.ReadFile(cloudConfig)
	if err != nil {
		return fmt.Errorf("reading cloud-config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CloudConfigPath), data, 0o600); err != nil {
		return fmt.Errorf("seeding STATE: %w", err)
	}
	return nil
}

// mkfsExt4 formats the STATE partition in place (at its offset on the whole
// disk or image) and fills it from seed.
func mkfsExt4(path string, p partitions.Placed, seed string) error {
	err := fstools.Run("mkfs.ext4", "-F", "-q", "-L", partitions.LabelState, "-E", "offset="+strconv.FormatInt(p.Offset(), 10),
		"-d", seed, path, strconv.FormatInt(p.Size()>>10, 10)+"k")
	if err != nil {
		return fmt.Errorf("formatting STATE: %w", err)
	}
	return nil
}
