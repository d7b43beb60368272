// Package datadirtest reads the files of a JetStream data directory while
// its server runs, for tests that look for bytes on disk (a reporter's
// identity, an erased key). Only tests import it.
package datadirtest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// File is one file of the directory and its bytes.
type File struct {
	Path string
	Data []byte
}

// Files returns every file under dir with its bytes. The server may be
// running: it writes stream and consumer state to a temporary file and
// renames it over the old one, so a file listed a moment ago can be gone
// when it is read. Skipping it could miss bytes that the rename has just
// moved into a file already read, so the whole scan starts again until
// one pass reads every file it listed (CI saw the server rename
// o.dat.tmp mid-scan).
func Files(tb testing.TB, dir string) []File {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		var files []File
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files = append(files, File{path, data})
			return nil
		})
		if errors.Is(err, fs.ErrNotExist) && attempt < 10 {
			tb.Logf("scan of %s, pass %d: %v; scanning again", dir, attempt, err)
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		return files
	}
}
