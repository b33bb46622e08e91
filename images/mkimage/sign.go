package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/ros-os/ros/images/artifact"
	"github.com/ros-os/ros/images/signature"
)

// passwordEnv holds the private key's password, as for cosign.
const passwordEnv = "COSIGN_PASSWORD"

// layoutRepo is the repository a signature made in a layout names: the
// layout has none (the signature is checked by digest).
const layoutRepo = "ros/os"

func newSignCmd() *cobra.Command {
	var keyFile string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "sign --key cosign.key REF",
		Short: "Sign an OS image the way cosign sign --key does (REF: a registry reference or oci-layout:DIR:TAG)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, added, err := sign(args[0], keyFile, insecure)
			if err != nil {
				return err
			}
			what := "signed"
			if !added {
				what = "already signed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s) with %s\n", what, args[0], d, keyFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the private key (PEM, as cosign generate-key-pair writes it; password in $"+passwordEnv+")")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow a plain-HTTP registry")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// sign adds a signature by the key in keyFile to the image at ref, beside
// it, keeping the signatures already there; added is false if that key
// had signed it already.
func sign(ref, keyFile string, insecure bool) (d v1.Hash, added bool, err error) {
	opts := imageOpts(insecure)
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return v1.Hash{}, false, fmt.Errorf("reading the signing key: %w", err)
	}
	key, err := signature.ParsePrivateKey(pemBytes, []byte(os.Getenv(passwordEnv)))
	if err != nil {
		return v1.Hash{}, false, fmt.Errorf("%s: %w (set $%s to its password)", keyFile, err, passwordEnv)
	}
	img, err := artifact.Open(ref, opts...)
	if err != nil {
		return v1.Hash{}, false, err
	}
	if _, err := artifact.Inspect(img, opts...); err != nil {
		return v1.Hash{}, false, err
	}
	d, err = img.Digest()
	if err != nil {
		return v1.Hash{}, false, err
	}
	old, err := artifact.OpenBeside(ref, signature.TagName(d), opts...)
	if errors.Is(err, artifact.ErrTagNotFound) {
		old, err = nil, nil
	}
	if err != nil {
		return v1.Hash{}, false, err
	}
	if old != nil { // signed by this key already: nothing to add
		if _, err := signature.Verify(old, d, []signature.Key{{Name: keyFile, Public: key.Public()}}); err == nil {
			return d, false, nil
		}
	}
	repo, err := repoOf(ref, insecure)
	if err != nil {
		return v1.Hash{}, false, err
	}
	sig, err := signature.Sign(old, key, repo, d)
	if err != nil {
		return v1.Hash{}, false, err
	}
	return d, true, artifact.WriteBeside(ref, signature.TagName(d), sig, opts...)
}

func imageOpts(insecure bool) []artifact.Option {
	if insecure {
		return []artifact.Option{artifact.WithInsecure()}
	}
	return nil
}

// repoOf is the repository of a registry reference, layoutRepo for a
// layout or archive.
func repoOf(ref string, insecure bool) (name.Repository, error) {
	if isLocal(ref) {
		return name.NewRepository(layoutRepo)
	}
	var no []name.Option
	if insecure {
		no = append(no, name.Insecure)
	}
	r, err := name.ParseReference(ref, no...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	return r.Context(), nil
}

func isLocal(ref string) bool {
	return strings.HasPrefix(ref, artifact.LayoutPrefix) || strings.HasPrefix(ref, artifact.ArchivePrefix)
}

func newKeygenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keygen PREFIX",
		Short: "Make a signing key pair PREFIX.key and PREFIX.pub (ECDSA P-256, as cosign generate-key-pair; password from $" + passwordEnv + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			priv, pub, err := signature.GenerateKey([]byte(os.Getenv(passwordEnv)))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(args[0]), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(args[0]+".key", priv, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(args[0]+".pub", pub, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key and %s.pub\n", args[0], args[0])
			return nil
		},
	}
	return cmd
}
