// Package cases is the application service of phananh: it runs commands
// against the case log. For each command it loads the case from the event
// store, lets the domain decide, appends the events with the version it
// decided on, and answers once this process's read models have applied
// them. HTTP handlers call it; it knows nothing of HTTP.
package cases
