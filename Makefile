# Kintern: the commands the README and CI use. `make test` is the whole suite.

PYTHON ?= python3
CLUSTER_DIR ?= .kintern/cluster

.PHONY: install quickstart controlplane cluster-up cluster-down cluster-demo crds lint test

install:  ## Python packages: kintern with every extra, editable
	$(PYTHON) -m pip install -e ".[dev]"

controlplane:  ## Build (once per machine) and cache etcd, Kubernetes, kwok and helm
	bash hack/build-controlplane.sh

cluster-up:  ## Start the local control plane; prints the lines to eval
	@bash hack/build-controlplane.sh etcd kwok kubernetes >/dev/null
	@$(PYTHON) -m kintern.devcluster up --state-dir $(CLUSTER_DIR)

cluster-down:  ## Stop exactly the processes cluster-up started
	@$(PYTHON) -m kintern.devcluster down --state-dir $(CLUSTER_DIR)

quickstart: install  ## A real campaign on this machine: tiny model, built-in planner, report
	$(PYTHON) -m kintern quickstart

cluster-demo:  ## The local control plane with the CRDs and the example campaign
	PYTHON=$(PYTHON) KINTERN_CLUSTER_DIR=$(CLUSTER_DIR) bash hack/cluster-demo.sh

crds:  ## Render crds/ from the API models in kintern/api (and copy them into the chart)
	$(PYTHON) -m kintern.api.crd crds
	$(MAKE) chart-crds

lint:
	ruff check .
	ruff format --check .

test: controlplane  ## Every test: unit, integration (real control plane), trainer, agent
	$(PYTHON) -m pytest

.PHONY: chart-crds dashboard chart-lint kind-e2e

POLICIES := crds/kintern.dev_admission-policies.yaml

chart-crds:  ## Copy crds/ into the chart: CRDs to its crds/, the admission policies to files/
	rm -f charts/kintern/crds/*.yaml
	cp $(filter-out $(POLICIES),$(wildcard crds/*.yaml)) charts/kintern/crds/
	cp $(POLICIES) charts/kintern/files/admission-policies.yaml

dashboard:  ## Regenerate the chart's Grafana dashboard from kintern/observability/dashboard.py
	$(PYTHON) -m kintern.observability.dashboard charts/kintern/dashboards/kintern.json

chart-lint:  ## helm lint the chart; hadolint the Dockerfiles; shellcheck kind-e2e
	$$(bash hack/build-controlplane.sh helm | sed -n 's/^KINTERN_HELM=//p') lint --strict charts/kintern
	hadolint operator/Dockerfile agent/Dockerfile
	shellcheck hack/kind-e2e.sh

kind-e2e:  ## Needs Docker: images, a kind cluster, the chart and a campaign to the end
	bash hack/kind-e2e.sh
