# Each recipe is one command, so make fails with the script's exit status.
# Extra arguments: make test ARGS='--filter Foo', make run ARGS='...'.
ARGS ?=

.PHONY: run test check-api bench-postgres-client bench-token-check bench-selection bench-agenda bench-notices bench-booking bench-soak notice-crash-check fault-check scale-check verify-deploy backup-restore-check render-proceedings clean-dev

run:
	scripts/run.sh $(ARGS)

test:
	scripts/test.sh $(ARGS)

# The OpenAPI document validated, and schemathesis against a real server (also part of make test).
check-api:
	scripts/check-api.sh $(ARGS)

bench-postgres-client:
	bench/postgres-client/run.sh $(ARGS)

bench-token-check:
	bench/token-check/run.sh $(ARGS)

bench-selection:
	bench/selection/run.sh $(ARGS)

bench-agenda:
	bench/agenda/run.sh $(ARGS)

# Idle and loaded RSS, the maximum mixed rate, then 30 minutes at half of it (SOAK_MINUTES).
bench-soak:
	bench/soak.sh $(ARGS)

bench-notices:
	bench/notices/run.sh $(ARGS)

bench-booking:
	bench/booking/run.sh $(ARGS)

# systemd-analyze verify, nginx -t and the settings of deploy/ (issue 14; by hand, not part of make test).
verify-deploy:
	scripts/verify-deploy.sh $(ARGS)

# A pg_dump of the demo restored into a new database serves the same agenda (by hand).
backup-restore-check:
	scripts/backup-restore-check.sh $(ARGS)

# PostgreSQL stopped and started under load: 503s, no hang, /readyz back within 5 s, nothing half-written.
fault-check:
	scripts/fault-check.sh $(ARGS)

notice-crash-check:
	scripts/notice-crash-check.sh $(ARGS)

# Two API servers behind nginx and two schedulers under a minute of mixed load, one server
# restarted and one scheduler killed meanwhile: no 5xx but 503, no double booking, no lost
# notice, revocations and publishes seen by both servers within 2 s (make test runs it; about 2 minutes).
scale-check:
	scripts/scale-check.sh $(ARGS)

# The demo hearing's proceedings page rendered by headless Chromium to .build/proceedings.png.
render-proceedings:
	scripts/render-proceedings.sh $(ARGS)

# Stop the `make run` cluster and delete its data.
clean-dev:
	scripts/pg-cluster.sh stop .agora/data
	rm -rf .agora
