package upgrader

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	goversion "github.com/hashicorp/go-version"

	"github.com/ros-os/ros/images/artifact"
)

// ResolveRef turns what the user gave (or, when arg is "", the remembered
// repository repo) into an image reference; a registry repository without
// a tag means its newest version. registryRepo is the repository to
// remember, "" for a local layout or archive.
func ResolveRef(arg, repo string, insecure bool) (ref, registryRepo string, err error) {
	if arg == "" {
		arg = repo
	}
	if arg == "" {
		return "", "", fmt.Errorf("no image given and no repository known: give one, e.g. ros os upgrade registry.example.com/ros/os")
	}
	if strings.HasPrefix(arg, artifact.LayoutPrefix) || strings.HasPrefix(arg, artifact.ArchivePrefix) {
		return arg, "", nil
	}
	r, err := name.ParseReference(arg, nameOpts(insecure)...)
	if err != nil {
		return "", "", fmt.Errorf("image reference %q: %w", arg, err)
	}
	registryRepo = r.Context().Name()
	if strings.Contains(arg[strings.LastIndex(arg, "/")+1:], ":") || strings.Contains(arg, "@") {
		return arg, registryRepo, nil
	}
	tags, err := Versions(registryRepo, insecure)
	if err != nil {
		return "", "", err
	}
	if len(tags) == 0 {
		return "", "", fmt.Errorf("%s has no version tags", registryRepo)
	}
	return registryRepo + ":" + tags[0], registryRepo, nil
}

func nameOpts(insecure bool) []name.Option {
	if insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Versions lists the semver tags of a repository, newest first.
func Versions(repo string, insecure bool) ([]string, error) {
	r, err := name.NewRepository(repo, nameOpts(insecure)...)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", repo, err)
	}
	tags, err := remote.List(r)
	if err != nil {
		return nil, fmt.Errorf("listing versions in %s: %w", repo, err)
	}
	var vs []*goversion.Version
	for _, t := range tags {
		if v, err := goversion.NewSemver(t); err == nil {
			vs = append(vs, v)
		}
	}
	sort.Sort(sort.Reverse(goversion.Collection(vs)))
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Original()
	}
	return out, nil
}
