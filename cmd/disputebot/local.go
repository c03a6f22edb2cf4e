package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/library"
)

// The command line beside the bot. Bleve lets one process hold an index,
// so while serve runs, `ask` alone could not open the data folder. serve
// therefore answers on a Unix socket inside DATA_DIR, readable and
// writable by its owner only, and accepting only its own user: the
// command line finds the socket, hands the bot its arguments, and prints
// what the bot's run of the same command printed, exiting with its code.

// socketName is the socket's file in the data folder.
const socketName = "disputebot.sock"

func socketPath(dataDir string) string { return filepath.Join(dataDir, socketName) }

// forwardable are the commands the running bot carries out for the
// command line; serve itself, and the benchmark commands, are not.
var forwardable = []string{"ask", "disputes", "ingest", "reindex", "source", "feed"}

// maxRequest bounds a request's size: arguments, not pages.
const maxRequest = 1 << 20

// localRequest is what the command line sends: its arguments, with file
// paths made absolute (the bot's working folder is not the caller's).
type localRequest struct {
	Args []string `json:"args"`
}

// localReply is what the bot sends back.
type localReply struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// liveFolder is the running bot's open data folder, handed to a command
// it carries out for the command line (see open).
type liveFolder struct {
	cfg *config.Config
	lib *library.Library
}

type liveKey struct{}

// forward runs a command through the bot that holds the data folder, when
// one answers on its socket. ok is false when none does: the command then
// runs on its own.
func forward(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (code int, ok bool) {
	if _, live := ctx.Value(liveKey{}).(*liveFolder); live || len(args) == 0 || !slices.Contains(forwardable, args[0]) {
		return 0, false
	}
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return 0, false // the command reports the configuration's error
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	conn, err := d.DialContext(dctx, "unix", socketPath(cfg.DataDir))
	cancel()
	if err != nil {
		return 0, false // no bot, or one killed before it could remove its socket
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	req := localRequest{Args: absolutePaths(args)}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return 0, false
	}
	var rep localReply
	if err := json.NewDecoder(conn).Decode(&rep); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "disputebot: interrupted; the running bot may still finish the command")
			return 1, true
		}
		fmt.Fprintf(stderr, "disputebot: the running bot (on %s) did not answer: %v\n", socketPath(cfg.DataDir), err)
		return 1, true
	}
	io.WriteString(stdout, rep.Stdout)
	io.WriteString(stderr, rep.Stderr)
	return rep.Code, true
}

// absolutePaths makes the arguments of ingest that name existing files
// absolute, so the bot reads the caller's files wherever it runs.
func absolutePaths(args []string) []string {
	out := append([]string(nil), args...)
	if args[0] != "ingest" {
		return out
	}
	for i, a := range out[1:] {
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://") {
			continue
		}
		if _, err := os.Stat(a); err == nil {
			if abs, err := filepath.Abs(a); err == nil {
				out[i+1] = abs
			}
		}
	}
	return out
}

// localServer answers the command line on the data folder's socket.
type localServer struct {
	ln     *net.UnixListener
	path   string
	folder *liveFolder
	getenv func(string) string
	log    *slog.Logger
	wg     sync.WaitGroup
}

// listenLocal opens the socket, readable and writable by its owner only.
// A socket left by a bot that was killed is replaced; one a live bot
// answers on means another serve holds the folder (which Bleve's lock has
// refused already, so this is a race lost, reported as such).
func listenLocal(cfg *config.Config, lib *library.Library, getenv func(string) string, log *slog.Logger) (*localServer, error) {
	path := socketPath(cfg.DataDir)
	if c, err := net.DialTimeout("unix", path, 500*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("another disputebot serves this data folder on %s", path)
	}
	os.Remove(path)
	old := syscall.Umask(0o077)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for the command line: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	return &localServer{ln: ln, path: path, folder: &liveFolder{cfg: cfg, lib: lib}, getenv: getenv, log: log}, nil
}

// serve answers until ctx ends.
func (s *localServer) serve(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			s.wg.Wait()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.answer(ctx, conn)
		}()
	}
}

// answer runs one command for the command line: the same run() as on its
// own, with the bot's open folder.
func (s *localServer) answer(ctx context.Context, conn *net.UnixConn) {
	var rep localReply
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("recovered from a panic", "where", "local command", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			rep = localReply{Stderr: "disputebot: something went wrong in the running bot; see its log\n", Code: 1}
		}
		json.NewEncoder(conn).Encode(rep)
	}()
	if !sameUser(conn) {
		s.log.Warn("refused a command from another user on the local socket")
		rep = localReply{Stderr: "disputebot: the running bot takes commands from its own user only\n", Code: 1}
		return
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req localRequest
	if err := json.NewDecoder(bufio.NewReader(io.LimitReader(conn, maxRequest))).Decode(&req); err != nil || len(req.Args) == 0 || !slices.Contains(forwardable, req.Args[0]) {
		rep = localReply{Stderr: "disputebot: the running bot does not take that command\n", Code: exitUsage}
		return
	}
	conn.SetReadDeadline(time.Time{})
	var out, errs bytes.Buffer
	rep.Code = run(context.WithValue(ctx, liveKey{}, s.folder), req.Args, &out, &errs, s.getenv)
	rep.Stdout, rep.Stderr = out.String(), errs.String()
}

// sameUser reports whether the peer of a Unix connection runs as this
// process's user.
func sameUser(conn *net.UnixConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return false
	}
	return int(cred.Uid) == os.Getuid()
}
