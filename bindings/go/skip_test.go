// SPDX-License-Identifier: MIT

package libimage

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// skip ends the running test a skip, saying why, as the other suites skip
// (tests/integration/strict_unittest.py, SKIP_BECAUSE of tests/unit/helpers.h):
// the skip is appended to $LIMG_SKIP_LOG, which tests/run.sh counts in its
// summary, and under LIMG_REQUIRE_ALL=1 (tests/run.sh as root, as in CI) it
// is a failure. go test shows no skip of a package that passes: the log is
// where it is seen. Every skip of these tests goes through here
// (TestSkipsAreCounted).
func skip(t testing.TB, why string) {
	t.Helper()
	label := os.Getenv("LIMG_TEST_LABEL")
	if label == "" {
		label = "go_binding"
	}
	if log := os.Getenv("LIMG_SKIP_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%s: %s: %s\n", label, t.Name(), why)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatalf("%s: skipped (%s), and the skip log: %v", t.Name(), why, err)
		}
	}
	if os.Getenv("LIMG_REQUIRE_ALL") == "1" {
		t.Fatalf("SKIPPED %s: %s: skipped where every test must run (LIMG_REQUIRE_ALL=1)", t.Name(), why)
	}
	t.Skip("SKIPPED: " + why)
}

// No test of the binding skips past skip(): a t.Skip, t.Skipf or t.SkipNow
// would be a skip nobody counts.
func TestSkipsAreCounted(t *testing.T) {
	raw := regexp.MustCompile(`\.Skip(f|Now)?\(`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") || path == "skip_test.go" {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for n, line := range strings.Split(string(text), "\n") {
			if raw.MatchString(line) {
				t.Errorf("%s:%d: a skip nobody counts; call skip(t, why): %s", path, n+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
