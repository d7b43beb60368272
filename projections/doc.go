// Package projections folds the case log into read models held in memory:
// one ordered feed of the stream, applied in stream order to every model.
// Models are rebuilt from the log at start; each knows the last sequence it
// applied, so a writer can wait until its own write is visible (read your
// writes) before it answers.
package projections
