// Package signoff records, signs and verifies what people sign in a
// readyctl checklist: attestations of manual items, approvals of a run's
// report by a role, and waivers of failing items. Each sign-off is one
// small JSON file, written atomically under a name no other writer can
// take, holding the exact bytes that were (optionally) signed with an
// ed25519 or SSH key in the sshsig format (namespace "readyctl"), so that
// `ssh-keygen -Y verify` can check it too.
//
// The package decides whether a record counts (valid, missing, expired,
// stale, invalid, other_release, and why) against the checklist as it is
// now; it never trusts a record's own claims about itself and never
// rewrites a record. Judge is pure (records, checklist, time and policy
// in; a Book of decisions out); Open is the I/O around it (the directory
// and allowed_signers, read as regular files only, with size caps). The
// Book answers with Decisions; turning them into report items is the
// runner's job, and a new record is judged with the Book (Try) before it
// is written.
package signoff
