"""Pass/fail limits of `make load`, each with its reason."""

# A phone that fails more than 1 in 100 requests on an idle district's stack is broken.
MAX_FAILURE_RATIO = 0.01

# p95 per request name, in ms, on the 2-core machine with SQLite: a field officer waits
# for these while standing in front of the party.
MAX_P95_MS = {
    "/v1/cases [open]": 800,  # two gRPC hops, one SQLite write with its outbox row
    "/v1/cases [list]": 500,
    "/v1/cases/{id}": 400,
    "/v1/auth/login": 1500,  # argon2 is slow on purpose
}
