package artifact

import (
	"context"
	"net/http"
	"runtime"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option tunes Open, Push and Inspect.
type Option func(*options)

type options struct {
	ctx       context.Context
	insecure  bool
	transport http.RoundTripper
	arch      string
	certsDir  string
	authFiles []string
}

func makeOptions(opts []Option) options {
	o := options{ctx: context.Background(), arch: runtime.GOARCH, certsDir: CertsDir}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithContext bounds registry requests by ctx.
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}

// WithInsecure allows plain-http registries (name.Insecure).
func WithInsecure() Option {
	return func(o *options) { o.insecure = true }
}

// WithTransport sends registry requests through t.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithCertsDir reads the registries' CAs and client certificates from
// dir (see CertsDir) instead.
func WithCertsDir(dir string) Option {
	return func(o *options) { o.certsDir = dir }
}

// WithAuthFile adds the credentials of a Docker config.json ("auths") to
// those of the user's own (~/.docker/config.json, $DOCKER_CONFIG), which
// come first.
func WithAuthFile(path string) Option {
	return func(o *options) { o.authFiles = append(o.authFiles, path) }
}

// WithArch makes Inspect expect arch instead of runtime.GOARCH, and Open
// pick arch from a multi-platform registry index.
func WithArch(arch string) Option {
	return func(o *options) { o.arch = arch }
}

func (o options) nameOptions() []name.Option {
	if o.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o options) remoteOptions() []remote.Option {
	keychains := []authn.Keychain{authn.DefaultKeychain}
	for _, f := range o.authFiles {
		keychains = append(keychains, authFile(f))
	}
	t := o.transport
	if t == nil {
		t = newCertsTransport(o.certsDir)
	}
	return []remote.Option{
		remote.WithAuthFromKeychain(authn.NewMultiKeychain(keychains...)),
		remote.WithContext(o.ctx),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: o.arch}),
		remote.WithTransport(t),
	}
}
