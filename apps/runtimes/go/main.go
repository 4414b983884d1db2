// Command runtime-go serves the lab's runtime benchmark API (see
// apps/runtimes/contract/contract.json) with net/http and a pgx pool.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// shutdownGrace bounds how long in-flight requests may run after SIGTERM;
// it stays below Kubernetes' default 30 s termination grace period.
const shutdownGrace = 20 * time.Second

type config struct {
	host        string
	port        int
	databaseURL string
	poolSize    int32
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{host: getenv("HOST"), port: 8080, databaseURL: getenv("DATABASE_URL"), poolSize: 10}
	if cfg.host == "" {
		cfg.host = "0.0.0.0"
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return cfg, fmt.Errorf("PORT=%q: want an integer in [1, 65535]", v)
		}
		cfg.port = p
	}
	if v := getenv("DATABASE_POOL_SIZE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("DATABASE_POOL_SIZE=%q: want a positive integer", v)
		}
		cfg.poolSize = int32(n)
	}
	return cfg, nil
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("exit", "err", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	var pool *pgxpool.Pool
	if cfg.databaseURL != "" {
		pcfg, err := pgxpool.ParseConfig(cfg.databaseURL)
		if err != nil {
			return fmt.Errorf("DATABASE_URL: %w", err)
		}
		pcfg.MaxConns = cfg.poolSize
		pcfg.ConnConfig.ConnectTimeout = 2 * time.Second
		// The pool connects lazily, so the server starts (and answers 503 on
		// /database) while PostgreSQL is still coming up.
		pool, err = pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return fmt.Errorf("database pool: %w", err)
		}
		defer pool.Close()
	} else {
		logger.Warn("DATABASE_URL is not set: GET /database answers 503")
	}

	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           newServer(pool, logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "pool_size", cfg.poolSize)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
