# crisisline: `make run` starts the local stack, `make test` runs the whole suite. Both create .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench deploy clean reliability

$(STAMP): requirements-dev.txt functions/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m infra.local

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	$(PY) -m infra.connect.checker

reliability: $(STAMP)
	CRISISLINE_RELIABILITY=full $(PY) -m pytest -n 2 -q tests/reliability tests/test_iam.py
	$(PY) -m tests.reliability.figures

bench: $(STAMP)
	$(PY) -m bench

# The stack's monthly cost with no line open, from infra/standby_prices.json and the template's resources.
.PHONY: cost
cost: $(STAMP)
	$(PY) -m infra.cost

# The API's OpenAPI document from the route signatures of both API functions (tests/test_openapi.py checks it).
.PHONY: openapi
openapi: $(STAMP)
	$(PY) -m infra.openapi

# Belgium's November 2015 peak hour (3,295 calls, 4 operators) through the routing function: where callers end up.
.PHONY: surge
surge: $(STAMP)
	$(PY) -m infra.surge

# The contact flows live in infra/connect/*.json; this copies them into template.yaml's ContactFlow resources.
.PHONY: flows call call-d2 call-activate
flows: $(STAMP)
	$(PY) -m infra.connect.build

# One simulated caller through the real flow against `make run`: make call NUMBER=+3280012345 LANG=fr PRESS=2
# Its contact records go on the stack's stream, so metering books the call in the month's export. Fails (non-zero)
# with a message when NUMBER is empty or no stack answers. RECORD=1 prints the records, CALLBACK=no declines one.
# (LANG only when given on the command line: the shell's own LANG, e.g. C.UTF-8, is not a caller's choice.)
call: $(STAMP)
	$(PY) -m infra.connect.simulator --number "$(NUMBER)" \
		$(if $(filter command line,$(origin LANG)),--lang $(LANG)) $(if $(PRESS),--press $(PRESS)) \
		$(if $(filter no,$(CALLBACK)),--no-callback) $(if $(RECORD),--record)

# An activator opens, changes or closes their line by phone, through the activation flow, against `make run`:
# make call-activate NUMBER=<calling number> [NIS=44021 ACTIVATOR=1 LANG=fr] PIN=… CHOICE=open|template:N|operators:N|close
# (the PIN goes to the simulator in its environment, and this line is not echoed).
call-activate: $(STAMP)
	@CRISISLINE_PIN='$(PIN)' $(PY) -m infra.connect.simulator activate --number "$(NUMBER)" \
		$(if $(NIS),--nis $(NIS)) $(if $(ACTIVATOR),--activator $(ACTIVATOR)) $(if $(filter command line,$(origin LANG)),--lang $(LANG)) --choice "$(or $(CHOICE),open)"

# Read-only checks of the account around a deployed stack (instance, quotas, pool, token key, record stream), with
# the operator's AWS credentials: make preflight STACK=<stack> [CALLS_PER_HOUR=3295].
.PHONY: preflight
preflight: $(STAMP)
	@test -n "$(STACK)" || { echo "Give the stack's name: make preflight STACK=<stack>"; exit 2; }
	$(PY) -m infra.preflight --stack-name "$(STACK)" $(if $(CALLS_PER_HOUR),--calls-per-hour $(CALLS_PER_HOUR))

# A relative's call to the D2 line, then the enquiry a D2 agent records from it, with the call's ContactId:
# make call-d2 NUMBER=+3280012345 D2_TOKEN=<a d2_agent's token> [LANG=nl]. Prints the reference and the console's
# intake address of the call.
call-d2: $(STAMP)
	$(PY) -m infra.connect.simulator --number "$(NUMBER)" --press 2 --record-enquiry \
		--lang $(if $(filter command line,$(origin LANG)),$(LANG),nl) $(if $(D2_TOKEN),--d2-token "$(D2_TOKEN)")

deploy:
	sam build
	sam deploy --guided

# After each deploy: the deployed line end to end, every step PASS or FAIL (make smoke STACK=<stack>; the admin
# token in CRISISLINE_ADMIN_TOKEN). Against `make run`: .venv/bin/python -m infra.smoke --api-url ... --lambda-url ...
.PHONY: smoke
smoke: $(STAMP)
	@test -n "$(STACK)" || { echo "Give the stack's name: make smoke STACK=<stack>"; exit 2; }
	$(PY) -m infra.smoke --stack "$(STACK)" $(if $(REGION),--region $(REGION))

# The console's static files to the stack's web bucket (its status pages are written by the API): STACK=<stack name>.
.PHONY: deploy-console
deploy-console:
	@test -n "$(STACK)" || { echo "Give the stack's name: make deploy-console STACK=<stack>"; exit 2; }
	bucket=$$(aws cloudformation describe-stacks --stack-name "$(STACK)" \
		--query "Stacks[0].Outputs[?OutputKey=='WebBucketName'].OutputValue" --output text) && \
	aws s3 sync console/ "s3://$$bucket/console/" --delete --cache-control "public, max-age=60"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam
