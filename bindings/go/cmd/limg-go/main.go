// SPDX-License-Identifier: MIT

// Command limg-go is docker pull, images and tag on the Go binding, printing
// what the C example programs (and docker, off a terminal) print.
//
//	limg-go [--store DIR] pull [--platform OS/ARCH] NAME[:TAG|@DIGEST]
//	limg-go [--store DIR] images [-a] [--filter K=V]... [REPOSITORY[:TAG]]
//	limg-go [--store DIR] tag SOURCE TARGET
//
// --store (anywhere on the line, as the C programs take it) names the store;
// by default it is libimage's: $LIBIMAGE_STORE, else $XDG_DATA_HOME/libimage,
// else ~/.local/share/libimage.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	libimage "github.com/libimage/libimage/bindings/go"
)

func fail(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	return 1
}

// daemonError prints err as docker does, with the C programs' hint for an
// untrusted certificate.
func daemonError(err error) int {
	fmt.Fprintf(os.Stderr, "Error response from daemon: %v\n", err)
	var e *libimage.Error
	if errors.As(err, &e) && e.Subject == libimage.SubjectCertificate {
		fmt.Fprintf(os.Stderr, "hint: to trust the registry's certificate, put its CA in DIR/%s/ca.crt and pass "+
			"--cert-dir DIR (default /etc/docker/certs.d), or use --tls-verify=false\n", e.Object)
	}
	return 1
}

// value reads "NAME VALUE" or "NAME=VALUE" at args[*i]: ok with the value
// (and *i on the value's word); bad when the value is missing.
func value(args []string, i *int, name string) (v string, ok, bad bool) {
	a := args[*i]
	if strings.HasPrefix(a, name+"=") {
		return a[len(name)+1:], true, false
	}
	if a != name {
		return "", false, false
	}
	if *i+1 >= len(args) {
		fmt.Fprintf(os.Stderr, "flag needs an argument: %s\n", name)
		return "", false, true
	}
	*i++
	return args[*i], true, false
}

var status = map[libimage.Event]string{
	libimage.EventWaiting: "Pulling fs layer", libimage.EventExists: "Already exists",
	libimage.EventVerifying: "Verifying Checksum", libimage.EventDownloaded: "Download complete",
	libimage.EventComplete: "Pull complete", libimage.EventSkipped: "Skipped foreign layer",
}

func pull(ctx context.Context, store *libimage.Store, platform string, args []string) int {
	if len(args) != 1 {
		return fail("\"limg-go pull\" requires exactly 1 argument.")
	}
	given, err := libimage.ParseReferenceMode(args[0], libimage.ParseNormalized)
	if err != nil {
		return fail("%v", err) // "invalid reference format: ...", as docker says it
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
	res, err := store.Pull(ctx, args[0], libimage.WithPlatform(platform), libimage.WithProgress(func(p libimage.Progress) {
		if p.Kind == libimage.KindConfig && p.Event == libimage.EventExists {
			hide = true // a config already stored: docker shows no layers
		}
		if text, ok := status[p.Event]; ok && !hide && p.Kind == libimage.KindLayer && len(p.Digest) >= 19 {
			fmt.Printf("%s: %s\n", p.Digest[7:19], text)
		}
	}))
	var e *libimage.Error
	switch {
	case err == nil:
	case errors.Is(err, libimage.ErrManifestNotFound):
		return fail("Error response from daemon: manifest for %s not found: manifest unknown: manifest unknown",
			ref.Familiar)
	case errors.Is(err, libimage.ErrAuth) && errors.As(err, &e) && e.Subject == libimage.SubjectCredentials:
		// credentials were given (config.json, a helper) and refused
		fmt.Fprintf(os.Stderr, "Error response from daemon: %v\n", err)
		return fail("hint: log in to %s again: limg-login %s", e.Object, e.Object)
	case errors.Is(err, libimage.ErrRepositoryNotFound) ||
		(errors.Is(err, libimage.ErrAuth) && errors.As(err, &e) && e.HTTPStatus != 0):
		// no such repository, or one we may not read: registries do not tell them apart
		return fail("Error response from daemon: pull access denied for %s, repository does not exist or may "+
			"require 'docker login': %v", ref.FamiliarName, err)
	case errors.As(err, &e) && (e.Subject == libimage.SubjectBlob || e.Subject == libimage.SubjectLayer ||
		e.Subject == libimage.SubjectConfig):
		// a blob the registry lacks or one that does not verify: said in the pull's stream, no daemon prefix
		return fail("%s", e.Message)
	default:
		return daemonError(err)
	}
	fmt.Printf("Digest: %s\n", res.Digest)
	word := "Downloaded newer image"
	if res.UpToDate {
		word = "Image is up to date"
	}
	pulled, _ := libimage.ParseReferenceMode(res.Reference, libimage.ParseNormalized)
	fmt.Printf("Status: %s for %s\n", word, pulled.Familiar)
	fmt.Println(res.Reference)
	return 0
}

// humanSize is go-units' HumanSize ("162MB").
func humanSize(size float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
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

// printable escapes what must not reach a terminal as it is (controls,
// C1 controls, bytes that are not UTF-8), as the C programs' tables do: a
// tag from another tool's index.json must not forge a row.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		n := 0
		switch {
		case c < 0x80:
			n = 1
		case c >= 0xC2 && c < 0xE0:
			n = 2
		case c >= 0xE0 && c < 0xF0:
			n = 3
		case c >= 0xF0 && c < 0xF5:
			n = 4
		}
		for j := 1; j < n; j++ {
			if i+j >= len(s) || s[i+j]&0xC0 != 0x80 {
				n = 0
				break
			}
		}
		if c < 0x20 || c == 0x7f || n == 0 || (n == 2 && c == 0xC2 && s[i+1] <= 0x9F) {
			fmt.Fprintf(&b, "\\x%02x", c)
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

func images(ctx context.Context, storePath string, named bool, platform string, args []string) int {
	opts := []libimage.ImagesOption{libimage.WithPlatform(platform)}
	positional := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-a" || a == "--all" {
			opts = append(opts, libimage.WithAll())
			continue
		}
		if v, ok, bad := value(args, &i, "--filter"); bad {
			return 1
		} else if ok {
			opts = append(opts, libimage.WithFilters(v))
			continue
		}
		if v, ok, bad := value(args, &i, "-f"); bad {
			return 1
		} else if ok {
			opts = append(opts, libimage.WithFilters(v))
			continue
		}
		switch {
		case strings.HasPrefix(a, "-"):
			return fail("unknown flag: %s", a)
		case positional != "":
			return fail("\"limg-go images\" accepts at most 1 argument.")
		default:
			positional = a
		}
	}
	if positional != "" {
		// a positional REPOSITORY[:TAG] is a reference filter, as in docker
		opts = append(opts, libimage.WithFilters("reference="+positional))
	}
	table := [][]string{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}}
	// only reads: a default store that does not exist yet is an empty one;
	// one named by --store must be there (a mistyped path says so)
	store, err := libimage.OpenStore(storePath, libimage.WithoutCreate())
	if err != nil && (named || !errors.Is(err, libimage.ErrStoreNotFound)) {
		return fail("Error: %v", err)
	}
	if store != nil {
		defer store.Close()
		rows, err := store.Images(ctx, opts...)
		if err != nil {
			return daemonError(err)
		}
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
			table = append(table, []string{printable(repo), printable(tag), id, created, size})
		}
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

func tag(ctx context.Context, storePath string, args []string) int {
	if len(args) != 2 {
		return fail("\"limg-go tag\" requires exactly 2 arguments.")
	}
	// docker's client checks the target itself: no daemon prefix
	target, err := libimage.ParseReference(args[1])
	if err != nil {
		return fail("Error parsing reference: %q is not a valid repository/tag: %v", args[1], err)
	}
	if target.Digest != "" {
		return fail("refusing to create a tag with a digest reference")
	}
	store, err := libimage.OpenStore(storePath)
	if err != nil {
		return fail("Error: %v", err)
	}
	defer store.Close()
	if err := store.Tag(ctx, args[0], target.String()); err != nil {
		return daemonError(err)
	}
	return 0
}

func run() int {
	// the options every command takes, anywhere on the line
	var storePath, platform string
	var rest []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		if v, ok, bad := value(args, &i, "--store"); bad {
			return 1
		} else if ok {
			storePath = v
			continue
		}
		if v, ok, bad := value(args, &i, "--platform"); bad {
			return 1
		} else if ok {
			platform = v
			continue
		}
		rest = append(rest, args[i])
	}
	if len(rest) < 1 {
		return fail("usage: limg-go [--store DIR] pull|images|tag ...")
	}
	named := storePath != ""
	if storePath == "" {
		var err error
		if storePath, err = libimage.DefaultStorePath(); err != nil {
			return fail("Error: %v (use --store DIR)", err)
		}
	}
	// Ctrl-C and SIGTERM cancel the running call through its context
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch rest[0] {
	case "pull":
		store, err := libimage.OpenStore(storePath)
		if err != nil {
			return fail("Error: %v", err)
		}
		defer store.Close()
		return pull(ctx, store, platform, rest[1:])
	case "images":
		return images(ctx, storePath, named, platform, rest[1:])
	case "tag":
		return tag(ctx, storePath, rest[1:])
	}
	return fail("unknown command %q: pull, images or tag", rest[0])
}

func main() { os.Exit(run()) }
