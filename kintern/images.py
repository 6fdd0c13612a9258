"""The names of Kintern's three images, as `make images` tags them and the chart and the
operator default to: <registry>/<component>:<version>."""

from kintern import __version__

DEFAULT_REGISTRY = "ghcr.io/kintern"
# The non-root user every image runs as (a passwd entry exists for it in each image).
IMAGE_UID = 65532
COMPONENTS = ("operator", "agent", "trainer")


def image(component: str, registry: str = DEFAULT_REGISTRY, tag: str = __version__) -> str:
    """The reference of one component's image, e.g. ghcr.io/kintern/trainer:0.1.0."""
    if component not in COMPONENTS:
        raise ValueError(f"no image {component!r}; images: {', '.join(COMPONENTS)}")
    return f"{registry}/{component}:{tag}"


def all_images(registry: str = DEFAULT_REGISTRY, tag: str = __version__) -> list[str]:
    return [image(c, registry, tag) for c in COMPONENTS]
