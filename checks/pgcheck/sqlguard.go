package pgcheck

import (
	"fmt"
	"strings"
)

// A read-only transaction does not make a query harmless: COPY ... TO
// PROGRAM runs a shell command, lo_export and pg_file_write write server
// files, dblink_exec commits in another session, and functions signal
// backends, create replication slots, reset statistics or switch WAL, all
// inside BEGIN READ ONLY. So checklist SQL is read as tokens (comments,
// quoted strings, dollar quotes and quoted identifiers understood, never a
// regular expression over raw text) and must be one SELECT, WITH, VALUES,
// TABLE or SHOW statement that names no function of deniedFunctions.
//
// This is a guard against accidents and casual abuse in a checklist, not a
// sandbox: a user-defined function may still do anything its owner can,
// which is why user SQL also needs a role without server-program, file
// writing or signalling privileges (see checkRole).

// deniedGroup is one class of side-effecting functions, with why.
type deniedGroup struct {
	Group string
	Why   string
	// Names are function names (compared without schema, case-folded
	// unless quoted); a trailing * matches a prefix.
	Names []string
	// Example is a statement that has the side effect on a real server
	// (the tests try each against PostgreSQL and check nothing changed).
	Example string
}

// deniedFunctions is the one list of functions checklist SQL may not name.
var deniedFunctions = []deniedGroup{
	{"server files", "write, rename or delete files on the database host (adminpack)",
		[]string{"pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls"},
		"SELECT pg_file_write('/tmp/readyctl-evil', 'x', false)"},
	{"large objects", "create, write, import or export large objects (lo_export writes a server file, lo_import reads one into the database)",
		[]string{"lo_*", "lowrite", "loread"},
		"SELECT lo_from_bytea(0, 'evil')"},
	{"dblink", "run statements, including writes, in another session that commits on its own",
		[]string{"dblink*"},
		"SELECT dblink_exec('dbname=app', 'INSERT INTO items (name) VALUES (''evil'')')"},
	{"SQL in a string", "execute SQL text that this guard never sees",
		[]string{"query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "ts_stat", "ts_rewrite"},
		"SELECT query_to_xml('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()', true, false, '')"},
	{"replication", "create, advance or drop replication slots and origins, or write WAL messages: a forgotten slot retains WAL until the disk fills",
		[]string{"pg_create_physical_replication_slot", "pg_create_logical_replication_slot", "pg_drop_replication_slot",
			"pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot", "pg_replication_slot_advance",
			"pg_logical_slot_*", "pg_replication_origin_*", "pg_logical_emit_message"},
		"SELECT pg_create_physical_replication_slot('readyctl_evil', true)"},
	{"backend signalling", "cancel or terminate sessions (the application's own, even without superuser), reload the configuration, rotate logs, promote or pause a server",
		[]string{"pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_log_backend_memory_contexts",
			"pg_promote", "pg_wal_replay_pause", "pg_wal_replay_resume"},
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"},
	{"statistics resets", "erase the statistics monitoring and other checks rely on",
		[]string{"pg_stat_reset*", "pg_stat_statements_reset"},
		"SELECT pg_stat_reset()"},
	{"WAL and backups", "switch WAL segments, write restore points or start and stop backups",
		[]string{"pg_switch_wal", "pg_switch_xlog", "pg_create_restore_point", "pg_start_backup", "pg_stop_backup", "pg_backup_start", "pg_backup_stop"},
		"SELECT pg_switch_wal()"},
	{"advisory locks", "take locks the application uses to coordinate (session locks outlive the transaction)",
		[]string{"pg_advisory_*", "pg_try_advisory_*"},
		"SELECT pg_advisory_lock(42)"},
	{"sequences", "advance or set sequences: values are consumed even when the transaction rolls back",
		[]string{"nextval", "setval"},
		"SELECT nextval('counter')"},
	{"settings and notifications", "change settings of the session (read_only, timeouts) or wake listeners",
		[]string{"set_config", "pg_notify"},
		"SELECT set_config('default_transaction_read_only', 'off', false)"},
	{"transaction ids", "assign a transaction id, which consumes XIDs and writes WAL",
		[]string{"txid_current", "pg_current_xact_id"},
		"SELECT txid_current()"},
}

// deniedFunction returns the group that denies name, if any.
func deniedFunction(name string) (*deniedGroup, bool) {
	for i := range deniedFunctions {
		for _, n := range deniedFunctions[i].Names {
			if prefix, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(name, prefix) || n == name {
				return &deniedFunctions[i], true
			}
		}
	}
	return nil, false
}

// allowedStatements are the first words of statements that only read.
var allowedStatements = map[string]bool{"select": true, "with": true, "values": true, "table": true, "show": true}

// writeWords are keywords that make a read statement write or lock:
// data-modifying statements inside WITH or a subquery, SELECT INTO (creates
// a table), FOR UPDATE/SHARE (row locks the application waits on).
var writeWords = map[string]string{
	"insert": "a data-modifying statement (INSERT)",
	"update": "a data-modifying statement or row lock (UPDATE)",
	"delete": "a data-modifying statement (DELETE)",
	"merge":  "a data-modifying statement (MERGE)",
	"into":   "SELECT INTO, which creates a table",
	"share":  "a row lock (FOR SHARE)",
}

// checkReadOnlySQL refuses anything but a single reading statement that
// names no denied function.
func checkReadOnlySQL(sql string) error {
	toks, err := tokenize(sql)
	if err != nil {
		return err
	}
	// Statements are separated by ; outside quotes and comments.
	var stmt []token
	for i, t := range toks {
		if t.kind == tokPunct && t.text == ";" {
			for _, rest := range toks[i+1:] {
				if !(rest.kind == tokPunct && rest.text == ";") {
					return fmt.Errorf("only one statement is accepted, found a second after ';'")
				}
			}
			break
		}
		stmt = append(stmt, t)
	}
	first := 0
	for first < len(stmt) && stmt[first].kind == tokPunct && stmt[first].text == "(" {
		first++
	}
	if first == len(stmt) {
		return fmt.Errorf("no statement")
	}
	if w := stmt[first]; w.kind != tokWord || !allowedStatements[w.text] {
		return fmt.Errorf("%s is not accepted: only a single SELECT, WITH, VALUES, TABLE or SHOW statement runs", strings.ToUpper(w.text))
	}
	for _, t := range stmt {
		if t.kind == tokWord {
			if what, bad := writeWords[t.text]; bad {
				return fmt.Errorf("%s is not accepted: the probe only reads", what)
			}
		}
		if t.kind == tokWord || t.kind == tokQuotedIdent {
			if g, bad := deniedFunction(t.text); bad {
				return fmt.Errorf("%s is not accepted: %s functions %s", t.text, g.Group, g.Why)
			}
		}
	}
	return nil
}

type tokenKind int

const (
	tokWord        tokenKind = iota // keyword or unquoted identifier, lower-cased
	tokQuotedIdent                  // "identifier", case kept
	tokString                       // '...', E'...', $tag$...$tag$
	tokNumber
	tokParam // $1
	tokPunct // one character of punctuation or an operator character
)

type token struct {
	kind tokenKind
	text string
}

// tokenize splits SQL into tokens the way PostgreSQL's lexer does for the
// parts that matter here: comments (-- and nested /* */) disappear, string
// constants (doubled quotes, backslash escapes after E, dollar quotes) and quoted
// identifiers (doubled quotes) are single tokens, unquoted words are
// case-folded.
func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			depth := 0
			for {
				if i+1 >= len(s) {
					return nil, fmt.Errorf("unterminated /* comment")
				}
				if s[i] == '/' && s[i+1] == '*' {
					depth++
					i += 2
				} else if s[i] == '*' && s[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == '\'':
			end, err := quoted(s, i, '\'', false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, s[i+1 : end-1]})
			i = end
		case c == '"':
			end, err := quoted(s, i, '"', false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokQuotedIdent, strings.ReplaceAll(s[i+1:end-1], `""`, `"`)})
			i = end
		case (c == 'u' || c == 'U') && i+2 < len(s) && s[i+1] == '&' && (s[i+2] == '"' || s[i+2] == '\''):
			// U&"p\0067_sleep" would spell a name this guard cannot see.
			return nil, fmt.Errorf("Unicode escapes (U&) are not accepted: write names and strings plainly")
		case (c == 'e' || c == 'E') && i+1 < len(s) && s[i+1] == '\'':
			end, err := quoted(s, i+1, '\'', true)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, s[i+2 : end-1]})
			i = end
		case c == '$' && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			toks = append(toks, token{tokParam, s[i:j]})
			i = j
		case c == '$':
			// $tag$ ... $tag$ (the tag may be empty).
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j >= len(s) || s[j] != '$' {
				toks = append(toks, token{tokPunct, "$"})
				i++
				continue
			}
			delim := s[i : j+1]
			end := strings.Index(s[j+1:], delim)
			if end < 0 {
				return nil, fmt.Errorf("unterminated dollar-quoted string %s", delim)
			}
			toks = append(toks, token{tokString, s[j+1 : j+1+end]})
			i = j + 1 + end + len(delim)
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '$') {
				j++
			}
			toks = append(toks, token{tokWord, strings.ToLower(s[i:j])})
			i = j
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			j := i
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j]})
			i = j
		default:
			toks = append(toks, token{tokPunct, string(c)})
			i++
		}
	}
	return toks, nil
}

// quoted returns the index just after the closing quote of a quoted
// token starting at s[start]. A doubled quote is an escaped quote; with
// backslash, so is \'.
func quoted(s string, start int, q byte, backslash bool) (int, error) {
	for i := start + 1; i < len(s); i++ {
		switch {
		case backslash && s[i] == '\\':
			i++
		case s[i] == q && i+1 < len(s) && s[i+1] == q:
			i++
		case s[i] == q:
			return i + 1, nil
		}
	}
	if q == '"' {
		return 0, fmt.Errorf("unterminated quoted identifier")
	}
	return 0, fmt.Errorf("unterminated string constant")
}

// Identifiers may hold any non-ASCII letter, as in PostgreSQL.
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }
