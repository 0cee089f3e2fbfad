// Package signoffcmd holds readyctl's sign-off commands: signoff, approve,
// waive and signoffs. They record and list people's decisions; the
// decisions themselves are judged by internal/signoff.
package signoffcmd
