// Command cf-api-load drives `GET <url>?id=<n random GUIDs>` at a constant rate with vegeta's attacker,
// an open-loop generator: requests go out evenly spaced whatever the answers do, so a slow answer shows
// as latency and never as fewer requests sent.
//
// Input (stdin): {"url": ..., "token": ..., "guids": [...], "guidsPerRequest": 200, "rate": 400,
// "durationSeconds": 10, "timeoutSeconds": 10}.
// Output (stdout): {"requests", "seconds", "bytesIn", "p50Ms", "p99Ms", "maxMs", "statusCodes", "errors"}.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type plan struct {
	URL             string   `json:"url"`
	Token           string   `json:"token"`
	GUIDs           []string `json:"guids"`
	GUIDsPerRequest int      `json:"guidsPerRequest"`
	Rate            int      `json:"rate"`
	DurationSeconds float64  `json:"durationSeconds"`
	TimeoutSeconds  float64  `json:"timeoutSeconds"`
}

type report struct {
	Requests uint64 `json:"requests"`
	// Seconds from the first request sent to the last answer received.
	Seconds float64 `json:"seconds"`
	// Response body bytes.
	BytesIn     uint64         `json:"bytesIn"`
	P50Ms       float64        `json:"p50Ms"`
	P99Ms       float64        `json:"p99Ms"`
	MaxMs       float64        `json:"maxMs"`
	StatusCodes map[string]int `json:"statusCodes"`
	// Distinct errors (connection errors, timeouts, statuses other than 2xx/3xx).
	Errors []string `json:"errors"`
}

// requestInError is the method and URL Go's client puts in front of an error: with 200 GUIDs, 7 KiB of noise.
var requestInError = regexp.MustCompile(`^([A-Z]+) "[^"]*": `)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// randomIDs is a fresh random set of GUIDs per request (math/rand/v2's functions are safe for the attacker's workers).
func randomIDs(p plan) vegeta.Targeter {
	header := http.Header{"Authorization": {"Bearer " + p.Token}}
	return func(t *vegeta.Target) error {
		ids := make([]string, p.GUIDsPerRequest)
		for i := range ids {
			ids[i] = p.GUIDs[rand.IntN(len(p.GUIDs))]
		}
		t.Method = http.MethodGet
		t.URL = p.URL + "?id=" + url.QueryEscape(strings.Join(ids, ","))
		t.Header = header
		return nil
	}
}

func run() error {
	var p plan
	if err := json.NewDecoder(os.Stdin).Decode(&p); err != nil {
		return fmt.Errorf("reading the plan: %w", err)
	}
	if len(p.GUIDs) == 0 || p.GUIDsPerRequest <= 0 || p.Rate <= 0 || p.DurationSeconds <= 0 {
		return fmt.Errorf("the plan needs guids, guidsPerRequest, rate and durationSeconds")
	}
	timeout := time.Duration(p.TimeoutSeconds * float64(time.Second))
	if timeout <= 0 {
		timeout = vegeta.DefaultTimeout
	}
	attacker := vegeta.NewAttacker(vegeta.Timeout(timeout))
	var metrics vegeta.Metrics
	duration := time.Duration(p.DurationSeconds * float64(time.Second))
	for result := range attacker.Attack(randomIDs(p), vegeta.Rate{Freq: p.Rate, Per: time.Second}, duration, "cf-api") {
		result.Body = nil
		result.Error = requestInError.ReplaceAllString(result.Error, "$1: ")
		metrics.Add(result)
	}
	metrics.Close()
	errors := metrics.Errors
	if errors == nil {
		errors = []string{}
	}
	return json.NewEncoder(os.Stdout).Encode(report{
		Requests:    metrics.Requests,
		Seconds:     (metrics.Duration + metrics.Wait).Seconds(),
		BytesIn:     metrics.BytesIn.Total,
		P50Ms:       ms(metrics.Latencies.P50),
		P99Ms:       ms(metrics.Latencies.P99),
		MaxMs:       ms(metrics.Latencies.Max),
		StatusCodes: metrics.StatusCodes,
		Errors:      errors,
	})
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cf-api-load:", err)
		os.Exit(1)
	}
}
