// Command ferretdb-kubus runs FerretDB v1 (embedded, SQLite backend) for the tests of the MongoDB
// module (builtins/mongodb/mongotest). It is a module of its own so FerretDB's dependencies stay
// out of the kubus binary.
//
//	ferretdb-kubus -listen 127.0.0.1:0 -state /tmp/state [-seed db.collection=docs.json ...]
//
// It prints the address it listens on (host:port) as one line on stdout once it accepts
// connections, and exits cleanly on SIGTERM or SIGINT, or, with -stdin, when stdin closes (so a
// test process that dies takes the server with it); -rm-state removes the state directory then.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0: any free port)")
	stateDir := flag.String("state", "", "directory of the SQLite files (required)")
	stdin := flag.Bool("stdin", false, "exit when stdin reaches EOF")
	rmState := flag.Bool("rm-state", false, "remove the state directory on exit")
	logLevel := flag.String("log", "error", "log level: debug, info, warn or error")
	var seeds []string
	flag.Func("seed", "db.collection=file.json: insert the documents of a JSON array (MongoDB extended JSON) once listening; repeatable", func(v string) error {
		seeds = append(seeds, v)
		return nil
	})
	flag.Parse()
	err := run(*listen, *stateDir, *stdin, *logLevel, seeds)
	if *rmState && *stateDir != "" {
		_ = os.RemoveAll(*stateDir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-kubus:", err)
		os.Exit(1)
	}
}

func run(listen, stateDir string, stdin bool, logLevel string, seeds []string) error {
	if stateDir == "" {
		return fmt.Errorf("-state is required")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log: %w", err)
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if stdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: listen},
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Handler:  "sqlite",
		// The SQLite handler wants a file: URI naming a directory, with a trailing slash.
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// The listener is bound in New; MongoDBURI waits for it, so this line means "ready".
	uri := f.MongoDBURI()
	if err := seed(ctx, uri, seeds); err != nil {
		stop()
		<-done
		return err
	}
	fmt.Println(uri[len("mongodb://") : len(uri)-1])
	return <-done
}

// seed replaces each named collection's documents with those of its file, so the README's credit
// check starts from the same loan book as its testcases.
func seed(ctx context.Context, uri string, seeds []string) error {
	if len(seeds) == 0 {
		return nil
	}
	cl, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	defer cl.Disconnect(context.Background())
	for _, s := range seeds {
		target, file, ok := strings.Cut(s, "=")
		db, coll, ok2 := strings.Cut(target, ".")
		if !ok || !ok2 || db == "" || coll == "" {
			return fmt.Errorf("-seed %q: write db.collection=file.json", s)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var docs []bson.D
		if err := bson.UnmarshalExtJSON([]byte(`{"d":`+string(data)+`}`), false, &struct {
			D *[]bson.D `bson:"d"`
		}{&docs}); err != nil {
			return fmt.Errorf("-seed %s: %w", file, err)
		}
		c := cl.Database(db).Collection(coll)
		if err := c.Drop(ctx); err != nil {
			return err
		}
		if len(docs) > 0 {
			if _, err := c.InsertMany(ctx, toAny(docs)); err != nil {
				return fmt.Errorf("-seed %s: %w", file, err)
			}
		}
	}
	return nil
}

func toAny(docs []bson.D) []any {
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d
	}
	return out
}
