package upgrader

import (
	"fmt"
	"sort"
	"strings"

	goversion "github.com/hashicorp/go-version"

	"github.com/ros-os/ros/images/artifact"
)

// ResolveRef turns what the user gave (or, when arg is "", the remembered
// repository repo) into an image reference; a registry repository without
// a tag means its newest version. registryRepo is the repository to
// remember, "" for a local layout or archive.
func ResolveRef(arg, repo string, opts ...artifact.Option) (ref, registryRepo string, err error) {
	if arg == "" {
		arg = repo
	}
	if arg == "" {
		return "", "", fmt.Errorf("no image given and no repository known: give one, e.g. ros os upgrade registry.example.com/ros/os")
	}
	if strings.HasPrefix(arg, artifact.LayoutPrefix) || strings.HasPrefix(arg, artifact.ArchivePrefix) {
		return arg, "", nil
	}
	r, err := artifact.ParseReference(arg, opts...)
	if err != nil {
		return "", "", err
	}
	registryRepo = r.Context().Name()
	if strings.Contains(arg[strings.LastIndex(arg, "/")+1:], ":") || strings.Contains(arg, "@") {
		return arg, registryRepo, nil
	}
	tags, err := Versions(registryRepo, opts...)
	if err != nil {
		return "", "", err
	}
	if len(tags) == 0 {
		return "", "", fmt.Errorf("%s has no version tags", registryRepo)
	}
	return registryRepo + ":" + tags[0], registryRepo, nil
}

// Versions lists the semver tags of a repository, newest first.
func Versions(repo string, opts ...artifact.Option) ([]string, error) {
	tags, err := artifact.Tags(repo, opts...)
	if err != nil {
		return nil, err
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
