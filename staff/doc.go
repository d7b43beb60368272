// Package staff holds the accounts of the people who work cases: officers,
// unit heads, coordinators, Fatherland Front supervisors, leaders and
// administrators. Accounts live in the JetStream KV bucket USERS, so every
// replica of the API sees the same ones; each replica also keeps a copy in
// memory, fed by a watch on the bucket, so checking on every request that an
// account is still active costs no network round trip, and disabling an
// account takes effect everywhere within moments.
//
// Passwords are kept only as bcrypt hashes. A signed, expiring token (Tokens)
// proves a login to later requests, and a Throttle slows down guessing.
package staff
