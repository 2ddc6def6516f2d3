// Command limg-go is docker pull, images and tag on the Go binding, printing
// what the C example programs (and docker, off a terminal) print.
//
//	limg-go pull NAME[:TAG]
//	limg-go images [-a] [--filter K=V]... [REPOSITORY[:TAG]]
//	limg-go tag SOURCE TARGET
//
// The store is $LIBIMAGE_STORE, else $XDG_DATA_HOME/libimage, else ~/.local/share/libimage.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	libimage "github.com/libimage/libimage/bindings/go"
)

func storePath() string {
	if s := os.Getenv("LIBIMAGE_STORE"); s != "" {
		return s
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "libimage")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "libimage")
}

func fail(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return 1
}

var status = map[libimage.PullEvent]string{
	libimage.PullWaiting: "Pulling fs layer", libimage.PullExists: "Already exists",
	libimage.PullVerifying: "Verifying Checksum", libimage.PullDownloaded: "Download complete",
	libimage.PullComplete: "Pull complete", libimage.PullSkipped: "Skipped foreign layer",
}

func pull(ctx context.Context, store *libimage.Store, args []string) int {
	if len(args) != 1 {
		return fail("\"limg-go pull\" requires exactly 1 argument.")
	}
	given, err := libimage.ParseReferenceMode(args[0], libimage.Normalized)
	if err != nil {
		return fail("invalid reference format: %v", err)
	}
	ref, _ := libimage.ParseReference(args[0])
	if given.Tag == "" && given.Digest == "" {
		fmt.Println("Using default tag: latest")
	}
	tagOrDigest := ref.Tag
	if tagOrDigest == "" {
		tagOrDigest = ref.Digest
	}
	fmt.Printf("%s: Pulling from %s\n", tagOrDigest, ref.Path)
	hide := false
	img, err := store.Pull(ctx, args[0], libimage.WithProgress(func(p libimage.Progress) {
		if p.Kind == libimage.KindConfig && p.Event == libimage.PullExists {
			hide = true // a config already stored: docker shows no layers
		}
		if text, ok := status[p.Event]; ok && !hide && p.Kind == libimage.KindLayer {
			fmt.Printf("%s: %s\n", p.Digest[7:19], text)
		}
	}))
	var e *libimage.Error
	if errors.As(err, &e) && e.RegistryCode == "MANIFEST_UNKNOWN" {
		return fail("Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown",
			ref.Familiar)
	}
	if err != nil {
		return fail("Error response from daemon: %v", err)
	}
	fmt.Printf("Digest: %s\n", img.Digest)
	word := "Downloaded newer image"
	if img.UpToDate {
		word = "Image is up to date"
	}
	fmt.Printf("Status: %s for %s\n", word, ref.Familiar)
	fmt.Println(img.Reference)
	return 0
}

// humanSize is go-units' HumanSize ("162MB").
func humanSize(size float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for size >= 1000 && i < len(units)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", size, units[i])
}

// ago is go-units' HumanDuration, as docker images prints CREATED.
func ago(t time.Time) string {
	seconds := int64(time.Since(t) / time.Second)
	minutes, hours := seconds/60, int64(math.Floor(float64(seconds)/3600+0.5))
	switch {
	case seconds < 1:
		return "Less than a second ago"
	case seconds == 1:
		return "1 second ago"
	case seconds < 60:
		return fmt.Sprintf("%d seconds ago", seconds)
	case minutes == 1:
		return "About a minute ago"
	case minutes < 60:
		return fmt.Sprintf("%d minutes ago", minutes)
	case hours == 1:
		return "About an hour ago"
	case hours < 48:
		return fmt.Sprintf("%d hours ago", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days ago", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks ago", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months ago", hours/24/30)
	}
	return fmt.Sprintf("%d years ago", seconds/3600/24/365)
}

func images(store *libimage.Store, args []string) int {
	var o libimage.ImagesOptions
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-a" || a == "--all":
			o.All = true
		case (a == "-f" || a == "--filter") && i+1 < len(args):
			i++
			o.Filters = append(o.Filters, args[i])
		case strings.HasPrefix(a, "--filter="):
			o.Filters = append(o.Filters, a[len("--filter="):])
		case strings.HasPrefix(a, "-"):
			return fail("unknown flag: %s", a)
		default:
			o.Filters = append(o.Filters, "reference="+a)
		}
	}
	rows, err := store.Images(o)
	if err != nil {
		return fail("Error response from daemon: %v", err)
	}
	table := [][]string{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}}
	for _, r := range rows {
		repo, tag, id, created, size := r.Repository, r.Tag, r.ShortID(), "N/A", "N/A"
		if repo == "" {
			repo = "<none>"
		}
		if tag == "" {
			tag = "<none>"
		}
		if id == "" {
			id = "<missing>"
		}
		if !r.Created.IsZero() {
			created = ago(r.Created)
		}
		if r.Size >= 0 {
			size = humanSize(float64(r.Size))
		}
		table = append(table, []string{repo, tag, id, created, size})
	}
	widths := make([]int, len(table[0])-1)
	for c := range widths {
		widths[c] = 10
		for _, row := range table {
			if len(row[c])+3 > widths[c] {
				widths[c] = len(row[c]) + 3
			}
		}
	}
	for _, row := range table {
		for c, cell := range row[:len(row)-1] {
			fmt.Print(cell + strings.Repeat(" ", widths[c]-len(cell)))
		}
		fmt.Println(row[len(row)-1])
	}
	return 0
}

func tag(store *libimage.Store, args []string) int {
	if len(args) != 2 {
		return fail("\"limg-go tag\" requires exactly 2 arguments.")
	}
	target, err := libimage.ParseReference(args[1])
	if err != nil {
		return fail("Error response from daemon: %v", err)
	}
	if target.Digest != "" {
		return fail("Error response from daemon: refusing to create a tag with a digest reference")
	}
	if err := store.Tag(args[0], args[1]); err != nil {
		return fail("Error response from daemon: %v", err)
	}
	return 0
}

func run() int {
	if len(os.Args) < 2 {
		return fail("usage: limg-go pull|images|tag ...")
	}
	// Ctrl-C cancels the running call through its context
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	store, err := libimage.OpenStore(storePath())
	if err != nil {
		return fail("Error: %v", err)
	}
	defer store.Close()
	switch os.Args[1] {
	case "pull":
		return pull(ctx, store, os.Args[2:])
	case "images":
		return images(store, os.Args[2:])
	case "tag":
		return tag(store, os.Args[2:])
	}
	return fail("unknown command %q: pull, images or tag", os.Args[1])
}

func main() { os.Exit(run()) }
