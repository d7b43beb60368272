// Package deploy holds no code. Its tests check the files that run
// phananh in production, at the repository root and in this directory:
// the Dockerfile, docker-compose.yml, the NATS cluster's configs (read back
// with nats-server's own parser) and the Caddyfile. There is no Docker
// engine where the tests run, so what Docker would refuse, or run wrongly,
// is checked here by reading the files.
package deploy
