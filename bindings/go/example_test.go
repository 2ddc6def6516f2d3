// SPDX-License-Identifier: MIT

package libimage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	libimage "github.com/libimage/libimage/bindings/go"
)

func ExampleParseReference() {
	r, err := libimage.ParseReference("redis:7")
	if err != nil {
		panic(err)
	}
	fmt.Println(r, r.Domain, r.Path, r.Tag, r.Familiar)
	_, err = libimage.ParseReference("Redis")
	fmt.Println(errors.Is(err, libimage.ErrInvalidReference))
	// Output:
	// docker.io/library/redis:7 docker.io library/redis 7 redis:7
	// true
}

func ExampleStore_Pull() {
	store, err := libimage.OpenStore("/var/lib/myapp/images")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	img, err := store.Pull(ctx, "busybox", libimage.WithPlatform("linux/arm64"),
		libimage.WithProgress(func(p libimage.Progress) {
			if p.Event == libimage.EventComplete && p.Kind == libimage.KindLayer {
				fmt.Println(p.Digest[7:19] + ": Pull complete")
			}
		}))
	switch {
	case errors.Is(err, libimage.ErrManifestNotFound):
		fmt.Println("no such tag")
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Println("took too long")
	case err != nil:
		panic(err)
	default:
		fmt.Println(img.ID)
	}
}

func ExampleStore_Images() {
	store, err := libimage.OpenStore("/var/lib/myapp/images")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	rows, err := store.Images(context.Background(), libimage.WithFilters("reference=busybox*", "dangling=false"))
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Println(r.Repository, r.Tag, r.ShortID(), r.Created.Format(time.RFC3339), r.Size)
	}
}

func ExampleStore_Inspect() {
	store, err := libimage.OpenStore("/var/lib/myapp/images")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	info, err := store.Inspect(context.Background(), "redis:7")
	if errors.Is(err, libimage.ErrImageNotFound) { // by subject, not by message
		fmt.Println("Error: No such image: redis:7")
		return
	} else if err != nil {
		panic(err)
	}
	fmt.Println(info.ShortID(), info.Config.Entrypoint, info.Config.Cmd, info.Config.ExposedPorts)
}

// A copy between two registries, each with its own CA and its own
// credentials: the source's password never reaches the destination.
func ExampleCopy() {
	session, err := libimage.NewSession(
		libimage.WithRegistry("registry.example.com", libimage.WithCAFile("/etc/ssl/example-ca.pem")),
		libimage.WithRegistry("mirror.example.com:5000", libimage.WithTLS(libimage.TLSInsecure)),
		libimage.WithCredentials(map[string]libimage.Credentials{
			"registry.example.com": {Username: "reader", Secret: os.Getenv("SOURCE_TOKEN")},
		}),
		// hosts not in the map: asked here, else Docker's config.json
		libimage.WithCredentialsFunc(func(host string) (string, string, bool, error) {
			if host == "mirror.example.com:5000" {
				return "robot", os.Getenv("MIRROR_TOKEN"), true, nil
			}
			return "", "", false, nil
		}))
	if err != nil {
		panic(err)
	}
	defer session.Close()
	digest, err := libimage.Copy(context.Background(), "registry.example.com/team/app:1",
		"mirror.example.com:5000/team/app:1", libimage.WithSession(session))
	if err != nil {
		panic(err)
	}
	fmt.Println(digest)
}

func ExampleStore_Save() {
	store, err := libimage.OpenStore("/var/lib/myapp/images")
	if err != nil {
		panic(err)
	}
	defer store.Close()
	// docker save busybox | gzip > busybox.tar.gz, as a stream
	if err := store.Save(context.Background(), os.Stdout, []string{"busybox"}); err != nil {
		panic(err)
	}
}
