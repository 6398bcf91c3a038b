package sql

import "testing"

func TestScan(t *testing.T) {
	for _, c := range []struct {
		sql         string
		postgres    bool
		keyword     string
		empty, more bool
	}{
		{sql: "select 1", keyword: "select"},
		{sql: "  Select 1;", keyword: "select"},
		{sql: "select 1; -- done\n /* really */ ;", keyword: "select"},
		{sql: "select 1; delete from t", keyword: "select", more: true},
		{sql: "select ';' ; ", keyword: "select"},
		{sql: "select 'it''s; fine'", keyword: "select"},
		{sql: `select "a;b" from t`, keyword: "select"},
		{sql: "select [a;b] from t", keyword: "select"},
		{sql: "select `a;b` from t", keyword: "select"},
		{sql: "-- c;\nwith x as (select 1) select * from x", keyword: "with"},
		{sql: "/* ; */ insert into t values (1)", keyword: "insert"},
		{sql: "", empty: true},
		{sql: " -- nothing", empty: true},
		{sql: ";", empty: true},
		{sql: "; delete from t", empty: true, more: true},
		// SQLite: no backslash escapes, no nested comments, no dollar quoting.
		{sql: `select E'\'; delete from t; --'`, keyword: "select", more: true},
		{sql: "select /* /* */ 1; delete from t */", keyword: "select", more: true},
		{sql: "select $a$; delete from t; $a$", keyword: "select", more: true},
		// PostgreSQL: each of those is one string or comment.
		{sql: `select E'\'; delete from t; --'`, postgres: true, keyword: "select"},
		{sql: "select /* /* */ 1; delete from t */", postgres: true, keyword: "select"},
		{sql: "select $a$; delete from t; $a$", postgres: true, keyword: "select"},
		{sql: "select $$;$$, $1", postgres: true, keyword: "select"},
		{sql: "select $1; delete from t", postgres: true, keyword: "select", more: true},
		{sql: "select a$b; delete from t", postgres: true, keyword: "select", more: true},
		{sql: `select 'a\'; delete from t; --'`, postgres: true, keyword: "select", more: true}, // standard strings: refused, never missed
	} {
		got := scan(c.sql, c.postgres)
		if got.keyword != c.keyword || got.empty != c.empty || got.more != c.more {
			t.Errorf("scan(%q, postgres %v) = %+v", c.sql, c.postgres, got)
		}
	}
}

func TestSummary(t *testing.T) {
	long := "select a, b,\n\n   c from t where x = 1" + " and y = 2 and z = 3 and w = 4 and v = 5 and u = 6 and more = 7"
	for _, c := range []struct{ in, want string }{
		{"  select\n\t*   from t  ", "select * from t"},
		{long, "select a, b, c from t where x = 1 and y = 2 and z = 3 and w = 4 and v = 5 and u"},
		{"select 'ë€'", "select 'ë€'"},
	} {
		if got := summary(c.in); got != c.want {
			t.Errorf("summary(%q) = %q", c.in, got)
		}
	}
}
