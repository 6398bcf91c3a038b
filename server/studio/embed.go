// Package studio holds the studio's web assets (HTML, JavaScript, CSS), embedded in the binary so
// that `kubus serve` and `kubus studio` need no CDN, no network and no Node build step. The server
// package serves them at /studio/ under a strict Content-Security-Policy.
package studio

import "embed"

// Assets is the assets folder: index.html at its root.
//
//go:embed assets
var Assets embed.FS
