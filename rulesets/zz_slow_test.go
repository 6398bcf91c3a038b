package rulesets

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	dir := os.Getenv("CORPUS")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		src, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			continue
		}
		tmpl := strings.Contains(lines[2], "true")
		kind := CodeBody
		if tmpl {
			kind = CodeTemplate
		}
		start := time.Now()
		c := Code{Source: src}
		Analyze(&c, kind, "x")
		if d := time.Since(start); d > 50*time.Millisecond {
			fmt.Printf("%v %d %q\n", d, len(src), src[:min(len(src), 200)])
		}
	}
}
