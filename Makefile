# Kintern: the commands the README and CI use. `make test` is the whole suite.

# Everything runs in the project's own virtual environment, created when missing.
VENV ?= .venv
BOOTSTRAP_PYTHON ?= python3
PYTHON ?= $(VENV)/bin/python
# The environment's tools (kubectl, hadolint, shellcheck, ruff) come first on the PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)
CLUSTER_DIR ?= .kintern/cluster
# The images `make images` builds: $(IMAGE_REGISTRY)/{operator,agent,trainer}:$(IMAGE_TAG).
IMAGE_REGISTRY ?= ghcr.io/kintern
IMAGE_TAG ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
export IMAGE_REGISTRY IMAGE_TAG

.PHONY: install quickstart controlplane realnode host-packages images images-cpu push-images \
	cluster-up cluster-down cluster-demo cluster-quickstart crds lint verify test

install: $(VENV)/.installed  ## Python packages: kintern with every extra, editable, in .venv

# Reinstalled only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

controlplane:  ## Build (once per machine) and cache etcd, Kubernetes, kwok, helm, Prometheus, Kueue
	bash hack/build-controlplane.sh

host-packages:  ## Debian packages for images and the real node (docker.io, containerd, CNI)
	bash hack/host-packages.sh

realnode: host-packages  ## The real node's kubelet and pause binary (cached like the control plane)
	bash hack/build-controlplane.sh kubelet >/dev/null

images: host-packages  ## Build the operator, agent and trainer (GPU, vLLM) images (IMAGE_REGISTRY, IMAGE_TAG)
	bash hack/images/build.sh

images-cpu: host-packages  ## The operator, agent and CPU trainer (<tag>-cpu, no vLLM) images: what the real node runs
	IMAGES="operator agent trainer-cpu" bash hack/images/build.sh

push-images: images  ## Push the three images to $(IMAGE_REGISTRY) (docker login first)
	for c in operator agent trainer; do docker push $(IMAGE_REGISTRY)/$$c:$(IMAGE_TAG); done

cluster-up: install  ## Start the local control plane; REAL_NODE=1 adds a real kubelet node, KUEUE=1 Kueue
	@bash hack/build-controlplane.sh etcd kwok kubernetes $(if $(KUEUE),kueue) >/dev/null
	@$(if $(REAL_NODE),$(MAKE) -s realnode images-cpu >/dev/null &&) \
	  $(PYTHON) -m kintern.devcluster up --state-dir $(CLUSTER_DIR) $(if $(REAL_NODE),--real-node) \
	  $(if $(KUEUE),--kueue)

cluster-down:  ## Stop exactly the processes cluster-up started
	@$(PYTHON) -m kintern.devcluster down --state-dir $(CLUSTER_DIR)

quickstart: install  ## A real campaign on this machine: tiny model, built-in planner, report
	$(PYTHON) -m kintern quickstart

cluster-quickstart: install realnode images-cpu  ## The quickstart in real pods on the real node
	PYTHON=$(PYTHON) KINTERN_CLUSTER_DIR=$(CLUSTER_DIR) bash hack/cluster-quickstart.sh

cluster-demo:  ## The local control plane with the CRDs and the example campaign
	PYTHON=$(PYTHON) KINTERN_CLUSTER_DIR=$(CLUSTER_DIR) bash hack/cluster-demo.sh

crds:  ## Render crds/ from the API models in kintern/api (and copy them into the chart)
	$(PYTHON) -m kintern.api.crd crds
	$(MAKE) chart-crds

lint:
	ruff check .
	ruff format --check .

verify: install  ## The conventions as checks: ruff, format, import contracts, mypy, CRD and chart drift
	PYTHON=$(PYTHON) bash hack/verify.sh

test: install controlplane realnode images-cpu  ## Every test: unit ... integration, end to end
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
	hadolint operator/Dockerfile agent/Dockerfile trainer-image/Dockerfile
	shellcheck hack/kind-e2e.sh hack/images/*.sh hack/host-packages.sh

kind-e2e:  ## Needs Docker: images, a kind cluster, the chart and a campaign to the end
	bash hack/kind-e2e.sh
