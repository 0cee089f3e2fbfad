package checks

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadFile reads a file a checklist names (a CA bundle, a client key, a
// token file) as hostile input: it must be a regular file (a link to one
// is fine; a FIFO, a device or a directory is refused without blocking)
// of at most max bytes. `ln -s /dev/zero ca.pem` is stored by git as
// easily as a real file.
func ReadFile(path string, max int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer, past any deadline; it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, WithReason(ReasonTooLarge, fmt.Errorf("%s is larger than %d bytes, the most readyctl reads from it", path, max))
	}
	return data, nil
}

// MaxCredentialFile bounds CA bundles, certificates, keys and token files.
const MaxCredentialFile = 4 << 20
