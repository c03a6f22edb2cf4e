package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/disputebot/disputebot/internal/config"
	"github.com/disputebot/disputebot/internal/library"
	"github.com/disputebot/disputebot/internal/picture"
	webpages "github.com/disputebot/disputebot/internal/web"
)

// cmdWeb serves the read-only web pages on WEB_ADDR until SIGINT or
// SIGTERM, from the data folder ask reads, with no Discord token.
func cmdWeb(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	rest, err := flags("web", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: "web takes no arguments; it is configured by the environment (WEB_ADDR, PUBLIC_URL)"}
	}
	cfg, err := config.Load(".env", getenv)
	if err != nil {
		return err
	}
	if cfg.WebAddr == "" {
		return errors.New("web needs WEB_ADDR (the address to serve the pages on, like 127.0.0.1:8081) and PUBLIC_URL (the address people reach them at)")
	}
	lib, err := openFolder(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer closeLib(ctx, lib)
	stopPages, addr, err := startPages(cfg, lib, picture.NewCache(pictureCacheSize), lib.Log)
	if err != nil {
		return err
	}
	defer stopPages()
	fmt.Fprintf(stdout, "serving the pages on http://%s/ for %s; stop with Ctrl-C\n", addr, cfg.PublicURL)
	<-ctx.Done()
	lib.Log.Info("shutting down")
	return nil
}

// startPages serves the web pages on WEB_ADDR and returns how to stop
// them (waiting a few seconds for pages being sent; once, however often it
// is called) and the address they listen on.
func startPages(cfg *config.Config, lib *library.Library, pictures *picture.Cache, log *slog.Logger) (stop func(), addr string, err error) {
	h := webpages.New(webpages.Options{Engine: lib.Engine, Pictures: pictures, PublicURL: cfg.PublicURL, LinkSecret: cfg.WebLinkSecret, TrustedProxies: cfg.WebTrustedProxies, Log: log})
	srv, err := listenAndServe(cfg.WebAddr, h)
	if err != nil {
		return nil, "", fmt.Errorf("WEB_ADDR=%s: %w", cfg.WebAddr, err)
	}
	log.Info("serving the web pages", "addr", srv.Addr, "public_url", cfg.PublicURL)
	if cfg.WebLinkSecret == nil {
		log.Warn("WEB_LINK_SECRET is not set: links the bot signed for a server show the built-in corpus and public articles only")
	}
	return sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("stopping the web pages", "error", err)
		}
	}), srv.Addr, nil
}
