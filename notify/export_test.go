package notify

// Test hooks: a hook returning true crashes the worker at that point.

// WithBeforeSend returns cfg with a hook run before each send.
func WithBeforeSend(cfg Config, f func(key string) bool) Config {
	cfg.hooks.beforeSend = f
	return cfg
}

// WithAfterRecord returns cfg with a hook run after each send is recorded,
// before the event is acknowledged.
func WithAfterRecord(cfg Config, f func(key string) bool) Config {
	cfg.hooks.afterRecord = f
	return cfg
}

// WithAfterSend returns cfg with a hook run after a send succeeded, before
// it is recorded.
func WithAfterSend(cfg Config, f func(key string) bool) Config {
	cfg.hooks.afterSend = f
	return cfg
}
