package sql

import (
	"strings"
	"unicode"
)

// statement is what splitting a call's SQL found: the first keyword ("select", "insert", …) and
// whether text other than comments and whitespace follows the first top-level ';'.
type statement struct {
	keyword string
	empty   bool
	more    bool
}

// scan reads sql the way the driver's own tokenizer splits statements, far enough to find the
// first top-level ';'. modernc's SQLite runs every statement of a script, and pgx sends a
// parameterless Exec over the simple protocol, which does too, so this is what keeps a second
// statement out. Where the two dialects differ it follows each exactly: SQLite has no backslash
// escapes, no dollar quoting and no nested comments, and [...] and `...` quote identifiers;
// PostgreSQL has E'...' with backslash escapes, $tag$...$tag$ and nested /* */. A mismatch can
// only make it see a separator the server would not (a refusal), never miss one in the SQLite
// dialect; on PostgreSQL the extended protocol the module uses refuses a second command anyway.
func scan(sql string, postgres bool) statement {
	var st statement
	var kw strings.Builder
	inWord, sawToken := false, false
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		// the first keyword: the leading letters of the first token
		if !sawToken && !isSpace(c) && !(c == '-' && i+1 < n && sql[i+1] == '-') && !(c == '/' && i+1 < n && sql[i+1] == '*') && c != ';' {
			sawToken, inWord = true, isLetter(c)
		}
		if inWord {
			if isLetter(c) {
				kw.WriteByte(c | 0x20)
			} else {
				inWord = false
			}
		}
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < n && sql[i+1] == '*':
			i = skipBlockComment(sql, i, postgres)
			continue
		case c == '\'':
			escapes := postgres && i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i == 1 || !isIdent(sql[i-2]))
			i = skipQuoted(sql, i, '\'', escapes)
			continue
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
			continue
		case !postgres && c == '`':
			i = skipQuoted(sql, i, '`', false)
			continue
		case !postgres && c == '[':
			if j := strings.IndexByte(sql[i+1:], ']'); j >= 0 {
				i += j + 2
			} else {
				i = n
			}
			continue
		case postgres && c == '$' && (i == 0 || !isIdent(sql[i-1])):
			if j, ok := skipDollar(sql, i); ok {
				i = j
				continue
			}
		case c == ';':
			st.keyword = kw.String()
			st.empty = !sawToken
			st.more = !blank(sql[i+1:], postgres)
			return st
		}
		i++
	}
	st.keyword = kw.String()
	st.empty = !sawToken
	return st
}

// blank reports whether s holds only whitespace, comments and semicolons.
func blank(s string, postgres bool) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case isSpace(c) || c == ';':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			i = skipBlockComment(s, i, postgres)
		default:
			return false
		}
	}
	return true
}

// skipBlockComment returns the index after the comment starting at i (PostgreSQL's nest).
func skipBlockComment(s string, i int, nested bool) int {
	depth := 0
	for i < len(s) {
		switch {
		case s[i] == '/' && i+1 < len(s) && s[i+1] == '*':
			depth++
			i += 2
			if !nested && depth > 1 {
				depth = 1
			}
		case s[i] == '*' && i+1 < len(s) && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(s)
}

// skipQuoted returns the index after the quoted text starting at i; a doubled quote is part of it,
// and with escapes a backslash takes the next byte.
func skipQuoted(s string, i int, q byte, escapes bool) int {
	for i++; i < len(s); i++ {
		switch {
		case escapes && s[i] == '\\':
			i++
		case s[i] == q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(s)
}

// skipDollar skips a PostgreSQL dollar-quoted string ($$...$$, $tag$...$tag$) starting at i; a
// parameter ($1) is not one.
func skipDollar(s string, i int) (int, bool) {
	j := i + 1
	for j < len(s) && s[j] != '$' {
		if !(isLetter(s[j]) || s[j] == '_' || s[j] >= 0x80 || j > i+1 && s[j] >= '0' && s[j] <= '9') {
			return 0, false
		}
		j++
	}
	if j >= len(s) {
		return 0, false
	}
	tag := s[i : j+1]
	end := strings.Index(s[j+1:], tag)
	if end < 0 {
		return len(s), true
	}
	return j + 1 + end + len(tag), true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// summary is the statement as a call record shows it: its first 80 characters, whitespace collapsed.
func summary(sql string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range sql {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			if n++; n > 80 {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if n++; n > 80 {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}
