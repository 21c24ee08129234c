package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/influxdata/telegraf/plugins/common/tls"

	"github.com/plaid-sync/telegraf-plaid/internal/ledger"
	"github.com/plaid-sync/telegraf-plaid/internal/verify"
	"github.com/plaid-sync/telegraf-plaid/plugins/inputs/plaid"
)

// verifyOptions are the flags of -verify and -repair.
type verifyOptions struct {
	verify, repair, stdout, json bool
	influxURL, influxDatabase    string
	timeout                      time.Duration
	tls                          tls.ClientConfig
}

func addVerifyFlags(fs *flag.FlagSet, v *verifyOptions) {
	fs.BoolVar(&v.verify, "verify", false, "compare what InfluxDB holds with the ledger, per item and account; exit 0 when they agree, 1 when they differ, 2 when verification cannot complete")
	fs.BoolVar(&v.repair, "repair", false, "verify, write the missing points and a tombstone for every orphan to InfluxDB, then verify again; never deletes, never changes the ledger")
	fs.BoolVar(&v.stdout, "stdout", false, "with -repair: print the repair as line protocol on stdout instead of writing it to InfluxDB")
	fs.BoolVar(&v.json, "json", false, "with -verify or -repair: print the report as JSON")
	fs.StringVar(&v.influxURL, "influx-url", "", "InfluxDB 1.x HTTP API for -verify and -repair, e.g. http://127.0.0.1:8086 (credentials from INFLUX_USERNAME and INFLUX_PASSWORD)")
	fs.StringVar(&v.influxDatabase, "influx-database", "", "the database Telegraf writes plaid-sync's points to")
	fs.DurationVar(&v.timeout, "influx-timeout", time.Minute, "deadline of one InfluxDB request")
	fs.StringVar(&v.tls.TLSCA, "influx-tls-ca", "", "CA file to verify InfluxDB's certificate (as outputs.influxdb's tls_ca)")
	fs.StringVar(&v.tls.TLSCert, "influx-tls-cert", "", "client certificate file (tls_cert)")
	fs.StringVar(&v.tls.TLSKey, "influx-tls-key", "", "client key file (tls_key)")
	fs.StringVar(&v.tls.ServerName, "influx-tls-server-name", "", "server name to verify InfluxDB's certificate against (tls_server_name)")
	fs.BoolVar(&v.tls.InsecureSkipVerify, "influx-insecure-skip-verify", false, "do not verify InfluxDB's certificate (insecure_skip_verify)")
}

func (v *verifyOptions) enabled() bool { return v.verify || v.repair }

// Exit statuses of -verify and -repair.
const (
	exitAgree         = 0
	exitDiffer        = 1
	exitCannotVerify  = 2
	verifyMessagePref = "E! plaid-sync -verify: "
)

// runVerify reads a copy of the ledger (snapshot and journal, never the
// locked file, so that it runs beside plaid-sync under Telegraf) and
// compares InfluxDB with it.
func runVerify(o options, stdout, stderr io.Writer) int {
	v := o.verify
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s%v\n", verifyMessagePref, err)
		return exitCannotVerify
	}
	if v.stdout && !v.repair {
		return fail(errors.New("-stdout goes with -repair"))
	}
	p, _, err := loadConfig(o.configPath)
	if err != nil {
		return fail(err)
	}
	loc := time.Local
	if p.Timezone != "" && p.Timezone != "Local" {
		if loc, err = time.LoadLocation(p.Timezone); err != nil {
			return fail(fmt.Errorf("timezone %q: %v", p.Timezone, err))
		}
	}
	tlsConfig, err := v.tls.TLSConfig()
	if err != nil {
		return fail(fmt.Errorf("InfluxDB TLS settings: %v", err))
	}
	db, err := verify.NewInflux(verify.InfluxConfig{URL: v.influxURL, Database: v.influxDatabase,
		Username: os.Getenv("INFLUX_USERNAME"), Password: os.Getenv("INFLUX_PASSWORD"), TLS: tlsConfig, Timeout: v.timeout})
	if err != nil {
		return fail(err)
	}
	if p.StateDir == "" {
		return fail(fmt.Errorf("%s: state_dir is not set", o.configPath))
	}
	copied, err := ledger.OpenCopy(p.StateDir, "")
	if err != nil {
		return fail(err)
	}
	defer copied.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	checks, err := p.CheckedItemTags()
	if err != nil {
		return fail(err)
	}
	opts := verify.Options{ItemTag: plaid.ItemTag, Metric: plaid.PointMetric, Location: loc, Checks: checks}
	source := fmt.Sprintf("Ledger: a copy of %s (snapshot %s, %d journaled points since).", p.StateDir, snapshotTime(copied.Snapshot), copied.Journaled)

	if !v.repair {
		r, err := verify.Verify(ctx, copied, db, opts)
		if err != nil {
			return fail(err)
		}
		if v.json {
			writeJSON(stdout, r)
		} else {
			fmt.Fprintln(stdout, source)
			r.WriteText(stdout)
		}
		if r.Agree {
			return exitAgree
		}
		if !v.json {
			fmt.Fprintln(stdout, "Run the same command with -repair to write what is missing and retract the orphans.")
		}
		return exitDiffer
	}

	// With -stdout the repair is the output; the report goes to stderr.
	report, to := stdout, io.Writer(nil)
	if v.stdout {
		report, to = stderr, stdout
	}
	out, err := verify.Repair(ctx, copied, db, opts, "", to)
	if err != nil {
		if out != nil && out.Written > 0 {
			fmt.Fprintf(stderr, "%s%d repair points were written before: %v\n", verifyMessagePref, out.Written, err)
			return exitCannotVerify
		}
		return fail(err)
	}
	if v.json {
		writeJSON(report, out)
	} else {
		fmt.Fprintln(report, source)
		out.Before.WriteText(report)
	}
	switch {
	case out.Before.Agree:
		if !v.json {
			fmt.Fprintln(report, "Nothing to repair.")
		}
		return exitAgree
	case out.After == nil:
		if !v.json {
			fmt.Fprintf(report, "Printed %d repair points as line protocol; run -verify once they are written.\n", out.Written)
		}
		return exitDiffer
	}
	if !v.json {
		fmt.Fprintf(report, "\nWrote %d repair points to InfluxDB. Verified again:\n", out.Written)
		out.After.WriteText(report)
	}
	if out.After.Agree {
		return exitAgree
	}
	return exitDiffer
}

func snapshotTime(t time.Time) string {
	if t.IsZero() {
		return "none yet"
	}
	return "of " + t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
