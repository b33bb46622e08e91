// Package artifact builds and reads the ros OS artifact: an OCI image whose
// three layers are the raw kernel, the raw initramfs, and the root
// filesystem: an uncompressed squashfs (what a slot holds) carried as one xz
// stream (what is downloaded). See OpenRootfs.
//
// The image is an ordinary OCI image manifest, so every go-containerregistry
// sink (layout, remote, tarball) and source works with it. Layers are raw
// blobs: a layer's DiffID is its Digest, and its bytes are never decompressed
// by this package (use OpenPart, not v1.Layer.Uncompressed, which would
// decompress the zstd initramfs).
package artifact

import (
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ros-os/ros/images/chunked"
)

// Media types of the ros OS artifact.
const (
	ConfigMediaType    types.MediaType = "application/vnd.ros.os.config.v1+json"
	KernelMediaType    types.MediaType = "application/vnd.ros.os.kernel.v1"
	InitramfsMediaType types.MediaType = "application/vnd.ros.os.initramfs.v1"
	RootfsMediaType    types.MediaType = "application/vnd.ros.os.rootfs.v1.squashfs+xz"
	// RootfsChunkedMediaType is the rootfs of images.chunked: chunks of
	// the squashfs, each compressed alone, indexed in the config.
	RootfsChunkedMediaType types.MediaType = "application/vnd.ros.os.rootfs.v2.squashfs+chunked"
)

// Title is the org.opencontainers.image.title of every ros OS artifact.
const Title = "ros"

// Annotation keys from the OCI image spec.
const (
	AnnotationVersion = "org.opencontainers.image.version"
	AnnotationTitle   = "org.opencontainers.image.title"
	AnnotationRefName = "org.opencontainers.image.ref.name"
)

// Errors users act on.
var (
	// ErrBadVersion: the version is not a semantic version.
	ErrBadVersion = errors.New("version is not a semantic version")
	// ErrNotROSImage: the image is not a ros OS artifact.
	ErrNotROSImage = errors.New("not a ros OS image")
	// ErrWrongArch: the image is for another architecture.
	ErrWrongArch = errors.New("wrong architecture")
	// ErrDigestMismatch: a blob's bytes do not match its digest or size.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrTagNotFound: an OCI layout holds no image with the asked tag.
	ErrTagNotFound = errors.New("tag not found")
	// ErrTagRequired: an OCI layout holds several images and no tag was given.
	ErrTagRequired = errors.New("tag required")
)

// Parts are the paths of the files that make up an OS image. Rootfs is the
// xz stream of Squashfs or, with Chunks, its chunked blob; Squashfs is only
// read to record its digest.
type Parts struct {
	Kernel, Initramfs, Rootfs, Squashfs string
	Chunks                              *chunked.Index
}

// Config is the image config blob, of media type ConfigMediaType.
type Config struct {
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Cmdline      string `json:"cmdline"`
	Parts        Blobs  `json:"parts"`
}

// Blobs names the content of each part.
type Blobs struct {
	Kernel    Blob `json:"kernel"`
	Initramfs Blob `json:"initramfs"`
	Rootfs    Blob `json:"rootfs"`
}

// Blob is the digest and size of one part. For the rootfs, Uncompressed
// names the squashfs inside the xz stream or the chunks: what a slot holds
// once written; Chunks is the index of a chunked rootfs.
type Blob struct {
	Digest       v1.Hash        `json:"digest"`
	Size         int64          `json:"size"`
	Uncompressed *Blob          `json:"uncompressed,omitempty"`
	Chunks       *chunked.Index `json:"chunks,omitempty"`
}

// part describes one layer: its name in errors and config, and its media type.
type part struct {
	name      string
	mediaType types.MediaType
	path      func(Parts) string
	blob      func(*Blobs) *Blob
}

// layerParts lists the layers in manifest order.
var layerParts = []part{
	{"kernel", KernelMediaType, func(p Parts) string { return p.Kernel }, func(b *Blobs) *Blob { return &b.Kernel }},
	{"initramfs", InitramfsMediaType, func(p Parts) string { return p.Initramfs }, func(b *Blobs) *Blob { return &b.Initramfs }},
	{"rootfs", RootfsMediaType, func(p Parts) string { return p.Rootfs }, func(b *Blobs) *Blob { return &b.Rootfs }},
}

// rootfsChunked is the rootfs part of a chunked image.
var rootfsChunked = part{"rootfs", RootfsChunkedMediaType, layerParts[2].path, layerParts[2].blob}

// BootFile is a part that goes, under Name, into a slot's directory on
// the ESP (and the live medium's boot image): the kernel and the initramfs.
type BootFile struct {
	Name      string
	MediaType types.MediaType
}

// BootFiles are the boot files of every image, in the order they are written.
var BootFiles = []BootFile{{"vmlinuz", KernelMediaType}, {"initrd", InitramfsMediaType}}

// Of is the blob of the part of media type mt, the zero Blob for none.
func (b Blobs) Of(mt types.MediaType) Blob {
	p, ok := partOf(mt)
	if !ok {
		return Blob{}
	}
	return *p.blob(&b)
}

// partOf returns the part with media type mt.
func partOf(mt types.MediaType) (part, bool) {
	for _, p := range append(layerParts, rootfsChunked) {
		if p.mediaType == mt {
			return p, true
		}
	}
	return part{}, false
}
