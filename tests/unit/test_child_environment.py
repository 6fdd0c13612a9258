"""The rule for what a trainer and a custom script inherit (kintern.core.environment)."""

from kintern.core.environment import script_environment, trainer_environment

POD = {
    "PATH": "/opt/kintern/bin:/usr/bin",
    "HOME": "/home/trainer",
    "LC_ALL": "C.UTF-8",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "NCCL_SOCKET_IFNAME": "eth0",
    "MASTER_ADDR": "127.0.0.1",
    "HF_HOME": "/cache/hf",
    "HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz",
    "ANTHROPIC_API_KEY": "sk-ant-abcdefghijklmnopqrstuvwxyz",
    "KINTERN_RUN_REQUEST": "spec: ...",
    "HTTPS_PROXY": "http://user:pass@proxy:3128",
    "NO_PROXY": "localhost,.svc",
    "CUDA_AUTH_TOKEN": "made-up-but-secret-named",
}


def test_a_script_gets_what_python_torch_and_cuda_need_and_nothing_secret():
    env = script_environment(POD, hub_token=False)
    assert env == {
        "PATH": "/opt/kintern/bin:/usr/bin",
        "HOME": "/home/trainer",
        "LC_ALL": "C.UTF-8",
        "CUDA_VISIBLE_DEVICES": "0,1",
        "NCCL_SOCKET_IFNAME": "eth0",
        "MASTER_ADDR": "127.0.0.1",
        "HF_HOME": "/cache/hf",
        "NO_PROXY": "localhost,.svc",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    }


def test_the_hub_token_reaches_a_script_only_when_asked_and_only_if_the_trainer_has_it():
    assert script_environment(POD, hub_token=True)["HF_TOKEN"] == POD["HF_TOKEN"]
    without = {k: v for k, v in POD.items() if k != "HF_TOKEN"}
    assert "HF_TOKEN" not in script_environment(without, hub_token=True)


def test_a_local_trainer_keeps_everything_but_secrets_and_keeps_the_hub_token():
    env = trainer_environment(POD)
    assert env["HF_TOKEN"] == POD["HF_TOKEN"] and env["KINTERN_RUN_REQUEST"] == "spec: ..."
    assert "ANTHROPIC_API_KEY" not in env and "CUDA_AUTH_TOKEN" not in env
