// Package std is the registry of the built-in library: Modules lists every module the engine
// installs, in order. A new module (array, date, finance, ...) becomes available to rulesets, to
// the generated typings and to the engine by adding it here — and only here.
package std

import (
	"fmt"
	"strings"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/builtins/aisconsent"
	"github.com/kubusdev/kubus/builtins/array"
	"github.com/kubusdev/kubus/builtins/compression"
	"github.com/kubusdev/kubus/builtins/consent"
	"github.com/kubusdev/kubus/builtins/console"
	"github.com/kubusdev/kubus/builtins/crypto"
	"github.com/kubusdev/kubus/builtins/datadebit"
	"github.com/kubusdev/kubus/builtins/date"
	"github.com/kubusdev/kubus/builtins/documents"
	"github.com/kubusdev/kubus/builtins/encryption"
	"github.com/kubusdev/kubus/builtins/finance"
	"github.com/kubusdev/kubus/builtins/global"
	"github.com/kubusdev/kubus/builtins/http"
	"github.com/kubusdev/kubus/builtins/mail"
	"github.com/kubusdev/kubus/builtins/mongodb"
	"github.com/kubusdev/kubus/builtins/ockto"
	"github.com/kubusdev/kubus/builtins/pdf"
	"github.com/kubusdev/kubus/builtins/sql"
	"github.com/kubusdev/kubus/builtins/statistics"
	"github.com/kubusdev/kubus/builtins/system"
	"github.com/kubusdev/kubus/builtins/userstore"
)

// Modules returns every built-in module in install order. Later modules may rely on earlier ones
// (e.g. a prototype extension using a global), never the other way round.
func Modules() []builtins.Module {
	return []builtins.Module{
		global.Module{},
		console.Module{},
		system.Module{},
		finance.Module,
		array.Module{},
		date.Module{},
		statistics.Module,
		crypto.Module,
		compression.Module,
		encryption.Module,
		userstore.Module{},
		aisconsent.Module{},
		datadebit.Module{},
		consent.Module{},
		ockto.Module{},
		documents.Module{},
		pdf.Module{},
		http.Default(),
		sql.Default(),
		mongodb.Default(),
		mail.Default(),
	}
}

// WithConnections is Modules with the connectors configured (connectors.md): each module given
// (Http, SQL, MongoDB, Mail — connections.Set.Modules — or Documents and PDF with their caps) in
// place of the default of its name, which reaches public addresses only and has no connections.
func WithConnections(configured ...builtins.Module) []builtins.Module {
	mods := Modules()
	for i, m := range mods {
		for _, c := range configured {
			if m.Name() == c.Name() {
				mods[i] = c
			}
		}
	}
	return mods
}

// Install installs every module of Modules on h, in order.
func Install(h *builtins.Host) error {
	for _, m := range Modules() {
		if err := m.Install(h); err != nil {
			return fmt.Errorf("install built-in module %s: %w", m.Name(), err)
		}
	}
	return nil
}

// Typings is the TypeScript declarations of every module, in install order (what `runner types`
// writes to kubus.d.ts).
func Typings() string {
	var b strings.Builder
	b.WriteString("// Kubus built-in library. Generated: do not edit.\n")
	for _, m := range Modules() {
		b.WriteString("\n")
		b.WriteString(m.Typings())
	}
	return b.String()
}

// ReferenceMarkdown is docs/builtins.md: every documented function and constant of every module,
// with its signature, its doc line and an example, generated from the modules' own tables.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("# Kubus built-in library\n\n")
	b.WriteString("Generated from the registry (`builtins/std`): do not edit by hand. Regenerate with\n")
	b.WriteString("`go test ./builtins/std -run TestReferenceDoc -update`. Editors get the same as TypeScript\n")
	b.WriteString("declarations from `kubus types`.\n")
	for _, m := range Modules() {
		d, ok := m.(builtins.Described)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n| name | signature | what it does | example |\n|---|---|---|---|\n", m.Name())
		for _, e := range d.Reference() {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", e.Qualified, cell(e.Signature), cell(e.Doc), code(e.Example))
		}
	}
	return b.String()
}

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + cell(s) + "`"
}
