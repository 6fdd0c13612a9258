"""What environment a child process gets: the one home of the rule that keeps secrets
away from code that does not need them.

- The trainer (local mode's `kintern train` process) inherits the environment less every
  secret-named variable (the agent's LLM keys, cloud credentials), HF_TOKEN kept: it may
  download a gated model or data set and push to the Hub.
- A custom script the trainer runs gets far less: the result protocol's KINTERN_*
  variables (the recipe adds them), and from the trainer's environment only what Python,
  torch, CUDA and the Hugging Face libraries need to run (SCRIPT_NAMES, SCRIPT_PREFIXES):
  no KINTERN_RUN_REQUEST (the request is in a file), no cloud or provider variables, and
  HF_TOKEN only when the run's spec.script.hubToken asks for it. Without it, the Hub
  client is also told not to send a token it finds on disk.
"""

from collections.abc import Mapping

from kintern.core.redaction import without_secrets

HUB_TOKEN = "HF_TOKEN"
# Set when the script may not use the Hub token: huggingface_hub then sends no token it
# finds in a token file unless the code passes one itself.
NO_IMPLICIT_HUB_TOKEN = {"HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}

SCRIPT_NAMES = frozenset(
    {
        # the process itself: where programs, home and temporary files are
        *("PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ", "LANG", "LANGUAGE"),
        *("PYTHONPATH", "PYTHONHOME", "PYTHONUNBUFFERED", "PYTHONIOENCODING", "VIRTUAL_ENV"),
        "LD_LIBRARY_PATH",
        # the Hugging Face libraries' caches and offline switches (no credentials)
        *("HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_HUB_OFFLINE"),
        *("HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "TRANSFORMERS_OFFLINE"),
        *("HF_ENDPOINT", "TORCH_HOME", "XDG_CACHE_HOME", "TOKENIZERS_PARALLELISM"),
        *("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TRACKIO_PROJECT", "TRACKIO_DIR"),
        # the GPUs this process was given, and the distributed rendezvous when it has several
        *("NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"),
        *("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"),
        # TLS trust, as the trainer's own downloads use it
        *("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
        *("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"),
    }
)
SCRIPT_PREFIXES = ("LC_", "CUDA_", "NCCL_", "PYTORCH_", "TORCHELASTIC_")


def trainer_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What a local trainer inherits: `environ` less its secrets, HF_TOKEN kept."""
    return without_secrets(environ, keep=(HUB_TOKEN,))


def script_environment(environ: Mapping[str, str], hub_token: bool) -> dict[str, str]:
    """What a custom script inherits from the trainer's `environ` (the recipe adds the
    result protocol's variables): the names above, HF_TOKEN only when `hub_token`."""
    kept = {
        name: value
        for name, value in without_secrets(environ).items()
        if _needed(name) and not _carries_credentials(value)
    }
    if hub_token and HUB_TOKEN in environ:
        return kept | {HUB_TOKEN: environ[HUB_TOKEN]}
    return kept | NO_IMPLICIT_HUB_TOKEN


def _needed(name: str) -> bool:
    return name in SCRIPT_NAMES or name.startswith(SCRIPT_PREFIXES)


def _carries_credentials(value: str) -> bool:
    """A URL with a user and password in it (a proxy's, say)."""
    return "://" in value and "@" in value.split("://", 1)[1].split("/", 1)[0]
