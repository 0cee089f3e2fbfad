package checklist

import "reflect"

// The shapes the loader decodes, for tools that describe the format
// (`readyctl schema`, `readyctl docs`): they walk these with Fields, the
// walker the strict decoder uses, so a field added to the loader shows up
// in the schema and the reference without a second list to keep in step.

// FileSpec is the top level of a checklist file as the loader decodes it
// (sections and signoff are yaml.Node there: see SectionSpec, SignoffSpec).
func FileSpec() any { return &fileSpec{} }

// SectionSpec is one entry of `sections:` (items are yaml.Node: see ItemSpec).
func SectionSpec() any { return &sectionSpec{} }

// ItemSpec holds the fields every item has besides its one kind key.
func ItemSpec() any { return &itemSpec{} }

// SignoffSpec is the `signoff:` block.
func SignoffSpec() any { return &SignoffPolicy{} }

// ManualSpec is the block of a manual item.
func ManualSpec() any { return &Manual{} }

// IDPattern is the regular expression item, section and role ids match.
func IDPattern() string { return idPattern.String() }

// Severities lists every severity, most blocking first.
func Severities() []Severity { return []Severity{Critical, Warning, Info} }

// SeverityType is the Go type of severity fields.
var SeverityType = reflect.TypeOf(Severity(""))

// SupportedVersion is the only `version:` this readyctl reads.
const SupportedVersion = 1

// MaxRetries is the most retries an item (or defaults:) may ask for.
const MaxRetries = 100
