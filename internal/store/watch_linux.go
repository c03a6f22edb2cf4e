//go:build linux

package store

import (
	"encoding/binary"
	"path/filepath"
	"sync"
	"syscall"
)

// folderWatch tells whether anything was written in a folder since it
// was last asked, from the kernel's notices (inotify). Every commit to an
// SQLite database writes a file in its folder (the "-wal" file, or the
// database itself), whichever process commits, and the kernel queues the
// notice before the write returns, so before the commit does: when none
// is queued, nothing was committed since the last look.
type folderWatch struct {
	mu     sync.Mutex
	fd     int
	broken bool // the watch ended (the folder went): it cannot tell
}

// watchFolder watches the folder holding the database at path; nil when
// the kernel will not (too many watches already).
func watchFolder(path string) *folderWatch {
	// SQLite writes its "-wal" beside the file a link points to.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	const mask = syscall.IN_MODIFY | syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MOVED_FROM |
		syscall.IN_MOVED_TO | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF
	if _, err := syscall.InotifyAddWatch(fd, filepath.Dir(path), mask); err != nil {
		syscall.Close(fd)
		return nil
	}
	return &folderWatch{fd: fd}
}

// written reports whether anything was written in the folder since the
// last call; true when it cannot tell.
func (w *folderWatch) written() bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken || w.fd < 0 {
		return true
	}
	var buf [4096]byte
	seen := false
	for {
		n, err := syscall.Read(w.fd, buf[:])
		switch {
		case n > 0:
			seen = true
			w.broken = w.broken || ended(buf[:n])
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return seen
		default:
			w.broken = true
			return true
		}
	}
}

// ended reports whether the events in b end the watch: the folder was
// deleted, or its file system unmounted.
func ended(b []byte) bool {
	const header = syscall.SizeofInotifyEvent
	for len(b) >= header {
		mask := binary.NativeEndian.Uint32(b[4:8])
		if mask&(syscall.IN_IGNORED|syscall.IN_UNMOUNT) != 0 {
			return true
		}
		n := header + int(binary.NativeEndian.Uint32(b[12:16]))
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return false
}

func (w *folderWatch) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd >= 0 {
		syscall.Close(w.fd)
		w.fd = -1
	}
}
