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
}

func makeOptions(opts []Option) options {
	o := options{ctx: context.Background(), arch: runtime.GOARCH}
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
	ro := []remote.Option{
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithContext(o.ctx),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: o.arch}),
	}
	if o.transport != nil {
		ro = append(ro, remote.WithTransport(o.transport))
	}
	return ro
}
