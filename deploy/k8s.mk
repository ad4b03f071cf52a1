# Kubernetes and images; included by the Makefile (uses its $(BIN), $(UV) and install target).
#   make k8s-check      render every overlay, validate against the Kubernetes and CRD schemas,
#                       check the engines against the services' settings, run the policy scan
#   make k8s-render     write the renderings to $(K8S_RENDER) for review or `kubectl diff`
#   make k8s-checkov    the real checkov on the renderings, in an isolated uv tool environment
#   make images         the base image (debootstrap, once) and the service and front-door images
#   make image-smoke    start one image's API against the local stack, expect 200 on /readyz
# Settings: MEDREC_K8S_CRDS (CRD folder, default ../shared/k8s-crds), MEDREC_K8S_VERSION,
# IMAGE_PREFIX, TAG, BASE_IMAGE, STORAGE_DRIVER (see deploy/images/build.sh), SMOKE_SERVICE.

K8S_RENDER ?= .medrec/k8s
CHECKOV_VERSION ?= 3.3.30
SMOKE_SERVICE ?= ingest
IMAGE_APT_PACKAGES := buildah debootstrap

.PHONY: k8s-check k8s-render k8s-checkov images image-tools image-smoke

k8s-check: install
	PYTHONPATH=deploy/tools $(BIN)/python -m k8s_check

k8s-render: install
	PYTHONPATH=deploy/tools $(BIN)/python -m k8s_check --render $(K8S_RENDER)

# checkov's dependency tree conflicts with the workspace lock, so it runs from uv's tool cache.
k8s-checkov: k8s-render
	$(UV) tool run --from 'checkov==$(CHECKOV_VERSION)' checkov --quiet --compact --skip-download \
		--framework kubernetes --config-file deploy/k8s/checkov.yaml -d $(K8S_RENDER)

# buildah and debootstrap come from Debian (root, as on the project's machines).
image-tools:
	@command -v buildah >/dev/null && command -v debootstrap >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(IMAGE_APT_PACKAGES); }

images: image-tools $(UV)
	deploy/images/build.sh

image-smoke: install
	$(BIN)/python deploy/images/smoke.py $(SMOKE_SERVICE)
