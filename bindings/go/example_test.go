package libimage_test

import (
	"context"
	"errors"
	"fmt"
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
			if p.Event == libimage.PullComplete {
				fmt.Println(p.Digest[7:19] + ": Pull complete")
			}
		}))
	switch {
	case errors.Is(err, libimage.ErrNotFound):
		fmt.Println("no such image")
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
	rows, err := store.Images(libimage.ImagesOptions{Filters: []string{"reference=busybox*", "dangling=false"}})
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Println(r.Repository, r.Tag, r.ShortID(), r.Created.Format(time.RFC3339), r.Size)
	}
}

func ExampleCopy() {
	digest, err := libimage.Copy(context.Background(), "registry.example.com/team/app:1", "mirror.example.com/team/app:1",
		libimage.WithAuthFunc(func(host string) (string, string, error) { return "robot", "secret", nil }))
	if err != nil {
		panic(err)
	}
	fmt.Println(digest)
}
