package checklist

// SetLimits lowers the load limits for a test (fuzz targets use it to
// spend their time on many inputs, not on a few large ones) and returns
// the function that restores them.
func SetLimits(nodes, expansion int) (restore func()) {
	n, e := maxNodes, maxExpansion
	maxNodes, maxExpansion = nodes, expansion
	return func() { maxNodes, maxExpansion = n, e }
}

// CopyDocuments loads every checklist the way one with aliases is loaded
// (the document copied, then interpolated in place) until restore.
func CopyDocuments() (restore func()) {
	copyDocuments = true
	return func() { copyDocuments = false }
}
