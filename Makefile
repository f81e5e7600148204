# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | cksum | cut -d' ' -f1)
STAGE  ?= dev
BUILD  := build
export AWS_DEFAULT_REGION ?= eu-west-1
export AWS_EC2_METADATA_DISABLED := true

.PHONY: install run lint test test-fast test-peers package deploy bench train docs clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) (first run only)..."
	@$(PY) -m pip install --quiet --disable-pip-version-check "pip<26.3"
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run: the whole product on the embedded AWS (moto) with demo data. ARGS="--no-demo" to start empty.
run: install
	@$(VENV)/bin/chorus run $(ARGS)

## make lint: ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade) and mypy over the code and the tests.
lint: install
	@$(PY) -m ruff check .
	@$(PY) -m mypy

## make test: the static checks, then every test (unit, integration, contract, infra, e2e, peers).
test: lint
	@$(PY) -m pytest $(ARGS)

## make test-fast: unit and integration tests only.
test-fast: install
	@$(PY) -m pytest tests/unit tests/integration $(ARGS)

## make bench: due-run reads, publish lateness of 500 posts, import times, classifier scores, mention cost (~6 min).
bench: install
	@$(PY) -m chorus.local.bench

## make train: retrain the mention classifier from ../shared/data/complaints and the hand-written examples; writes the committed model.
train: install
	@$(PY) -m chorus.local.train_classifier

## make docs: regenerate docs/api.md from the routes the API declares (a unit test fails when it is out of date).
docs: install
	@$(PY) -m chorus.local.apidoc

## make test-peers: only the tests against real servers (a Bluesky PDS, snac2) that the suite installs and starts.
test-peers: install
	@$(PY) -m pytest tests/peers $(ARGS)

## make package: the CloudFormation/SAM template and bundles for real AWS, in build/.
package: install
	@$(PY) -m chorus.local.packaging $(BUILD) --stage $(STAGE)

## make deploy STAGE=dev BUCKET=my-artifacts: package and deploy to the AWS account of your credentials.
deploy: package
	@test -n "$(BUCKET)" || (echo "Set BUCKET=<an S3 bucket for the artifacts>"; exit 2)
	aws cloudformation package --template-file $(BUILD)/sam.json --s3-bucket $(BUCKET) \
	    --output-template-file $(BUILD)/packaged.json --use-json
	aws cloudformation deploy --template-file $(BUILD)/packaged.json --stack-name chorus-$(STAGE) \
	    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND

clean:
	rm -rf $(BUILD) .pytest_cache .hypothesis .chalice/deployments
